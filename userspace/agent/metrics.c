// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: Prometheus text exposition format 0.0.4.
 *
 * Every family is written whole (HELP, TYPE, then all its samples) because
 * the format wants a name's samples together. A kernel counter is written
 * only for objects whose stats carry it (struct stats.present): an older
 * module sends fewer, and a family with no sample at all is left out, so
 * no series appears as a misleading 0.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/l4lb.h>

#include "agent.h"

/* A label value with \\, \" and \n escaped, as the format requires. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '"':  fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(*s, f);
		}
	}
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Labels are a NULL-terminated key, value, key, value... list. */
static void sample_start(FILE *f, const char *name, const char *const *lbl)
{
	bool first = true;

	fputs(name, f);
	for (; lbl && lbl[0]; lbl += 2) {
		if (!lbl[1])
			continue;
		fprintf(f, "%s%s=\"", first ? "{" : ",", lbl[0]);
		put_label_value(f, lbl[1]);
		fputc('"', f);
		first = false;
	}
	if (!first)
		fputc('}', f);
}

static void sample_u64(FILE *f, const char *name, const char *const *lbl,
		       uint64_t v)
{
	sample_start(f, name, lbl);
	fprintf(f, " %" PRIu64 "\n", v);
}

static void sample_dbl(FILE *f, const char *name, const char *const *lbl,
		       double v)
{
	sample_start(f, name, lbl);
	fprintf(f, " %.9g\n", v);
}

/*
 * The kernel's per-VIP and per-backend counters (enum l4lb_stats_attr).
 * Families with two samples per object (in/out, client/backend) name the
 * second attribute in attr2; scale turns microseconds into seconds.
 */
struct kstat_family {
	const char *suffix;		/* after l4lb_vip_ / l4lb_backend_ */
	const char *type;
	const char *help;
	unsigned int attr, attr2;	/* attr2 0: one sample */
	const char *lkey, *lval, *lval2;	/* the extra label, if any */
	double scale;			/* 0: the raw integer */
	bool backend_only;
};

static const struct kstat_family kstat_families[] = {
	{ "flows_total", "counter", "Flows (connections) created.",
	  L4LB_STATS_ATTR_CONNS, 0, NULL, NULL, NULL, 0, false },
	{ "active_flows", "gauge", "Flows now established (TCP) or live (UDP).",
	  L4LB_STATS_ATTR_ACTIVE_CONNS, 0, NULL, NULL, NULL, 0, false },
	{ "inactive_flows", "gauge", "TCP flows now in handshake or closing.",
	  L4LB_STATS_ATTR_INACTIVE_CONNS, 0, NULL, NULL, NULL, 0, false },
	{ "packets_total", "counter", "Packets; in: client to backend, out: replies.",
	  L4LB_STATS_ATTR_PKTS_IN, L4LB_STATS_ATTR_PKTS_OUT,
	  "direction", "in", "out", 0, false },
	{ "bytes_total", "counter", "Bytes; in: client to backend, out: replies.",
	  L4LB_STATS_ATTR_BYTES_IN, L4LB_STATS_ATTR_BYTES_OUT,
	  "direction", "in", "out", 0, false },
	{ "drops_total", "counter", "Drops, the sum of the drops_*_total.",
	  L4LB_STATS_ATTR_DROPS, 0, NULL, NULL, NULL, 0, false },
	{ "established_total", "counter", "TCP flows that reached ESTABLISHED.",
	  L4LB_STATS_ATTR_ESTABLISHED, 0, NULL, NULL, NULL, 0, false },
	{ "failed_total", "counter", "TCP flows that ended before ESTABLISHED (reset or never answered).",
	  L4LB_STATS_ATTR_FAILED, 0, NULL, NULL, NULL, 0, false },
	{ "rsts_total", "counter", "TCP RST segments, by the side that sent them.",
	  L4LB_STATS_ATTR_RSTS_CLIENT, L4LB_STATS_ATTR_RSTS_BACKEND,
	  "side", "client", "backend", 0, false },
	{ "syn_retrans_total", "counter", "Client SYNs sent again on an unreplied flow.",
	  L4LB_STATS_ATTR_SYN_RETRANS, 0, NULL, NULL, NULL, 0, false },
	{ "drops_no_backend_total", "counter", "New flows refused: no usable backend.",
	  L4LB_STATS_ATTR_DROPS_NO_BACKEND, 0, NULL, NULL, NULL, 0, false },
	{ "drops_limit_total", "counter", "New flows refused by a VIP or backend maxconn.",
	  L4LB_STATS_ATTR_DROPS_LIMIT, 0, NULL, NULL, NULL, 0, false },
	{ "drops_rate_total", "counter", "New flows refused by the rate limit.",
	  L4LB_STATS_ATTR_DROPS_RATE, 0, NULL, NULL, NULL, 0, false },
	{ "drops_table_full_total", "counter", "New flows refused: the flow table is full.",
	  L4LB_STATS_ATTR_DROPS_TABLE_FULL, 0, NULL, NULL, NULL, 0, false },
	{ "drops_nomem_total", "counter", "New flows refused: out of memory.",
	  L4LB_STATS_ATTR_DROPS_NOMEM, 0, NULL, NULL, NULL, 0, false },
	{ "drops_nat_ports_total", "counter", "New flows refused: no NAT source port or reply tuple left.",
	  L4LB_STATS_ATTR_DROPS_NAT_PORTS, 0, NULL, NULL, NULL, 0, false },
	{ "drops_xmit_total", "counter", "Packets dropped: no route, or the send failed.",
	  L4LB_STATS_ATTR_DROPS_XMIT, 0, NULL, NULL, NULL, 0, false },
	{ "handshake_seconds", "gauge", "TCP handshake latency through the LB (mean, first SYN to SYN-ACK).",
	  L4LB_STATS_ATTR_HANDSHAKE_US, 0, NULL, NULL, NULL, 1e-6, true },
	{ "handshakes_total", "counter", "TCP handshakes measured for handshake_seconds.",
	  L4LB_STATS_ATTR_HANDSHAKES, 0, NULL, NULL, NULL, 0, true },
};

