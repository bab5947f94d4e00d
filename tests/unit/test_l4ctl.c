// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of l4ctl's pure logic: endpoint parsing and formatting,
 * command line values, the text/JSON print layer, attribute encoding and
 * decoding, the handling of kernel acks, and whole exchanges (dump restarts,
 * 'stats') against a scripted fake kernel. No kernel module needed.
 *
 * Output is TAP: one "ok N - ..." line per group of checks, then "1..N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include "addr.h"
#include "args.h"
#include "l4ctl.h"
#include "monitor.h"
#include "msg.h"
#include "nl.h"
#include "print.h"
#include "save.h"
#include "timeouts.h"
#include "utils.h"

static int tests, failed;
static bool group_ok;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("#   %s:%d: check failed: %s\n",		\
			       __FILE__, __LINE__, #cond);		\
			group_ok = false;				\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!g_ || strcmp(g_, w_)) {				\
			printf("#   %s:%d: got  '%s'\n#   %*s want '%s'\n", \
			       __FILE__, __LINE__, g_ ? g_ : "(null)",	\
			       (int)strlen(__FILE__) + 5, "", w_);	\
			group_ok = false;				\
		}							\
	} while (0)

static void begin(void)
{
	group_ok = true;
}

static void end(const char *desc)
{
	tests++;
	if (!group_ok)
		failed++;
	printf("%sok %d - %s\n", group_ok ? "" : "not ", tests, desc);
}

/* ---- capture of the print layer ---- */

static char *cap_buf;
static size_t cap_len;
static FILE *cap;

static void capture(bool json, bool pretty)
{
	cap = open_memstream(&cap_buf, &cap_len);
	print_init(cap, json, pretty);
}

/* Returns the captured text; valid until the next capture_free(). */
static const char *captured(void)
{
	fclose(cap);
	print_init(stdout, false, false);
	return cap_buf;
}

static void capture_free(void)
{
	free(cap_buf);
	cap_buf = NULL;
}

/* ---- endpoints ---- */

static void test_parse_v4(void)
{
	static const uint8_t want[4] = { 10, 0, 0, 10 };
	struct endpoint ep;
	const char *why = NULL;

	begin();
	memset(&ep, 0xaa, sizeof(ep));
	CHECK(endpoint_parse("10.0.0.10:80", &ep, &why) == 0);
	CHECK(ep.family == AF_INET);
	CHECK(memcmp(ep.addr, want, 4) == 0);
	/* the unused tail is zeroed, the struct can be compared whole */
	CHECK(ep.addr[4] == 0 && ep.addr[15] == 0);
	CHECK(ep.port == 80);
	CHECK(endpoint_parse("255.255.255.255:65535", &ep, NULL) == 0);
	CHECK(ep.addr[0] == 255 && ep.addr[3] == 255 && ep.port == 65535);
	CHECK(endpoint_parse("0.0.0.1:1", &ep, NULL) == 0);
	CHECK(ep.addr[3] == 1 && ep.port == 1);
	end("IPv4 ADDR:PORT parses to exact bytes, port bounds 1 and 65535");
}

static void test_parse_v6(void)
{
	static const uint8_t doc[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
	};
	static const uint8_t lo[16] = { [15] = 1 };
	struct endpoint ep;

	begin();
	CHECK(endpoint_parse("[2001:db8::10]:80", &ep, NULL) == 0);
	CHECK(ep.family == AF_INET6);
	CHECK(memcmp(ep.addr, doc, 16) == 0);
	CHECK(ep.port == 80);
	CHECK(endpoint_parse("[::1]:80", &ep, NULL) == 0);
	CHECK(ep.family == AF_INET6 && memcmp(ep.addr, lo, 16) == 0);
	CHECK(endpoint_parse("[::]:443", &ep, NULL) == 0);
	CHECK(ep.port == 443 && ep.addr[15] == 0);
	CHECK(endpoint_parse("[2001:DB8::10]:8080", &ep, NULL) == 0);
	CHECK(memcmp(ep.addr, doc, 16) == 0 && ep.port == 8080);
	end("IPv6 [ADDR]:PORT parses to exact bytes, including [::1]:80");
}

static void test_parse_reject(void)
{
	static const char *const bad[] = {
		"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
		"10.0.0.1:99999999999999999999", "10.0.0.1:80x",
		"10.0.0.1:+80", "10.0.0.1:-1", "10.0.0.1: 80", " 10.0.0.1:80",
		"10.0.0.1:80 ", "10.0.0.300:80", "10.1:80", "010.0.0.1:80",
		"0x0a.0.0.1:80", "host.example:80", ":80", "10.0.0.1:80:90",
		"::1:80", "2001:db8::10:80", "2001:db8::10", "[::1]80",
		"[::1]:", "[::1]", "[::1", "[]:80", "[::1]:0", "[::1]:65536",
		"[::1]:80x", "[10.0.0.1]:80", "[::ffff:10.0.0.1]:80",
		"[fe80::1%eth0]:80", "[[::1]]:80", "[::g]:80",
		"[0123:4567:89ab:cdef:0123:4567:89ab:cdef:0]:80",
	};
	struct endpoint ep, orig;
	size_t i;

	begin();
	memset(&orig, 0x5a, sizeof(orig));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		ep = orig;
		if (endpoint_parse(bad[i], &ep, &why) == 0) {
			printf("#   accepted '%s'\n", bad[i]);
			group_ok = false;
			continue;
		}
		CHECK(why && *why);
		CHECK(memcmp(&ep, &orig, sizeof(ep)) == 0);
	}
	CHECK(endpoint_parse(NULL, &ep, NULL) < 0);
	end("malformed endpoints rejected (ports 0/65536, junk, no brackets, v4-mapped)");
}

static void test_parse_reasons(void)
{
	struct endpoint ep;
	const char *why;

	begin();
	endpoint_parse("::1:80", &ep, &why);
	CHECK(strstr(why, "brackets") != NULL);
	endpoint_parse("10.0.0.1:0", &ep, &why);
	CHECK(strstr(why, "1..65535") != NULL);
	endpoint_parse("10.0.0.1:65536", &ep, &why);
	CHECK(strstr(why, "1..65535") != NULL);
	endpoint_parse("10.0.0.1", &ep, &why);
	CHECK(strstr(why, "PORT") != NULL);
	endpoint_parse("[::ffff:1.2.3.4]:80", &ep, &why);
	CHECK(strstr(why, "IPv4") != NULL);
	endpoint_parse("10.0.0.1:80:90", &ep, &why);
	CHECK(strstr(why, "brackets") == NULL);
	end("rejections explain themselves (brackets hint, port range)");
}

static void test_format(void)
{
	char buf[ADDR_STRLEN];
	struct endpoint ep;

	begin();
	endpoint_parse("10.0.0.10:80", &ep, NULL);
	CHECK_STR(endpoint_format(&ep, buf, sizeof(buf)), "10.0.0.10:80");
	CHECK_STR(addr_format(&ep, buf, sizeof(buf)), "10.0.0.10");
	endpoint_parse("[2001:0db8:0000::0010]:65535", &ep, NULL);
	CHECK_STR(endpoint_format(&ep, buf, sizeof(buf)), "[2001:db8::10]:65535");
	CHECK_STR(addr_format(&ep, buf, sizeof(buf)), "2001:db8::10");
	endpoint_parse("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", &ep, NULL);
	CHECK_STR(endpoint_format(&ep, buf, sizeof(buf)),
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	ep.family = 99;
	CHECK_STR(addr_format(&ep, buf, sizeof(buf)), "?");
	end("endpoint formatting, v4 and canonical v6 with brackets");
}

/* ---- command line values ---- */

static void test_weight(void)
{
	static const char *const bad[] = {
		"", "65536", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3",
		"4294967297", "99999999999999999999",
	};
	uint32_t w = 7;
	size_t i;

	begin();
	CHECK(parse_weight("0", &w) == 0 && w == 0);
	CHECK(parse_weight("1", &w) == 0 && w == 1);
	CHECK(parse_weight("65535", &w) == 0 && w == 65535);
	CHECK(parse_weight("007", &w) == 0 && w == 7);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = 1234;
		if (parse_weight(bad[i], &w) == 0) {
			printf("#   accepted weight '%s'\n", bad[i]);
			group_ok = false;
		}
		CHECK(w == 1234);
	}
	end("weight: decimal 0..65535 only");
}

static void test_names(void)
{
	uint8_t v;
	char buf[8];

	begin();
	CHECK(parse_proto("tcp", &v) == 0 && v == IPPROTO_TCP);
	CHECK(parse_proto("udp", &v) == 0 && v == IPPROTO_UDP);
	CHECK(parse_proto("TCP", &v) < 0 && parse_proto("sctp", &v) < 0);
	CHECK(parse_mode("dnat", &v) == 0 && v == L4LB_FWD_DNAT);
	CHECK(parse_mode("snat", &v) == 0 && v == L4LB_FWD_SNAT);
	CHECK(parse_mode("dsr", &v) == 0 && v == L4LB_FWD_DSR);
	CHECK(parse_mode("tunnel", &v) == 0 && v == L4LB_FWD_TUNNEL);
	CHECK(parse_mode("nat", &v) < 0);
	CHECK(parse_encap("gue", &v) == 0 && v == L4LB_ENCAP_GUE);
	CHECK(parse_encap("ipip", &v) == 0 && v == L4LB_ENCAP_IPIP);
	CHECK(parse_encap("gre", &v) < 0);
	CHECK_STR(encap_name(L4LB_ENCAP_FOU, buf, sizeof(buf)), "fou");
	CHECK_STR(proto_name(IPPROTO_UDP, buf, sizeof(buf)), "udp");
	CHECK_STR(proto_name(132, buf, sizeof(buf)), "132");
	CHECK_STR(mode_name(L4LB_FWD_DSR, buf, sizeof(buf)), "dsr");
	CHECK_STR(mode_name(9, buf, sizeof(buf)), "9");
	CHECK(check_sched("rr") == 0);
	CHECK(check_sched("") < 0);
	CHECK(check_sched("least-connections") == 0);
	/* L4LB_SCHED_ARG_MAX (32) includes the NUL */
	CHECK(check_sched("0123456789abcdef0123456789abcde") == 0);
	CHECK(check_sched("0123456789abcdef0123456789abcdef") < 0);
	CHECK(parse_state("up", &v) == 0 && v == L4LB_BACKEND_UP);
	CHECK(parse_state("drain", &v) == 0 && v == L4LB_BACKEND_DRAIN);
	CHECK(parse_state("down", &v) == 0 && v == L4LB_BACKEND_DOWN);
	CHECK(parse_state("Down", &v) < 0 && parse_state("", &v) < 0 &&
	      parse_state("1", &v) < 0);
	CHECK_STR(state_name(L4LB_BACKEND_DRAIN, buf, sizeof(buf)), "drain");
	CHECK_STR(state_name(7, buf, sizeof(buf)), "7");
	end("proto, mode, sched and state names both ways");
}

static void test_keywords(void)
{
	char *a1[] = { "mode", "dsr", "proto", "udp", "sched", "wrr" };
	char *a2[] = { "weight", "3", "weight", "4" };
	char *a3[] = { "foo", "bar" };
	char *a4[] = { "weight" };
	char *a5[] = { "weight", "2" };
	struct kw_opts o;

	begin();
	CHECK(parse_keywords(0, a1, KW_PROTO, &o, "vip") == 0);
	CHECK(o.proto == IPPROTO_TCP && o.seen == 0 && !o.sched);
	CHECK(parse_keywords(6, a1, KW_PROTO | KW_SCHED | KW_MODE, &o, "vip") == 0);
	CHECK(o.proto == IPPROTO_UDP && o.mode == L4LB_FWD_DSR);
	CHECK_STR(o.sched, "wrr");
	CHECK(o.seen == (KW_PROTO | KW_SCHED | KW_MODE));
	fprintf(stderr, "# (the errors below are expected)\n");
	CHECK(parse_keywords(4, a2, KW_WEIGHT, &o, "backend") < 0);
	CHECK(parse_keywords(2, a3, ~0u, &o, "vip") < 0);
	CHECK(parse_keywords(1, a4, KW_WEIGHT, &o, "backend") < 0);
	CHECK(parse_keywords(2, a5, KW_PROTO, &o, "backend") < 0);
	CHECK(parse_keywords(2, a5, KW_WEIGHT, &o, "backend") == 0 && o.weight == 2);
	end("keywords: any order, defaults, duplicates/unknown/missing value refused");
}

static void test_vip_keywords(void)
{
	char *a1[] = { "mode", "snat", "snat-addr", "10.0.0.1", "ops",
		       "snat-addr", "2001:db8::1", "snat-ports", "2000-2099" };
	char *a2[] = { "mode", "tunnel", "encap", "gue", "encap-port", "5555",
		       "no-ops" };
	char *a3[] = { "snat-addr", "auto" };
	char *a4[] = { "snat-addr", "auto", "snat-addr", "10.0.0.1" };
	char *a5[] = { "snat-ports", "3000-2000" };
	char *a6[] = { "snat-ports", "0-10" };
	char *a7[] = { "encap-port", "70000" };
	char *a8[] = { "snat-addr", "10.0.0.1:80" };
	char *a9[] = { "ops", "ops" };
	struct kw_opts o;

	begin();
	CHECK(parse_keywords(9, a1, KW_VIP_CFG, &o, "vip") == 0);
	CHECK(o.mode == L4LB_FWD_SNAT && o.n_snat == 2 && o.ops);
	CHECK(o.snat[0].family == AF_INET && o.snat[1].family == AF_INET6);
	CHECK(o.snat_port_min == 2000 && o.snat_port_max == 2099);
	CHECK(parse_keywords(7, a2, KW_VIP_CFG, &o, "vip") == 0);
	CHECK(o.mode == L4LB_FWD_TUNNEL && o.encap == L4LB_ENCAP_GUE &&
	      o.encap_port == 5555 && !o.ops && (o.seen & KW_OPS));
	CHECK(parse_keywords(2, a3, KW_VIP_CFG, &o, "vip") == 0);
	CHECK((o.seen & KW_SNAT_ADDR) && o.n_snat == 0);
	fprintf(stderr, "# (the errors below are expected)\n");
	CHECK(parse_keywords(4, a4, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a5, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a6, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a7, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a8, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a9, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a3, KW_PROTO, &o, "vip") < 0);
	end("vip keywords: snat-addr (repeatable, auto), snat-ports, encap, ops");
}

