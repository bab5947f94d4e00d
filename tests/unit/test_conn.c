// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of 'l4ctl conn': the filter words and the request they
 * make, and a hand-made CONN_GET reply parsed and printed as text and
 * JSON. Output is TAP.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netinet/in.h>

#include "conn.h"
#include "print.h"

#include <linux/l4lb.h>

#include "tap.h"

static int filter(struct conn_filter *f, const char *line)
{
	char copy[256], *argv[16], *tok;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok(copy, " "); tok && argc < 16; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	return conn_filter_parse(argc, argv, f);
}

static char buf[4096];

static struct nlmsghdr *msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = 0x20;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = L4LB_GENL_VERSION;
	return nlh;
}

static const struct nlattr *top(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct nlattr *inner(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	if (!nest)
		return NULL;
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_filters(void)
{
	const struct nlattr *conn, *orig, *a;
	struct conn_filter f;
	struct nlmsghdr *nlh;
	uint8_t proto, state;

	check_int("state established is TCP's",
		  conn_state_parse("established", &proto, &state) == 0 &&
		  proto == IPPROTO_TCP && state == L4LB_CONN_TCP_ESTABLISHED, 1);
	check_int("state ANSWERED is UDP's",
		  conn_state_parse("ANSWERED", &proto, &state) == 0 &&
		  proto == IPPROTO_UDP && state == L4LB_CONN_UDP_ANSWERED, 1);
	check_int("no state 'bogus'", conn_state_parse("bogus", &proto, &state), -1);

	check_int("no filter", filter(&f, ""), 0);
	nlh = msg(L4LB_CMD_CONN_GET);
	conn_filter_put(nlh, &f);
	check_int("no filter: no attribute", nlh->nlmsg_len,
		  (long)(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr))));

	check_int("vip, backend, client, state",
		  filter(&f, "vip 10.0.0.10:80 backend 10.0.1.1 client 10.0.0.2:4000 state syn_recv"), 0);
	nlh = msg(L4LB_CMD_CONN_GET);
	conn_filter_put(nlh, &f);
	a = inner(top(nlh, L4LB_ATTR_VIP), L4LB_VIP_ATTR_PROTO);
	check_int("VIP key: protocol from the state (tcp)", a ? mnl_attr_get_u8(a) : -1,
		  IPPROTO_TCP);
	a = inner(top(nlh, L4LB_ATTR_VIP), L4LB_VIP_ATTR_PORT);
	check_int("VIP key: port", a ? ntohs(mnl_attr_get_u16(a)) : -1, 80);
	conn = top(nlh, L4LB_ATTR_CONN);
	a = inner(conn, L4LB_CONN_ATTR_FAMILY);
	check_int("family sent", a ? mnl_attr_get_u16(a) : -1, AF_INET);
	a = inner(conn, L4LB_CONN_ATTR_STATE);
	check_int("state sent", a ? mnl_attr_get_u8(a) : -1, L4LB_CONN_TCP_SYN_RECV);
	a = inner(conn, L4LB_CONN_ATTR_BACKEND_ADDR);
	check_int("backend address sent", a ? (long)mnl_attr_get_payload_len(a) : -1, 4);
	check_int("no backend port without one", inner(conn, L4LB_CONN_ATTR_BACKEND_PORT) != NULL, 0);
	orig = inner(conn, L4LB_CONN_ATTR_ORIG);
	a = inner(orig, L4LB_TUPLE_ATTR_SPORT);
	check_int("client port in ORIG", a ? ntohs(mnl_attr_get_u16(a)) : -1, 4000);
	check_int("no DST in ORIG (the VIP key says it)", inner(orig, L4LB_TUPLE_ATTR_DST) != NULL, 0);

	check_int("udp vip", filter(&f, "vip [fd00::10]:53 proto udp"), 0);
	check_int("... protocol", f.proto, IPPROTO_UDP);
	check_int("state and proto that differ are refused",
		  filter(&f, "state answered proto tcp"), -1);
	check_int("families that differ are refused",
		  filter(&f, "vip 10.0.0.10:80 client fd00::2"), -1);
	check_int("a filter twice is refused", filter(&f, "proto tcp proto udp"), -1);
	check_int("an unknown filter is refused", filter(&f, "port 80"), -1);
	check_int("a filter without value is refused", filter(&f, "client"), -1);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src,
		      uint16_t sport, const char *dst, uint16_t dport)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	struct in_addr a;

	inet_pton(AF_INET, src, &a);
	mnl_attr_put(nlh, L4LB_TUPLE_ATTR_SRC, sizeof(a), &a);
	inet_pton(AF_INET, dst, &a);
	mnl_attr_put(nlh, L4LB_TUPLE_ATTR_DST, sizeof(a), &a);
	mnl_attr_put_u16(nlh, L4LB_TUPLE_ATTR_SPORT, htons(sport));
	mnl_attr_put_u16(nlh, L4LB_TUPLE_ATTR_DPORT, htons(dport));
	mnl_attr_nest_end(nlh, nest);
}

