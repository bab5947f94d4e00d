// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of l4lb-agent's kernel sync (userspace/agent/kernel.c) on
 * its sd-event loop, against a fake kernel that keeps VIPs and backends as
 * the module would (the library's test transport), with the model stubbed:
 * a backend's wanted state is its health (UP up, DOWN down, UNKNOWN drain,
 * gone_usec set: drain, as model.c; the test unlinks it as its DRAIN_GRACE
 * timer would). Adoption, fail static, no request when nothing differs,
 * stats, netlink errors, the kernel going away and coming back. TAP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netinet/in.h>

#include "agent.h"
#include "msg.h"
#include "nl.h"

#include "tap.h"

/* ---------------------------------------------------------------- stubs */

static int passive_calls, adopt_calls, warnings;

void alog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl <= LOG_LVL_WARN)
		warnings++;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int backend_desired_state(const struct abackend *b)
{
	if (b->gone_usec)
		return L4LB_BACKEND_DRAIN;
	switch (b->hs.state) {
	case HEALTH_UP:
		return L4LB_BACKEND_UP;
	case HEALTH_DOWN:
		return L4LB_BACKEND_DOWN;
	default:
		return L4LB_BACKEND_DRAIN;
	}
}

static bool same_ep(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

struct abackend *vip_find_backend(struct avip *v, const struct endpoint *ep)
{
	struct abackend *b;

	for (b = v->backends; b; b = b->next)
		if (same_ep(&b->ep, ep))
			return b;
	return NULL;
}

static struct abackend *model_add(struct avip *v, const char *s,
				  enum health h, uint32_t weight)
{
	struct abackend *b = calloc(1, sizeof(*b)), **pp;

	endpoint_parse(s, &b->ep, NULL);
	b->vip = v;
	b->hs.state = h;
	b->weight = weight;
	for (pp = &v->backends; *pp; pp = &(*pp)->next)
		;
	*pp = b;
	return b;
}

/* What model.c's DRAIN_GRACE timer does: the backend is dropped. */
static void model_drop(struct avip *v, struct abackend *b)
{
	struct abackend **pp;

	for (pp = &v->backends; *pp != b; pp = &(*pp)->next)
		;
	*pp = b->next;
	free(b);
}

struct abackend *vip_adopt_backend(struct avip *v, const struct endpoint *ep,
				   uint32_t weight, uint8_t kstate)
{
	struct abackend *b = vip_find_backend(v, ep);
	char s[ADDR_STRLEN];

	adopt_calls++;
	if (!b) {
		b = model_add(v, endpoint_format(ep, s, sizeof(s)),
			      kstate == L4LB_BACKEND_UP ? HEALTH_UP :
			      kstate == L4LB_BACKEND_DOWN ? HEALTH_DOWN :
			      HEALTH_UNKNOWN, weight);
		b->adopted = true;
		/* as model.c: no source lists it, every source answered */
		if (v->src[0].answered)
			b->gone_usec = now_usec(CLOCK_MONOTONIC);
	}
	b->in_kernel = true;
	b->kstate = kstate;
	b->kweight = weight;
	return b;
}

void passive_eval(struct avip *v)
{
	(void)v;
	passive_calls++;
}

/* ---------------------------------------------------------- fake kernel */

#define FAM	NL_TEST_FAMILY

struct fbe {
	struct endpoint ep;
	uint32_t weight;
	uint8_t state;
	uint64_t conns;
};

struct fvip {
	bool used;
	struct vip_key key;
	char sched[L4LB_SCHED_ARG_MAX];
	uint8_t mode;
	uint64_t conns, bytes;
	struct fbe be[16];
	int nbe;
};

static struct {
	struct fvip vip[4];
	bool gone;		/* the module unloaded: everything -ENOENT */
	bool mute;		/* takes requests, answers nothing */
	int vip_get_err;	/* VIP_GET refused with this (-ENOMEM...) */
	bool vip_get_intr;	/* VIP_GET: NLM_F_DUMP_INTR, every time */
	int vip_get_bad;	/* the next N VIP_GETs: a malformed first message */
	int refuse_writes;	/* changes refused with this (-EOPNOTSUPP...) */
	int writes;		/* requests that change something */
	char log[4096];		/* "VIP_SET sched rr; BACKEND_NEW ..." */
	/*
	 * The socket's queue: replies not read yet stay for the next
	 * request, as in the kernel; one message per recv.
	 */
	char out[NL_RX_SIZE];
	size_t out_len, out_head;
} fk;

/* Replies left in the "socket". */
static size_t fk_queued(void)
{
	return fk.out_len - fk.out_head;
}

static struct fvip *fk_vip(const struct vip_key *k)
{
	int i;

	for (i = 0; i < 4; i++)
		if (fk.vip[i].used && fk.vip[i].key.proto == k->proto &&
		    same_ep(&fk.vip[i].key.ep, &k->ep))
			return &fk.vip[i];
	return NULL;
}

static struct fbe *fk_be(struct fvip *v, const struct endpoint *ep)
{
	int i;

	for (i = 0; i < v->nbe; i++)
		if (same_ep(&v->be[i].ep, ep))
			return &v->be[i];
	return NULL;
}

static void fk_logf(const char *fmt, ...)
{
	size_t len = strlen(fk.log);
	va_list ap;

	if (len)
		len += (size_t)snprintf(fk.log + len, sizeof(fk.log) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(fk.log + len, sizeof(fk.log) - len, fmt, ap);
	va_end(ap);
}

static struct nlmsghdr *out_msg(uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(fk.out + fk.out_len);
	struct genlmsghdr *g;

	nlh->nlmsg_type = FAM;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = L4LB_GENL_VERSION;
	return nlh;
}

static void out_end(struct nlmsghdr *nlh)
{
	if (fk.vip_get_intr && nlh->nlmsg_type == FAM)
		nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	fk.out_len += NLMSG_ALIGN(nlh->nlmsg_len);
	if (fk.out_len > sizeof(fk.out) - 4096) {
		printf("Bail out! the fake socket's queue overflows\n");
		exit(1);
	}
}

static void out_ack(uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(fk.out + fk.out_len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	e->msg.nlmsg_seq = seq;
	out_end(nlh);
}

static void out_done(uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(fk.out + fk.out_len);
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero,
	       sizeof(zero));
	out_end(nlh);
}

static void put_key(struct nlmsghdr *nlh, const struct endpoint *ep,
		    uint16_t fam, uint16_t addr, uint16_t port)
{
	mnl_attr_put_u16(nlh, fam, ep->family);
	mnl_attr_put(nlh, addr, addr_len(ep->family), ep->addr);
	mnl_attr_put_u16(nlh, port, htons(ep->port));
}

static void put_stats(struct nlmsghdr *nlh, uint16_t type, uint64_t conns,
		      uint64_t bytes)
{
	struct nlattr *st = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, L4LB_STATS_ATTR_CONNS, conns);
	mnl_attr_put_u64(nlh, L4LB_STATS_ATTR_BYTES_IN, bytes);
	mnl_attr_put_u64(nlh, L4LB_STATS_ATTR_BYTES_OUT, 0);
	mnl_attr_nest_end(nlh, st);
}

static void put_vip(struct nlmsghdr *nlh, const struct fvip *v)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, L4LB_ATTR_VIP);

	put_key(nlh, &v->key.ep, L4LB_VIP_ATTR_FAMILY, L4LB_VIP_ATTR_ADDR,
		L4LB_VIP_ATTR_PORT);
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_PROTO, v->key.proto);
	mnl_attr_put_strz(nlh, L4LB_VIP_ATTR_SCHED, v->sched);
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_MODE, v->mode);
	put_stats(nlh, L4LB_VIP_ATTR_STATS, v->conns, v->bytes);
	mnl_attr_nest_end(nlh, n);
}