static bool has(const struct stats *s, unsigned int attr)
{
	return attr && attr <= L4LB_STATS_ATTR_MAX && (s->present & (1u << attr));
}

static void kstat_samples(FILE *f, const char *name,
			  const struct kstat_family *k, const struct stats *s,
			  const char **lbl, size_t nlbl)
{
	/* the extra label goes in the two free slots at the end of lbl */
	unsigned int attrs[2] = { k->attr, k->attr2 };
	const char *vals[2] = { k->lval, k->lval2 };
	int i;

	for (i = 0; i < 2; i++) {
		if (!has(s, attrs[i]))
			continue;
		lbl[nlbl] = k->lkey;
		lbl[nlbl + 1] = vals[i];
		lbl[nlbl + 2] = NULL;
		if (k->scale)
			sample_dbl(f, name, lbl, (double)s->val[attrs[i]] * k->scale);
		else
			sample_u64(f, name, lbl, s->val[attrs[i]]);
	}
	lbl[nlbl] = NULL;
}

static bool kstats_usable(const struct agent *a)
{
	/* the last values of an unreachable kernel are stale: leave them out */
	return a->kernel_ok;
}

static void vip_kstats(FILE *f, const struct agent *a)
{
	char name[96];
	size_t i, j;

	for (i = 0; i < sizeof(kstat_families) / sizeof(kstat_families[0]); i++) {
		const struct kstat_family *k = &kstat_families[i];
		bool any = false;

		if (k->backend_only)
			continue;
		snprintf(name, sizeof(name), "l4lb_vip_%s", k->suffix);
		for (j = 0; j < a->cfg.n_vips; j++) {
			const struct stats *s = &a->vips[j].kstats;
			const char *lbl[8] = { "vip", a->vips[j].cfg->name, NULL };

			if (!a->vips[j].in_kernel ||
			    !(has(s, k->attr) || has(s, k->attr2)))
				continue;
			if (!any)
				family(f, name, k->type, k->help);
			any = true;
			kstat_samples(f, name, k, s, lbl, 2);
		}
	}
}

/* vip, backend, id: the labels of every backend sample, and 4 free slots */
struct blabels {
	char addr[ADDR_STRLEN];
	const char *lbl[10];
};

static void blabels_init(struct blabels *bl, const struct abackend *b)
{
	endpoint_format(&b->ep, bl->addr, sizeof(bl->addr));
	bl->lbl[0] = "vip";
	bl->lbl[1] = b->vip->cfg->name;
	bl->lbl[2] = "backend";
	bl->lbl[3] = bl->addr;
	bl->lbl[4] = "id";
	bl->lbl[5] = b->id;
	bl->lbl[6] = NULL;
}

#define for_each_backend(a, i, b) \
	for ((i) = 0; (i) < (a)->cfg.n_vips; (i)++) \
		for ((b) = (a)->vips[(i)].backends; (b); (b) = (b)->next)

