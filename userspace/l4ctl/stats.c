// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl stats [ show | rate | zero | help ]: the network namespace's load
 * balancer as a whole, from L4LB_CMD_NET_GET: flow table fill, limits, drop
 * counters; rates from two readings; zeroing (L4LB_CMD_STATS_ZERO).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "utils.h"

#define RATE_SECONDS_MAX	3600.0

void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl stats [ show ]\n"
		"       l4ctl stats { rate | -r } [ SECONDS ]\n"
		"       l4ctl stats zero [ vip VIP [ proto PROTO ] [ backend BACKEND ] ]\n"
		"       l4ctl stats help\n"
		"VIP, BACKEND := { IPV4:PORT | [IPV6]:PORT }\n"
		"PROTO   := { tcp | udp }  (default: tcp)\n"
		"Flows, VIPs and backends of this network namespace against their limits,\n"
		"and its drop and lookup counters.\n"
		"rate: per second over SECONDS (default 1, up to 3600): lookups of the\n"
		"namespace, new flows, packets and bytes of each VIP and backend.\n"
		"zero: counters back to 0: all of them, a VIP's and its backends', or\n"
		"one backend's (gauges: active and inactive flows, the table, stay).\n");
}

static int stats_show(int argc, char **argv)
{
	struct net_info ni;
	struct nl_ctx *ctx;
	int err;

	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl stats help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = net_get(ctx, &ni);
	if (err) {
		/* the genetlink core's answer to a command it does not know */
		if (err == -EOPNOTSUPP && !ctx->extack[0])
			snprintf(ctx->extack, sizeof(ctx->extack), "%s",
				 "the loaded l4lb module predates 'l4ctl stats' (no L4LB_CMD_NET_GET)");
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	print_net(&ni);
	nl_close(ctx);
	return EXIT_OK;
}

/*
 * stats zero [ vip VIP [ proto PROTO ] [ backend BACKEND ] ]: proto and
 * backend in any order after the VIP, each once.
 */
static int stats_zero(int argc, char **argv)
{
	struct endpoint be;
	struct vip_key vip;
	struct request r = { .cmd = L4LB_CMD_STATS_ZERO };
	bool proto_seen = false;
	int i;

	vip.proto = IPPROTO_TCP;
	if (argc > 0) {
		if (!matches(argv[0], "vip")) {
			pr_err("unknown argument '%s': expected 'vip VIP'", argv[0]);
			goto usage;
		}
		if (argc < 2) {
			pr_err("missing VIP address after 'vip'");
			goto usage;
		}
		if (parse_endpoint_arg(argv[1], &vip.ep, "VIP address"))
			return EXIT_USAGE;
		r.vip = &vip;
	}
	for (i = 2; i < argc; i += 2) {
		bool proto = strcmp(argv[i], "proto") == 0;

		if (!proto && strcmp(argv[i], "backend") != 0) {
			pr_err("unknown argument '%s': expected 'proto' or 'backend'",
			       argv[i]);
			goto usage;
		}
		if (i + 1 >= argc) {
			pr_err("missing value after '%s'", argv[i]);
			goto usage;
		}
		if (proto) {
			if (proto_seen) {
				pr_err("'proto' given twice");
				goto usage;
			}
			if (parse_proto(argv[i + 1], &vip.proto)) {
				pr_err("invalid protocol '%s': expected tcp or udp",
				       argv[i + 1]);
				goto usage;
			}
			proto_seen = true;
		} else {
			if (r.backend) {
				pr_err("'backend' given twice");
				goto usage;
			}
			if (parse_endpoint_arg(argv[i + 1], &be, "backend address"))
				return EXIT_USAGE;
			r.backend = &be;
		}
	}
	return send_request(&r);

usage:
	fprintf(stderr, "Try 'l4ctl stats help'.\n");
	return EXIT_USAGE;
}

/* One reading: the namespace's counters, every VIP with its backends. */
struct reading {
	struct net_info ni;
	struct vip *vips;
	size_t n;
	double t;		/* CLOCK_MONOTONIC seconds, when it began */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int reading_take(struct nl_ctx *ctx, struct reading *rd)
{
	int err;

	memset(rd, 0, sizeof(*rd));
	rd->t = now();
	err = net_get(ctx, &rd->ni);
	return err ? err : dump_config(ctx, &rd->vips, &rd->n);
}

static bool endpoint_same(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

static const struct vip *vip_find(const struct reading *rd,
				  const struct vip_key *key)
{
	size_t i;

	for (i = 0; i < rd->n; i++)
		if (rd->vips[i].key.proto == key->proto &&
		    endpoint_same(&rd->vips[i].key.ep, &key->ep))
			return &rd->vips[i];
	return NULL;
}

static const struct backend *backend_find(const struct vip *v,
					  const struct endpoint *ep)
{
	size_t i;

	for (i = 0; v && i < v->n_backends; i++)
		if (endpoint_same(&v->backends[i].ep, ep))
			return &v->backends[i];
	return NULL;
}

/*
 * The growth of a counter: a value below the first reading's was zeroed
 * meanwhile, and counts since then (a lower bound).
 */
static uint64_t grown(uint64_t before, uint64_t after)
{
	return after >= before ? after - before : after;
}

/* A rate: "key N.N" in text, "key_per_s": N.NNNNNN in JSON. */
static void print_rate(const char *label, const char *key, uint64_t before,
		       uint64_t after, double secs, bool *first)
{
	double rate = (double)grown(before, after) / secs;

	if (print_is_json()) {
		print_double(PRINT_JSON, key, "%.6f", rate);
	} else {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), "%s%s %%.1f", *first ? "" : " ",
			 label);
		print_double(PRINT_FP, NULL, fmt, rate);
	}
	*first = false;
}

/* "vip ADDR:PORT proto P" in text; address, port, proto in JSON. */
static void print_vip_key(const struct vip *v)
{
	char buf[ADDR_STRLEN];

	print_string(PRINT_FP, NULL, "vip %s",
		     endpoint_format(&v->key.ep, buf, sizeof(buf)));
	print_string(PRINT_JSON, "address", NULL,
		     addr_format(&v->key.ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, v->key.ep.port);
	print_string(PRINT_ANY, "proto", " proto %s",
		     proto_name(v->key.proto, buf, sizeof(buf)));
}

/* A VIP's or a backend's rates, from its counters in the two readings. */
static const struct {
	unsigned int type;
	const char *label, *key;
} rate_counters[] = {
	{ L4LB_STATS_ATTR_CONNS, "conns/s", "conns_per_s" },
	{ L4LB_STATS_ATTR_PKTS_IN, "pkts_in/s", "pkts_in_per_s" },
	{ L4LB_STATS_ATTR_PKTS_OUT, "pkts_out/s", "pkts_out_per_s" },
	{ L4LB_STATS_ATTR_BYTES_IN, "bytes_in/s", "bytes_in_per_s" },
	{ L4LB_STATS_ATTR_BYTES_OUT, "bytes_out/s", "bytes_out_per_s" },
	{ L4LB_STATS_ATTR_DROPS, "drops/s", "drops_per_s" },
};

static void print_rates(const struct stats *a, const struct stats *b,
			double secs)
{
	bool first = false;	/* after the object's name, on its line */
	size_t i;

	for (i = 0; i < sizeof(rate_counters) / sizeof(rate_counters[0]); i++) {
		unsigned int t = rate_counters[i].type;

		if ((a->present & b->present) & (1u << t))
			print_rate(rate_counters[i].label, rate_counters[i].key,
				   a->val[t], b->val[t], secs, &first);
	}
	print_nl();
}

/* The namespace's lookups, then each VIP and backend of both readings. */
static void print_reading_rates(const struct reading *a,
				const struct reading *b)
{
	static const struct {
		unsigned int type;
		const char *label, *key;
	} net_rates[] = {
		{ L4LB_NET_STATS_ATTR_LOOKUPS, "lookups/s", "lookups_per_s" },
		{ L4LB_NET_STATS_ATTR_HITS, "hits/s", "hits_per_s" },
		{ L4LB_NET_STATS_ATTR_MISSES, "misses/s", "misses_per_s" },
	};
	double secs = b->t - a->t;
	bool first = false;	/* after the interval */
	size_t i, j;

	print_open_object(NULL);
	print_double(PRINT_JSON, "interval_s", NULL, secs);
	print_double(PRINT_FP, NULL, "interval %.2fs", secs);
	for (i = 0; i < sizeof(net_rates) / sizeof(net_rates[0]); i++) {
		unsigned int t = net_rates[i].type;

		if ((a->ni.cnt_present & b->ni.cnt_present) & (1u << t))
			print_rate(net_rates[i].label, net_rates[i].key,
				   a->ni.cnt[t], b->ni.cnt[t], secs, &first);
	}
	print_nl();

	print_open_array("vips");
	for (i = 0; i < b->n; i++) {
		const struct vip *vb = &b->vips[i];
		const struct vip *va = vip_find(a, &vb->key);

		/* new since the first reading: no rate to give */
		if (!va)
			continue;
		print_open_object(NULL);
		print_vip_key(vb);
		print_rates(&va->stats, &vb->stats, secs);
		print_open_array("backends");
		for (j = 0; j < vb->n_backends; j++) {
			const struct backend *bb = &vb->backends[j];
			const struct backend *ba = backend_find(va, &bb->ep);
			char buf[ADDR_STRLEN];

			if (!ba)
				continue;
			print_open_object(NULL);
			print_string(PRINT_FP, NULL, "  backend %s",
				     endpoint_format(&bb->ep, buf, sizeof(buf)));
			print_string(PRINT_JSON, "address", NULL,
				     addr_format(&bb->ep, buf, sizeof(buf)));
			print_uint(PRINT_JSON, "port", NULL, bb->ep.port);
			print_rates(&ba->stats, &bb->stats, secs);
			print_close_object();
		}
		print_close_array();
		print_close_object();
	}
	print_close_array();
	print_close_object();
	print_end();
}

static int parse_seconds(const char *s, double *secs)
{
	char *end;

	errno = 0;
	*secs = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*secs) || *secs <= 0 ||
	    *secs > RATE_SECONDS_MAX) {
		pr_err("invalid interval '%s': expected seconds, more than 0 and at most 3600",
		       s);
		fprintf(stderr, "Try 'l4ctl stats help'.\n");
		return -1;
	}
	return 0;
}

