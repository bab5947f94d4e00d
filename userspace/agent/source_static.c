// SPDX-License-Identifier: GPL-2.0
/*
 * BACKENDS: a fixed list, answered once. The answer is given from the loop
 * (a defer source), not from start(), so that the model sees it the same
 * way as every other source's: after start-up, one event at a time.
 */
#include <errno.h>
#include <stdlib.h>

#include "instances.h"

struct static_src {
	struct source_state *s;
	sd_event_source *defer;
	struct instance *inst;
	size_t n, last_n;
};

static int on_defer(sd_event_source *es, void *userdata)
{
	struct static_src *p = userdata;

	(void)es;
	source_deliver(p->s, "BACKENDS", p->inst, p->n, &p->last_n);
	return 0;
}

static void static_stop(struct source_state *s)
{
	struct static_src *p = s->priv;

	if (!p)
		return;
	sd_event_source_disable_unref(p->defer);
	free(p->inst);
	free(p);
	s->priv = NULL;
}

static int static_start(struct source_state *s)
{
	char err[AGENT_ERR_MAX];
	struct static_src *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	s->priv = p;
	if (instances_parse_list(s->cfg->list ? s->cfg->list : "",
				 source_default_port(s),
				 source_default_weight(s), &p->inst, &p->n,
				 err, sizeof(err))) {
		/* config.c checks the list; this is the belt to its braces */
		log_err("vip %s: %s", s->vip->cfg->name, err);
		static_stop(s);
		return -EINVAL;
	}
	r = sd_event_add_defer(source_event(s), &p->defer, on_defer, p);
	if (r < 0) {
		static_stop(s);
		return r;
	}
	sd_event_source_set_description(p->defer, "source-static");
	return 0;
}

/* SIGHUP: the list is the configuration's; answer it again all the same. */
static void static_reload(struct source_state *s)
{
	struct static_src *p = s->priv;

	if (p && p->defer)
		sd_event_source_set_enabled(p->defer, SD_EVENT_ONESHOT);
}

const struct source_ops source_static_ops = {
	.type = SRC_STATIC,
	.name = "static",
	.start = static_start,
	.stop = static_stop,
	.reload = static_reload,
};
