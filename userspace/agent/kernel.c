// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the agent: make the kernel's VIPs and backends match
 * the model (reconcile), read the counters (stats), follow the "events"
 * group, and live without the module (kernel_ok false, retried every 2 s).
 *
 * Netlink requests are synchronous: the kernel answers a request at once,
 * and a reconcile sends only what differs, so the loop is held for a few
 * round trips at most.
 *
 * Safety rules (restart must break no flow): backends already in the
 * kernel are adopted, not replaced; a kernel backend the model does not
 * know (someone else added it) is adopted too, so the model drains it and
 * drops it after DRAIN_GRACE once every source has answered; only one the
 * model itself drained and dropped is deleted; VIPs the agent is not
 * configured for are never touched; nothing here ever deletes a VIP or
 * flushes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <linux/l4lb.h>

#include "agent.h"
#include "events.h"
#include "msg.h"
#include "nl.h"
#include "pr.h"
#include "reconcile.h"

#define KERNEL_RETRY_USEC	(2 * 1000000ULL)
/* kernel events come in bursts (ours too): one reconcile after them */
#define EVENT_DEBOUNCE_USEC	(200 * 1000ULL)
/* after a reconcile with failed requests, the stats tick retries no sooner
 * (one whose dump failed is retried at the next tick) */
#define ERROR_RETRY_USEC	(10 * 1000000ULL)
/* sd-event's default slack (0: 250 ms) is too coarse for short intervals */
#define TIMER_ACCURACY		(10 * 1000ULL)
/* a kernel that answers nothing within this is taken for gone */
#define NL_TIMEOUT_MS		5000
/* a netlink error that leaves the kernel reachable: one warning per this */
#define ERROR_LOG_USEC		(10 * 1000000ULL)

static sd_event_source *retry_ev;	/* reconnect while the kernel is away */
static sd_event_source *stats_ev;	/* every stats_interval_ms */
static sd_event_source *events_io;	/* the events socket */
static sd_event_source *debounce_ev;	/* reconcile after a burst of events */
static uint64_t stats_last_usec;	/* monotonic time of the last sample */
static uint64_t last_error_usec;	/* monotonic time of a failed reconcile */
static int last_open_err = 1;		/* 1: never tried; logged once per value */
static bool retry_reconcile;		/* a reconcile's dump failed: at the next tick */

/*
 * Errors that leave the kernel reachable (a dump interrupted NL_DUMP_TRIES
 * times, ENOMEM, a malformed reply, a refused request): counted, warned
 * about at most once per ERROR_LOG_USEC (debug in between), and said once
 * when they stop. One for dumps, one for the requests a reconcile sends.
 */
struct soft_errors {
	bool failing;			/* the last attempt failed */
	bool warned;			/* a warning since failing began */
	uint64_t warned_usec;		/* monotonic time of the last one, 0: none */
	unsigned int quiet;		/* errors logged at debug since */
};
static struct soft_errors dump_errors, request_errors;

/*
 * Per VIP (a->vips[i]): the endpoints of backends the model is draining
 * (gone_usec set). One that is no longer in the model but still in the
 * kernel was dropped by the model after DRAIN_GRACE: that one is deleted.
 * Any other kernel backend the model lacks is adopted instead.
 */
struct leaving {
	struct endpoint *ep;
	size_t n, cap;
};
static struct leaving *leaving;		/* a->cfg.n_vips of them, or NULL */

static struct leaving *leaving_of(const struct agent *a, const struct avip *v)
{
	return leaving ? &leaving[v - a->vips] : NULL;
}

static bool leaving_has(const struct leaving *l, const struct endpoint *ep)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (rc_same_endpoint(&l->ep[i], ep))
			return true;
	return false;
}

static void leaving_forget(struct leaving *l, const struct endpoint *ep)
{
	size_t i;

	for (i = 0; l && i < l->n; i++) {
		if (rc_same_endpoint(&l->ep[i], ep)) {
			l->ep[i] = l->ep[--l->n];
			return;
		}
	}
}

/* Note the model's draining backends of @v (its gone timers are running). */
static void leaving_note(struct agent *a, struct avip *v)
{
	struct leaving *l = leaving_of(a, v);
	const struct abackend *b;

	for (b = v->backends; l && b; b = b->next) {
		if (!b->gone_usec || leaving_has(l, &b->ep))
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 8;
			struct endpoint *p = realloc(l->ep, cap * sizeof(*p));

			if (!p) {
				/* not deleted then, but adopted and drained again */
				log_err("kernel: out of memory");
				return;
			}
			l->ep = p;
			l->cap = cap;
		}
		l->ep[l->n++] = b->ep;
	}
}