/* The scheduling keywords of vip add/set and backend add/set. */
static void test_sched_keywords(void)
{
	char *a1[] = { "sched", "maglev", "maglev-size", "251", "hash", "src",
		       "syn-only", "maxconn", "100", "rate", "50", "burst",
		       "10", "persist", "300", "no-reject", "expire-down",
		       "sh-port" };
	char *a2[] = { "maglev-size", "default", "maxconn", "none", "rate",
		       "none", "burst", "default", "persist", "none", "reject",
		       "no-expire-down", "no-syn-only", "no-sh-port", "hash",
		       "5tuple" };
	char *a3[] = { "weight", "3", "state", "drain", "maxconn", "7",
		       "backup" };
	char *a4[] = { "state", "up", "primary", "maxconn", "0" };
	char *a5[] = { "maxconn", "4294967295", "persist", "604800",
		       "maglev-size", "1048573" };
	static char *bad[][2] = {
		{ "maglev-size", "abc" }, { "maglev-size", "250" },
		{ "maglev-size", "1048574" }, { "maglev-size", "-1" },
		{ "maglev-size", "" }, { "maxconn", "lots" },
		{ "maxconn", "-1" }, { "maxconn", "4294967296" },
		{ "maxconn", "0x10" }, { "rate", "1.5" }, { "rate", "default" },
		{ "burst", "none" }, { "burst", "1k" },
		{ "persist", "604801" }, { "persist", "1h" },
		{ "hash", "dst" }, { "hash", "5-tuple" }, { "state", "sideways" },
		{ "state", "UP" }, { "state", "1" },
	};
	char *c1[] = { "ops", "no-ops" };
	char *c2[] = { "backup", "primary" };
	char *c3[] = { "reject", "reject" };
	char *c4[] = { "maglev-size" };
	struct kw_opts o;
	size_t i;

	begin();
	CHECK(parse_keywords(18, a1, KW_VIP_CFG, &o, "vip") == 0);
	CHECK_STR(o.sched, "maglev");
	CHECK(o.maglev_size == 251 && o.maxconn == 100 && o.rate == 50 &&
	      o.burst == 10 && o.persist == 300);
	CHECK(o.flags_named == (L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_SYN_ONLY |
				L4LB_VIP_F_NO_REJECT | L4LB_VIP_F_EXPIRE_DOWN |
				L4LB_VIP_F_SH_PORT));
	CHECK(o.flags_on == o.flags_named);
	CHECK(o.seen == (KW_SCHED | KW_MAGLEV_SIZE | KW_HASH | KW_SYN_ONLY |
			 KW_MAXCONN | KW_RATE | KW_BURST | KW_PERSIST |
			 KW_REJECT | KW_EXPIRE_DOWN | KW_SH_PORT));

	/* the words for "back to the default": 0, and every flag off */
	memset(&o, 0xff, sizeof(o));
	CHECK(parse_keywords(16, a2, KW_VIP_CFG, &o, "vip") == 0);
	CHECK(o.maglev_size == 0 && o.maxconn == 0 && o.rate == 0 &&
	      o.burst == 0 && o.persist == 0);
	CHECK(o.flags_named == (L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_SYN_ONLY |
				L4LB_VIP_F_NO_REJECT | L4LB_VIP_F_EXPIRE_DOWN |
				L4LB_VIP_F_SH_PORT));
	CHECK(o.flags_on == 0);
	CHECK((o.seen & (KW_MAGLEV_SIZE | KW_MAXCONN | KW_RATE | KW_BURST |
			 KW_PERSIST)) ==
	      (KW_MAGLEV_SIZE | KW_MAXCONN | KW_RATE | KW_BURST | KW_PERSIST));

	CHECK(parse_keywords(7, a3, KW_BACKEND_CFG, &o, "backend") == 0);
	CHECK(o.weight == 3 && o.state == L4LB_BACKEND_DRAIN && o.maxconn == 7);
	CHECK(o.flags_named == L4LB_BACKEND_F_BACKUP &&
	      o.flags_on == L4LB_BACKEND_F_BACKUP);
	CHECK(parse_keywords(5, a4, KW_BACKEND_CFG, &o, "backend") == 0);
	CHECK(o.state == L4LB_BACKEND_UP && o.maxconn == 0 &&
	      (o.seen & KW_MAXCONN) && (o.seen & KW_STATE));
	CHECK(o.flags_named == L4LB_BACKEND_F_BACKUP && o.flags_on == 0);
	/* the upper bounds are in */
	CHECK(parse_keywords(6, a5, KW_VIP_CFG, &o, "vip") == 0);
	CHECK(o.maxconn == 4294967295u && o.persist == 604800 &&
	      o.maglev_size == 1048573);

	fprintf(stderr, "# (the errors below are expected)\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned int allowed = KW_VIP_CFG | KW_BACKEND_CFG;

		if (parse_keywords(2, bad[i], allowed, &o, "vip") == 0) {
			printf("#   accepted '%s %s'\n", bad[i][0], bad[i][1]);
			group_ok = false;
		}
	}
	CHECK(parse_keywords(2, c1, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, c2, KW_BACKEND_CFG, &o, "backend") < 0);
	CHECK(parse_keywords(2, c3, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(1, c4, KW_VIP_CFG, &o, "vip") < 0);
	/* each verb its own keywords */
	CHECK(parse_keywords(7, a3, KW_VIP_CFG, &o, "vip") < 0);
	CHECK(parse_keywords(2, a1, KW_BACKEND_CFG, &o, "backend") < 0);
	CHECK(parse_keywords(2, a1 + 6, KW_BACKEND_CFG, &o, "backend") < 0);
	end("scheduling keywords: values, none/default, flags on and off, bounds, bad values");
}

static void test_u32(void)
{
	uint32_t v = 7;

	begin();
	CHECK(parse_u32("0", NULL, &v) == 0 && v == 0);
	CHECK(parse_u32("4294967295", NULL, &v) == 0 && v == 4294967295u);
	CHECK(parse_u32("none", "none", &v) == 0 && v == 0);
	v = 7;
	CHECK(parse_u32("none", NULL, &v) < 0 && v == 7);
	CHECK(parse_u32("4294967296", NULL, &v) < 0 && v == 7);
	CHECK(parse_u32("99999999999999999999999", NULL, &v) < 0 && v == 7);
	CHECK(parse_u32("", "none", &v) < 0 && parse_u32("+1", NULL, &v) < 0 &&
	      parse_u32(" 1", NULL, &v) < 0 && parse_u32("1 ", NULL, &v) < 0);
	CHECK(v == 7);
	end("u32 values: decimal 0..4294967295, the zero word");
}

/* 'timeout NAME SECONDS [NAME SECONDS]...' taken out of vip add/set words,
 * the wire form, and how a VIP shows them.
 */
static void test_timeouts(void)
{
	char *a1[] = { "proto", "udp", "timeout", "udp", "5", "tcp-fin", "7",
		       "sched", "rr", "timeout", "udp_unreplied", "default" };
	char *a2[] = { "timeout", "udp", "0" };
	char *a3[] = { "timeout", "tcp-established", "604801" };
	char *a4[] = { "timeout", "bogus", "5" };
	char *a5[] = { "timeout", "udp", "5", "timeout", "udp", "6" };
	char *a6[] = { "timeout", "tcp-close" };
	char *a7[] = { "timeout", "udp", "-1" };
	struct nlmsghdr *nlh;
	struct timeouts t, back;
	char buf[1024];
	int n;

	begin();
	n = 12;
	CHECK(timeouts_extract(&n, a1, &t) == 0);
	CHECK(n == 4);
	CHECK_STR(a1[0], "proto");
	CHECK_STR(a1[2], "sched");
	CHECK_STR(a1[3], "rr");
	CHECK(t.given == (1u << 6 | 1u << 3 | 1u << 5));
	CHECK(t.secs[6] == 5 && t.secs[3] == 7 && t.secs[5] == 0);
	CHECK(timeout_of_proto(0, IPPROTO_TCP) && timeout_of_proto(6, IPPROTO_UDP) &&
	      !timeout_of_proto(6, IPPROTO_TCP));
	CHECK(timeout_index("tcp-established") == 2 &&
	      timeout_index("tcp_established") == 2 && timeout_index("x") < 0);
	memset(&back, 0, sizeof(back));
	CHECK(timeout_parse_pair("tcp-established", "604800", false, &back) == 0);
	CHECK(back.secs[2] == 604800);

	/* On the wire and back, "default" (0) included. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	timeouts_put(nlh, L4LB_VIP_ATTR_TIMEOUTS, &t);
	timeouts_parse(mnl_nlmsg_get_payload(nlh), &back);
	CHECK(back.given == t.given && !memcmp(back.secs, t.secs, sizeof(t.secs)));
	memset(&back, 0, sizeof(back));
	nlh = mnl_nlmsg_put_header(buf);
	timeouts_put(nlh, L4LB_VIP_ATTR_TIMEOUTS, &back);
	CHECK(nlh->nlmsg_len == MNL_NLMSG_HDRLEN);	/* none given: no nest */

	/* Text: its own, as typed; JSON: its protocol's in force, own listed. */
	capture(false, false);
	timeouts_print_vip(&t, IPPROTO_UDP);
	CHECK_STR(captured(), " timeout tcp-fin 7 timeout udp 5");
	capture_free();
	capture(true, false);
	print_open_object(NULL);
	timeouts_print_vip(&t, IPPROTO_UDP);
	print_close_object();
	print_end();
	CHECK_STR(captured(), "{\"timeouts\":{\"udp\":5},\"own_timeouts\":[\"tcp_fin\",\"udp\"]}\n");
	capture_free();

	fprintf(stderr, "# (the errors below are expected)\n");
	n = 3;
	CHECK(timeouts_extract(&n, a2, &t) < 0);
	n = 3;
	CHECK(timeouts_extract(&n, a3, &t) < 0);
	n = 3;
	CHECK(timeouts_extract(&n, a4, &t) < 0);
	n = 6;
	CHECK(timeouts_extract(&n, a5, &t) < 0);
	n = 2;
	CHECK(timeouts_extract(&n, a6, &t) < 0);
	n = 3;
	CHECK(timeouts_extract(&n, a7, &t) < 0);
	memset(&t, 0, sizeof(t));
	CHECK(timeout_parse_pair("udp", "default", false, &t) < 0);
	end("timeouts: extracted from vip words, ranges, default, wire, output");
}

/* ---- print layer ---- */

static void test_json_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	begin();
	f = open_memstream(&buf, &len);
	json_escape(f, "a\"b\\c/\b\f\n\r\t\x01\x1f\x7f");
	fclose(f);
	CHECK_STR(buf, "\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
	free(buf);

	f = open_memstream(&buf, &len);
	/* valid UTF-8 passes, broken sequences become U+FFFD */
	json_escape(f, "\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80|\xff|\xc3|\xe0\x80\x80|\xed\xa0\x80");
	fclose(f);
	CHECK_STR(buf, "\"\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80|\\ufffd|\\ufffd|"
		  "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\"");
	free(buf);

	f = open_memstream(&buf, &len);
	json_escape(f, "");
	fclose(f);
	CHECK_STR(buf, "\"\"");
	free(buf);
	end("JSON string escaping (quotes, controls, invalid UTF-8)");
}

static void emit_sample(void)
{
	print_open_array(NULL);
	print_open_object(NULL);
	print_string(PRINT_FP, NULL, "vip %s", "1.2.3.4:80");
	print_string(PRINT_JSON, "address", NULL, "1.2.3.4");
	print_uint(PRINT_JSON, "port", NULL, 80);
	print_string(PRINT_ANY, "sched", " sched %s", "r\"r");
	print_u64(PRINT_ANY, "conns", " conns %" PRIu64, 18446744073709551615ull);
	print_nl();
	print_open_array("backends");
	print_close_array();
	print_close_object();
	print_close_array();
	print_end();
}

static void test_print_modes(void)
{
	begin();
	capture(false, false);
	emit_sample();
	CHECK_STR(captured(), "vip 1.2.3.4:80 sched r\"r conns 18446744073709551615\n");
	capture_free();

	capture(true, false);
	emit_sample();
	CHECK_STR(captured(), "[{\"address\":\"1.2.3.4\",\"port\":80,"
		  "\"sched\":\"r\\\"r\",\"conns\":18446744073709551615,"
		  "\"backends\":[]}]\n");
	capture_free();

	capture(true, true);
	emit_sample();
	CHECK_STR(captured(), "[\n  {\n    \"address\": \"1.2.3.4\",\n"
		  "    \"port\": 80,\n    \"sched\": \"r\\\"r\",\n"
		  "    \"conns\": 18446744073709551615,\n"
		  "    \"backends\": []\n  }\n]\n");
	capture_free();

	capture(true, false);
	print_open_array(NULL);
	print_close_array();
	print_end();
	CHECK_STR(captured(), "[]\n");
	capture_free();
	end("one set of print calls gives text, JSON and pretty JSON");
}

/* ---- objects: encoding, decoding, printing ---- */

static struct vip sample_vip(void)
{
	struct vip v = { 0 };

	endpoint_parse("10.0.0.10:80", &v.key.ep, NULL);
	v.key.proto = IPPROTO_TCP;
	strcpy(v.sched, "rr");
	v.mode = L4LB_FWD_DNAT;
	v.has_mode = true;
	v.stats.present = 0x1fc;	/* CONNS..DROPS */
	v.stats.val[L4LB_STATS_ATTR_CONNS] = 10;
	v.stats.val[L4LB_STATS_ATTR_ACTIVE_CONNS] = 2;
	v.stats.val[L4LB_STATS_ATTR_PKTS_IN] = 100;
	v.stats.val[L4LB_STATS_ATTR_PKTS_OUT] = 90;
	v.stats.val[L4LB_STATS_ATTR_BYTES_IN] = 5000;
	v.stats.val[L4LB_STATS_ATTR_BYTES_OUT] = 4000;
	return v;
}

/* The counters of issue 10: outcome and drop lines, success rate in text. */
static void test_show_counters(void)
{
	struct backend b = { 0 };
	const char *out;
	unsigned int t;

	endpoint_parse("10.0.0.2:80", &b.ep, NULL);
	for (t = L4LB_STATS_ATTR_CONNS; t <= L4LB_STATS_ATTR_MAX; t++) {
		b.stats.present |= 1u << t;
		b.stats.val[t] = 0;
	}
	b.stats.val[L4LB_STATS_ATTR_CONNS] = 8;
	b.stats.val[L4LB_STATS_ATTR_ESTABLISHED] = 6;
	b.stats.val[L4LB_STATS_ATTR_FAILED] = 1;
	b.stats.val[L4LB_STATS_ATTR_RSTS_BACKEND] = 1;
	b.stats.val[L4LB_STATS_ATTR_SYN_RETRANS] = 2;
	b.stats.val[L4LB_STATS_ATTR_DROPS] = 3;
	b.stats.val[L4LB_STATS_ATTR_DROPS_LIMIT] = 3;
	b.stats.val[L4LB_STATS_ATTR_HANDSHAKE_US] = 120;
	b.stats.val[L4LB_STATS_ATTR_HANDSHAKES] = 7;

	begin();
	capture(false, false);
	print_backend(&b, "");
	CHECK_STR(captured(),
		  "backend 10.0.0.2:80\n"
		  "  conns 8 active_conns 0 inactive_conns 0 pkts_in 0 pkts_out 0 bytes_in 0 bytes_out 0 drops 3\n"
		  "  established 6 failed 1 success 75.0% rsts_client 0 rsts_backend 1 syn_retrans 2 handshake_us 120 handshakes 7\n"
		  "  drops_no_backend 0 drops_limit 3 drops_rate 0 drops_table_full 0 drops_nomem 0 drops_nat_ports 0 drops_xmit 0\n");
	capture_free();

	/* No outcome, no handshake: no success rate, no latency in text. */
	b.stats.val[L4LB_STATS_ATTR_ESTABLISHED] = 0;
	b.stats.val[L4LB_STATS_ATTR_FAILED] = 0;
	b.stats.val[L4LB_STATS_ATTR_HANDSHAKES] = 0;
	capture(false, false);
	print_backend(&b, "");
	out = captured();
	CHECK(strstr(out, "success") == NULL);
	CHECK(strstr(out, "handshake") == NULL);
	capture_free();

	capture(true, false);
	print_backend(&b, "");
	out = captured();
	CHECK(strstr(out, "\"established\":0,\"failed\":0,"
			 "\"rsts_client\":0,\"rsts_backend\":1,"
			 "\"syn_retrans\":2,\"handshake_us\":120,"
			 "\"handshakes\":0,\"drops_no_backend\":0,"
			 "\"drops_limit\":3,\"drops_rate\":0,"
			 "\"drops_table_full\":0,\"drops_nomem\":0,"
			 "\"drops_nat_ports\":0,\"drops_xmit\":0}") != NULL);
	CHECK(strstr(out, "success") == NULL);
	capture_free();
	end("'show' counters: outcomes, success rate (text), drops by reason");
}

static void test_show_output(void)
{
	struct vip v = sample_vip();
	struct backend b = { 0 };

	endpoint_parse("[2001:db8::1]:8080", &b.ep, NULL);
	b.weight = 2;
	b.has_weight = true;
	b.stats.present = 1u << L4LB_STATS_ATTR_CONNS;
	b.stats.val[L4LB_STATS_ATTR_CONNS] = 5;
	v.backends = &b;
	v.n_backends = 1;

	begin();
	capture(false, false);
	print_vips(&v, 1, true);
	CHECK_STR(captured(),
		  "vip 10.0.0.10:80 proto tcp sched rr mode dnat\n"
		  "  conns 10 active_conns 2 pkts_in 100 pkts_out 90 bytes_in 5000 bytes_out 4000 drops 0\n"
		  "  backend [2001:db8::1]:8080 weight 2\n"
		  "    conns 5\n");
	capture_free();

	capture(true, false);
	print_vips(&v, 1, true);
	CHECK_STR(captured(),
		  "[{\"address\":\"10.0.0.10\",\"port\":80,\"proto\":\"tcp\","
		  "\"sched\":\"rr\",\"mode\":\"dnat\",\"stats\":{\"conns\":10,"
		  "\"active_conns\":2,\"pkts_in\":100,\"pkts_out\":90,"
		  "\"bytes_in\":5000,\"bytes_out\":4000,\"drops\":0},"
		  "\"backends\":[{\"address\":\"2001:db8::1\",\"port\":8080,"
		  "\"weight\":2,\"stats\":{\"conns\":5}}]}]\n");
	capture_free();

	capture(true, false);
	print_vips(&v, 1, false);
	CHECK(strstr(captured(), "backends") == NULL);
	capture_free();
	end("'show' text and JSON layout of a VIP with a backend");
}

static struct nlmsghdr *new_msg(char *buf, uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	return nlh;
}

static void test_encode(void)
{
	static char buf[4096];
	struct vip v = sample_vip();
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	const struct nlattr *vip, *be = NULL, *a;
	struct backend_opts bo;
	struct vip_opts vo;
	struct backend b;
	struct vip out;

	begin();
	backend_opts_init(&bo);
	bo.weight = 65535;
	vip_opts_init(&vo);
	vo.sched = "wrr";
	vo.mode = L4LB_FWD_SNAT;
	vo.snat_port_min = 2000;
	vo.snat_port_max = 2999;
	vo.n_snat = 2;
	addr_parse("10.9.0.1", &vo.snat[0], NULL);
	addr_parse("10.9.0.2", &vo.snat[1], NULL);
	vo.flags = 0;
	msg_put_vip(nlh, &v.key, &vo);
	endpoint_parse("10.0.1.1:8080", &b.ep, NULL);
	msg_put_backend(nlh, &b.ep, &bo);

	vip = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct genlmsghdr));
	CHECK(mnl_attr_get_type(vip) == L4LB_ATTR_VIP);
	/* strict kernel policies insist on the nested flag */
	CHECK(vip->nla_type & NLA_F_NESTED);
	mnl_attr_for_each_nested(a, vip) {
		if (mnl_attr_get_type(a) == L4LB_VIP_ATTR_PORT) {
			const uint8_t *p = mnl_attr_get_payload(a);

			CHECK(mnl_attr_get_payload_len(a) == 2);
			CHECK(p[0] == 0 && p[1] == 80);	/* be16 */
		}
		if (mnl_attr_get_type(a) == L4LB_VIP_ATTR_ADDR)
			CHECK(mnl_attr_get_payload_len(a) == 4);
	}
	CHECK(msg_parse_vip(vip, &out) == 0);
	CHECK(memcmp(&out.key.ep, &v.key.ep, sizeof(v.key.ep)) == 0);
	CHECK(out.key.proto == IPPROTO_TCP);
	CHECK_STR(out.sched, "wrr");
	CHECK(out.has_mode && out.mode == L4LB_FWD_SNAT);
	CHECK(out.has_snat_ports && out.snat_port_min == 2000 &&
	      out.snat_port_max == 2999);
	CHECK(out.n_snat == 2 && out.snat[1].addr[3] == 2 &&
	      out.snat[1].family == AF_INET);
	CHECK(out.has_flags && out.flags == 0);
	CHECK(!out.has_encap && !out.has_encap_port);
	CHECK(out.stats.present == 0);

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == L4LB_ATTR_BACKEND)
			be = a;
	CHECK(be != NULL);
	if (be) {
		struct backend ob;

		CHECK(msg_parse_backend(be, &ob) == 0);
		CHECK(ob.ep.port == 8080 && ob.ep.addr[3] == 1);
		CHECK(ob.has_weight && ob.weight == 65535);
	}
	end("requests: nested VIP/backend keys, be16 ports, round trip");
}

