// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery sources: the table of their operations and what they share.
 */
#include "instances.h"

static const struct source_ops *const sources[] = {
	[SRC_STATIC] = &source_static_ops,
	[SRC_OPERATOR] = &source_operator_ops,
	[SRC_FILE] = &source_file_ops,
	[SRC_DNS] = &source_dns_ops,
};

const struct source_ops *source_ops_get(enum source_type t)
{
	if ((unsigned int)t >= sizeof(sources) / sizeof(sources[0]))
		return NULL;
	return sources[t];
}

void source_deliver(struct source_state *s, const char *what,
		    const struct instance *inst, size_t n, size_t *last_n)
{
	/*
	 * An operator restarting, a file truncated while written, a DNS
	 * zone mid-update: an empty answer after a full one is far more
	 * often a fault than an intent, and acting on it would remove every
	 * backend at once.
	 */
	if (!n && *last_n) {
		vip_source_failed(s->vip, s->idx,
				  "%s: empty instance list (the last good one had %zu): keeping it",
				  what, *last_n);
		return;
	}
	*last_n = n;
	vip_source_update(s->vip, s->idx, inst, n);
}

uint16_t source_default_port(const struct source_state *s)
{
	const struct vip_cfg *c = s->vip->cfg;

	return c->backend_port ? c->backend_port : c->vip.port;
}

uint32_t source_default_weight(const struct source_state *s)
{
	return s->vip->cfg->weight ? s->vip->cfg->weight : 1;
}

sd_event *source_event(const struct source_state *s)
{
	return s->vip->agent->ev;
}