/*
 * After a reconcile of @v against the kernel's @have: what the model lists
 * again is not leaving, nor what neither the model nor the kernel has.
 */
static void leaving_prune(struct agent *a, struct avip *v,
			  const struct rc_backend *have, size_t nh)
{
	struct leaving *l = leaving_of(a, v);
	size_t i = 0, j;

	while (l && i < l->n) {
		const struct abackend *b = vip_find_backend(v, &l->ep[i]);
		bool in_kernel = false;

		for (j = 0; j < nh && !in_kernel; j++)
			in_kernel = rc_same_endpoint(&have[j].ep, &l->ep[i]);
		if ((b && !b->gone_usec) || (!b && !in_kernel))
			l->ep[i] = l->ep[--l->n];
		else
			i++;
	}
}

static const char *state_name(int s)
{
	switch (s) {
	case L4LB_BACKEND_UP:
		return "up";
	case L4LB_BACKEND_DRAIN:
		return "drain";
	case L4LB_BACKEND_DOWN:
		return "down";
	default:
		return "gone";
	}
}

static const char *mode_name(int m)
{
	static const char *const names[] = {
		[L4LB_FWD_DNAT] = "dnat", [L4LB_FWD_SNAT] = "snat",
		[L4LB_FWD_DSR] = "dsr", [L4LB_FWD_TUNNEL] = "tunnel",
	};

	return m >= 0 && m <= L4LB_FWD_MAX ? names[m] : "?";
}

static void vip_key_of(const struct avip *v, struct vip_key *key)
{
	memset(key, 0, sizeof(*key));
	key->ep = v->cfg->vip;
	key->proto = v->cfg->proto;
}

static bool same_vip(const struct vip_key *a, const struct vip_key *b)
{
	return a->proto == b->proto && rc_same_endpoint(&a->ep, &b->ep);
}

/* "default (10.0.0.1:80/tcp)" for the log */
static const char *vip_label(const struct avip *v, char *buf, size_t len)
{
	char ep[ADDR_STRLEN];

	snprintf(buf, len, "%s (%s/%s)", v->cfg->name,
		 endpoint_format(&v->cfg->vip, ep, sizeof(ep)),
		 v->cfg->proto == IPPROTO_UDP ? "udp" : "tcp");
	return buf;
}

static const char *nl_strerror(int err)
{
	if (err == -NL_DUMP_INTR)
		return "the configuration kept changing while it was listed";
	return strerror(err < 0 ? -err : err);
}

/*
 * Whether @err means the l4lb family or our socket is gone, rather than a
 * request that failed (lib/nl.c returns the kernel's error for the latter,
 * -errno of send/recv for the former). -ENOENT and -EOPNOTSUPP mean it only
 * for the dump of the VIPs (@vip_dump): genetlink's answer to a family id
 * it no longer knows, or that now names another family. Other requests
 * get them from the module itself (no such VIP or backend, a mode it does
 * not support). -ETIMEDOUT: its answer may still come, a new socket it is.
 */