static void test_decode(void)
{
	static char buf[4096];
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct nlattr *nest, *st;
	struct vip v;

	begin();
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_VIP);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_FAMILY, AF_INET6);
	mnl_attr_put(nlh, L4LB_VIP_ATTR_ADDR, 16, a6);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_PORT, htons(443));
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_PROTO, IPPROTO_UDP);
	mnl_attr_put_u32(nlh, 200, 0xdead);	/* from a newer kernel */
	/* not NUL terminated and longer than we keep: must stay bounded */
	mnl_attr_put(nlh, L4LB_VIP_ATTR_SCHED, 40,
		     "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
	st = mnl_attr_nest_start(nlh, L4LB_VIP_ATTR_STATS);
	mnl_attr_put_u64(nlh, L4LB_STATS_ATTR_CONNS, 1ull << 40);
	mnl_attr_put_u64(nlh, L4LB_STATS_ATTR_DROPS, 3);
	mnl_attr_put_u64(nlh, 100, 7);		/* unknown counter */
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, nest);

	CHECK(msg_parse_vip(nest, &v) == 0);
	CHECK(v.key.ep.family == AF_INET6 && memcmp(v.key.ep.addr, a6, 16) == 0);
	CHECK(v.key.ep.port == 443 && v.key.proto == IPPROTO_UDP);
	CHECK_STR(v.sched, "abcdefghijklmnopqrstuvwxyz01234");
	CHECK(!v.has_mode);
	CHECK(v.stats.val[L4LB_STATS_ATTR_CONNS] == 1ull << 40);
	CHECK(v.stats.val[L4LB_STATS_ATTR_DROPS] == 3);
	CHECK(v.stats.present == ((1u << L4LB_STATS_ATTR_CONNS) |
				  (1u << L4LB_STATS_ATTR_DROPS)));

	/* an address whose length does not match its family is refused */
	nlh = new_msg(buf, 0x20);
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_VIP);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, L4LB_VIP_ATTR_ADDR, 16, a6);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_PORT, htons(443));
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_PROTO, IPPROTO_UDP);
	mnl_attr_nest_end(nlh, nest);
	CHECK(msg_parse_vip(nest, &v) < 0);

	/* a key without a port is refused */
	nlh = new_msg(buf, 0x20);
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_BACKEND);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, L4LB_BACKEND_ATTR_ADDR, 4, a6);
	mnl_attr_nest_end(nlh, nest);
	{
		struct backend b;

		CHECK(msg_parse_backend(nest, &b) < 0);
	}
	end("replies: unknown attributes skipped, bounded strings, bad keys refused");
}

/* The attribute @type inside the nest @top of message @nlh, or NULL. */
static const struct nlattr *nested_attr(const struct nlmsghdr *nlh,
					uint16_t top, uint16_t type)
{
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != top)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == type)
				return b;
	}
	return NULL;
}

/* Attribute @type of nest @top is a u32 of value @want. */
static bool has_u32(const struct nlmsghdr *nlh, uint16_t top, uint16_t type,
		    uint32_t want)
{
	const struct nlattr *a = nested_attr(nlh, top, type);

	return a && mnl_attr_get_payload_len(a) == 4 &&
	       mnl_attr_get_u32(a) == want;
}

static void test_sched_encode(void)
{
	static char buf[4096];
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct vip v = sample_vip();
	const struct nlattr *a;
	struct backend_opts bo;
	struct vip_opts vo;
	struct endpoint ep;
	struct backend b;
	struct vip out;

	begin();
	vip_opts_init(&vo);
	vo.maglev_size = 251;
	vo.maxconn = 0;
	vo.rate = 4294967295u;
	vo.burst = 9;
	vo.persist = 604800;
	vo.flags = L4LB_VIP_F_SH_PORT | L4LB_VIP_F_EXPIRE_DOWN;
	msg_put_vip(nlh, &v.key, &vo);
	endpoint_parse("10.0.1.1:8080", &ep, NULL);
	backend_opts_init(&bo);
	bo.state = L4LB_BACKEND_DOWN;
	bo.maxconn = 12;
	bo.flags = L4LB_BACKEND_F_BACKUP;
	msg_put_backend(nlh, &ep, &bo);

	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_MAGLEV_SIZE, 251));
	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_MAXCONN, 0));
	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_RATE, 4294967295u));
	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_BURST, 9));
	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_PERSIST, 604800));
	CHECK(has_u32(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_FLAGS, 0x12));
	/* no weight given, none sent; the state is a u8 */
	CHECK(!nested_attr(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_WEIGHT));
	a = nested_attr(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_STATE);
	CHECK(a && mnl_attr_get_payload_len(a) == 1 &&
	      mnl_attr_get_u8(a) == L4LB_BACKEND_DOWN);
	CHECK(has_u32(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_MAXCONN, 12));
	CHECK(has_u32(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_FLAGS, 1));

	/* and back, as a dump shows them */
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == L4LB_ATTR_VIP) {
			CHECK(msg_parse_vip(a, &out) == 0);
			CHECK(out.has_maglev_size && out.maglev_size == 251);
			CHECK(out.has_maxconn && out.maxconn == 0);
			CHECK(out.has_rate && out.rate == 4294967295u);
			CHECK(out.has_burst && out.burst == 9);
			CHECK(out.has_persist && out.persist == 604800);
			CHECK(out.has_flags && out.flags == 0x12);
		}
		if (mnl_attr_get_type(a) == L4LB_ATTR_BACKEND) {
			CHECK(msg_parse_backend(a, &b) == 0);
			CHECK(!b.has_weight);
			CHECK(b.has_state && b.state == L4LB_BACKEND_DOWN);
			CHECK(b.has_maxconn && b.maxconn == 12);
			CHECK(b.has_flags && b.flags == L4LB_BACKEND_F_BACKUP);
		}
	}

	/* nothing given: nothing sent beyond the keys */
	nlh = new_msg(buf, 0x20);
	vip_opts_init(&vo);
	backend_opts_init(&bo);
	msg_put_vip(nlh, &v.key, &vo);
	msg_put_backend(nlh, &ep, &bo);
	CHECK(!nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_MAGLEV_SIZE) &&
	      !nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_MAXCONN) &&
	      !nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_RATE) &&
	      !nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_BURST) &&
	      !nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_PERSIST) &&
	      !nested_attr(nlh, L4LB_ATTR_VIP, L4LB_VIP_ATTR_FLAGS));
	CHECK(!nested_attr(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_STATE) &&
	      !nested_attr(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_MAXCONN) &&
	      !nested_attr(nlh, L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_FLAGS));

	/* a state of the wrong size is left out, not misread */
	nlh = new_msg(buf, 0x20);
	a = mnl_attr_nest_start(nlh, L4LB_ATTR_BACKEND);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, L4LB_BACKEND_ATTR_ADDR, 4, ep.addr);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_PORT, htons(8080));
	mnl_attr_put_u32(nlh, L4LB_BACKEND_ATTR_STATE, 2);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_MAXCONN, 2);
	mnl_attr_nest_end(nlh, (struct nlattr *)a);
	CHECK(msg_parse_backend(a, &b) == 0);
	CHECK(!b.has_state && !b.has_maxconn && !b.has_flags);
	end("scheduling attributes: u32/u8 on the wire, only those given, round trip");
}