static void put_be(struct nlmsghdr *nlh, const struct fbe *b)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, L4LB_ATTR_BACKEND);

	put_key(nlh, &b->ep, L4LB_BACKEND_ATTR_FAMILY, L4LB_BACKEND_ATTR_ADDR,
		L4LB_BACKEND_ATTR_PORT);
	mnl_attr_put_u32(nlh, L4LB_BACKEND_ATTR_WEIGHT, b->weight);
	mnl_attr_put_u8(nlh, L4LB_BACKEND_ATTR_STATE, b->state);
	put_stats(nlh, L4LB_BACKEND_ATTR_STATS, b->conns, 0);
	mnl_attr_nest_end(nlh, n);
}

static const struct nlattr *top(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* One request: the kernel's answer into fk.out. */
static void fk_handle(const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	const struct nlattr *vn = top(req, L4LB_ATTR_VIP);
	const struct nlattr *bn = top(req, L4LB_ATTR_BACKEND);
	uint32_t seq = req->nlmsg_seq;
	char s[ADDR_STRLEN];
	struct backend b = { 0 };
	struct vip v = { 0 };
	struct fvip *fv = NULL;
	struct fbe *fb = NULL;
	struct nlmsghdr *nlh;
	int i;

	if (fk.out_head == fk.out_len)
		fk.out_len = fk.out_head = 0;
	if (fk.mute)
		return;
	if (fk.gone) {
		out_ack(seq, -ENOENT);
		return;
	}
	if (vn && msg_parse_vip(vn, &v) == 0)
		fv = fk_vip(&v.key);
	if (bn && msg_parse_backend(bn, &b) == 0 && fv)
		fb = fk_be(fv, &b.ep);

	switch (g->cmd) {
	case L4LB_CMD_VIP_GET:
		if (fk.vip_get_err) {
			out_ack(seq, fk.vip_get_err);
			return;
		}
		if (fk.vip_get_bad) {
			/* no VIP nest: the parser's EPROTO, the dump goes on */
			fk.vip_get_bad--;
			out_end(out_msg(seq, g->cmd));
		}
		for (i = 0; i < 4; i++) {
			if (!fk.vip[i].used)
				continue;
			nlh = out_msg(seq, g->cmd);
			put_vip(nlh, &fk.vip[i]);
			out_end(nlh);
		}
		out_done(seq);
		return;
	case L4LB_CMD_BACKEND_GET:
		if (!fv) {
			out_ack(seq, -ENOENT);
			return;
		}
		for (i = 0; i < fv->nbe; i++) {
			nlh = out_msg(seq, g->cmd);
			put_vip(nlh, fv);
			put_be(nlh, &fv->be[i]);
			out_end(nlh);
		}
		out_done(seq);
		return;
	case L4LB_CMD_NET_GET:
		nlh = out_msg(seq, g->cmd);
		mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, L4LB_ATTR_NET));
		out_end(nlh);
		out_ack(seq, 0);
		return;
	}

	fk.writes++;
	if (fk.refuse_writes) {
		out_ack(seq, fk.refuse_writes);
		return;
	}
	switch (g->cmd) {
	case L4LB_CMD_VIP_NEW:
		if (fv) {
			out_ack(seq, -EEXIST);
			return;
		}
		for (i = 0; i < 4 && fk.vip[i].used; i++)
			;
		fv = &fk.vip[i];
		memset(fv, 0, sizeof(*fv));
		fv->used = true;
		fv->key = v.key;
		snprintf(fv->sched, sizeof(fv->sched), "%s",
			 v.sched[0] ? v.sched : "rr");
		fv->mode = v.has_mode ? v.mode : 0;
		fk_logf("VIP_NEW %s", fv->sched);
		break;
	case L4LB_CMD_VIP_SET:
		if (!fv) {
			out_ack(seq, -ENOENT);
			return;
		}
		if (v.sched[0])
			snprintf(fv->sched, sizeof(fv->sched), "%s", v.sched);
		if (v.has_mode)
			fv->mode = v.mode;
		fk_logf("VIP_SET %s", fv->sched);
		break;
	case L4LB_CMD_VIP_DEL:
		fk_logf("VIP_DEL");
		if (fv)
			fv->used = false;
		break;
	case L4LB_CMD_BACKEND_NEW:
		if (!fv || fb) {
			out_ack(seq, fv ? -EEXIST : -ENOENT);
			return;
		}
		fb = &fv->be[fv->nbe++];
		memset(fb, 0, sizeof(*fb));
		fb->ep = b.ep;
		fb->weight = b.has_weight ? b.weight : 1;
		fb->state = b.has_state ? b.state : L4LB_BACKEND_UP;
		fk_logf("NEW %s s%u w%u", endpoint_format(&b.ep, s, sizeof(s)),
			fb->state, fb->weight);
		break;
	case L4LB_CMD_BACKEND_SET:
		if (!fb) {
			out_ack(seq, -ENOENT);
			return;
		}
		if (b.has_weight)
			fb->weight = b.weight;
		if (b.has_state)
			fb->state = b.state;
		fk_logf("SET %s s%u w%u", endpoint_format(&b.ep, s, sizeof(s)),
			fb->state, fb->weight);
		break;
	case L4LB_CMD_BACKEND_DEL:
		if (!fb) {
			out_ack(seq, -ENOENT);
			return;
		}
		fk_logf("DEL %s", endpoint_format(&b.ep, s, sizeof(s)));
		*fb = fv->be[--fv->nbe];
		break;
	default:
		out_ack(seq, -EOPNOTSUPP);
		return;
	}
	out_ack(seq, 0);
}