static bool kernel_gone(int err, bool vip_dump)
{
	switch (-err) {
	case ENOENT:
	case EOPNOTSUPP:
		return vip_dump;
	case ECONNREFUSED:
	case EBADF:
	case ENOTCONN:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

static void soft_error(struct agent *a, struct soft_errors *se,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void soft_error(struct agent *a, struct soft_errors *se,
		       const char *fmt, ...)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	char buf[512];
	va_list ap;

	a->m.netlink_errors++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	se->failing = true;
	if (se->warned_usec && now - se->warned_usec < ERROR_LOG_USEC) {
		se->quiet++;
		log_debug("%s", buf);
		return;
	}
	if (se->quiet)
		log_warn("%s (%u more netlink errors since the last warning)",
			 buf, se->quiet);
	else
		log_warn("%s", buf);
	se->quiet = 0;
	se->warned = true;
	se->warned_usec = now;
}

static void soft_ok(struct soft_errors *se, const char *what)
{
	if (se->failing && se->warned)
		log_info("kernel: %s succeed again", what);
	se->failing = false;
	se->warned = false;
}

/* lib's own messages (pr_err/pr_warn) into the agent's log */
static void lib_log(bool warn, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	alog(warn ? LOG_LVL_WARN : LOG_LVL_ERROR, "netlink: %s", buf);
}

/* ------------------------------------------------------ connection */

static int kernel_connect(struct agent *a);

static void close_sockets(struct agent *a)
{
	events_io = sd_event_source_disable_unref(events_io);
	nl_close(a->nl_events);
	a->nl_events = NULL;
	nl_close(a->nl);
	a->nl = NULL;
}

static int retry_cb(sd_event_source *s, uint64_t usec, void *data)
{
	(void)s;
	(void)usec;
	kernel_connect(data);
	return 0;
}

static void arm_retry(struct agent *a)
{
	uint64_t when = now_usec(CLOCK_MONOTONIC) + KERNEL_RETRY_USEC;

	if (retry_ev) {
		sd_event_source_set_time(retry_ev, when);
		sd_event_source_set_enabled(retry_ev, SD_EVENT_ONESHOT);
		return;
	}
	if (sd_event_add_time(a->ev, &retry_ev, CLOCK_MONOTONIC, when,
			      TIMER_ACCURACY, retry_cb, a) < 0)
		log_err("kernel: cannot arm the retry timer");
}

/* The kernel stopped answering (module unloaded...): forget it, retry. */
static void kernel_lost(struct agent *a, int err)
{
	size_t i;

	if (a->kernel_ok)
		log_warn("kernel: l4lb stopped answering (%s); retrying every 2 s",
			 err == -ENOENT ? "the module is gone" : strerror(-err));
	a->kernel_ok = false;
	last_open_err = err;
	close_sockets(a);
	/* what we knew of it is stale: /backends shows the model alone */
	for (i = 0; i < a->cfg.n_vips; i++) {
		struct abackend *b;

		a->vips[i].in_kernel = false;
		for (b = a->vips[i].backends; b; b = b->next)
			b->in_kernel = false;
	}
	arm_retry(a);
}

static int events_cb(sd_event_source *s, int fd, uint32_t revents, void *data);

static void subscribe(struct agent *a)
{
	int err;

	a->nl_events = events_open(&err);
	if (!a->nl_events) {
		/* not fatal: the stats tick notices drift all the same */
		log_warn("kernel: no l4lb events (%s); changes by others are seen at the next stats read",
			 strerror(-err));
		return;
	}
	if (sd_event_add_io(a->ev, &events_io,
			    mnl_socket_get_fd(a->nl_events->sock), EPOLLIN,
			    events_cb, a) < 0) {
		log_warn("kernel: cannot watch the events socket");
		nl_close(a->nl_events);
		a->nl_events = NULL;
	}
}

/*
 * Backends of our VIPs the kernel has: the model takes them over as they
 * are (vip_adopt_backend), so a restart changes nothing the kernel does.
 */
static int adopt(struct agent *a)
{
	size_t i, j;

	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];
		struct backend *bs = NULL;
		struct vip_key key;
		size_t n = 0;
		int err;

		vip_key_of(v, &key);
		err = dump_backends(a->nl, &key, &bs, &n);
		if (err == -ENOENT)
			continue;	/* no such VIP yet: nothing to adopt */
		if (kernel_gone(err, false))
			return err;
		if (err) {
			char lbl[128];

			/* the reconcile adopts what this missed */
			soft_error(a, &dump_errors,
				   "kernel: cannot list the backends of %s: %s",
				   vip_label(v, lbl, sizeof(lbl)), nl_strerror(err));
			continue;
		}
		for (j = 0; j < n; j++) {
			uint8_t st = bs[j].has_state ? bs[j].state : L4LB_BACKEND_UP;
			uint32_t w = bs[j].has_weight ? bs[j].weight :
				     L4LB_WEIGHT_DEFAULT;
			struct abackend *b;

			/* dropped by the model while the kernel was away: the
			 * reconcile deletes it */
			if (!vip_find_backend(v, &bs[j].ep) &&
			    leaving_has(leaving_of(a, v), &bs[j].ep))
				continue;
			/* known already (a source answered first): refreshed */
			b = vip_adopt_backend(v, &bs[j].ep, w, st);
			if (!b) {
				log_err("kernel: out of memory adopting a backend");
				break;
			}
			b->in_kernel = true;
			b->kstate = st;
			b->kweight = w;
			b->kstats = bs[j].stats;
		}
		free(bs);
	}
	return 0;
}