static void backend_kstats(FILE *f, const struct agent *a)
{
	const struct abackend *b;
	struct blabels bl;
	char name[96];
	size_t i, j;

	for (i = 0; i < sizeof(kstat_families) / sizeof(kstat_families[0]); i++) {
		const struct kstat_family *k = &kstat_families[i];
		bool any = false;

		snprintf(name, sizeof(name), "l4lb_backend_%s", k->suffix);
		for_each_backend(a, j, b) {
			if (!b->in_kernel ||
			    !(has(&b->kstats, k->attr) || has(&b->kstats, k->attr2)))
				continue;
			if (!any)
				family(f, name, k->type, k->help);
			any = true;
			blabels_init(&bl, b);
			kstat_samples(f, name, k, &b->kstats, bl.lbl, 6);
		}
	}
}

static const char *const state_names[] = {
	[L4LB_BACKEND_UP] = "up",
	[L4LB_BACKEND_DRAIN] = "drain",
	[L4LB_BACKEND_DOWN] = "down",
};

/* What the kernel has for @b, else what the agent wants it to have. */
static int backend_state_now(const struct abackend *b)
{
	int st = b->in_kernel ? b->kstate : backend_desired_state(b);

	return st >= 0 && st <= L4LB_BACKEND_DOWN ? st : -1;
}

static void backend_agent(FILE *f, const struct agent *a)
{
	const struct abackend *b;
	struct blabels bl;
	size_t i;
	int s;

	if (!a->cfg.n_vips)
		return;
	family(f, "l4lb_backend_up", "gauge",
	       "1 if the agent considers the backend healthy.");
	for_each_backend(a, i, b) {
		blabels_init(&bl, b);
		sample_u64(f, "l4lb_backend_up", bl.lbl, backend_is_healthy(b));
	}
	family(f, "l4lb_backend_state", "gauge",
	       "1 for the backend's kernel state (up, drain, down), else 0.");
	for_each_backend(a, i, b) {
		int st = backend_state_now(b);

		blabels_init(&bl, b);
		bl.lbl[6] = "state";
		bl.lbl[8] = NULL;
		for (s = 0; s <= L4LB_BACKEND_DOWN; s++) {
			bl.lbl[7] = state_names[s];
			sample_u64(f, "l4lb_backend_state", bl.lbl, st == s);
		}
	}
	family(f, "l4lb_backend_weight", "gauge",
	       "The backend's weight (the kernel's, else the one to set).");
	for_each_backend(a, i, b) {
		blabels_init(&bl, b);
		sample_u64(f, "l4lb_backend_weight", bl.lbl,
			   b->in_kernel ? b->kweight : b->weight);
	}
	family(f, "l4lb_backend_checks_total", "counter",
	       "Health checks of the backend, by result.");
	for_each_backend(a, i, b) {
		blabels_init(&bl, b);
		bl.lbl[6] = "result";
		bl.lbl[8] = NULL;
		bl.lbl[7] = "ok";
		sample_u64(f, "l4lb_backend_checks_total", bl.lbl, b->hs.checks_ok);
		bl.lbl[7] = "fail";
		sample_u64(f, "l4lb_backend_checks_total", bl.lbl,
			   b->hs.checks_failed);
	}
}

/*
 * The namespace's counters: drop reasons as 'l4ctl stats' names them
 * (drops_REASON), the others as l4lb_NAME_total.
 */