/* A VIP with every scheduling setting, its backends in each state. */
static void test_sched_show(void)
{
	struct vip v = sample_vip();
	struct backend b[3];

	memset(b, 0, sizeof(b));
	strcpy(v.sched, "maglev");
	v.stats.present = 1u << L4LB_STATS_ATTR_CONNS;
	v.has_flags = v.has_maglev_size = v.has_maxconn = true;
	v.has_rate = v.has_burst = v.has_persist = true;
	v.flags = L4LB_VIP_F_SH_PORT | L4LB_VIP_F_HASH_SRC |
		  L4LB_VIP_F_NO_REJECT | L4LB_VIP_F_EXPIRE_DOWN |
		  L4LB_VIP_F_SYN_ONLY;
	v.maglev_size = 251;
	v.maxconn = 1000;
	v.rate = 50;
	v.burst = 10;
	v.persist = 300;
	endpoint_parse("10.0.1.1:8080", &b[0].ep, NULL);
	endpoint_parse("10.0.1.2:8080", &b[1].ep, NULL);
	endpoint_parse("10.0.1.3:8080", &b[2].ep, NULL);
	b[0].has_weight = b[1].has_weight = b[2].has_weight = true;
	b[0].has_state = b[1].has_state = b[2].has_state = true;
	b[0].has_maxconn = b[1].has_maxconn = b[2].has_maxconn = true;
	b[0].has_flags = b[1].has_flags = b[2].has_flags = true;
	b[0].weight = 1;
	b[1].weight = 2;
	b[1].state = L4LB_BACKEND_DRAIN;
	b[1].maxconn = 100;
	b[2].weight = 1;
	b[2].state = L4LB_BACKEND_DOWN;
	b[2].flags = L4LB_BACKEND_F_BACKUP;
	v.backends = b;
	v.n_backends = 3;

	begin();
	capture(false, false);
	print_vips(&v, 1, true);
	CHECK_STR(captured(),
		  "vip 10.0.0.10:80 proto tcp sched maglev mode dnat sh-port "
		  "hash src maglev-size 251 syn-only maxconn 1000 rate 50 "
		  "burst 10 persist 300 no-reject expire-down\n"
		  "  conns 10\n"
		  "  backend 10.0.1.1:8080 weight 1\n"
		  "  backend 10.0.1.2:8080 weight 2 state drain maxconn 100\n"
		  "  backend 10.0.1.3:8080 weight 1 state down backup\n");
	capture_free();

	capture(true, false);
	print_vips(&v, 1, true);
	CHECK_STR(captured(),
		  "[{\"address\":\"10.0.0.10\",\"port\":80,\"proto\":\"tcp\","
		  "\"sched\":\"maglev\",\"mode\":\"dnat\",\"ops\":false,"
		  "\"sh_port\":true,\"hash\":\"src\",\"maglev_size\":251,"
		  "\"syn_only\":true,\"maxconn\":1000,\"rate\":50,\"burst\":10,"
		  "\"persist\":300,\"reject\":false,\"expire_down\":true,"
		  "\"stats\":{\"conns\":10},\"backends\":["
		  "{\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":1,"
		  "\"state\":\"up\",\"maxconn\":0,\"backup\":false,\"stats\":{}},"
		  "{\"address\":\"10.0.1.2\",\"port\":8080,\"weight\":2,"
		  "\"state\":\"drain\",\"maxconn\":100,\"backup\":false,\"stats\":{}},"
		  "{\"address\":\"10.0.1.3\",\"port\":8080,\"weight\":1,"
		  "\"state\":\"down\",\"maxconn\":0,\"backup\":true,\"stats\":{}}]}]\n");
	capture_free();

	/* the defaults: nothing in text, every key in JSON */
	v.flags = 0;
	v.maglev_size = v.maxconn = v.rate = v.burst = v.persist = 0;
	v.n_backends = 0;
	capture(false, false);
	print_vips(&v, 1, false);
	CHECK_STR(captured(), "vip 10.0.0.10:80 proto tcp sched maglev mode dnat\n"
		  "  conns 10\n");
	capture_free();
	capture(true, false);
	print_vips(&v, 1, false);
	CHECK_STR(captured(),
		  "[{\"address\":\"10.0.0.10\",\"port\":80,\"proto\":\"tcp\","
		  "\"sched\":\"maglev\",\"mode\":\"dnat\",\"ops\":false,"
		  "\"sh_port\":false,\"hash\":\"5tuple\",\"maglev_size\":0,"
		  "\"syn_only\":false,\"maxconn\":0,\"rate\":0,\"burst\":0,"
		  "\"persist\":0,\"reject\":true,\"expire_down\":false,"
		  "\"stats\":{\"conns\":10}}]\n");
	capture_free();

	/* an older kernel sends none of them: none is shown */
	v.has_flags = v.has_maglev_size = v.has_maxconn = false;
	v.has_rate = v.has_burst = v.has_persist = false;
	capture(true, false);
	print_vips(&v, 1, false);
	CHECK(strstr(captured(), "maxconn") == NULL);
	capture_free();
	end("scheduling settings and backend states: text shows what is not the default, JSON all");
}

/* ---- acks and dump ends ---- */

/* Non-zero: put_err() adds NLMSGERR_ATTR_MISS_TYPE (a missing attribute). */
static uint32_t put_err_miss_type;

static struct nlmsghdr *put_err(char *buf, uint32_t seq, int error,
				bool capped, const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + (capped ? 0 : 12);
	e->msg.nlmsg_seq = seq;
	if (!capped)	/* the echoed request: 12 bytes of payload */
		mnl_nlmsg_put_extra_header(nlh, 12);
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	if (put_err_miss_type) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, put_err_miss_type);
	}
	return nlh;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

static void test_acks(void)
{
	static struct nl_ctx ctx;
	static char buf[4096];
	struct nlmsghdr *nlh;
	int n = 0;

	begin();
	ctx.portid = 0;

	nlh = put_err(buf, 7, -EEXIST, true, "VIP already exists");
	CHECK(nl_process(&ctx, buf, nlh->nlmsg_len, 7, NULL, NULL) == -EEXIST);
	CHECK_STR(ctx.extack, "VIP already exists");

	ctx.extack[0] = '\0';
	nlh = put_err(buf, 8, -EINVAL, false, "bad weight");
	CHECK(nl_process(&ctx, buf, nlh->nlmsg_len, 8, NULL, NULL) == -EINVAL);
	CHECK_STR(ctx.extack, "bad weight");

	ctx.extack[0] = '\0';
	nlh = put_err(buf, 9, -ENOENT, false, NULL);
	CHECK(nl_process(&ctx, buf, nlh->nlmsg_len, 9, NULL, NULL) == -ENOENT);
	CHECK(ctx.extack[0] == '\0');

	nlh = put_err(buf, 10, 0, true, NULL);
	CHECK(nl_process(&ctx, buf, nlh->nlmsg_len, 10, NULL, NULL) == 0);

	/* a reply to another request (libmnl: EPROTO on a seq mismatch) */
	nlh = put_err(buf, 11, 0, true, NULL);
	CHECK(nl_process(&ctx, buf, nlh->nlmsg_len, 12, NULL, NULL) == -EPROTO);

	/* two dump messages then a DONE carrying an error and its extack */
	{
		struct nlmsghdr *m;
		size_t len;
		int derr = -ENOBUFS;

		m = new_msg(buf, 0x20);
		m->nlmsg_seq = 13;
		m->nlmsg_flags = NLM_F_MULTI;
		len = m->nlmsg_len;
		m = new_msg(buf + len, 0x20);
		m->nlmsg_seq = 13;
		len += m->nlmsg_len;
		CHECK(nl_process(&ctx, buf, len, 13, count_cb, &n) == 1);
		CHECK(n == 2);

		m = mnl_nlmsg_put_header(buf);
		m->nlmsg_type = NLMSG_DONE;
		m->nlmsg_seq = 13;
		m->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
		memcpy(mnl_nlmsg_put_extra_header(m, sizeof(derr)), &derr,
		       sizeof(derr));
		mnl_attr_put_strz(m, NLMSGERR_ATTR_MSG, "table busy");
		CHECK(nl_process(&ctx, buf, m->nlmsg_len, 13, count_cb, &n) ==
		      -ENOBUFS);
		CHECK_STR(ctx.extack, "table busy");

		derr = 0;
		m = mnl_nlmsg_put_header(buf);
		m->nlmsg_type = NLMSG_DONE;
		m->nlmsg_seq = 14;
		memcpy(mnl_nlmsg_put_extra_header(m, sizeof(derr)), &derr,
		       sizeof(derr));
		CHECK(nl_process(&ctx, buf, m->nlmsg_len, 14, count_cb, &n) == 0);
	}
	end("acks and dump ends: errno and extack message, capped or not");
}

/* ---- stats: the namespace's fill, limits and counters ---- */

static struct nlattr *put_net(struct nlmsghdr *nlh, bool full)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET), *st;

	mnl_attr_put_u32(nlh, L4LB_NET_ATTR_CONNS, 12);
	if (full)
		mnl_attr_put_u32(nlh, L4LB_NET_ATTR_CONN_MAX, 262144);
	mnl_attr_put_u32(nlh, L4LB_NET_ATTR_VIPS, 2);
	mnl_attr_put_u32(nlh, L4LB_NET_ATTR_VIP_MAX, 1024);
	/* a count widened to u64 some day is still read */
	mnl_attr_put_u64(nlh, L4LB_NET_ATTR_BACKENDS, 6);
	mnl_attr_put_u32(nlh, L4LB_NET_ATTR_BACKEND_MAX, 16384);
	mnl_attr_put_u32(nlh, 77, 5);			/* from a newer kernel */
	st = mnl_attr_nest_start(nlh, L4LB_NET_ATTR_STATS);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_EARLY_DROPS, 1);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_FULL_DROPS, 2);
	if (full) {
		mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_NOFLOW_DROPS, 3);
		mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_INVALID_DROPS, 4);
	}
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_ICMP_XLATED, 1ull << 40);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_STALE_REAPED, 0);
	mnl_attr_put_u64(nlh, 40, 9);			/* unknown counter */
	mnl_attr_put_u16(nlh, L4LB_NET_STATS_ATTR_PAD, 0);	/* padding */
	mnl_attr_nest_end(nlh, st);
	if (!full)	/* a malformed value is left out, not misread */
		mnl_attr_put_u16(nlh, L4LB_NET_ATTR_CONN_MAX, 7);
	mnl_attr_nest_end(nlh, nest);
	return nest;
}

static void test_net_decode(void)
{
	static char buf[4096];
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct nlattr *nest = put_net(nlh, true);
	struct net_info ni;

	begin();
	memset(&ni, 0xa5, sizeof(ni));
	CHECK(msg_parse_net(nest, &ni) == 0);
	CHECK(ni.present == 0xfc);	/* CONNS..BACKEND_MAX */
	CHECK(ni.val[L4LB_NET_ATTR_CONNS] == 12);
	CHECK(ni.val[L4LB_NET_ATTR_CONN_MAX] == 262144);
	CHECK(ni.val[L4LB_NET_ATTR_VIPS] == 2);
	CHECK(ni.val[L4LB_NET_ATTR_VIP_MAX] == 1024);
	CHECK(ni.val[L4LB_NET_ATTR_BACKENDS] == 6);
	CHECK(ni.val[L4LB_NET_ATTR_BACKEND_MAX] == 16384);
	CHECK(ni.val[L4LB_NET_ATTR_STATS] == 0);
	CHECK(ni.cnt_present == 0xfc);	/* EARLY_DROPS..STALE_REAPED */
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_EARLY_DROPS] == 1);
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_INVALID_DROPS] == 4);
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_ICMP_XLATED] == 1ull << 40);
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_STALE_REAPED] == 0);

	nlh = new_msg(buf, 0x20);
	nest = put_net(nlh, false);
	CHECK(msg_parse_net(nest, &ni) == 0);
	CHECK(ni.present == 0xf4);	/* no CONN_MAX */
	CHECK(ni.cnt_present == 0xcc);	/* no NOFLOW/INVALID_DROPS */

	/* an empty nest: nothing known, nothing made up */
	nlh = new_msg(buf, 0x20);
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
	mnl_attr_nest_end(nlh, nest);
	CHECK(msg_parse_net(nest, &ni) == 0);
	CHECK(ni.present == 0 && ni.cnt_present == 0);
	end("stats reply: u32/u64 values, unknown and malformed attributes skipped");
}

static void test_net_output(void)
{
	static char buf[4096];
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct net_info ni;

	begin();
	CHECK(msg_parse_net(put_net(nlh, true), &ni) == 0);
	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "conns 12/262144 vips 2/1024 backends 6/16384\n"
		  "evictions 1 drops_table_full 2 drops_noflow 3 drops_malformed 4 "
		  "icmp_xlated 1099511627776 stale_reaped 0\n");
	capture_free();

	capture(true, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "{\"conns\":12,\"conn_max\":262144,\"vips\":2,\"vip_max\":1024,"
		  "\"backends\":6,\"backend_max\":16384,\"evictions\":1,"
		  "\"drops_table_full\":2,\"drops_noflow\":3,\"drops_malformed\":4,"
		  "\"icmp_xlated\":1099511627776,\"stale_reaped\":0}\n");
	capture_free();

	capture(true, true);
	print_net(&ni);
	CHECK_STR(captured(),
		  "{\n  \"conns\": 12,\n  \"conn_max\": 262144,\n  \"vips\": 2,\n"
		  "  \"vip_max\": 1024,\n  \"backends\": 6,\n"
		  "  \"backend_max\": 16384,\n  \"evictions\": 1,\n"
		  "  \"drops_table_full\": 2,\n  \"drops_noflow\": 3,\n"
		  "  \"drops_malformed\": 4,\n  \"icmp_xlated\": 1099511627776,\n"
		  "  \"stale_reaped\": 0\n}\n");
	capture_free();

	/* whatever is missing is left out: a count without its limit, a
	 * limit without its count, a counter */
	ni.present &= ~(1u << L4LB_NET_ATTR_CONN_MAX | 1u << L4LB_NET_ATTR_VIPS);
	ni.cnt_present &= ~(1u << L4LB_NET_STATS_ATTR_EARLY_DROPS);
	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "conns 12 vip_max 1024 backends 6/16384\n"
		  "drops_table_full 2 drops_noflow 3 drops_malformed 4 "
		  "icmp_xlated 1099511627776 stale_reaped 0\n");
	capture_free();

	capture(true, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "{\"conns\":12,\"vip_max\":1024,\"backends\":6,"
		  "\"backend_max\":16384,\"drops_table_full\":2,\"drops_noflow\":3,"
		  "\"drops_malformed\":4,\"icmp_xlated\":1099511627776,"
		  "\"stale_reaped\":0}\n");
	capture_free();

	/* only the limits: the counts line starts without a blank */
	ni.present = 1u << L4LB_NET_ATTR_CONN_MAX;
	ni.cnt_present = 0;
	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(), "conn_max 262144\n");
	capture_free();

	memset(&ni, 0, sizeof(ni));
	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(), "");
	capture_free();
	capture(true, false);
	print_net(&ni);
	CHECK_STR(captured(), "{}\n");
	capture_free();
	end("'stats' text and JSON layout, missing values omitted");
}