static ssize_t fk_send(struct nl_ctx *ctx, const void *buf, size_t len)
{
	(void)ctx;
	fk_handle(buf);
	return (ssize_t)len;
}

/* Nothing queued: what a socket with SO_RCVTIMEO says when it expires. */
static ssize_t fk_recv(struct nl_ctx *ctx, void *buf, size_t len)
{
	const struct nlmsghdr *nlh = (void *)(fk.out + fk.out_head);
	size_t n;

	(void)ctx;
	if (fk.out_head == fk.out_len) {
		errno = EAGAIN;
		return -1;
	}
	n = NLMSG_ALIGN(nlh->nlmsg_len);
	if (n > len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, nlh, n);
	fk.out_head += n;
	return (ssize_t)n;
}

static const struct nl_transport fk_xport = { fk_send, fk_recv, NULL };

static struct fvip *fk_add_vip(const char *ep, const char *sched)
{
	struct fvip *v = &fk.vip[0];
	int i;

	for (i = 0; i < 4 && fk.vip[i].used; i++)
		;
	v = &fk.vip[i];
	memset(v, 0, sizeof(*v));
	v->used = true;
	endpoint_parse(ep, &v->key.ep, NULL);
	v->key.proto = IPPROTO_TCP;
	snprintf(v->sched, sizeof(v->sched), "%s", sched);
	return v;
}

