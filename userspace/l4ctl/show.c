// SPDX-License-Identifier: GPL-2.0
/*
 * How VIPs, backends and their counters look, in text and JSON, and the
 * top-level 'l4ctl show'. Every listing collects its dump first and prints
 * afterwards: an error half way leaves no half-written JSON behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "l4ctl.h"
#include "monitor.h"
#include "msg.h"
#include "print.h"
#include "timeouts.h"
#include "utils.h"

void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl show [ VIP [ proto PROTO ] ]\n"
		"VIP   := { ADDR | IPV4:PORT | [IPV6]:PORT }\n"
		"PROTO := { tcp | udp }\n"
		"Lists every VIP followed by its backends; with a VIP, only those\n"
		"of that address (and port, and protocol, when given); a VIP that\n"
		"does not exist is an error.\n");
}

/*
 * A VIP's or a backend's counters, in text on three lines: traffic, TCP
 * connection outcomes, drops by reason.
 */
static const struct {
	unsigned int type;
	unsigned int line;	/* of text: 0, 1 or 2 */
	const char *key;	/* JSON */
	const char *label;	/* text */
} counters[] = {
	{ L4LB_STATS_ATTR_CONNS, 0, "conns", "conns" },
	{ L4LB_STATS_ATTR_ACTIVE_CONNS, 0, "active_conns", "active_conns" },
	{ L4LB_STATS_ATTR_INACTIVE_CONNS, 0, "inactive_conns", "inactive_conns" },
	{ L4LB_STATS_ATTR_PKTS_IN, 0, "pkts_in", "pkts_in" },
	{ L4LB_STATS_ATTR_PKTS_OUT, 0, "pkts_out", "pkts_out" },
	{ L4LB_STATS_ATTR_BYTES_IN, 0, "bytes_in", "bytes_in" },
	{ L4LB_STATS_ATTR_BYTES_OUT, 0, "bytes_out", "bytes_out" },
	{ L4LB_STATS_ATTR_DROPS, 0, "drops", "drops" },
	{ L4LB_STATS_ATTR_ESTABLISHED, 1, "established", "established" },
	{ L4LB_STATS_ATTR_FAILED, 1, "failed", "failed" },
	{ L4LB_STATS_ATTR_RSTS_CLIENT, 1, "rsts_client", "rsts_client" },
	{ L4LB_STATS_ATTR_RSTS_BACKEND, 1, "rsts_backend", "rsts_backend" },
	{ L4LB_STATS_ATTR_SYN_RETRANS, 1, "syn_retrans", "syn_retrans" },
	{ L4LB_STATS_ATTR_HANDSHAKE_US, 1, "handshake_us", "handshake_us" },
	{ L4LB_STATS_ATTR_HANDSHAKES, 1, "handshakes", "handshakes" },
	{ L4LB_STATS_ATTR_DROPS_NO_BACKEND, 2,
	  "drops_no_backend", "drops_no_backend" },
	{ L4LB_STATS_ATTR_DROPS_LIMIT, 2, "drops_limit", "drops_limit" },
	{ L4LB_STATS_ATTR_DROPS_RATE, 2, "drops_rate", "drops_rate" },
	{ L4LB_STATS_ATTR_DROPS_TABLE_FULL, 2,
	  "drops_table_full", "drops_table_full" },
	{ L4LB_STATS_ATTR_DROPS_NOMEM, 2, "drops_nomem", "drops_nomem" },
	{ L4LB_STATS_ATTR_DROPS_NAT_PORTS, 2,
	  "drops_nat_ports", "drops_nat_ports" },
	{ L4LB_STATS_ATTR_DROPS_XMIT, 2, "drops_xmit", "drops_xmit" },
};

static bool stats_has(const struct stats *s, unsigned int type)
{
	return s->present & (1u << type);
}

/*
 * Text only: "success 99.5%", established over conns, where TCP flows
 * have an outcome; with the handshake latency, shown where one was
 * measured (JSON has both counters always).
 */
static bool stats_text_skip(const struct stats *s, unsigned int type)
{
	return !print_is_json() &&
	       (type == L4LB_STATS_ATTR_HANDSHAKE_US ||
		type == L4LB_STATS_ATTR_HANDSHAKES) &&
	       !s->val[L4LB_STATS_ATTR_HANDSHAKES];
}