/* The counters of issue 9, after the older ones, in both outputs. */
static void test_net_sched_counters(void)
{
	static char buf[4096];
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct nlattr *nest, *st;
	struct net_info ni;
	unsigned int i;

	begin();
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
	st = mnl_attr_nest_start(nlh, L4LB_NET_ATTR_STATS);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_TUNNEL_PMTU, 1);
	for (i = L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS;
	     i <= L4LB_NET_STATS_ATTR_PERSIST_HITS; i++)
		mnl_attr_put_u64(nlh, (uint16_t)i,
				 10 + i - L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, nest);
	CHECK(msg_parse_net(nest, &ni) == 0);
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_PERSIST_HITS] == 17);

	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "tunnel_pmtu 1 drops_no_backend 10 drops_limit 11 "
		  "drops_rate 12 rejects 13 down_expired 14 adopted 15 "
		  "stateless 16 persist_hits 17\n");
	capture_free();
	capture(true, false);
	print_net(&ni);
	CHECK_STR(captured(),
		  "{\"tunnel_pmtu\":1,\"drops_no_backend\":10,"
		  "\"drops_limit\":11,\"drops_rate\":12,\"rejects\":13,"
		  "\"down_expired\":14,\"adopted\":15,\"stateless\":16,"
		  "\"persist_hits\":17}\n");
	capture_free();
	end("'stats': limit, reject, expire-down, Maglev and persistence counters");
}

static void test_net_lookups(void)
{
	static char buf[4096];
	struct nlmsghdr *nlh = new_msg(buf, 0x20);
	struct nlattr *nest, *st;
	struct net_info ni;

	begin();
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
	st = mnl_attr_nest_start(nlh, L4LB_NET_ATTR_STATS);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_LOOKUPS, 30);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_HITS, 28);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_MISSES, 2);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_FLOW_EVENTS_SUPPRESSED, 4);
	mnl_attr_put_u64(nlh, L4LB_NET_STATS_ATTR_NOMEM_DROPS, 5);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, nest);
	CHECK(msg_parse_net(nest, &ni) == 0);
	capture(false, false);
	print_net(&ni);
	CHECK_STR(captured(), "lookups 30 hits 28 misses 2 "
		  "flow_events_suppressed 4 drops_nomem 5\n");
	capture_free();
	capture(true, false);
	print_net(&ni);
	CHECK_STR(captured(), "{\"lookups\":30,\"hits\":28,\"misses\":2,"
		  "\"flow_events_suppressed\":4,\"drops_nomem\":5}\n");
	capture_free();
	end("'stats': lookups, hits, misses, flow_events_suppressed, drops_nomem");
}

/* ---- whole exchanges against a fake kernel ---- */

/*
 * The fake kernel: each request it is sent is recorded and answered by a
 * script, which queues reply buffers that recv hands out one by one.
 */
struct fake {
	int sends;
	uint8_t log[16];		/* the command of each request */
	uint8_t cmd;			/* of the last request */
	uint16_t flags;
	uint32_t len;
	char req[1024];			/* the last request */
	uint32_t seq;
	/* fills the replies to request number @n (0-based) */
	void (*script)(struct fake *f, int n);
	char out[8][4096];
	size_t out_len[8];
	int n_out, next_out;
};

static ssize_t fake_send(struct nl_ctx *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx->xport.priv;
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	if (len > sizeof(f->req) || f->next_out < f->n_out) {
		/* replies left unread: the exchange did not run to its end */
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(f->req, buf, len);
	f->len = (uint32_t)len;
	f->cmd = g->cmd;
	f->flags = nlh->nlmsg_flags;
	f->seq = nlh->nlmsg_seq;
	if (f->sends < (int)sizeof(f->log))
		f->log[f->sends] = g->cmd;
	f->n_out = f->next_out = 0;
	f->script(f, f->sends++);
	return (ssize_t)len;
}

static ssize_t fake_recv(struct nl_ctx *ctx, void *buf, size_t len)
{
	struct fake *f = ctx->xport.priv;
	size_t n;

	if (f->next_out >= f->n_out) {
		errno = EAGAIN;	/* would block forever with a real socket */
		return -1;
	}
	n = f->out_len[f->next_out];
	if (n > len)
		n = len;
	memcpy(buf, f->out[f->next_out++], n);
	return (ssize_t)n;
}

/* Start reply buffer number @i (or append to it) and return its tail. */
static char *fake_buf(struct fake *f, int i)
{
	if (f->n_out <= i) {
		f->n_out = i + 1;
		f->out_len[i] = 0;
	}
	return f->out[i] + f->out_len[i];
}

static void fake_put(struct fake *f, int i, struct nlmsghdr *nlh)
{
	f->out_len[i] += MNL_ALIGN(nlh->nlmsg_len);
}

/* A VIP dump message 10.0.0.@last:80 in buffer @i. */
static void fake_vip(struct fake *f, int i, uint8_t last, uint16_t flags)
{
	struct nlmsghdr *nlh = new_msg(fake_buf(f, i), 0x20);
	struct vip_key key = { 0 };
	struct vip_opts vo;

	key.ep.family = AF_INET;
	key.ep.addr[0] = 10;
	key.ep.addr[3] = last;
	key.ep.port = 80;
	key.proto = IPPROTO_TCP;
	nlh->nlmsg_seq = f->seq;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	vip_opts_init(&vo);
	vo.sched = "rr";
	vo.mode = L4LB_FWD_DNAT;
	msg_put_vip(nlh, &key, &vo);
	fake_put(f, i, nlh);
}

static void fake_backend(struct fake *f, int i, uint8_t last, uint16_t flags)
{
	struct nlmsghdr *nlh = new_msg(fake_buf(f, i), 0x20);
	struct endpoint ep = { .family = AF_INET, .addr = { 10, 0, 1, last },
			       .port = 8080 };
	struct backend_opts bo;

	backend_opts_init(&bo);
	bo.weight = 1;
	nlh->nlmsg_seq = f->seq;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	msg_put_backend(nlh, &ep, &bo);
	fake_put(f, i, nlh);
}

static void fake_done(struct fake *f, int i, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(fake_buf(f, i));
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = f->seq;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero,
	       sizeof(zero));
	fake_put(f, i, nlh);
}

static void fake_ack(struct fake *f, int i, int error, const char *msg)
{
	fake_put(f, i, put_err(fake_buf(f, i), f->seq, error, true, msg));
}

/* Run 1: two VIPs, the change flagged on the second; run 2: consistent. */
static void script_vips_once(struct fake *f, int n)
{
	if (n == 0) {
		fake_vip(f, 0, 1, 0);
		fake_vip(f, 0, 2, NLM_F_DUMP_INTR);
		fake_vip(f, 1, 3, NLM_F_DUMP_INTR);
		fake_done(f, 1, NLM_F_DUMP_INTR);
	} else {
		fake_vip(f, 0, 1, 0);
		fake_vip(f, 1, 3, 0);
		fake_done(f, 1, 0);
	}
}

/* Runs 1-2: only the final DONE says the dump was interrupted. */
static void script_backends_twice(struct fake *f, int n)
{
	fake_backend(f, 0, (uint8_t)(n + 1), 0);
	fake_backend(f, 0, 9, 0);
	fake_done(f, 1, n < 2 ? NLM_F_DUMP_INTR : 0);
}

static void script_vips_always(struct fake *f, int n)
{
	fake_vip(f, 0, (uint8_t)n, NLM_F_DUMP_INTR);
	fake_done(f, 0, NLM_F_DUMP_INTR);
}