static int kernel_connect(struct agent *a)
{
	int err;

	a->nl = nl_open_quiet(&err);
	if (a->nl && (err = nl_set_timeout(a->nl, NL_TIMEOUT_MS)) < 0)
		log_warn("kernel: no timeout on netlink requests (%s): a kernel that never answers stalls the agent",
			 strerror(-err));
	if (!a->nl) {
		if (err != last_open_err)
			log_warn("kernel: l4lb not reachable (%s); retrying every 2 s",
				 err == -ENOENT ? "the module is not loaded" :
				 strerror(-err));
		last_open_err = err;
		arm_retry(a);
		return err;
	}
	if (retry_ev)
		sd_event_source_set_enabled(retry_ev, SD_EVENT_OFF);
	log_info("kernel: l4lb found (genetlink family %u, version %u)",
		 a->nl->family_id, a->nl->family_version);
	last_open_err = 0;
	a->kernel_ok = true;
	subscribe(a);
	err = adopt(a);
	if (err) {
		kernel_lost(a, err);
		return err;
	}
	reconcile_schedule(a);
	return 0;
}

/* ------------------------------------------------------ reconcile */

static uint32_t want_weight(const struct avip *v, const struct abackend *b)
{
	uint32_t weight = b->weight;

	/* 0 is "the VIP's default"; an adopted backend keeps the kernel's */
	if (!weight && !b->adopted)
		weight = v->cfg->weight ? v->cfg->weight : L4LB_WEIGHT_DEFAULT;
	return weight > L4LB_WEIGHT_MAX ? L4LB_WEIGHT_MAX : weight;
}

static int vip_want_backends(const struct avip *v, struct rc_backend **out,
			     size_t *n)
{
	const struct abackend *b;
	struct rc_backend *w;
	size_t cnt = 0;

	for (b = v->backends; b; b = b->next)
		cnt++;
	w = calloc(cnt ? cnt : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	cnt = 0;
	for (b = v->backends; b; b = b->next) {
		w[cnt].ep = b->ep;
		w[cnt].state = backend_desired_state(b);
		w[cnt].weight = want_weight(v, b);
		cnt++;
	}
	*out = w;
	*n = cnt;
	return 0;
}

/* Send one decision; log it; keep the model's view of the kernel current. */
static int run_op(struct agent *a, struct avip *v, const struct rc_op *op)
{
	static const uint8_t cmds[] = {
		[RC_VIP_NEW] = L4LB_CMD_VIP_NEW,
		[RC_VIP_SET] = L4LB_CMD_VIP_SET,
		[RC_BACKEND_NEW] = L4LB_CMD_BACKEND_NEW,
		[RC_BACKEND_SET] = L4LB_CMD_BACKEND_SET,
		[RC_BACKEND_DEL] = L4LB_CMD_BACKEND_DEL,
	};
	struct request r = { 0 };
	struct backend_opts bo;
	struct vip_opts vo;
	struct vip_key key;
	char lbl[128], what[160];
	bool is_vip = op->type == RC_VIP_NEW || op->type == RC_VIP_SET;
	struct abackend *b;
	int err;

	if (op->type == RC_BACKEND_ADOPT) {
		char ep[ADDR_STRLEN];

		endpoint_format(&op->ep, ep, sizeof(ep));
		b = vip_adopt_backend(v, &op->ep, (uint32_t)op->weight,
				      (uint8_t)op->state);
		if (!b) {
			log_err("kernel: out of memory adopting a backend");
			return -ENOMEM;
		}
		log_info("kernel: %s: backend %s, which no source lists, taken over: drained, then removed after DRAIN_GRACE once every source answered",
			 vip_label(v, lbl, sizeof(lbl)), ep);
		b->kstate = (uint8_t)op->state;
		b->kweight = (uint32_t)op->weight;
		b->in_kernel = true;
		/* what the model now wants for it: at the next iteration */
		reconcile_schedule(a);
		return 0;
	}
	r.cmd = cmds[op->type];
	vip_key_of(v, &key);
	r.vip = &key;
	if (is_vip) {
		vip_opts_init(&vo);
		vo.sched = op->sched;
		vo.mode = op->mode;
		r.vip_opts = &vo;
		snprintf(what, sizeof(what), "%s%s%s%s%s",
			 op->type == RC_VIP_NEW ? "created" : "set",
			 op->sched ? " sched " : "", op->sched ? op->sched : "",
			 op->mode >= 0 ? " mode " : "",
			 op->mode >= 0 ? mode_name(op->mode) : "");
	} else {
		char ep[ADDR_STRLEN];

		backend_opts_init(&bo);
		bo.weight = op->weight;
		bo.state = op->state;
		r.backend = &op->ep;
		r.backend_opts = &bo;
		endpoint_format(&op->ep, ep, sizeof(ep));
		if (op->type == RC_BACKEND_DEL) {
			snprintf(what, sizeof(what), "backend %s removed", ep);
		} else {
			char st[16] = "", wt[32] = "";

			if (op->state >= 0)
				snprintf(st, sizeof(st), " state %s",
					 state_name((int)op->state));
			if (op->weight >= 0)
				snprintf(wt, sizeof(wt), " weight %lld",
					 (long long)op->weight);
			snprintf(what, sizeof(what), "backend %s %s%s%s", ep,
				 op->type == RC_BACKEND_NEW ? "added" : "set",
				 st, wt);
		}
	}

	err = request_run(a->nl, &r);
	if (err == -EEXIST && op->type == RC_VIP_NEW)
		err = 0;	/* created meanwhile by someone else: fine */
	if (err) {
		soft_error(a, &request_errors, "kernel: %s: %s failed: %s%s%s",
			   vip_label(v, lbl, sizeof(lbl)), what, nl_strerror(err),
			   a->nl->extack[0] ? ": " : "", a->nl->extack);
		return err;
	}
	log_info("kernel: %s: %s", vip_label(v, lbl, sizeof(lbl)), what);

	if (op->type == RC_BACKEND_DEL)
		leaving_forget(leaving_of(a, v), &op->ep);
	if (is_vip) {
		v->in_kernel = true;
		return 0;
	}
	b = vip_find_backend(v, &op->ep);
	if (!b)
		return 0;
	if (op->type == RC_BACKEND_DEL) {
		b->in_kernel = false;
		memset(&b->kstats, 0, sizeof(b->kstats));
		memset(&b->kstats_prev, 0, sizeof(b->kstats_prev));
		return 0;
	}
	if (op->type == RC_BACKEND_NEW) {
		b->in_kernel = true;
		memset(&b->kstats, 0, sizeof(b->kstats));
		memset(&b->kstats_prev, 0, sizeof(b->kstats_prev));
	}
	if (op->state >= 0)
		b->kstate = (uint8_t)op->state;
	if (op->weight >= 0)
		b->kweight = (uint32_t)op->weight;
	return 0;
}

static const struct vip *find_kvip(const struct vip *vips, size_t n,
				   const struct vip_key *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_vip(&vips[i].key, key))
			return &vips[i];
	return NULL;
}