static void print_success(const struct stats *s)
{
	uint64_t conns = s->val[L4LB_STATS_ATTR_CONNS];
	uint64_t est = s->val[L4LB_STATS_ATTR_ESTABLISHED];
	char buf[32];

	if (!stats_has(s, L4LB_STATS_ATTR_CONNS) ||
	    !stats_has(s, L4LB_STATS_ATTR_ESTABLISHED) || !conns ||
	    !(est + s->val[L4LB_STATS_ATTR_FAILED]))
		return;
	snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * (double)est / (double)conns);
	print_string(PRINT_FP, NULL, " success %s", buf);
}

/* The text lines "conns N active_conns N ...", of the counters the kernel sent. */
static void print_stats(const struct stats *s, const char *indent)
{
	unsigned int line;
	char fmt[64];
	size_t i;

	print_open_object("stats");
	for (line = 0; line < 3; line++) {
		bool first = true;

		for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			if (counters[i].line != line ||
			    !stats_has(s, counters[i].type) ||
			    stats_text_skip(s, counters[i].type))
				continue;
			if (first)
				print_string(PRINT_FP, NULL, "%s", indent);
			snprintf(fmt, sizeof(fmt), "%s%s %%%s",
				 first ? "" : " ", counters[i].label, PRIu64);
			print_u64(PRINT_ANY, counters[i].key, fmt,
				  s->val[counters[i].type]);
			/* after "failed N" */
			if (counters[i].type == L4LB_STATS_ATTR_FAILED)
				print_success(s);
			first = false;
		}
		if (!first)
			print_nl();
	}
	print_close_object();
}