/* What nl_report() writes to stderr, into @buf. */
static void report_text(struct nl_ctx *ctx, int err, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	buf[0] = '\0';
	if (!tmp)
		return;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	nl_report(ctx, err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static struct nl_ctx *fake_ctx(struct fake *f, void (*script)(struct fake *, int))
{
	static struct nl_ctx ctx;

	memset(f, 0, sizeof(*f));
	f->script = script;
	memset(&ctx, 0, sizeof(ctx));
	ctx.family_id = 0x20;
	ctx.xport.send = fake_send;
	ctx.xport.recv = fake_recv;
	ctx.xport.priv = f;
	return &ctx;
}

static void test_dump_restart(void)
{
	static struct fake f;
	struct nl_ctx *ctx = fake_ctx(&f, script_vips_once);
	struct backend *bs = NULL;
	struct vip *vips = NULL;
	struct vip_key key = { 0 };
	uint32_t first_len;
	char msg[512];
	size_t n = 0;

	begin();
	CHECK(dump_vips(ctx, &vips, &n) == 0);
	CHECK(f.sends == 2);
	CHECK(f.cmd == L4LB_CMD_VIP_GET);
	CHECK((f.flags & NLM_F_DUMP) == NLM_F_DUMP);
	/* only the second, consistent run is kept */
	CHECK(n == 2);
	if (n == 2)
		CHECK(vips[0].key.ep.addr[3] == 1 && vips[1].key.ep.addr[3] == 3);
	free_vips(vips, n);

	/* the VIP selector goes out again with every run */
	ctx = fake_ctx(&f, script_backends_twice);
	endpoint_parse("10.0.0.10:80", &key.ep, NULL);
	key.proto = IPPROTO_TCP;
	CHECK(dump_backends(ctx, &key, &bs, &n) == 0);
	CHECK(f.sends == 3);
	CHECK(f.cmd == L4LB_CMD_BACKEND_GET);
	first_len = f.len;
	CHECK(first_len > sizeof(struct nlmsghdr) + sizeof(struct genlmsghdr));
	CHECK(n == 2);
	if (n == 2)
		CHECK(bs[0].ep.addr[3] == 3 && bs[1].ep.addr[3] == 9);
	free(bs);

	/* never consistent: give up after NL_DUMP_TRIES runs, and say why */
	ctx = fake_ctx(&f, script_vips_always);
	vips = NULL;
	n = 0;
	CHECK(dump_vips(ctx, &vips, &n) == -NL_DUMP_INTR);
	CHECK(f.sends == NL_DUMP_TRIES);
	CHECK(vips == NULL && n == 0);
	report_text(ctx, -NL_DUMP_INTR, msg, sizeof(msg));
	CHECK_STR(msg, "l4ctl: the configuration changed during each of 5 "
		  "attempts to list it; try again\n");
	end("dumps marked NLM_F_DUMP_INTR are discarded and rerun, 5 runs at most");
}

static void script_net(struct fake *f, int n)
{
	struct nlmsghdr *nlh = new_msg(fake_buf(f, 0), 0x20);

	(void)n;
	nlh->nlmsg_seq = f->seq;
	put_net(nlh, true);
	fake_put(f, 0, nlh);
	fake_ack(f, 1, 0, NULL);	/* the ack in a buffer of its own */
}

static void script_net_old(struct fake *f, int n)
{
	(void)n;
	fake_ack(f, 0, -EOPNOTSUPP, NULL);
}

static void script_net_empty(struct fake *f, int n)
{
	(void)n;
	fake_ack(f, 0, 0, NULL);
}

static void test_net_get(void)
{
	static struct fake f;
	struct nl_ctx *ctx = fake_ctx(&f, script_net);
	struct net_info ni;

	begin();
	CHECK(net_get(ctx, &ni) == 0);
	CHECK(f.sends == 1);
	CHECK(f.cmd == L4LB_CMD_NET_GET);
	/* a plain request, not a dump, and no attributes */
	CHECK(f.flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK(f.len == sizeof(struct nlmsghdr) + sizeof(struct genlmsghdr));
	CHECK(ni.val[L4LB_NET_ATTR_CONN_MAX] == 262144);
	CHECK(ni.cnt[L4LB_NET_STATS_ATTR_NOFLOW_DROPS] == 3);

	ctx = fake_ctx(&f, script_net_old);
	CHECK(net_get(ctx, &ni) == -EOPNOTSUPP);
	ctx = fake_ctx(&f, script_net_empty);
	CHECK(net_get(ctx, &ni) == -EPROTO);
	end("'stats' sends L4LB_CMD_NET_GET as a plain request and reads reply + ack");
}

/* ---- whole commands, from the words typed to the requests sent ---- */

static struct fake cli_fake;
static uint32_t cli_vip_flags, cli_be_flags;	/* what the fake kernel has */
static int cli_error;			/* its answer to a change */
static const char *cli_msg = "VIP not found";	/* ... and its extack */
static int cli_dump_error;		/* its answer to a dump, 0: the dump */
static char cli_err[2048];		/* what the command wrote to stderr */
static char *cli_out;			/* ... and printed (print.h) */
static size_t cli_out_len;
static FILE *cli_out_f;

/* A VIP dump message 10.0.0.@last:80 tcp with VIP flags @vflags. */
static void fake_vip_flags(struct fake *f, int i, uint8_t last,
			   uint32_t vflags)
{
	struct nlmsghdr *nlh = new_msg(fake_buf(f, i), 0x20);
	struct vip_key key = { 0 };
	struct vip_opts vo;

	key.ep.family = AF_INET;
	key.ep.addr[0] = 10;
	key.ep.addr[3] = last;
	key.ep.port = 80;
	key.proto = IPPROTO_TCP;
	nlh->nlmsg_seq = f->seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	vip_opts_init(&vo);
	vo.flags = vflags;
	msg_put_vip(nlh, &key, &vo);
	fake_put(f, i, nlh);
}

/* A backend dump message 10.0.1.@last:8080 with backend flags @bflags. */
static void fake_backend_flags(struct fake *f, int i, uint8_t last,
			       uint32_t bflags)
{
	struct nlmsghdr *nlh = new_msg(fake_buf(f, i), 0x20);
	struct endpoint ep = { .family = AF_INET, .addr = { 10, 0, 1, last },
			       .port = 8080 };
	struct backend_opts bo;

	backend_opts_init(&bo);
	bo.flags = bflags;
	nlh->nlmsg_seq = f->seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	msg_put_backend(nlh, &ep, &bo);
	fake_put(f, i, nlh);
}

/*
 * Dumps: VIPs 10.0.0.1:80 and 10.0.0.10:80 (flags cli_vip_flags); backends
 * 10.0.1.2:8080 and 10.0.1.1:8080 (flags cli_be_flags). Changes: cli_error.
 * Its neighbours have every flag the other has not, so a mix-up shows.
 */
static void script_cli(struct fake *f, int n)
{
	(void)n;
	if (cli_dump_error && (f->cmd == L4LB_CMD_VIP_GET ||
			       f->cmd == L4LB_CMD_BACKEND_GET ||
			       f->cmd == L4LB_CMD_CONN_GET)) {
		fake_ack(f, 0, cli_dump_error, NULL);
	} else if (f->cmd == L4LB_CMD_NET_GET && !cli_error) {
		struct nlmsghdr *nlh = new_msg(fake_buf(f, 0), 0x20);

		nlh->nlmsg_seq = f->seq;
		put_net(nlh, true);	/* no timeouts */
		fake_put(f, 0, nlh);
		fake_ack(f, 0, 0, NULL);
	} else if (f->cmd == L4LB_CMD_VIP_GET) {
		fake_vip_flags(f, 0, 1, ~cli_vip_flags);
		fake_vip_flags(f, 0, 10, cli_vip_flags);
		fake_done(f, 0, 0);
	} else if (f->cmd == L4LB_CMD_BACKEND_GET) {
		fake_backend_flags(f, 0, 2, ~cli_be_flags);
		fake_backend_flags(f, 0, 1, cli_be_flags);
		fake_done(f, 0, 0);
	} else {
		fake_ack(f, 0, cli_error, cli_error ? cli_msg : NULL);
	}
}

/* "vip add ...", "backend set ...": run against the fake kernel; exit status. */
static int cli(const char *line)
{
	static const struct nl_transport xport = {
		fake_send, fake_recv, &cli_fake
	};
	/* main.c's objects */
	static const struct cmd objects[] = {
		{ "vip", cmd_vip }, { "backend", cmd_backend },
		{ "show", cmd_show }, { "stats", cmd_stats },
		{ "conn", cmd_conn }, { "timeouts", cmd_timeouts },
		{ "monitor", cmd_monitor }, { "save", cmd_save },
		{ "flush", cmd_flush }, { "info", cmd_info },
		{ "import-ipvsadm", cmd_import_ipvsadm },
	};
	char copy[512], *argv[48], *w;
	FILE *tmp = tmpfile();
	int argc = 0, rc, saved;
	size_t n, i;

	snprintf(copy, sizeof(copy), "%s", line);
	for (w = strtok(copy, " "); w && argc < 48; w = strtok(NULL, " "))
		argv[argc++] = w;
	memset(&cli_fake, 0, sizeof(cli_fake));
	cli_fake.script = script_cli;
	cli_err[0] = '\0';
	if (!tmp || argc < 1)
		return -1;
	nl_test_transport = &xport;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	free(cli_out);	/* the last command's: kept until the next */
	cli_out = NULL;
	cli_out_len = 0;
	cli_out_f = open_memstream(&cli_out, &cli_out_len);
	print_init(cli_out_f, false, false);
	rc = -1;
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (strcmp(argv[0], objects[i].name) == 0)
			rc = objects[i].fn(argc - 1, argv + 1);
	fclose(cli_out_f);
	print_init(stdout, false, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	nl_test_transport = NULL;
	rewind(tmp);
	n = fread(cli_err, 1, sizeof(cli_err) - 1, tmp);
	cli_err[n] = '\0';
	fclose(tmp);
	return rc;
}

/* The last request the fake kernel got. */
static const struct nlmsghdr *cli_req(void)
{
	return (const struct nlmsghdr *)cli_fake.req;
}

#define VIP_HAS(type, val) has_u32(cli_req(), L4LB_ATTR_VIP, type, val)
#define VIP_LACKS(type) (!nested_attr(cli_req(), L4LB_ATTR_VIP, type))
#define BE_HAS(type, val) has_u32(cli_req(), L4LB_ATTR_BACKEND, type, val)
#define BE_LACKS(type) (!nested_attr(cli_req(), L4LB_ATTR_BACKEND, type))

static bool be_state_is(uint8_t state)
{
	const struct nlattr *a = nested_attr(cli_req(), L4LB_ATTR_BACKEND,
					     L4LB_BACKEND_ATTR_STATE);

	return a && mnl_attr_get_payload_len(a) == 1 &&
	       mnl_attr_get_u8(a) == state;
}

static void test_cli_vip(void)
{
	const struct nlattr *a;

	begin();
	cli_vip_flags = 0;
	cli_error = 0;
	CHECK(cli("vip add 10.0.0.10:80 sched maglev maglev-size 251 hash src "
		  "syn-only maxconn 100 rate 50 burst 10 persist 300 no-reject "
		  "expire-down sh-port") == 0);
	/* a new VIP: its flags are those typed, nothing is read first */
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_VIP_NEW);
	a = nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_SCHED);
	CHECK(a && strcmp(mnl_attr_get_str(a), "maglev") == 0);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_MAGLEV_SIZE, 251));
	CHECK(VIP_HAS(L4LB_VIP_ATTR_MAXCONN, 100));
	CHECK(VIP_HAS(L4LB_VIP_ATTR_RATE, 50));
	CHECK(VIP_HAS(L4LB_VIP_ATTR_BURST, 10));
	CHECK(VIP_HAS(L4LB_VIP_ATTR_PERSIST, 300));
	CHECK(VIP_HAS(L4LB_VIP_ATTR_FLAGS,
		      L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_SYN_ONLY |
		      L4LB_VIP_F_NO_REJECT | L4LB_VIP_F_EXPIRE_DOWN |
		      L4LB_VIP_F_SH_PORT));

	/* the defaults are the kernel's: nothing typed, nothing sent */
	CHECK(cli("vip add 10.0.0.10:80 sched round-robin") == 0);
	a = nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_SCHED);
	CHECK(a && strcmp(mnl_attr_get_str(a), "round-robin") == 0);
	CHECK(VIP_LACKS(L4LB_VIP_ATTR_FLAGS) &&
	      VIP_LACKS(L4LB_VIP_ATTR_MAGLEV_SIZE) &&
	      VIP_LACKS(L4LB_VIP_ATTR_MAXCONN) && VIP_LACKS(L4LB_VIP_ATTR_RATE) &&
	      VIP_LACKS(L4LB_VIP_ATTR_BURST) && VIP_LACKS(L4LB_VIP_ATTR_PERSIST));
	/* "reject" alone: the default, said out loud */
	CHECK(cli("vip add 10.0.0.10:80 reject") == 0);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_FLAGS, 0));

	/* back to the defaults: zeros, and no flags read or sent */
	CHECK(cli("vip set 10.0.0.10:80 maglev-size default maxconn none "
		  "rate none burst default persist none") == 0);
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_VIP_SET);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_MAGLEV_SIZE, 0) &&
	      VIP_HAS(L4LB_VIP_ATTR_MAXCONN, 0) && VIP_HAS(L4LB_VIP_ATTR_RATE, 0) &&
	      VIP_HAS(L4LB_VIP_ATTR_BURST, 0) && VIP_HAS(L4LB_VIP_ATTR_PERSIST, 0));
	CHECK(VIP_LACKS(L4LB_VIP_ATTR_FLAGS));
	/* a burst alone goes as typed: the kernel knows the VIP's rate */
	CHECK(cli("vip set 10.0.0.10:80 burst 5") == 0);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_BURST, 5) && VIP_LACKS(L4LB_VIP_ATTR_RATE));

	/* one flag changed: every other one kept, also one we do not know */
	cli_vip_flags = L4LB_VIP_F_SYN_ONLY | L4LB_VIP_F_NO_REJECT |
			L4LB_VIP_F_EXPIRE_DOWN | 0x80000000u;
	CHECK(cli("vip set 10.0.0.10:80 no-syn-only reject") == 0);
	CHECK(cli_fake.sends == 2 && cli_fake.log[0] == L4LB_CMD_VIP_GET &&
	      cli_fake.log[1] == L4LB_CMD_VIP_SET);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_FLAGS,
		      L4LB_VIP_F_EXPIRE_DOWN | 0x80000000u));
	CHECK(cli("vip set 10.0.0.10:80 sh-port hash src ops") == 0);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_FLAGS,
		      cli_vip_flags | L4LB_VIP_F_SH_PORT | L4LB_VIP_F_HASH_SRC |
		      L4LB_VIP_F_OPS));
	cli_vip_flags = L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_OPS;
	CHECK(cli("vip set 10.0.0.10:80 proto tcp hash 5tuple no-expire-down") == 0);
	CHECK(VIP_HAS(L4LB_VIP_ATTR_FLAGS, L4LB_VIP_F_OPS));

	/* no such VIP: the flags typed go, and the kernel says why not */
	cli_error = -ENOENT;
	CHECK(cli("vip set 10.0.0.99:80 sh-port") == 2);
	CHECK(cli_fake.sends == 2 && VIP_HAS(L4LB_VIP_ATTR_FLAGS,
					     L4LB_VIP_F_SH_PORT));
	CHECK(strstr(cli_err, "VIP not found") != NULL);
	cli_error = 0;
	end("vip add/set: every keyword into its attribute; set keeps the flags it does not name");
}

static void test_cli_backend(void)
{
	begin();
	cli_be_flags = 0;
	cli_error = 0;
	CHECK(cli("backend add 10.0.0.10:80 10.0.1.1:8080 weight 3 state drain "
		  "maxconn 7 backup") == 0);
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_BACKEND_NEW);
	CHECK(BE_HAS(L4LB_BACKEND_ATTR_WEIGHT, 3) &&
	      be_state_is(L4LB_BACKEND_DRAIN) &&
	      BE_HAS(L4LB_BACKEND_ATTR_MAXCONN, 7) &&
	      BE_HAS(L4LB_BACKEND_ATTR_FLAGS, L4LB_BACKEND_F_BACKUP));
	CHECK(VIP_LACKS(L4LB_VIP_ATTR_FLAGS));
	CHECK(cli("backend add 10.0.0.10:80 10.0.1.1:8080") == 0);
	CHECK(BE_LACKS(L4LB_BACKEND_ATTR_WEIGHT) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_STATE) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_MAXCONN) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_FLAGS));

	CHECK(cli("backend set 10.0.0.10:80 10.0.1.1:8080 maxconn none state up") == 0);
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_BACKEND_SET);
	CHECK(BE_HAS(L4LB_BACKEND_ATTR_MAXCONN, 0) && be_state_is(L4LB_BACKEND_UP));
	CHECK(BE_LACKS(L4LB_BACKEND_ATTR_WEIGHT) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_FLAGS));
	CHECK(cli("backend set 10.0.0.10:80 10.0.1.1:8080 weight 0") == 0);
	CHECK(BE_HAS(L4LB_BACKEND_ATTR_WEIGHT, 0) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_STATE));

	/* backup/primary keep the flags they do not name */
	cli_be_flags = L4LB_BACKEND_F_BACKUP | 0x100;
	CHECK(cli("backend set 10.0.0.10:80 10.0.1.1:8080 primary") == 0);
	CHECK(cli_fake.sends == 2 && cli_fake.log[0] == L4LB_CMD_BACKEND_GET &&
	      cli_fake.log[1] == L4LB_CMD_BACKEND_SET);
	CHECK(BE_HAS(L4LB_BACKEND_ATTR_FLAGS, 0x100));
	cli_be_flags = 0;
	CHECK(cli("backend set 10.0.0.10:80 10.0.1.1:8080 backup weight 2") == 0);
	CHECK(BE_HAS(L4LB_BACKEND_ATTR_FLAGS, L4LB_BACKEND_F_BACKUP) &&
	      BE_HAS(L4LB_BACKEND_ATTR_WEIGHT, 2));

	/* the shorthands: the state, nothing else */
	CHECK(cli("backend drain 10.0.0.10:80 10.0.1.1:8080") == 0);
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_BACKEND_SET &&
	      be_state_is(L4LB_BACKEND_DRAIN));
	CHECK(BE_LACKS(L4LB_BACKEND_ATTR_WEIGHT) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_MAXCONN) &&
	      BE_LACKS(L4LB_BACKEND_ATTR_FLAGS));
	CHECK(cli("backend down 10.0.0.10:80 10.0.1.1:8080 proto udp") == 0);
	CHECK(be_state_is(L4LB_BACKEND_DOWN));
	CHECK(cli("backend up 10.0.0.10:80 10.0.1.1:8080") == 0);
	CHECK(be_state_is(L4LB_BACKEND_UP));
	CHECK(cli("backend dr 10.0.0.10:80 10.0.1.1:8080") == 0);
	CHECK(be_state_is(L4LB_BACKEND_DRAIN));
	end("backend add/set, drain/down/up: every keyword into its attribute");
}