static const struct nlattr *conn_reply(bool snat)
{
	struct nlmsghdr *nlh = msg(L4LB_CMD_CONN_GET);
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_CONN);
	struct in_addr a;

	mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_FAMILY, AF_INET);
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_PROTO, IPPROTO_TCP);
	put_tuple(nlh, L4LB_CONN_ATTR_ORIG, "10.0.0.2", 40000, "10.0.0.10", 80);
	put_tuple(nlh, L4LB_CONN_ATTR_REPLY, "10.0.1.1", 8080,
		  snat ? "10.0.1.254" : "10.0.0.2", snat ? 20000 : 40000);
	inet_pton(AF_INET, "10.0.1.1", &a);
	mnl_attr_put(nlh, L4LB_CONN_ATTR_BACKEND_ADDR, sizeof(a), &a);
	mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_BACKEND_PORT, htons(8080));
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_MODE,
			snat ? L4LB_FWD_SNAT : L4LB_FWD_DNAT);
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_STATE, L4LB_CONN_TCP_ESTABLISHED);
	mnl_attr_put_u32(nlh, L4LB_CONN_ATTR_FLAGS, L4LB_CONN_F_REPLIED);
	mnl_attr_put_u32(nlh, L4LB_CONN_ATTR_EXPIRES, 299);
	mnl_attr_nest_end(nlh, nest);
	return top(nlh, L4LB_ATTR_CONN);
}

static void printed(const struct conn *c, bool json, char *out, size_t len)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	print_init(f, json, false);
	print_conn(c);
	print_end();
	fclose(f);
	snprintf(out, len, "%s", p ? p : "");
	free(p);
}

static void test_print(void)
{
	char out[1024];
	struct conn c;

	check_int("a reply parses", msg_parse_conn(conn_reply(false), &c), 0);
	printed(&c, false, out, sizeof(out));
	check_str("text: DNAT, no reply tuple", out,
		  "tcp ESTABLISHED    299 10.0.0.2:40000 -> 10.0.0.10:80 backend 10.0.1.1:8080 dnat replied\n");
	check_int("an SNAT reply parses", msg_parse_conn(conn_reply(true), &c), 0);
	printed(&c, false, out, sizeof(out));
	check_str("text: SNAT, with its reply tuple", out,
		  "tcp ESTABLISHED    299 10.0.0.2:40000 -> 10.0.0.10:80 backend 10.0.1.1:8080 snat reply 10.0.1.1:8080 -> 10.0.1.254:20000 replied\n");
	printed(&c, true, out, sizeof(out));
	check_str("JSON", out,
		  "{\"proto\":\"tcp\",\"state\":\"ESTABLISHED\",\"expires\":299,"
		  "\"client\":{\"address\":\"10.0.0.2\",\"port\":40000},"
		  "\"vip\":{\"address\":\"10.0.0.10\",\"port\":80},"
		  "\"backend\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"mode\":\"snat\","
		  "\"reply\":{\"src\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"dst\":{\"address\":\"10.0.1.254\",\"port\":20000}},"
		  "\"replied\":true,\"oneway\":false,\"ops\":false,\"adopted\":false}\n");
}

int main(void)
{
	test_filters();
	test_print();
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
