// SPDX-License-Identifier: GPL-2.0
/*
 * OPERATOR_URL: poll the operator's instance list every interval.
 *
 * One request at a time: the next poll is scheduled when the current one
 * ends (one interval after it started, or at once if it took longer), so a
 * slow operator is never piled up on. The ETag of the last good answer goes
 * out as If-None-Match; a 304 is that same answer again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "instances.h"

#define OPERATOR_MAX_BODY	((size_t)16 * 1024 * 1024)

struct op_src {
	struct source_state *s;
	sd_event_source *timer;
	struct httpc_req *req;		/* in flight, or NULL */
	uint64_t started;		/* CLOCK_MONOTONIC of the last poll */
	char *etag;			/* of the last good answer */
	struct instance *inst;		/* the last good answer, for 304 */
	size_t n, last_n;
	bool have;			/* inst/n hold an answer */
};

static struct httpc *op_httpc(const struct source_state *s)
{
	return s->vip->agent->httpc;
}

static void schedule(struct op_src *p)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	uint32_t ival = p->s->cfg->interval_ms ? p->s->cfg->interval_ms : 5000;
	uint64_t next = p->started + (uint64_t)ival * 1000;

	sd_event_source_set_time(p->timer, next > now ? next : now);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

/* The status line a human reads in the log: the body's start, printable. */
static void body_snippet(const char *body, size_t len, char *out, size_t olen)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 4 < olen && i < 48; i++) {
		char c = body[i];

		if (c < 0x20 || c >= 0x7f)
			c = '.';
		out[j++] = c;
	}
	if (i < len && j + 4 < olen) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

static void answer(struct op_src *p, const struct httpc_result *r)
{
	struct source_state *s = p->s;
	const char *url = s->cfg->url;
	char err[AGENT_ERR_MAX], snip[64], label[AGENT_ERR_MAX];
	struct instance *inst;
	size_t n;

	snprintf(label, sizeof(label), "operator %s", url);
	if (r->curl_code) {
		vip_source_failed(s->vip, s->idx, "operator %s: %s", url,
				  r->error ? r->error : "transfer failed");
		return;
	}
	if (r->status == 304) {
		/* We only send If-None-Match with an answer in hand. */
		if (!p->have) {
			vip_source_failed(s->vip, s->idx,
					  "operator %s: 304 Not Modified to a request without If-None-Match",
					  url);
			return;
		}
		source_deliver(s, label, p->inst, p->n, &p->last_n);
		return;
	}
	if (r->status >= 300 && r->status <= 399) {
		vip_source_failed(s->vip, s->idx,
				  "operator %s: HTTP %ld (redirects are not followed: give the final URL)",
				  url, r->status);
		return;
	}
	if (r->status < 200 || r->status > 299) {
		body_snippet(r->body, r->body_len, snip, sizeof(snip));
		vip_source_failed(s->vip, s->idx, "operator %s: HTTP %ld%s%s",
				  url, r->status, *snip ? ": " : "", snip);
		return;
	}
	if (instances_parse_json(r->body, r->body_len, source_default_port(s),
				 source_default_weight(s), &inst, &n, err,
				 sizeof(err))) {
		/* what came instead (an HTML error page, say) tells why */
		body_snippet(r->body, r->body_len, snip, sizeof(snip));
		if (!strncmp(err, "malformed JSON", 14) && *snip)
			vip_source_failed(s->vip, s->idx,
					  "operator %s: %s (body \"%s\")", url,
					  err, snip);
		else
			vip_source_failed(s->vip, s->idx, "operator %s: %s",
					  url, err);
		return;
	}
	if (!n && p->last_n) {
		/* source_deliver() reports it; keep the last good set and ETag */
		source_deliver(s, label, inst, n, &p->last_n);
		free(inst);
		return;
	}
	free(p->inst);
	p->inst = inst;
	p->n = n;
	p->have = true;
	free(p->etag);
	p->etag = r->etag && *r->etag ? strdup(r->etag) : NULL;
	source_deliver(s, label, p->inst, p->n, &p->last_n);
}

static void on_done(void *arg, const struct httpc_result *r)
{
	struct op_src *p = arg;

	p->req = NULL;
	/* first: nothing may touch @p once the model has its answer */
	schedule(p);
	answer(p, r);
}

static int poll_now(struct op_src *p)
{
	struct source_state *s = p->s;
	struct httpc_opts o = {
		.timeout_ms = s->cfg->timeout_ms,
		.if_none_match = p->have ? p->etag : NULL,
		.tls_verify = true,
		.max_body = OPERATOR_MAX_BODY,
	};

	p->started = now_usec(CLOCK_MONOTONIC);
	p->req = httpc_get(op_httpc(s), s->cfg->url, &o, on_done, p);
	if (!p->req) {
		vip_source_failed(s->vip, s->idx,
				  "operator %s: cannot start a request", s->cfg->url);
		return -1;
	}
	return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct op_src *p = userdata;

	(void)es;
	(void)usec;
	if (!p->req && poll_now(p))
		schedule(p);
	return 0;
}

static void op_stop(struct source_state *s)
{
	struct op_src *p = s->priv;

	if (!p)
		return;
	httpc_cancel(p->req);
	sd_event_source_disable_unref(p->timer);
	free(p->etag);
	free(p->inst);
	free(p);
	s->priv = NULL;
}

static int op_start(struct source_state *s)
{
	struct op_src *p;
	int r;

	if (!op_httpc(s) || !s->cfg->url) {
		log_err("vip %s: operator source without %s", s->vip->cfg->name,
			s->cfg->url ? "an HTTP client" : "a URL");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	s->priv = p;
	/* first poll at once: the start-up waits for every source's answer */
	r = sd_event_add_time(source_event(s), &p->timer, CLOCK_MONOTONIC, 0, 0,
			      on_timer, p);
	if (r < 0) {
		op_stop(s);
		return r;
	}
	sd_event_source_set_description(p->timer, "source-operator");
	return 0;
}

/* SIGHUP: poll now (unless a poll is under way), and keep the interval. */
static void op_reload(struct source_state *s)
{
	struct op_src *p = s->priv;

	if (!p || p->req)
		return;
	sd_event_source_set_time(p->timer, 0);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

const struct source_ops source_operator_ops = {
	.type = SRC_OPERATOR,
	.name = "operator",
	.start = op_start,
	.stop = op_stop,
	.reload = op_reload,
};