static struct fbe *fk_add_be(struct fvip *v, const char *ep, uint8_t state,
			     uint32_t weight)
{
	struct fbe *b = &v->be[v->nbe++];

	memset(b, 0, sizeof(*b));
	endpoint_parse(ep, &b->ep, NULL);
	b->state = state;
	b->weight = weight;
	return b;
}

static const char *fk_show(void)
{
	static char buf[1024];
	char s[ADDR_STRLEN];
	size_t len = 0;
	int i, j;

	buf[0] = '\0';
	for (i = 0; i < 4; i++) {
		const struct fvip *v = &fk.vip[i];

		if (!v->used)
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %s",
					endpoint_format(&v->key.ep, s, sizeof(s)),
					v->sched);
		for (j = 0; j < v->nbe; j++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						", %s s%u w%u",
						endpoint_format(&v->be[j].ep, s,
								sizeof(s)),
						v->be[j].state, v->be[j].weight);
	}
	return buf;
}

/* ------------------------------------------------------------- the test */

static struct agent a;
static struct vip_cfg vcfg;
static struct avip av;

/* Run the loop for @ms milliseconds. */
static void run_ms(unsigned int ms)
{
	uint64_t end = now_usec(CLOCK_MONOTONIC) + ms * 1000ULL;
	uint64_t now;

	while ((now = now_usec(CLOCK_MONOTONIC)) < end)
		sd_event_run(a.ev, end - now);
}

static void reconcile_now(void)
{
	fk.log[0] = '\0';
	reconcile_schedule(&a);
	run_ms(5);
}

/*
 * Errors that leave the kernel reachable: kernel_ok stays (so /health says
 * 200), counted, warned about once, retried at the next tick. Only what
 * means the family is gone drops the connection.
 */