/*
 * One VIP: returns the number of failed requests, or -errno when the kernel
 * is gone (kernel_gone()). A dump that failed otherwise is retried at the
 * next tick (retry_reconcile).
 */
static int reconcile_vip(struct agent *a, struct avip *v,
			 const struct vip *kv)
{
	struct rc_vip want = { .mode = v->cfg->mode }, have = { .mode = -1 };
	struct rc_backend *w = NULL, *h = NULL;
	struct backend *bs = NULL;
	size_t nw = 0, nh = 0, nops, i;
	struct rc_op vop, *ops = NULL;
	struct vip_key key;
	int err, failed = 0;

	snprintf(want.sched, sizeof(want.sched), "%s", v->cfg->sched);
	if (kv) {
		have.present = true;
		snprintf(have.sched, sizeof(have.sched), "%s", kv->sched);
		have.mode = kv->has_mode ? kv->mode : -1;
	}
	if (rc_vip_ops(&want, &have, &vop) && (err = run_op(a, v, &vop))) {
		if (kernel_gone(err, false))
			return err;
		if (!kv)
			return 1;	/* no VIP, no backends: next time */
		failed++;
	}

	vip_key_of(v, &key);
	if (kv) {
		char lbl[128];

		err = dump_backends(a->nl, &key, &bs, &nh);
		if (err == -ENOENT) {	/* deleted meanwhile: next time */
			retry_reconcile = true;
			return failed;
		}
		if (kernel_gone(err, false))
			return err;
		if (err) {
			soft_error(a, &dump_errors,
				   "kernel: cannot list the backends of %s: %s; retrying at the next tick",
				   vip_label(v, lbl, sizeof(lbl)), nl_strerror(err));
			retry_reconcile = true;
			return failed;
		}
	}
	err = vip_want_backends(v, &w, &nw);
	h = calloc(nh ? nh : 1, sizeof(*h));
	ops = calloc(nw + nh > 0 ? nw + nh : 1, sizeof(*ops));
	if (err || !h || !ops) {
		failed++;
		log_err("kernel: out of memory");
		goto out;
	}
	for (i = 0; i < nh; i++) {
		h[i].ep = bs[i].ep;
		h[i].state = bs[i].has_state ? bs[i].state : L4LB_BACKEND_UP;
		h[i].weight = bs[i].has_weight ? bs[i].weight : L4LB_WEIGHT_DEFAULT;
	}
	leaving_note(a, v);
	nops = rc_backend_ops(w, nw, h, nh,
			      leaving ? leaving_of(a, v)->ep : NULL,
			      leaving ? leaving_of(a, v)->n : 0, ops);
	for (i = 0; i < nops; i++) {
		err = run_op(a, v, &ops[i]);
		if (err && kernel_gone(err, false)) {
			failed = err;
			break;
		}
		if (err)
			failed++;
	}
	if (failed >= 0) {
		leaving_note(a, v);	/* one adopted just now may be draining */
		leaving_prune(a, v, h, nh);
	}
out:
	free(ops);
	free(h);
	free(w);
	free(bs);
	return failed;
}