/* The address and port of an endpoint: one token in text, two in JSON. */
static void print_endpoint(const char *label, const struct endpoint *ep)
{
	char buf[ADDR_STRLEN];

	print_string(PRINT_FP, NULL, label, endpoint_format(ep, buf, sizeof(buf)));
	print_string(PRINT_JSON, "address", NULL, addr_format(ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, ep->port);
}

/*
 * Text: what differs from a plain backend, as it is typed ("state drain
 * maxconn 100 backup"); JSON: every value the kernel sent.
 */
void print_backend_fields(const struct backend *b, const char *label)
{
	print_endpoint(label, &b->ep);
	if (b->has_weight)
		print_uint(PRINT_ANY, "weight", " weight %u", b->weight);
	if (b->has_state) {
		char buf[16];

		print_string(b->state == L4LB_BACKEND_UP ? PRINT_JSON : PRINT_ANY,
			     "state", " state %s",
			     state_name(b->state, buf, sizeof(buf)));
	}
	if (b->has_maxconn)
		print_uint(b->maxconn ? PRINT_ANY : PRINT_JSON, "maxconn",
			   " maxconn %u", b->maxconn);
	if (b->has_flags)
		print_bool(PRINT_ANY, "backup", " backup",
			   b->flags & L4LB_BACKEND_F_BACKUP);
}

void print_backend(const struct backend *b, const char *indent)
{
	char fmt[32], sub[16];

	print_open_object(NULL);
	snprintf(fmt, sizeof(fmt), "%sbackend %%s", indent);
	print_backend_fields(b, fmt);
	print_nl();
	snprintf(sub, sizeof(sub), "%s  ", indent);
	print_stats(&b->stats, sub);
	print_close_object();
}

/* What the mode needs to be understood: tunnel encapsulation, SNAT. */
static void print_vip_mode(const struct vip *v)
{
	char buf[ADDR_STRLEN];

	if (v->has_encap)
		print_string(PRINT_ANY, "encap", " encap %s",
			     encap_name(v->encap, buf, sizeof(buf)));
	if (v->has_encap_port)
		print_uint(PRINT_ANY, "encap_port", " encap-port %u",
			   v->encap_port);
	if (v->has_snat_ports) {
		snprintf(buf, sizeof(buf), "%u-%u", v->snat_port_min,
			 v->snat_port_max);
		print_string(PRINT_FP, NULL, " snat-ports %s", buf);
		print_uint(PRINT_JSON, "snat_port_min", NULL, v->snat_port_min);
		print_uint(PRINT_JSON, "snat_port_max", NULL, v->snat_port_max);
	}
	if (v->has_mode && v->mode == L4LB_FWD_SNAT) {
		size_t i;

		print_open_array("snat_addrs");
		for (i = 0; i < v->n_snat; i++)
			print_string(PRINT_ANY, NULL, " snat-addr %s",
				     addr_format(&v->snat[i], buf, sizeof(buf)));
		print_close_array();
		if (!v->n_snat)
			print_string(PRINT_FP, NULL, "%s", " snat-addr auto");
	}
	if (v->has_flags)
		print_bool(PRINT_ANY, "ops", " ops", v->flags & L4LB_VIP_F_OPS);
}

/* A u32 the kernel sent: in JSON always, in text unless 0 (the default). */
static void print_u32_opt(bool has, const char *key, const char *fmt,
			  uint32_t val)
{
	if (has)
		print_uint(val ? PRINT_ANY : PRINT_JSON, key, fmt, val);
}

/*
 * Scheduling: text shows what is not the default, as it is typed; JSON
 * shows every value, 0 for "default" or "none".
 */
static void print_vip_sched(const struct vip *v)
{
	uint32_t f = v->flags;

	if (v->has_flags) {
		print_bool(PRINT_ANY, "sh_port", " sh-port",
			   f & L4LB_VIP_F_SH_PORT);
		print_string((f & L4LB_VIP_F_HASH_SRC) ? PRINT_ANY : PRINT_JSON,
			     "hash", " hash %s",
			     (f & L4LB_VIP_F_HASH_SRC) ? "src" : "5tuple");
	}
	print_u32_opt(v->has_maglev_size, "maglev_size", " maglev-size %u",
		      v->maglev_size);
	if (v->has_flags)
		print_bool(PRINT_ANY, "syn_only", " syn-only",
			   f & L4LB_VIP_F_SYN_ONLY);
	print_u32_opt(v->has_maxconn, "maxconn", " maxconn %u", v->maxconn);
	print_u32_opt(v->has_rate, "rate", " rate %u", v->rate);
	print_u32_opt(v->has_burst, "burst", " burst %u", v->burst);
	print_u32_opt(v->has_persist, "persist", " persist %u", v->persist);
	if (v->has_flags) {
		/* the default is to reject: text shows "no-reject" */
		print_bool(PRINT_JSON, "reject", NULL,
			   !(f & L4LB_VIP_F_NO_REJECT));
		print_bool(PRINT_FP, NULL, " no-reject",
			   f & L4LB_VIP_F_NO_REJECT);
		print_bool(PRINT_ANY, "expire_down", " expire-down",
			   f & L4LB_VIP_F_EXPIRE_DOWN);
	}
}

void print_vip_fields(const struct vip *v, const char *label)
{
	char buf[16];

	print_endpoint(label, &v->key.ep);
	print_string(PRINT_ANY, "proto", " proto %s",
		     proto_name(v->key.proto, buf, sizeof(buf)));
	if (v->sched[0])
		print_string(PRINT_ANY, "sched", " sched %s", v->sched);
	if (v->has_mode)
		print_string(PRINT_ANY, "mode", " mode %s",
			     mode_name(v->mode, buf, sizeof(buf)));
	print_vip_mode(v);
	print_vip_sched(v);
	timeouts_print_vip(&v->timeouts, v->key.proto);
}

void print_vip(const struct vip *v, bool with_backends)
{
	print_open_object(NULL);
	print_vip_fields(v, "vip %s");
	print_nl();
	print_stats(&v->stats, "  ");
	if (with_backends) {
		size_t i;

		print_open_array("backends");
		for (i = 0; i < v->n_backends; i++)
			print_backend(&v->backends[i], "  ");
		print_close_array();
	}
	print_close_object();
}

void print_vips(const struct vip *vips, size_t n, bool with_backends)
{
	size_t i;

	print_open_array(NULL);
	for (i = 0; i < n; i++)
		print_vip(&vips[i], with_backends);
	print_close_array();
	print_end();
}

/* 'l4ctl stats': each count with its limit, "conns 12/262144". */
static const struct {
	unsigned int count, max;
	const char *key, *max_key;
} net_fill[] = {
	{ L4LB_NET_ATTR_CONNS, L4LB_NET_ATTR_CONN_MAX, "conns", "conn_max" },
	{ L4LB_NET_ATTR_VIPS, L4LB_NET_ATTR_VIP_MAX, "vips", "vip_max" },
	{ L4LB_NET_ATTR_BACKENDS, L4LB_NET_ATTR_BACKEND_MAX, "backends",
	  "backend_max" },
};

/* JSON key and text label are the same for these. */
static const struct {
	unsigned int type;
	const char *key;
} net_counters[] = {
	{ L4LB_NET_STATS_ATTR_EARLY_DROPS,	"evictions" },
	{ L4LB_NET_STATS_ATTR_FULL_DROPS,	"drops_table_full" },
	{ L4LB_NET_STATS_ATTR_NOFLOW_DROPS,	"drops_noflow" },
	{ L4LB_NET_STATS_ATTR_INVALID_DROPS,	"drops_malformed" },
	{ L4LB_NET_STATS_ATTR_ICMP_XLATED,	"icmp_xlated" },
	{ L4LB_NET_STATS_ATTR_STALE_REAPED,	"stale_reaped" },
	{ L4LB_NET_STATS_ATTR_NAT_PORT_DROPS,	"drops_nat_ports" },
	{ L4LB_NET_STATS_ATTR_XMIT_DROPS,	"drops_xmit" },
	{ L4LB_NET_STATS_ATTR_TOO_BIG,		"too_big" },
	{ L4LB_NET_STATS_ATTR_TUNNEL_PMTU,	"tunnel_pmtu" },
	{ L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS,	"drops_no_backend" },
	{ L4LB_NET_STATS_ATTR_VIP_LIMIT_DROPS,	"drops_limit" },
	{ L4LB_NET_STATS_ATTR_RATE_LIMIT_DROPS,	"drops_rate" },
	{ L4LB_NET_STATS_ATTR_REJECTS,		"rejects" },
	{ L4LB_NET_STATS_ATTR_DOWN_EXPIRED,	"down_expired" },
	{ L4LB_NET_STATS_ATTR_ADOPTED,		"adopted" },
	{ L4LB_NET_STATS_ATTR_STATELESS,	"stateless" },
	{ L4LB_NET_STATS_ATTR_PERSIST_HITS,	"persist_hits" },
	{ L4LB_NET_STATS_ATTR_LOOKUPS,		"lookups" },
	{ L4LB_NET_STATS_ATTR_HITS,		"hits" },
	{ L4LB_NET_STATS_ATTR_MISSES,		"misses" },
	{ L4LB_NET_STATS_ATTR_FLOW_EVENTS_SUPPRESSED, "flow_events_suppressed" },
	{ L4LB_NET_STATS_ATTR_NOMEM_DROPS,	"drops_nomem" },
};

/* "key N" on a text line, a blank before all but the first item. */
static void print_item(const char *key, uint64_t val, bool *first)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%s%s %%%s", *first ? "" : " ", key, PRIu64);
	print_u64(PRINT_ANY, key, fmt, val);
	*first = false;
}