static void test_cli_stats_zero(void)
{
	const struct nlattr *a;

	begin();
	cli_error = 0;
	/* the whole namespace: the command alone */
	CHECK(cli("stats zero") == 0);
	CHECK(cli_fake.sends == 1 && cli_fake.cmd == L4LB_CMD_STATS_ZERO);
	CHECK(!nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_ADDR) &&
	      !nested_attr(cli_req(), L4LB_ATTR_BACKEND,
			   L4LB_BACKEND_ATTR_ADDR));
	/* a VIP: its key (tcp unless told), no backend */
	CHECK(cli("stats zero vip 10.0.0.10:80") == 0);
	CHECK(cli_fake.cmd == L4LB_CMD_STATS_ZERO);
	a = nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_PROTO);
	CHECK(a && mnl_attr_get_u8(a) == IPPROTO_TCP);
	a = nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_PORT);
	CHECK(a && ntohs(mnl_attr_get_u16(a)) == 80);
	CHECK(!nested_attr(cli_req(), L4LB_ATTR_BACKEND,
			   L4LB_BACKEND_ATTR_ADDR));
	/* proto and backend in either order */
	CHECK(cli("stats zero vip 10.0.0.10:53 backend 10.0.1.3:8080 proto udp") == 0);
	a = nested_attr(cli_req(), L4LB_ATTR_VIP, L4LB_VIP_ATTR_PROTO);
	CHECK(a && mnl_attr_get_u8(a) == IPPROTO_UDP);
	a = nested_attr(cli_req(), L4LB_ATTR_BACKEND, L4LB_BACKEND_ATTR_PORT);
	CHECK(a && ntohs(mnl_attr_get_u16(a)) == 8080);
	CHECK(!nested_attr(cli_req(), L4LB_ATTR_BACKEND,
			   L4LB_BACKEND_ATTR_WEIGHT));

	/* refused before anything is sent */
	CHECK(cli("stats zero backend 10.0.1.3:8080") == 1 &&
	      cli_fake.sends == 0 && strstr(cli_err, "expected 'vip VIP'"));
	CHECK(cli("stats zero vip") == 1 && cli_fake.sends == 0 &&
	      strstr(cli_err, "missing VIP address"));
	CHECK(cli("stats zero vip 10.0.0.10") == 1 && cli_fake.sends == 0);
	CHECK(cli("stats zero vip 10.0.0.10:80 proto icmp") == 1 &&
	      strstr(cli_err, "invalid protocol 'icmp'"));
	CHECK(cli("stats zero vip 10.0.0.10:80 proto tcp proto udp") == 1 &&
	      strstr(cli_err, "'proto' given twice"));
	CHECK(cli("stats zero vip 10.0.0.10:80 backend") == 1 &&
	      strstr(cli_err, "missing value after 'backend'"));
	CHECK(cli("stats zero vip 10.0.0.10:80 weight 3") == 1 &&
	      strstr(cli_err, "unknown argument 'weight'"));
	CHECK(cli("stats rate 0") == 1 && cli_fake.sends == 0 &&
	      strstr(cli_err, "invalid interval '0'"));
	CHECK(cli("stats -r 1 2") == 1 && strstr(cli_err, "unknown argument '2'"));
	CHECK(cli("stats rate 3601") == 1 && cli_fake.sends == 0);

	/* the kernel's refusal, in its words */
	cli_error = -ENOENT;
	CHECK(cli("stats zero vip 10.0.0.99:80") == 2 &&
	      strstr(cli_err, "VIP not found"));
	cli_error = 0;
	end("stats zero: the VIP and backend named, or nothing; bad arguments refused");
}

/* Refused before anything is sent, with the token and what was expected. */
static void test_cli_refused(void)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "vip add 10.0.0.10:80 maglev-size abc",
		  "invalid maglev-size 'abc': expected a prime from 251 to 1048573, or default" },
		{ "vip add 10.0.0.10:80 maglev-size 250", "'250'" },
		{ "vip add 10.0.0.10:80 maglev-size 1048574", "'1048574'" },
		{ "vip add 10.0.0.10:80 maxconn many",
		  "invalid maxconn 'many': expected a number of flows at once, or none" },
		{ "vip add 10.0.0.10:80 maxconn -1", "'-1'" },
		{ "vip add 10.0.0.10:80 rate 1.5",
		  "invalid rate '1.5': expected new flows per second, or none" },
		{ "vip add 10.0.0.10:80 burst none",
		  "invalid burst 'none': expected a number of flows, or default" },
		{ "vip add 10.0.0.10:80 persist 604801",
		  "invalid persist '604801': expected seconds from 1 to 604800, or none" },
		{ "vip add 10.0.0.10:80 hash dst",
		  "invalid hash 'dst': expected 5tuple or src" },
		{ "vip set 10.0.0.10:80 syn-only no-syn-only",
		  "'syn-only' and 'no-syn-only' contradict each other" },
		{ "vip set 10.0.0.10:80 reject reject", "given twice" },
		{ "vip add 10.0.0.10:80 state drain", "unknown keyword 'state'" },
		{ "vip add 10.0.0.10:80 backup", "unknown keyword 'backup'" },
		{ "vip set 10.0.0.10:80 rate", "keyword 'rate' needs a value" },
		{ "backend add 10.0.0.10:80 10.0.1.1:8080 state sideways",
		  "invalid state 'sideways': expected up, drain or down" },
		{ "backend add 10.0.0.10:80 10.0.1.1:8080 maxconn lots",
		  "invalid maxconn 'lots'" },
		{ "backend add 10.0.0.10:80 10.0.1.1:8080 sched rr",
		  "unknown keyword 'sched'" },
		{ "backend add 10.0.0.10:80 10.0.1.1:8080 rate 5",
		  "unknown keyword 'rate'" },
		{ "backend set 10.0.0.10:80 10.0.1.1:8080",
		  "nothing to change: name a weight, state, maxconn, backup or primary" },
		{ "backend set 10.0.0.10:80 10.0.1.1:8080 proto udp",
		  "nothing to change" },
		{ "backend set 10.0.0.10:80 10.0.1.1:8080 backup primary",
		  "'backup' and 'primary' contradict each other" },
		{ "backend drain 10.0.0.10:80 10.0.1.1:8080 weight 2",
		  "unknown keyword 'weight'" },
		{ "backend down 10.0.0.10:80", "missing backend address" },
		{ "backend d 10.0.0.10:80 10.0.1.1:8080", "ambiguous" },
	};
	size_t i;

	begin();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = cli(bad[i].line);

		if (rc != 1 || cli_fake.sends != 0 ||
		    !strstr(cli_err, bad[i].msg)) {
			printf("#   '%s': exit %d, %d sent, stderr: %s",
			       bad[i].line, rc, cli_fake.sends, cli_err);
			printf("#   wanted exit 1, nothing sent, '%s'\n",
			       bad[i].msg);
			group_ok = false;
		}
	}
	end("bad scheduling values: exit 1, nothing sent, the token and what was expected");
}

/* 'show VIP', 'vip show VIP': the VIPs of the fake are 10.0.0.1:80 and 10.0.0.10:80 tcp. */
static void test_cli_show_filter(void)
{
	static const struct {
		const char *line, *msg;
		int rc;
	} bad[] = {
		{ "show 10.0.0.10:81", "l4ctl: no VIP 10.0.0.10:81\n", 2 },
		{ "show 10.0.0.10:80 proto udp",
		  "l4ctl: no VIP 10.0.0.10:80 proto udp\n", 2 },
		{ "show 10.0.0.2", "l4ctl: no VIP 10.0.0.2\n", 2 },
		{ "show [2001:db8::10]", "l4ctl: no VIP [2001:db8::10]\n", 2 },
		{ "vip show 10.0.0.100:80", "l4ctl: no VIP 10.0.0.100:80\n", 2 },
		{ "show foo", "invalid VIP 'foo': not an IPv4 or IPv6 address", 1 },
		{ "show 10.0.0.10:x", "invalid VIP '10.0.0.10:x': port", 1 },
		{ "show 10.0.0.10:80 proto sctp", "invalid proto 'sctp'", 1 },
		{ "show 10.0.0.10:80 weight 2", "unknown keyword 'weight'", 1 },
		{ "vip show 10.0.0.10 frob", "unknown keyword 'frob'", 1 },
	};
	size_t i;

	begin();
	cli_vip_flags = cli_be_flags = 0;
	cli_error = 0;
	/* a VIP by address and port: only its backends are asked for */
	CHECK(cli("show 10.0.0.10:80") == 0);
	CHECK(cli_fake.sends == 2 && cli_fake.log[0] == L4LB_CMD_VIP_GET &&
	      cli_fake.log[1] == L4LB_CMD_BACKEND_GET);
	CHECK(cli_out && strstr(cli_out, "vip 10.0.0.10:80 proto tcp") &&
	      !strstr(cli_out, "vip 10.0.0.1:80") &&
	      strstr(cli_out, "  backend 10.0.1.1:8080"));
	/* the address alone, proto tcp: every port of it */
	CHECK(cli("show 10.0.0.1 proto tcp") == 0 && cli_fake.sends == 2);
	CHECK(cli_out && strstr(cli_out, "vip 10.0.0.1:80 proto tcp") &&
	      !strstr(cli_out, "vip 10.0.0.10:80"));
	/* no filter: both, each with its backends */
	CHECK(cli("show") == 0 && cli_fake.sends == 3);
	CHECK(cli_out && strstr(cli_out, "vip 10.0.0.1:80") &&
	      strstr(cli_out, "vip 10.0.0.10:80"));
	CHECK(cli("vip show 10.0.0.10") == 0 && cli_fake.sends == 1);
	CHECK(cli_out && strstr(cli_out, "vip 10.0.0.10:80 proto tcp") &&
	      !strstr(cli_out, "vip 10.0.0.1:80") &&
	      !strstr(cli_out, "backend"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = cli(bad[i].line);

		/* nothing on stdout: no empty list for a VIP not there */
		if (rc != bad[i].rc || !strstr(cli_err, bad[i].msg) ||
		    (cli_out && cli_out[0]) ||
		    cli_fake.sends != (bad[i].rc == 2 ? 1 : 0)) {
			printf("#   '%s': exit %d, %d sent, stdout '%s', stderr: %s",
			       bad[i].line, rc, cli_fake.sends,
			       cli_out ? cli_out : "", cli_err);
			printf("#   wanted exit %d, '%s'\n", bad[i].rc,
			       bad[i].msg);
			group_ok = false;
		}
		}
	end("'show VIP[:PORT] [proto P]', 'vip show VIP': only that VIP; none is an error (exit 2), not an empty list");
}

/*
 * The errors that are about the system, not the request: each its own
 * message and hint, told apart from the kernel's other refusals.
 */
static void test_cli_setup_errors(void)
{
	static const struct {
		int error;
		const char *extack, *msg;
	} cases[] = {
		{ -EPERM, NULL,
		  "l4ctl: permission denied (Operation not permitted): " NL_HINT_PERM "\n" },
		{ -EOPNOTSUPP, NULL,
		  "l4ctl: unknown command: the l4lb module does not know this request (Operation not supported): " NL_HINT_VERSION "\n" },
		{ -EINVAL, "Unknown attribute type",
		  "l4ctl: unknown attribute: the l4lb module does not know an attribute of this request (Invalid argument: Unknown attribute type): " NL_HINT_VERSION "\n" },
		{ -EINVAL, "Unsupported attribute",
		  "l4ctl: unknown attribute: the l4lb module does not know an attribute of this request (Invalid argument: Unsupported attribute): " NL_HINT_VERSION "\n" },
		/* the module's own refusals keep their words, no hint */
		{ -EOPNOTSUPP, "this command lists objects",
		  "l4ctl: Operation not supported: this command lists objects\n" },
		{ -EINVAL, "a burst needs a rate limit",
		  "l4ctl: Invalid argument: a burst needs a rate limit\n" },
		{ -ENOENT, "VIP not found", "l4ctl: No such file or directory: VIP not found\n" },
		{ -EINVAL, NULL, "l4ctl: Invalid argument\n" },
	};
	size_t i;

	begin();
	cli_vip_flags = cli_be_flags = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		cli_error = cases[i].error;
		cli_msg = cases[i].extack;
		rc = cli("vip add 10.0.0.10:80 rate 5");
		if (rc != 2 || strcmp(cli_err, cases[i].msg) != 0) {
			printf("#   error %d '%s': exit %d, stderr: %s",
			       cases[i].error, cases[i].extack ? cases[i].extack : "",
			       rc, cli_err);
			printf("#   wanted exit 2, %s", cases[i].msg);
			group_ok = false;
		}
	}
	/* a refused listing says the same */
	cli_error = -EPERM;
	CHECK(cli("backend add 10.0.0.10:80 10.0.1.1:80") == 2 &&
	      strstr(cli_err, "permission denied") && strstr(cli_err, "CAP_NET_ADMIN"));
	cli_error = 0;
	cli_msg = "VIP not found";
	end("permission denied, unknown command and unknown attribute: a message and a hint each, unlike the module's own refusals");
}

/*
 * Each command that talks to the kernel reports the kernel's refusal (here
 * EPERM, of its dump or its change) and exits 2; and the refusals l4ctl
 * itself finds in what the kernel sent.
 */
static void test_cli_kernel_errors(void)
{
	static const char *const lines[] = {
		"show", "show 10.0.0.10", "vip show", "vip list 10.0.0.1:80",
		"backend show 10.0.0.10:80", "stats", "timeouts", "timeouts show",
		"timeouts set udp 5", "info", "save", "flush", "conn list",
		"conn list vip 10.0.0.10:80 state established",
		"conn get 10.0.0.2:4000 10.0.0.10:80", "conn flush",
		"conn flush client 10.0.0.2", "vip add 10.0.0.10:80",
		"vip replace 10.0.0.10:80 rate 5", "vip set 10.0.0.10:80 ops",
		"vip del 10.0.0.10:80", "backend add 10.0.0.10:80 10.0.1.1:80",
		"backend replace 10.0.0.10:80 10.0.1.1:80 weight 3",
		"backend set 10.0.0.10:80 10.0.1.1:80 backup",
		"backend drain 10.0.0.10:80 10.0.1.1:80",
		"backend del 10.0.0.10:80 10.0.1.1:80",
	};
	size_t i;

	begin();
	cli_vip_flags = cli_be_flags = 0;
	cli_msg = NULL;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int rc;

		cli_error = cli_dump_error = -EPERM;
		rc = cli(lines[i]);
		if (rc != 2 || cli_fake.sends < 1 ||
		    !strstr(cli_err, "l4ctl: permission denied") ||
		    (cli_out && cli_out[0])) {
			printf("#   '%s': exit %d, %d sent, stdout '%s', stderr: %s",
			       lines[i], rc, cli_fake.sends,
			       cli_out ? cli_out : "", cli_err);
			group_ok = false;
		}
	}
	cli_error = cli_dump_error = 0;
	/* a flow asked for by its tuple, which the dump does not have */
	CHECK(cli("conn get 10.0.0.2:4000 10.0.0.10:80") == 2 &&
	      strcmp(cli_err, "l4ctl: no such flow\n") == 0 &&
	      !(cli_out && cli_out[0]));
	/* a family without the events group (the fake has none) */
	CHECK(cli("monitor") == 2 &&
	      strcmp(cli_err, "l4ctl: the loaded l4lb module sends no events\n") == 0);
	/* a module that does not send the timeouts */
	CHECK(cli("timeouts show") == 2 &&
	      strcmp(cli_err, "l4ctl: the loaded l4lb module does not report its timeouts\n") == 0);
	/* a refusal naming a missing attribute, without a message */
	cli_error = -EINVAL;
	put_err_miss_type = L4LB_ATTR_VIP;
	CHECK(cli("vip del 10.0.0.10:80") == 2);
	CHECK_STR(cli_err, "l4ctl: Invalid argument: missing attribute (type 1)\n");
	put_err_miss_type = 0;
	cli_error = 0;
	cli_msg = "VIP not found";
	end("each command reports the kernel's refusal of its request or dump (exit 2, nothing on stdout); no such flow; no timeouts; a missing attribute");
}