static const struct {
	unsigned int attr;
	const char *reason;	/* l4lb_drops_total{reason=} */
	const char *name;	/* else a family of its own */
	const char *help;
} net_counters[] = {
	{ L4LB_NET_STATS_ATTR_FULL_DROPS, "table_full", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_NOFLOW_DROPS, "noflow", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_INVALID_DROPS, "malformed", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_NAT_PORT_DROPS, "nat_ports", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_XMIT_DROPS, "xmit", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS, "no_backend", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_VIP_LIMIT_DROPS, "limit", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_RATE_LIMIT_DROPS, "rate", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_NOMEM_DROPS, "nomem", NULL, NULL },
	{ L4LB_NET_STATS_ATTR_EARLY_DROPS, NULL, "l4lb_evictions_total",
	  "Unreplied flows evicted to make room in a full flow table." },
	{ L4LB_NET_STATS_ATTR_ICMP_XLATED, NULL, "l4lb_icmp_xlated_total",
	  "ICMP errors about a flow, translated and passed on." },
	{ L4LB_NET_STATS_ATTR_STALE_REAPED, NULL, "l4lb_stale_reaped_total",
	  "Flows ended because their VIP was deleted." },
	{ L4LB_NET_STATS_ATTR_TOO_BIG, NULL, "l4lb_too_big_total",
	  "Packets too big for the path to the backend, answered with ICMP." },
	{ L4LB_NET_STATS_ATTR_TUNNEL_PMTU, NULL, "l4lb_tunnel_pmtu_total",
	  "ICMP path MTU messages about the LB's own tunnel packets." },
	{ L4LB_NET_STATS_ATTR_REJECTS, NULL, "l4lb_rejects_total",
	  "TCP RSTs and ICMP unreachables sent for refused new flows." },
	{ L4LB_NET_STATS_ATTR_DOWN_EXPIRED, NULL, "l4lb_down_expired_total",
	  "Flows ended because their backend was set down." },
	{ L4LB_NET_STATS_ATTR_ADOPTED, NULL, "l4lb_adopted_total",
	  "Maglev: packets of unknown TCP flows given a flow." },
	{ L4LB_NET_STATS_ATTR_STATELESS, NULL, "l4lb_stateless_total",
	  "Maglev: packets forwarded without a flow entry (table full)." },
	{ L4LB_NET_STATS_ATTR_PERSIST_HITS, NULL, "l4lb_persist_hits_total",
	  "New flows sent to their client's persistent backend." },
	{ L4LB_NET_STATS_ATTR_LOOKUPS, NULL, "l4lb_lookups_total",
	  "Flow table lookups: hits + misses." },
	{ L4LB_NET_STATS_ATTR_HITS, NULL, "l4lb_lookup_hits_total",
	  "Flow table lookups that found a flow." },
	{ L4LB_NET_STATS_ATTR_MISSES, NULL, "l4lb_lookup_misses_total",
	  "Flow table lookups that found none." },
	{ L4LB_NET_STATS_ATTR_FLOW_EVENTS_SUPPRESSED, NULL,
	  "l4lb_flow_events_suppressed_total",
	  "Flow events not sent: over flow_events_rate, or no memory." },
};

static void net_stats(FILE *f, const struct agent *a)
{
	const struct net_info *ni = &a->net;
	const char *lbl[3] = { "reason", NULL, NULL };
	bool any = false;
	size_t i;

	if (ni->present & (1u << L4LB_NET_ATTR_CONNS)) {
		family(f, "l4lb_conn_table_entries", "gauge",
		       "Flows in the flow table now.");
		sample_u64(f, "l4lb_conn_table_entries", NULL,
			   ni->val[L4LB_NET_ATTR_CONNS]);
	}
	if (ni->present & (1u << L4LB_NET_ATTR_CONN_MAX)) {
		family(f, "l4lb_conn_table_capacity", "gauge",
		       "Flows the flow table may hold.");
		sample_u64(f, "l4lb_conn_table_capacity", NULL,
			   ni->val[L4LB_NET_ATTR_CONN_MAX]);
	}
	for (i = 0; i < sizeof(net_counters) / sizeof(net_counters[0]); i++) {
		unsigned int t = net_counters[i].attr;

		if (!net_counters[i].reason ||
		    !(ni->cnt_present & (1u << t)))
			continue;
		if (!any)
			family(f, "l4lb_drops_total", "counter",
			       "Packets or new flows dropped in the namespace, by reason (as 'l4ctl stats').");
		any = true;
		lbl[1] = net_counters[i].reason;
		sample_u64(f, "l4lb_drops_total", lbl, ni->cnt[t]);
	}
	for (i = 0; i < sizeof(net_counters) / sizeof(net_counters[0]); i++) {
		unsigned int t = net_counters[i].attr;

		if (net_counters[i].reason || !(ni->cnt_present & (1u << t)))
			continue;
		family(f, net_counters[i].name, "counter", net_counters[i].help);
		sample_u64(f, net_counters[i].name, NULL, ni->cnt[t]);
	}
}

static const char *const source_names[] = {
	[SRC_STATIC] = "static",
	[SRC_OPERATOR] = "operator",
	[SRC_FILE] = "file",
	[SRC_DNS] = "dns",
};

/*
 * The source label: its type, and ":N" (its index) when an earlier source
 * of the VIP has the same type, so that no two series collide.
 */
static const char *source_label(const struct avip *v, size_t idx, char *buf,
				size_t len)
{
	enum source_type t = v->cfg->sources[idx].type;
	const char *n = (unsigned int)t < 4 ? source_names[t] : "unknown";
	size_t k;

	for (k = 0; k < idx; k++)
		if (v->cfg->sources[k].type == t) {
			snprintf(buf, len, "%s:%zu", n, idx);
			return buf;
		}
	return n;
}