static void reconcile(struct agent *a)
{
	struct vip *kvips = NULL;
	size_t nk = 0, i;
	int err, failed = 0;

	if (!a->kernel_ok)
		return;	/* kernel_connect() reconciles when it is back */
	a->m.reconciles++;
	err = dump_vips(a->nl, &kvips, &nk);
	if (err && kernel_gone(err, true)) {
		a->m.netlink_errors++;
		kernel_lost(a, err);
		return;
	}
	if (err) {
		/* the kernel is there: kernel_ok stays, the next tick retries */
		soft_error(a, &dump_errors,
			   "kernel: cannot list the VIPs: %s; retrying at the next tick",
			   nl_strerror(err));
		retry_reconcile = true;
		return;
	}
	retry_reconcile = false;
	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];
		struct vip_key key;
		int r;

		vip_key_of(v, &key);
		r = reconcile_vip(a, v, find_kvip(kvips, nk, &key));
		if (r < 0) {
			a->m.netlink_errors++;
			free_vips(kvips, nk);
			kernel_lost(a, r);
			return;
		}
		failed += r;
	}
	free_vips(kvips, nk);
	last_error_usec = failed ? now_usec(CLOCK_MONOTONIC) : 0;
	if (!retry_reconcile)
		soft_ok(&dump_errors, "netlink dumps");
	if (!failed)
		soft_ok(&request_errors, "netlink requests");
}

static int reconcile_cb(sd_event_source *s, void *data)
{
	(void)s;
	reconcile(data);
	return 0;
}

void reconcile_schedule(struct agent *a)
{
	if (!a->ev)
		return;
	/* a defer source: runs once at the next loop iteration, however
	 * many asked for it meanwhile */
	if (!a->reconcile_ev &&
	    sd_event_add_defer(a->ev, &a->reconcile_ev, reconcile_cb, a) < 0) {
		log_err("kernel: cannot schedule a reconcile");
		return;
	}
	sd_event_source_set_enabled(a->reconcile_ev, SD_EVENT_ONESHOT);
}

/* ------------------------------------------------------ events */

static int debounce_cb(sd_event_source *s, uint64_t usec, void *data)
{
	(void)s;
	(void)usec;
	reconcile_schedule(data);
	return 0;
}

static void schedule_after_events(struct agent *a)
{
	uint64_t when = now_usec(CLOCK_MONOTONIC) + EVENT_DEBOUNCE_USEC;
	int enabled = SD_EVENT_OFF;

	if (debounce_ev) {
		/* already pending: the burst goes on, keep the first deadline */
		sd_event_source_get_enabled(debounce_ev, &enabled);
		if (enabled != SD_EVENT_OFF)
			return;
		sd_event_source_set_time(debounce_ev, when);
		sd_event_source_set_enabled(debounce_ev, SD_EVENT_ONESHOT);
		return;
	}
	if (sd_event_add_time(a->ev, &debounce_ev, CLOCK_MONOTONIC, when,
			      TIMER_ACCURACY, debounce_cb, a) < 0)
		reconcile_schedule(a);
}