/* ---- batch (-b), save, import-ipvsadm ---- */

static char batch_seen[8][128];	/* the words of each line run, joined */
static int batch_calls, batch_fail_at;

/* A command that fails on its call number @batch_fail_at (1-based). */
static int batch_fake_run(int argc, char **argv)
{
	char *p;
	int i;

	if (batch_calls < 8) {
		p = batch_seen[batch_calls];
		p[0] = '\0';
		for (i = 0; i < argc; i++) {
			strncat(p, argv[i], 127 - strlen(p));
			if (i + 1 < argc)
				strncat(p, "|", 127 - strlen(p));
		}
	}
	if (++batch_calls == batch_fail_at) {
		pr_err("boom %s", argv[0]);
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

/* Run @text as a batch; stderr into @err. Returns the exit status. */
static int batch_text(const char *text, bool force, int fail_at, char *err,
		      size_t len)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *tmp = tmpfile();
	int rc, saved;
	size_t n;

	batch_calls = 0;
	batch_fail_at = fail_at;
	memset(batch_seen, 0, sizeof(batch_seen));
	err[0] = '\0';
	if (!in || !tmp)
		return -1;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = batch_run(in, force, batch_fake_run);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, len - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	fclose(in);
	return rc;
}

static void test_batch(void)
{
	static const char text[] =
		"# a comment line\n"
		"\n"
		"vip add 10.0.0.1:80   sched rr # trailing comment\n"
		"   \t  \n"
		"l4ctl backend add 10.0.0.1:80 10.0.1.1:80\n"
		"\tvip del 10.0.0.1:80\n"
		"flush";		/* no final newline */
	char line[] = "  a\tb  c # d e\n", err[512], *argv[4], many[] = "a b c d e";
	int rc;

	begin();
	CHECK(batch_split(line, argv, 4) == 3);
	CHECK_STR(argv[0], "a");
	CHECK_STR(argv[2], "c");
	CHECK(batch_split(many, argv, 4) == -1);

	rc = batch_text(text, false, 0, err, sizeof(err));
	CHECK(rc == EXIT_OK);
	CHECK(batch_calls == 4);
	CHECK_STR(batch_seen[0], "vip|add|10.0.0.1:80|sched|rr");
	CHECK_STR(batch_seen[1], "backend|add|10.0.0.1:80|10.0.1.1:80");
	CHECK_STR(batch_seen[2], "vip|del|10.0.0.1:80");
	CHECK_STR(batch_seen[3], "flush");
	CHECK_STR(err, "");

	/* the second command (line 5) fails: stop there, name the line */
	rc = batch_text(text, false, 2, err, sizeof(err));
	CHECK(rc == EXIT_KERNEL);
	CHECK(batch_calls == 2);
	CHECK_STR(err, "l4ctl: line 5: boom backend\n");

	/* -force: go on to the end, still fail */
	rc = batch_text(text, true, 3, err, sizeof(err));
	CHECK(rc == EXIT_KERNEL);
	CHECK(batch_calls == 4);
	CHECK_STR(batch_seen[3], "flush");
	CHECK_STR(err, "l4ctl: line 6: boom vip\n");
	/* messages outside a batch carry no line */
	CHECK(err_line == 0);
	end("batch: comments and blank lines skipped, stops at the failing line and names it, -force goes on");
}

static struct vip save_sample(void)
{
	struct vip v;

	memset(&v, 0, sizeof(v));
	endpoint_parse("10.0.0.1:80", &v.key.ep, NULL);
	v.key.proto = IPPROTO_TCP;
	snprintf(v.sched, sizeof(v.sched), "maglev");
	v.has_mode = true;
	v.mode = L4LB_FWD_SNAT;
	v.has_snat_ports = true;
	v.snat_port_min = 2000;
	v.snat_port_max = 3000;
	v.n_snat = 2;
	addr_parse("192.0.2.1", &v.snat[0], NULL);
	addr_parse("192.0.2.2", &v.snat[1], NULL);
	v.has_flags = true;
	v.flags = L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_SYN_ONLY |
		  L4LB_VIP_F_NO_REJECT | L4LB_VIP_F_EXPIRE_DOWN;
	v.has_maglev_size = v.has_maxconn = v.has_rate = true;
	v.has_burst = v.has_persist = true;
	v.maglev_size = 251;
	v.maxconn = 1000;
	v.rate = 50;
	v.burst = 50;		/* the rate's: not written */
	v.persist = 0;		/* none: not written */
	v.timeouts.given = 1u << 2 | 1u << 4;
	v.timeouts.secs[2] = 900;
	v.timeouts.secs[4] = 0;	/* follows the default: not written */
	return v;
}

static void test_save_format(void)
{
	struct timeouts cur, defaults;
	struct backend bs[2];
	struct vip v[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	begin();
	memset(bs, 0, sizeof(bs));
	v[0] = save_sample();
	v[0].backends = bs;
	v[0].n_backends = 2;
	endpoint_parse("10.0.1.1:8080", &bs[0].ep, NULL);
	bs[0].has_weight = bs[0].has_state = true;
	bs[0].has_maxconn = bs[0].has_flags = true;
	bs[0].weight = 1;
	bs[0].state = L4LB_BACKEND_UP;
	endpoint_parse("10.0.1.2:8080", &bs[1].ep, NULL);
	bs[1].has_weight = bs[1].has_state = true;
	bs[1].has_maxconn = bs[1].has_flags = true;
	bs[1].weight = 7;
	bs[1].state = L4LB_BACKEND_DRAIN;
	bs[1].maxconn = 10;
	bs[1].flags = L4LB_BACKEND_F_BACKUP;

	memset(&v[1], 0, sizeof(v[1]));
	endpoint_parse("[2001:db8::1]:53", &v[1].key.ep, NULL);
	v[1].key.proto = IPPROTO_UDP;
	snprintf(v[1].sched, sizeof(v[1].sched), "rr");
	v[1].has_mode = v[1].has_encap = v[1].has_encap_port = true;
	v[1].mode = L4LB_FWD_TUNNEL;
	v[1].encap = L4LB_ENCAP_GUE;
	v[1].encap_port = 6080;
	v[1].has_flags = true;
	v[1].flags = L4LB_VIP_F_OPS;
	v[1].has_rate = v[1].has_burst = v[1].has_persist = true;
	v[1].rate = 10;
	v[1].burst = 40;
	v[1].persist = 300;

	memset(&cur, 0, sizeof(cur));
	memset(&defaults, 0, sizeof(defaults));
	cur.given = 0x7f;
	defaults.given = 0x3f;		/* udp's default unknown */
	cur.secs[0] = defaults.secs[0] = 30;
	cur.secs[1] = 45;
	defaults.secs[1] = 60;
	cur.secs[6] = 120;

	f = open_memstream(&buf, &len);
	save_write(f, &cur, &defaults, v, 2);
	fclose(f);
	CHECK_STR(buf,
		  "# l4ctl save (l4ctl test); restore with: l4ctl -b FILE\n"
		  "timeouts set tcp-syn 45 udp 120\n"
		  "vip add 10.0.0.1:80 proto tcp sched maglev mode snat snat-ports 2000-3000"
		  " snat-addr 192.0.2.1 snat-addr 192.0.2.2 hash src maglev-size 251"
		  " syn-only maxconn 1000 rate 50 no-reject expire-down"
		  " timeout tcp-established 900\n"
		  "backend add 10.0.0.1:80 10.0.1.1:8080 proto tcp weight 1\n"
		  "backend add 10.0.0.1:80 10.0.1.2:8080 proto tcp weight 7 state drain"
		  " maxconn 10 backup\n"
		  "vip add [2001:db8::1]:53 proto udp sched rr mode tunnel encap gue"
		  " encap-port 6080 ops rate 10 burst 40 persist 300\n");
	free(buf);

	/* nothing differs: no timeouts line */
	buf = NULL;
	f = open_memstream(&buf, &len);
	save_timeouts(f, &cur, &cur);
	fclose(f);
	CHECK_STR(buf, "");
	free(buf);
	end("save: every non-default VIP and backend option, timeouts that differ from the module's");
}

/* NET_GET (timeouts), VIP dump (one), BACKEND dump (two). */
static void script_save(struct fake *f, int n)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest, *to;

	(void)n;
	if (f->cmd == L4LB_CMD_NET_GET) {
		nlh = new_msg(fake_buf(f, 0), 0x20);
		nlh->nlmsg_seq = f->seq;
		nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
		to = mnl_attr_nest_start(nlh, L4LB_NET_ATTR_TIMEOUTS);
		mnl_attr_put_u32(nlh, L4LB_TIMEOUT_ATTR_TCP_UNREPLIED, 17);
		mnl_attr_nest_end(nlh, to);
		mnl_attr_nest_end(nlh, nest);
		fake_put(f, 0, nlh);
		fake_ack(f, 0, 0, NULL);
	} else if (f->cmd == L4LB_CMD_VIP_GET) {
		fake_vip(f, 0, 7, 0);
		fake_done(f, 0, 0);
	} else if (f->cmd == L4LB_CMD_BACKEND_GET) {
		fake_backend(f, 0, 1, 0);
		fake_backend(f, 0, 2, 0);
		fake_done(f, 0, 0);
	} else {
		fake_ack(f, 0, -EINVAL, "unexpected");
	}
}

static void test_save_cmd(void)
{
	static struct fake f;
	static const struct nl_transport xport = {
		fake_send, fake_recv, &f
	};
	char out[2048];
	FILE *tmp = tmpfile();
	int rc, saved;
	size_t n;

	begin();
	memset(&f, 0, sizeof(f));
	f.script = script_save;
	nl_test_transport = &xport;
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	rc = cmd_save(0, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	nl_test_transport = NULL;
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	CHECK(rc == EXIT_OK);
	CHECK(f.sends == 3);
	CHECK(f.log[0] == L4LB_CMD_NET_GET && f.log[1] == L4LB_CMD_VIP_GET &&
	      f.log[2] == L4LB_CMD_BACKEND_GET);
	/* the host has no l4lb module: every timeout sent is written */
	CHECK(strstr(out, "\ntimeouts set tcp-unreplied 17\n") != NULL);
	CHECK(strstr(out, "\nvip add 10.0.0.7:80 proto tcp sched rr mode dnat\n"
			  "backend add 10.0.0.7:80 10.0.1.1:8080 proto tcp weight 1\n"
			  "backend add 10.0.0.7:80 10.0.1.2:8080 proto tcp weight 1\n")
	      != NULL);
	if (!group_ok)
		printf("#   got: %s", out);
	end("'l4ctl save' over the fake kernel: NET_GET, the VIP dump, each VIP's backends");
}

static void test_ipvsadm(void)
{
	static const char in[] =
		"-A -t 10.0.0.1:80 -s mh -p 300\n"
		"-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3 -x 100\n"
		"-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -g -w 1 -x 0\n"
		"-A -u [2001:db8::1]:53 -s dh -o\n"
		"-a -u [2001:db8::1]:53 -r [2001:db8::5]:53 -i -w 2 -y 5\n"
		"-A -t 10.0.0.2:443 -s wlc -b sh-fallback\n"
		"-a -t 10.0.0.2:443 -r 10.0.1.9 -g -w 0\n"
		"-A -f 5 -s rr\n"
		"-A -t 10.0.0.3:22 -s mh -b mh-port\n";
	FILE *fin = fmemopen((void *)in, strlen(in), "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	begin();
	CHECK(ipvsadm_convert(fin, out) == EXIT_OK);
	fclose(out);
	fclose(fin);
	CHECK_STR(buf,
		  "# ipvsadm: firewall-mark service 5 has no l4lb equivalent: left out\n"
		  "vip add 10.0.0.1:80 proto tcp sched maglev mode dnat hash src persist 300\n"
		  "backend add 10.0.0.1:80 10.0.1.1:8080 proto tcp weight 3 maxconn 100\n"
		  "# ipvsadm: real server 10.0.1.2:8080 forwards in mode dsr, but l4lb has one mode per VIP: dnat\n"
		  "backend add 10.0.0.1:80 10.0.1.2:8080 proto tcp weight 1\n"
		  "# ipvsadm: scheduler 'dh' of [2001:db8::1]:53 has no l4lb equivalent: the default (rr) is used\n"
		  "vip add [2001:db8::1]:53 proto udp mode tunnel ops\n"
		  "# ipvsadm: '-y 5' of real server [2001:db8::5]:53 has no l4lb equivalent: left out\n"
		  "backend add [2001:db8::1]:53 [2001:db8::5]:53 proto udp weight 2\n"
		  "# ipvsadm: scheduler flag 'sh-fallback' of 10.0.0.2:443 has no l4lb equivalent: left out\n"
		  "vip add 10.0.0.2:443 proto tcp sched wlc mode dsr\n"
		  "backend add 10.0.0.2:443 10.0.1.9:443 proto tcp weight 0\n"
		  "# ipvsadm: 10.0.0.3:22 has no real server: mode dnat assumed\n"
		  "vip add 10.0.0.3:22 proto tcp sched maglev mode dnat\n");
	free(buf);

	/* not ipvsadm-save output: exit 1 */
	fin = fmemopen("-X nonsense\n", 12, "r");
	buf = NULL;
	out = open_memstream(&buf, &len);
	fflush(stderr);
	{
		int saved = dup(2), null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		CHECK(ipvsadm_convert(fin, out) == EXIT_USAGE);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		close(null);
	}
	fclose(out);
	fclose(fin);
	free(buf);
	end("import-ipvsadm: mh->maglev, -m/-g/-i -> dnat/dsr/tunnel, -x -> maxconn, -p -> persist, the rest in comments");
}

int main(void)
{
	test_parse_v4();
	test_parse_v6();
	test_parse_reject();
	test_parse_reasons();
	test_format();
	test_weight();
	test_names();
	test_keywords();
	test_json_escape();
	test_print_modes();
	test_vip_keywords();
	test_u32();
	test_sched_keywords();
	test_timeouts();
	test_show_output();
	test_show_counters();
	test_encode();
	test_decode();
	test_sched_encode();
	test_sched_show();
	test_acks();
	test_net_decode();
	test_net_output();
	test_net_sched_counters();
	test_net_lookups();
	test_dump_restart();
	test_net_get();
	test_cli_vip();
	test_cli_backend();
	test_cli_stats_zero();
	test_cli_refused();
	test_cli_show_filter();
	test_cli_setup_errors();
	test_cli_kernel_errors();
	test_batch();
	test_save_format();
	test_save_cmd();
	test_ipvsadm();
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