static void sleep_for(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Rates from two readings SECONDS apart, not an in-kernel estimator: the
 * counters are exact sums, so two readings give the exact mean over any
 * window the user picks, at no cost to the kernel (no timer walking every
 * VIP and backend); Prometheus computes rate() from the counters anyway.
 */
static int stats_rate(int argc, char **argv)
{
	struct reading a, b;
	struct nl_ctx *ctx;
	double secs = 1;
	int err;

	if (argc > 1) {
		pr_err("unknown argument '%s'", argv[1]);
		fprintf(stderr, "Try 'l4ctl stats help'.\n");
		return EXIT_USAGE;
	}
	if (argc == 1 && parse_seconds(argv[0], &secs))
		return EXIT_USAGE;
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	memset(&b, 0, sizeof(b));
	err = reading_take(ctx, &a);
	if (!err) {
		sleep_for(secs);
		err = reading_take(ctx, &b);
	}
	if (err)
		nl_report(ctx, err);
	else
		print_reading_rates(&a, &b);
	free_vips(a.vips, a.n);
	free_vips(b.vips, b.n);
	nl_close(ctx);
	return err ? EXIT_KERNEL : EXIT_OK;
}

static int stats_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	stats_usage(stdout);
	return EXIT_OK;
}

static const struct cmd stats_cmds[] = {
	{ "show",	stats_show },
	{ "list",	stats_show },
	{ "rate",	stats_rate },
	{ "-r",		stats_rate },
	{ "--rate",	stats_rate },
	{ "zero",	stats_zero },
	{ "help",	stats_help },
	{ NULL,		NULL },
};

int cmd_stats(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0)
		return stats_show(0, argv);
	c = cmd_lookup(stats_cmds, argv[0], "stats command", "l4ctl stats help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