static void discovery(FILE *f, const struct agent *a)
{
	const char *lbl[5] = { "vip", NULL, "source", NULL, NULL };
	bool any = false;
	char buf[32];
	size_t i, k;
	int pass;

	for (i = 0; i < a->cfg.n_vips; i++)
		any |= a->vips[i].cfg->n_sources > 0;
	if (!any)
		return;
	for (pass = 0; pass < 3; pass++) {
		static const char *const names[] = {
			"l4lb_agent_discovery_ok",
			"l4lb_agent_discovery_errors_total",
			"l4lb_agent_discovery_updates_total",
		};

		if (pass == 0)
			family(f, names[0], "gauge",
			       "1 if the source's last attempt succeeded (0: failing, or no answer yet).");
		else if (pass == 1)
			family(f, names[1], "counter",
			       "Failed discovery attempts (the last good set was kept).");
		else
			family(f, names[2], "counter",
			       "Good answers of the discovery source.");
		for (i = 0; i < a->cfg.n_vips; i++) {
			const struct avip *v = &a->vips[i];

			for (k = 0; k < v->cfg->n_sources && k < AGENT_MAX_SOURCES; k++) {
				const struct source_state *s = &v->src[k];
				uint64_t val;

				lbl[1] = v->cfg->name;
				lbl[3] = source_label(v, k, buf, sizeof(buf));
				val = pass == 0 ? (s->answered && !s->failing) :
				      pass == 1 ? s->errors : s->updates;
				sample_u64(f, names[pass], lbl, val);
			}
		}
	}
}

static void agent_own(FILE *f, const struct agent *a)
{
	const struct agent_metrics *m = &a->m;
	const char *lbl[3] = { "result", NULL, NULL };
	const char *le[3] = { "le", NULL, NULL };
	uint64_t cum = 0;
	char bound[32];
	int i;

	family(f, "l4lb_agent_checks_total", "counter",
	       "Active health checks, by result.");
	lbl[1] = "ok";
	sample_u64(f, "l4lb_agent_checks_total", lbl, m->checks_ok);
	lbl[1] = "fail";
	sample_u64(f, "l4lb_agent_checks_total", lbl, m->checks_failed);

	/* check_lat_bucket[] counts per bucket; Prometheus wants them cumulative */
	family(f, "l4lb_agent_check_duration_seconds", "histogram",
	       "Duration of active health checks.");
	for (i = 0; i <= CHECK_LAT_BUCKETS; i++) {
		cum += m->check_lat_bucket[i];
		if (i < CHECK_LAT_BUCKETS)
			snprintf(bound, sizeof(bound), "%g",
				 check_lat_bounds_ms[i] / 1000.0);
		else
			snprintf(bound, sizeof(bound), "+Inf");
		le[1] = bound;
		sample_u64(f, "l4lb_agent_check_duration_seconds_bucket", le, cum);
	}
	sample_dbl(f, "l4lb_agent_check_duration_seconds_sum", NULL,
		   m->check_lat_sum_s);
	sample_u64(f, "l4lb_agent_check_duration_seconds_count", NULL, cum);

	family(f, "l4lb_agent_state_changes_total", "counter",
	       "Backend health state changes.");
	sample_u64(f, "l4lb_agent_state_changes_total", NULL, m->state_changes);
	family(f, "l4lb_agent_passive_downs_total", "counter",
	       "Backends taken down by passive health (kernel counters).");
	sample_u64(f, "l4lb_agent_passive_downs_total", NULL, m->passive_downs);
	family(f, "l4lb_agent_kernel_up", "gauge",
	       "1 if the l4lb kernel module answered the last request.");
	sample_u64(f, "l4lb_agent_kernel_up", NULL, a->kernel_ok);
	family(f, "l4lb_agent_netlink_errors_total", "counter",
	       "Netlink requests that failed.");
	sample_u64(f, "l4lb_agent_netlink_errors_total", NULL, m->netlink_errors);
	family(f, "l4lb_agent_reconciles_total", "counter",
	       "Reconciles of the kernel with the model.");
	sample_u64(f, "l4lb_agent_reconciles_total", NULL, m->reconciles);
	family(f, "l4lb_agent_kernel_events_total", "counter",
	       "l4lb configuration events received.");
	sample_u64(f, "l4lb_agent_kernel_events_total", NULL, m->kernel_events);
	family(f, "l4lb_agent_start_time_seconds", "gauge",
	       "When the agent started, seconds since the epoch.");
	sample_dbl(f, "l4lb_agent_start_time_seconds", NULL,
		   (double)a->start_usec / 1e6);
}

char *metrics_render(const struct agent *a, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	if (kstats_usable(a)) {
		vip_kstats(f, a);
		backend_kstats(f, a);
	}
	backend_agent(f, a);
	if (kstats_usable(a))
		net_stats(f, a);
	discovery(f, a);
	agent_own(f, a);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}