static void test_netlink_errors(void)
{
	uint64_t errs = a.m.netlink_errors;
	struct abackend *b;
	struct endpoint ep;
	int warned = warnings;

	fk.vip_get_err = -ENOMEM;
	b = model_add(&av, "10.0.1.3:80", HEALTH_UP, 0);
	reconcile_now();
	check_int("VIP dump refused (ENOMEM): kernel_ok stays true", a.kernel_ok, 1);
	check_int("ENOMEM: counted", a.m.netlink_errors > errs, 1);
	check_str("ENOMEM: nothing sent", fk.log, "");
	run_ms(200);
	check_int("ENOMEM at every tick: kernel_ok still true, socket kept",
		  a.kernel_ok && a.nl, 1);
	check_int("ENOMEM at every tick: counted each time",
		  a.m.netlink_errors >= errs + 3, 1);
	check_int("ENOMEM at every tick: one warning", warnings - warned, 1);
	fk.vip_get_err = 0;
	fk.log[0] = '\0';
	run_ms(150);
	check_str("the next tick retries the reconcile", fk.log,
		  "NEW 10.0.1.3:80 s0 w1");
	check_int("the model sees it in the kernel", b->in_kernel, 1);

	/* a dump that never comes out consistent: NL_DUMP_TRIES, then later */
	fk.vip_get_intr = true;
	errs = a.m.netlink_errors;
	reconcile_now();
	fk.vip_get_intr = false;
	check_int("dump interrupted every time: kernel_ok stays true", a.kernel_ok, 1);
	check_int("dump interrupted every time: counted", a.m.netlink_errors > errs, 1);

	/* the module refuses a change (mode not supported...): not gone */
	b->weight = 9;
	fk.refuse_writes = -EOPNOTSUPP;
	errs = a.m.netlink_errors;
	reconcile_now();
	check_int("request refused with EOPNOTSUPP: kernel_ok stays true",
		  a.kernel_ok, 1);
	check_int("request refused: counted", a.m.netlink_errors > errs, 1);
	fk.refuse_writes = -EINVAL;
	reconcile_now();
	check_int("request refused with EINVAL: kernel_ok stays true", a.kernel_ok, 1);
	fk.refuse_writes = 0;
	reconcile_now();
	check_str("refusal over: the change goes in", fk.log, "SET 10.0.1.3:80 s0 w9");

	/*
	 * A dump whose callback fails half way (a malformed message: EPROTO)
	 * is read to its NLMSG_DONE: nothing stale for the next request.
	 */
	fk.vip_get_bad = 1;
	errs = a.m.netlink_errors;
	reconcile_now();
	check_int("malformed message mid-dump: counted", a.m.netlink_errors > errs, 1);
	check_int("malformed message mid-dump: kernel_ok stays true", a.kernel_ok, 1);
	check_int("malformed message mid-dump: the rest of the dump read",
		  (long)fk_queued(), 0);
	errs = a.m.netlink_errors;
	b->weight = 4;
	reconcile_now();
	check_str("the next request gets its own answer", fk.log,
		  "SET 10.0.1.3:80 s0 w4");
	check_int("the next request: no error", (long)(a.m.netlink_errors - errs), 0);

	/* C drains (no source lists it any more) */
	b->gone_usec = now_usec(CLOCK_MONOTONIC);
	reconcile_now();
	check_str("C drains", fk.log, "SET 10.0.1.3:80 s1 w4");

	/* the VIP dump answered EOPNOTSUPP: the id is another family's now */
	fk.vip_get_err = -EOPNOTSUPP;
	run_ms(100);
	check_int("VIP dump EOPNOTSUPP: the kernel is gone", a.kernel_ok, 0);
	/* C's DRAIN_GRACE ends while the kernel is away */
	ep = b->ep;
	model_drop(&av, b);
	fk.vip_get_err = 0;
	fk.log[0] = '\0';
	run_ms(2300);
	check_int("and found again by the retry", a.kernel_ok, 1);
	check_str("dropped while the kernel was away: deleted, not adopted again",
		  fk.log, "DEL 10.0.1.3:80");
	check_int("... and not back in the model", vip_find_backend(&av, &ep) == NULL, 1);
}

/* A kernel that takes a request and never answers. */
static ssize_t drop_send(struct nl_ctx *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	return (ssize_t)len;
}

static void test_timeout(void)
{
	struct nl_ctx *c = calloc(1, sizeof(*c));
	uint64_t t0;
	int err;

	fk.mute = true;
	run_ms(150);
	check_int("no answer: the request times out, the kernel taken for gone",
		  a.kernel_ok, 0);
	fk.mute = false;
	run_ms(2300);
	check_int("answers again: a new socket, kernel_ok", a.kernel_ok, 1);

	/* SO_RCVTIMEO on a real netlink socket: -ETIMEDOUT, not a hang */
	c->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!c->sock || mnl_socket_bind(c->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		printf("ok %d - # SKIP no netlink socket here\n", ++tap_tests);
		nl_close(c);
		return;
	}
	c->portid = mnl_socket_get_portid(c->sock);
	c->xport.send = drop_send;
	check_int("nl_set_timeout on a socket", nl_set_timeout(c, 100), 0);
	t0 = now_usec(CLOCK_MONOTONIC);
	err = nl_request(c, nl_msg(c, L4LB_CMD_VIP_GET, 0));
	t0 = now_usec(CLOCK_MONOTONIC) - t0;
	check_int("no answer within the timeout: -ETIMEDOUT", err, -ETIMEDOUT);
	check_int("after the timeout, not before, not much later",
		  t0 >= 90000 && t0 < 2000000, 1);
	nl_close(c);
}