static bool is_our_vip(const struct agent *a, const struct vip_key *key)
{
	size_t i;

	for (i = 0; i < a->cfg.n_vips; i++) {
		struct vip_key k;

		vip_key_of(&a->vips[i], &k);
		if (same_vip(&k, key))
			return true;
	}
	return false;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct agent *a = data;
	struct l4lb_event *e = malloc(sizeof(*e));
	int r;

	if (!e) {
		schedule_after_events(a);
		return MNL_CB_OK;
	}
	r = event_parse(nlh, e);
	if (r == 0)
		a->m.kernel_events++;
	/*
	 * An event carries the port of the request that made the change: our
	 * own changes need no second look. A malformed one might have been
	 * about our VIPs: look again to be sure.
	 */
	if (r < 0 || (r == 0 && e->cmd != L4LB_CMD_NET_SET &&
		      (!a->nl || nlh->nlmsg_pid != a->nl->portid) &&
		      is_our_vip(a, &e->vip.key)))
		schedule_after_events(a);
	free(e);
	return MNL_CB_OK;
}

static int events_cb(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct agent *a = data;
	int err;

	(void)s;
	(void)fd;
	(void)revents;
	err = events_read(a->nl_events, event_cb, a);
	if (err == -ENOBUFS) {
		log_warn("kernel: events lost (they came faster than read); reconciling");
		schedule_after_events(a);
	} else if (err) {
		log_warn("kernel: the events socket failed (%s); no events until the next reconnect",
			 strerror(-err));
		events_io = sd_event_source_disable_unref(events_io);
		nl_close(a->nl_events);
		a->nl_events = NULL;
	}
	return 0;
}

/* ------------------------------------------------------ stats */

static uint64_t delta(const struct stats *now, const struct stats *prev,
		      unsigned int attr)
{
	uint32_t bit = 1u << attr;

	if (!(now->present & bit) || !(prev->present & bit) ||
	    now->val[attr] < prev->val[attr])
		return 0;
	return now->val[attr] - prev->val[attr];
}

static void push_history(struct avip *v, uint64_t elapsed_usec)
{
	const struct stats *s = &v->kstats, *p = &v->kstats_prev;
	uint64_t flows, bytes;

	if (!elapsed_usec || !p->present)
		return;	/* no previous sample: no rate yet */
	flows = delta(s, p, L4LB_STATS_ATTR_CONNS);
	bytes = delta(s, p, L4LB_STATS_ATTR_BYTES_IN) +
		delta(s, p, L4LB_STATS_ATTR_BYTES_OUT);
	v->hist_flows[v->hist_pos] = flows * 1000000 / elapsed_usec;
	v->hist_bytes[v->hist_pos] = bytes * 1000000 / elapsed_usec;
	v->hist_pos = (v->hist_pos + 1) % AGENT_HISTORY;
	if (v->hist_n < AGENT_HISTORY)
		v->hist_n++;
}

/* The model's view of one VIP's kernel backends; true if it differs. */
static bool update_backends(struct avip *v, const struct backend *bs, size_t n)
{
	struct abackend *b;
	bool drift = false;
	size_t i;

	for (b = v->backends; b; b = b->next) {
		const struct backend *k = NULL;
		int want = backend_desired_state(b);

		for (i = 0; i < n && !k; i++)
			if (rc_same_endpoint(&bs[i].ep, &b->ep))
				k = &bs[i];
		b->kstats_prev = b->kstats;
		if (!k) {
			b->in_kernel = false;
			memset(&b->kstats, 0, sizeof(b->kstats));
			drift |= want >= 0;
			continue;
		}
		b->in_kernel = true;
		b->kstate = k->has_state ? k->state : L4LB_BACKEND_UP;
		b->kweight = k->has_weight ? k->weight : L4LB_WEIGHT_DEFAULT;
		b->kstats = k->stats;
		drift |= want != b->kstate ||
			 (want >= 0 && want_weight(v, b) != b->kweight);
	}
	return drift;
}