/*
 * Text: "conns 12/262144 vips 2/1024 backends 6/16384", then the counters
 * on a line of their own. JSON: one flat object. Whatever the kernel did
 * not send is left out (a limit without its count prints as "conn_max N").
 */
void print_net(const struct net_info *ni)
{
	bool first = true;
	size_t i;

	print_open_object(NULL);
	for (i = 0; i < sizeof(net_fill) / sizeof(net_fill[0]); i++) {
		bool has_count = ni->present & (1u << net_fill[i].count);
		bool has_max = ni->present & (1u << net_fill[i].max);

		if (has_count)
			print_item(net_fill[i].key, ni->val[net_fill[i].count],
				   &first);
		if (has_max && has_count)
			print_u64(PRINT_ANY, net_fill[i].max_key, "/%" PRIu64,
				  ni->val[net_fill[i].max]);
		else if (has_max)
			print_item(net_fill[i].max_key,
				   ni->val[net_fill[i].max], &first);
	}
	if (ni->present & (1u << L4LB_NET_ATTR_BUCKETS))
		print_item("buckets", ni->val[L4LB_NET_ATTR_BUCKETS], &first);
	if (!first)
		print_nl();

	first = true;
	for (i = 0; i < sizeof(net_counters) / sizeof(net_counters[0]); i++)
		if (ni->cnt_present & (1u << net_counters[i].type))
			print_item(net_counters[i].key,
				   ni->cnt[net_counters[i].type], &first);
	if (!first)
		print_nl();
	print_close_object();
	print_end();
}