int main(void)
{
	struct abackend *b_a, *b_b, *b_x, *b_y;
	struct fvip *fv;
	int w;

	sd_event_new(&a.ev);
	endpoint_parse("10.0.0.1:80", &vcfg.vip, NULL);
	snprintf(vcfg.name, sizeof(vcfg.name), "default");
	vcfg.proto = IPPROTO_TCP;
	snprintf(vcfg.sched, sizeof(vcfg.sched), "rr");
	vcfg.mode = -1;
	vcfg.weight = 1;
	vcfg.n_sources = 1;
	av.agent = &a;
	av.cfg = &vcfg;
	av.src[0].vip = &av;
	a.cfg.vips = &vcfg;
	a.cfg.n_vips = 1;
	a.cfg.stats_interval_ms = 50;
	a.vips = &av;

	/* what a previous agent left: the VIP with another scheduler, A, X */
	fv = fk_add_vip("10.0.0.1:80", "wrr");
	fk_add_be(fv, "10.0.1.1:80", L4LB_BACKEND_UP, 5);
	fk_add_be(fv, "10.0.1.9:80", L4LB_BACKEND_UP, 1);
	/* the model, from a source that answered before the kernel did */
	b_a = model_add(&av, "10.0.1.1:80", HEALTH_UP, 5);
	b_b = model_add(&av, "10.0.1.2:80", HEALTH_UP, 0);

	/* no l4lb family on this host: the agent runs without it */
	nl_test_transport = NULL;
	check_int("kernel_start without the module succeeds", kernel_start(&a), 0);
	check_int("kernel_ok false without the module", a.kernel_ok, 0);
	run_ms(300);
	check_int("nothing reconciled without the kernel", (long)a.m.reconciles, 0);

	/* the module appears: found at the next retry, within 2 s */
	nl_test_transport = &fk_xport;
	fk.log[0] = '\0';
	run_ms(2300);
	check_int("kernel found again by the retry", a.kernel_ok, 1);
	b_x = vip_find_backend(&av, &fv->be[1].ep);
	check_int("the kernel's unknown backend adopted", b_x && b_x->adopted, 1);
	check_int("adopted up: health up", b_x && b_x->hs.state == HEALTH_UP, 1);
	check_str("first reconcile: scheduler set, missing backend added",
		  fk.log, "VIP_SET rr; NEW 10.0.1.2:80 s0 w1");
	check_str("kernel state after the first reconcile", fk_show(),
		  "10.0.0.1:80 rr, 10.0.1.1:80 s0 w5, 10.0.1.9:80 s0 w1, 10.0.1.2:80 s0 w1");
	check_int("model sees B in the kernel", b_b->in_kernel && b_b->kweight == 1, 1);

	w = fk.writes;
	reconcile_now();
	check_int("a reconcile with no difference sends nothing", fk.writes - w, 0);
	check_int("reconciles counted", a.m.reconciles >= 2, 1);

	/* someone adds Y (l4ctl backend add): adopted, kept as it is */
	fk_add_be(fv, "10.0.1.7:80", L4LB_BACKEND_UP, 1);
	reconcile_now();
	check_str("unknown backend, not every source answered: nothing sent",
		  fk.log, "");
	b_y = vip_find_backend(&av, &fv->be[fv->nbe - 1].ep);
	check_int("unknown backend handed to the model (adopted)",
		  b_y && b_y->adopted && !b_y->gone_usec, 1);

	/* every source answered: Z added then is drained, not cut */
	av.src[0].answered = true;
	fk_add_be(fv, "10.0.1.8:80", L4LB_BACKEND_UP, 1);
	w = adopt_calls;
	reconcile_now();
	check_int("unknown backend after every source answered: adopted",
		  adopt_calls - w, 1);
	check_str("... and drained, not deleted", fk.log, "SET 10.0.1.8:80 s1 w1");
	/* the model drains Y too (no source lists it): still no delete */
	b_y->gone_usec = now_usec(CLOCK_MONOTONIC);
	reconcile_now();
	check_str("a backend the model drains: set to drain", fk.log,
		  "SET 10.0.1.7:80 s1 w1");
	run_ms(150);	/* stats ticks: no second look changes anything */
	check_int("draining backends stay in the kernel meanwhile", fv->nbe, 5);
	/* their DRAIN_GRACE is over: the model drops them, the kernel follows */
	model_drop(&av, vip_find_backend(&av, &fv->be[fv->nbe - 1].ep));
	model_drop(&av, b_y);
	reconcile_now();
	check_str("dropped by the model after DRAIN_GRACE: deleted", fk.log,
		  "DEL 10.0.1.7:80; DEL 10.0.1.8:80");
	/* the same endpoint added again by someone: adopted anew, not cut */
	fk_add_be(fv, "10.0.1.7:80", L4LB_BACKEND_UP, 1);
	reconcile_now();
	check_str("re-added after the delete: adopted and drained again", fk.log,
		  "SET 10.0.1.7:80 s1 w1");
	b_y = vip_find_backend(&av, &fv->be[fv->nbe - 1].ep);
	model_drop(&av, b_y);
	reconcile_now();
	check_str("... and deleted once the model drops it", fk.log,
		  "DEL 10.0.1.7:80");

	/* health and weight changes */
	b_b->hs.state = HEALTH_DOWN;
	b_a->weight = 7;
	reconcile_now();
	check_str("down and a new weight: set only what differs", fk.log,
		  "SET 10.0.1.1:80 s0 w7; SET 10.0.1.2:80 s2 w1");
	b_b->gone_usec = 1;
	reconcile_now();
	check_str("a backend no source lists: drained", fk.log,
		  "SET 10.0.1.2:80 s1 w1");
	model_drop(&av, b_b);
	reconcile_now();
	check_str("dropped by the model: deleted", fk.log, "DEL 10.0.1.2:80");
	check_int("the kernel no longer has B", fv->nbe, 2);

	/* stats: counters, history, passive_eval */
	passive_calls = 0;
	fv->conns = 100;
	fv->be[0].conns = 40;
	run_ms(120);
	fv->conns = 300;
	fv->bytes = 5000;
	run_ms(120);
	check_int("passive_eval called after each stats read", passive_calls >= 2, 1);
	check_int("VIP counters read", (long)av.kstats.val[L4LB_STATS_ATTR_CONNS], 300);
	check_int("backend counters read",
		  (long)b_a->kstats.val[L4LB_STATS_ATTR_CONNS], 40);
	check_int("history has samples", av.hist_n >= 1, 1);
	{
		uint64_t maxf = 0;
		unsigned int i;

		for (i = 0; i < av.hist_n; i++)
			if (av.hist_flows[i] > maxf)
				maxf = av.hist_flows[i];
		check_int("flows/s from the counters' delta", maxf > 0, 1);
	}

	/* drift without an event (nobody told us): the stats tick sees it */
	fv->be[0].state = L4LB_BACKEND_DOWN;
	fk.log[0] = '\0';
	run_ms(150);
	check_str("drift found by the stats read is reconciled", fk.log,
		  "SET 10.0.1.1:80 s0 w7");

	/* the VIP deleted by someone: created again with its backends */
	fv->used = false;
	reconcile_now();
	check_str("missing VIP created, with its backends", fk.log,
		  "VIP_NEW rr; NEW 10.0.1.1:80 s0 w7; NEW 10.0.1.9:80 s0 w1");

	/* the module goes away and comes back */
	fk.gone = true;
	run_ms(150);
	check_int("kernel lost: kernel_ok false", a.kernel_ok, 0);
	check_int("kernel lost: nothing shown in the kernel", b_a->in_kernel, 0);
	fk.gone = false;
	memset(fk.vip, 0, sizeof(fk.vip));
	fk.log[0] = '\0';
	run_ms(2300);
	check_int("kernel back: kernel_ok true", a.kernel_ok, 1);
	check_str("kernel back (empty): everything recreated", fk.log,
		  "VIP_NEW rr; NEW 10.0.1.1:80 s0 w7; NEW 10.0.1.9:80 s0 w1");
	check_int("no VIP ever deleted", strstr(fk.log, "VIP_DEL") == NULL, 1);

	test_netlink_errors();
	test_timeout();

	kernel_stop(&a);
	while (av.backends) {
		struct abackend *b = av.backends;

		av.backends = b->next;
		free(b);
	}
	sd_event_unref(a.ev);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