static void stats_read(struct agent *a)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	uint64_t elapsed = stats_last_usec ? now - stats_last_usec : 0;
	struct vip *kvips = NULL;
	bool drift = false;
	size_t nk = 0, i;
	bool dumps_ok = true;
	int err;

	err = dump_vips(a->nl, &kvips, &nk);
	if (err && kernel_gone(err, true)) {
		a->m.netlink_errors++;
		kernel_lost(a, err);
		return;
	}
	if (err) {
		/* the kernel is there: kernel_ok stays, the next tick reads again */
		soft_error(a, &dump_errors,
			   "kernel: cannot read the counters: %s; retrying at the next tick",
			   nl_strerror(err));
		return;
	}
	stats_last_usec = now;
	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];
		const struct vip *kv;
		struct backend *bs = NULL;
		struct vip_key key;
		size_t nb = 0;

		vip_key_of(v, &key);
		leaving_note(a, v);
		kv = find_kvip(kvips, nk, &key);
		v->kstats_prev = v->kstats;
		v->in_kernel = kv != NULL;
		if (!kv) {
			memset(&v->kstats, 0, sizeof(v->kstats));
			drift = true;
		} else {
			v->kstats = kv->stats;
			err = dump_backends(a->nl, &key, &bs, &nb);
			if (err && kernel_gone(err, false)) {
				a->m.netlink_errors++;
				free_vips(kvips, nk);
				kernel_lost(a, err);
				return;
			}
			if (err && err != -ENOENT) {
				char lbl[128];

				/* its backends as last read, until the next tick */
				soft_error(a, &dump_errors,
					   "kernel: cannot read the counters of %s: %s; retrying at the next tick",
					   vip_label(v, lbl, sizeof(lbl)),
					   nl_strerror(err));
				dumps_ok = false;
				push_history(v, elapsed);
				continue;
			}
		}
		drift |= update_backends(v, bs, nb);
		free(bs);
		push_history(v, elapsed);
	}
	free_vips(kvips, nk);

	if (dumps_ok)
		soft_ok(&dump_errors, "netlink dumps");
	err = net_get(a->nl, &a->net);
	if (err) {
		a->m.netlink_errors++;
		if (kernel_gone(err, false)) {
			kernel_lost(a, err);
			return;
		}
		log_debug("kernel: NET_GET: %s", nl_strerror(err));
	}
	for (i = 0; i < a->cfg.n_vips; i++)
		passive_eval(&a->vips[i]);

	/*
	 * A safety net for lost or missing events: a kernel that differs from
	 * the model gets a reconcile; after one that failed, not at once again.
	 */
	if (retry_reconcile ||
	    (drift && (!last_error_usec || now - last_error_usec >= ERROR_RETRY_USEC)))
		reconcile_schedule(a);
}

static int stats_cb(sd_event_source *s, uint64_t usec, void *data)
{
	struct agent *a = data;
	uint64_t interval = (a->cfg.stats_interval_ms ? a->cfg.stats_interval_ms :
			     1000) * 1000ULL;
	uint64_t now;

	if (a->kernel_ok)
		stats_read(a);
	/* a loop that fell behind skips ticks rather than bunching them */
	now = now_usec(CLOCK_MONOTONIC);
	usec += interval;
	sd_event_source_set_time(s, usec > now ? usec : now + interval);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

/* ------------------------------------------------------ start, stop */

int kernel_start(struct agent *a)
{
	uint64_t interval = (a->cfg.stats_interval_ms ? a->cfg.stats_interval_ms :
			     1000) * 1000ULL;
	int r;

	/* the library's messages are ours: named so, in our log */
	prog_name = "l4lb-agent";
	pr_hook = lib_log;
	leaving = calloc(a->cfg.n_vips ? a->cfg.n_vips : 1, sizeof(*leaving));
	if (!leaving)
		log_err("kernel: out of memory: backends the model drops stay in the kernel");

	r = sd_event_add_time(a->ev, &stats_ev, CLOCK_MONOTONIC,
			      now_usec(CLOCK_MONOTONIC) + interval,
			      TIMER_ACCURACY, stats_cb, a);
	if (r < 0) {
		log_err("kernel: cannot start the stats timer: %s", strerror(-r));
		return r;
	}
	/* absent is not an error: the agent runs and retries */
	kernel_connect(a);
	return 0;
}

void kernel_stop(struct agent *a)
{
	size_t i;

	stats_ev = sd_event_source_disable_unref(stats_ev);
	retry_ev = sd_event_source_disable_unref(retry_ev);
	debounce_ev = sd_event_source_disable_unref(debounce_ev);
	a->reconcile_ev = sd_event_source_disable_unref(a->reconcile_ev);
	close_sockets(a);
	a->kernel_ok = false;
	for (i = 0; leaving && i < a->cfg.n_vips; i++)
		free(leaving[i].ep);
	free(leaving);
	leaving = NULL;
}