int vip_filter_parse(int argc, char **argv, struct vip_filter *f,
		     const char *object)
{
	const char *why = NULL;
	struct kw_opts o;

	memset(f, 0, sizeof(*f));
	if (argc == 0)
		return 0;
	f->on = true;
	f->text = argv[0];
	/* ADDR:PORT, [ADDR6]:PORT, or the address alone: every port */
	if (endpoint_parse(argv[0], &f->ep, &why) != 0) {
		size_t len = strlen(argv[0]);
		char addr[ADDR_STRLEN];

		if (argv[0][0] == '[' && len > 2 && len < sizeof(addr) &&
		    argv[0][len - 1] == ']') {
			memcpy(addr, argv[0] + 1, len - 2);
			addr[len - 2] = '\0';
		} else {
			snprintf(addr, sizeof(addr), "%s", argv[0]);
		}
		/*
		 * Without a ':' it was meant as an address alone: say why
		 * that is not one; else endpoint_parse()'s reason ("10.0.0.1:x"
		 * has a bad port).
		 */
		if (addr_parse(addr, &f->ep,
			       strchr(argv[0], ':') ? NULL : &why) != 0) {
			pr_err("invalid VIP '%s': %s", argv[0], why);
			fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
			return -1;
		}
	}
	if (parse_keywords(argc - 1, argv + 1, KW_PROTO, &o, object))
		return -1;
	f->has_proto = o.seen & KW_PROTO;
	f->proto = o.proto;
	return 0;
}

static bool vip_filter_match(const struct vip_filter *f, const struct vip *v)
{
	const struct endpoint *a = &f->ep, *b = &v->key.ep;

	return a->family == b->family &&
	       memcmp(a->addr, b->addr, addr_len(a->family)) == 0 &&
	       (!a->port || a->port == b->port) &&
	       (!f->has_proto || f->proto == v->key.proto);
}

int vip_filter_apply(const struct vip_filter *f, struct vip *vips, size_t *n)
{
	size_t i, kept = 0;

	if (!f->on)
		return 0;
	for (i = 0; i < *n; i++) {
		if (vip_filter_match(f, &vips[i]))
			vips[kept++] = vips[i];
		else
			free(vips[i].backends);
	}
	*n = kept;
	if (kept)
		return 0;
	/* as 'ip link show dev X': a name that is not there is an error */
	if (f->has_proto) {
		char proto[16];

		pr_err("no VIP %s proto %s", f->text,
		       proto_name(f->proto, proto, sizeof(proto)));
	} else {
		pr_err("no VIP %s", f->text);
	}
	return -1;
}

int cmd_show(int argc, char **argv)
{
	struct vip_filter filter;
	struct vip *vips = NULL;
	struct nl_ctx *ctx;
	size_t n = 0;
	int err;

	if (argc > 0 && matches(argv[0], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (vip_filter_parse(argc, argv, &filter, "show"))
		return EXIT_USAGE;
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	/* the backends of the VIPs asked for only */
	err = dump_vips(ctx, &vips, &n);
	if (!err && vip_filter_apply(&filter, vips, &n)) {
		free_vips(vips, n);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	if (!err)
		err = dump_vips_backends(ctx, vips, n);
	if (err) {
		nl_report(ctx, err);
		free_vips(vips, n);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	timeouts_load_defaults(ctx);
	print_vips(vips, n, true);
	free_vips(vips, n);
	nl_close(ctx);
	return EXIT_OK;
}
