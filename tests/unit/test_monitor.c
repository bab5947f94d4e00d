// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of 'l4ctl monitor's event printer: hand-made event
 * messages, as the kernel sends them to the "events" group, printed as text
 * and JSON. Output is TAP.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>

#include "monitor.h"
#include "print.h"

#include <linux/l4lb.h>
#include <netinet/in.h>

#include "tap.h"

static char buf[4096];

static struct nlmsghdr *event(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = 0x20;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = L4LB_GENL_VERSION;
	return nlh;
}

static void put_vip(struct nlmsghdr *nlh, bool full)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_VIP);
	struct in_addr a;

	inet_pton(AF_INET, "10.0.0.10", &a);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, L4LB_VIP_ATTR_ADDR, sizeof(a), &a);
	mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_PORT, htons(80));
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_PROTO, IPPROTO_TCP);
	if (full) {
		mnl_attr_put_strz(nlh, L4LB_VIP_ATTR_SCHED, "rr");
		mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_MODE, L4LB_FWD_DNAT);
	}
	mnl_attr_nest_end(nlh, nest);
}

static void put_backend(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_BACKEND);
	struct in_addr a;

	inet_pton(AF_INET, "10.0.1.1", &a);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_FAMILY, AF_INET);
	mnl_attr_put(nlh, L4LB_BACKEND_ATTR_ADDR, sizeof(a), &a);
	mnl_attr_put_u16(nlh, L4LB_BACKEND_ATTR_PORT, htons(8080));
	mnl_attr_put_u32(nlh, L4LB_BACKEND_ATTR_WEIGHT, 1);
	mnl_attr_put_u8(nlh, L4LB_BACKEND_ATTR_STATE, L4LB_BACKEND_DRAIN);
	mnl_attr_put_u32(nlh, L4LB_BACKEND_ATTR_MAXCONN, 0);
	mnl_attr_put_u32(nlh, L4LB_BACKEND_ATTR_FLAGS, 0);
	mnl_attr_nest_end(nlh, nest);
}

static void put_net(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
	struct nlattr *to = mnl_attr_nest_start(nlh, L4LB_NET_ATTR_TIMEOUTS);

	mnl_attr_put_u32(nlh, L4LB_TIMEOUT_ATTR_TCP_ESTABLISHED, 1234);
	mnl_attr_put_u32(nlh, L4LB_TIMEOUT_ATTR_UDP, 300);
	mnl_attr_nest_end(nlh, to);
	mnl_attr_nest_end(nlh, nest);
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

/*
 * A flow event as the kernel builds it: the conn dump's attributes, then
 * EVENT, END_REASON (@why 0: none) and SUPPRESSED (@supp < 0: none).
 */
static void put_flow(struct nlmsghdr *nlh, uint8_t ev, uint8_t why,
		     long long supp)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_CONN);
	struct in_addr a;

	mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_FAMILY, AF_INET);
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_PROTO, IPPROTO_TCP);
	put_tuple(nlh, L4LB_CONN_ATTR_ORIG, "10.0.0.2", 40000, "10.0.0.10", 80);
	put_tuple(nlh, L4LB_CONN_ATTR_REPLY, "10.0.1.1", 8080, "10.0.0.2",
		  40000);
	inet_pton(AF_INET, "10.0.1.1", &a);
	mnl_attr_put(nlh, L4LB_CONN_ATTR_BACKEND_ADDR, sizeof(a), &a);
	mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_BACKEND_PORT, htons(8080));
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_MODE, L4LB_FWD_DNAT);
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_STATE,
			why ? L4LB_CONN_TCP_TIME_WAIT : L4LB_CONN_TCP_SYN_SENT);
	mnl_attr_put_u32(nlh, L4LB_CONN_ATTR_FLAGS,
			 why ? L4LB_CONN_F_REPLIED : 0);
	mnl_attr_put_u32(nlh, L4LB_CONN_ATTR_EXPIRES, why ? 0 : 10);
	mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_EVENT, ev);
	if (why)
		mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_END_REASON, why);
	if (supp >= 0)
		mnl_attr_put_u64(nlh, L4LB_CONN_ATTR_SUPPRESSED,
				 (uint64_t)supp);
	mnl_attr_nest_end(nlh, nest);
}

static char *out;
static size_t out_len;

/* Print @nlh in one mode; the output, or "rc=N" when not 0. */
static const char *show(const struct nlmsghdr *nlh, bool json,
			const char *time)
{
	FILE *f;
	int rc;

	free(out);
	out = NULL;
	f = open_memstream(&out, &out_len);
	print_init(f, json, false);
	rc = monitor_print_event(nlh, time);
	fclose(f);
	print_init(stdout, false, false);
	if (rc) {
		static char s[16];

		snprintf(s, sizeof(s), "rc=%d", rc);
		return s;
	}
	return out;
}

int main(void)
{
	struct nlmsghdr *nlh;

	nlh = event(L4LB_CMD_VIP_NEW);
	put_vip(nlh, true);
	check_str("vip add, text", show(nlh, false, NULL),
		  "vip add 10.0.0.10:80 proto tcp sched rr mode dnat\n");
	check_str("vip add, JSON", show(nlh, true, NULL),
		  "{\"event\":\"vip_add\",\"address\":\"10.0.0.10\",\"port\":80,"
		  "\"proto\":\"tcp\",\"sched\":\"rr\",\"mode\":\"dnat\"}\n");
	check_str("vip add, text with a timestamp",
		  show(nlh, false, "2026-12-02T07:00:00.000001Z"),
		  "2026-12-02T07:00:00.000001Z vip add 10.0.0.10:80 proto tcp sched rr mode dnat\n");
	check_str("vip add, JSON with a timestamp",
		  show(nlh, true, "2026-12-02T07:00:00.000001Z"),
		  "{\"time\":\"2026-12-02T07:00:00.000001Z\",\"event\":\"vip_add\","
		  "\"address\":\"10.0.0.10\",\"port\":80,\"proto\":\"tcp\","
		  "\"sched\":\"rr\",\"mode\":\"dnat\"}\n");

	nlh = event(L4LB_CMD_VIP_DEL);
	put_vip(nlh, true);
	check_str("vip del, text", show(nlh, false, NULL),
		  "vip del 10.0.0.10:80 proto tcp sched rr mode dnat\n");

	nlh = event(L4LB_CMD_BACKEND_SET);
	put_vip(nlh, false);
	put_backend(nlh);
	check_str("backend set, text", show(nlh, false, NULL),
		  "backend set 10.0.0.10:80 tcp 10.0.1.1:8080 weight 1 state drain\n");
	check_str("backend set, JSON", show(nlh, true, NULL),
		  "{\"event\":\"backend_set\",\"vip\":{\"address\":\"10.0.0.10\","
		  "\"port\":80,\"proto\":\"tcp\"},\"address\":\"10.0.1.1\","
		  "\"port\":8080,\"weight\":1,\"state\":\"drain\",\"maxconn\":0,"
		  "\"backup\":false}\n");

	nlh = event(L4LB_CMD_NET_SET);
	put_net(nlh);
	check_str("timeouts set, text", show(nlh, false, NULL),
		  "timeouts set tcp-established 1234 udp 300\n");
	check_str("timeouts set, JSON", show(nlh, true, NULL),
		  "{\"event\":\"timeouts_set\",\"timeouts\":"
		  "{\"tcp_established\":1234,\"udp\":300}}\n");

	nlh = event(L4LB_CMD_STATS_ZERO);
	check_str("stats zero of the namespace, text", show(nlh, false, NULL),
		  "stats zero\n");
	check_str("stats zero of the namespace, JSON", show(nlh, true, NULL),
		  "{\"event\":\"stats_zero\"}\n");
	put_vip(nlh, true);
	check_str("stats zero of a VIP, text", show(nlh, false, NULL),
		  "stats zero vip 10.0.0.10:80 tcp\n");
	put_backend(nlh);
	check_str("stats zero of a backend, text", show(nlh, false, NULL),
		  "stats zero vip 10.0.0.10:80 tcp backend 10.0.1.1:8080\n");
	check_str("stats zero of a backend, JSON", show(nlh, true, NULL),
		  "{\"event\":\"stats_zero\",\"vip\":{\"address\":\"10.0.0.10\","
		  "\"port\":80,\"proto\":\"tcp\"},\"backend\":{\"address\":"
		  "\"10.0.1.1\",\"port\":8080}}\n");
	nlh = event(L4LB_CMD_STATS_ZERO);
	put_backend(nlh);
	check_str("stats zero: a backend without its VIP is malformed",
		  show(nlh, false, NULL), "rc=-1");

	nlh = event(L4LB_CMD_VIP_GET);
	put_vip(nlh, true);
	check_str("another command is no event", show(nlh, false, NULL),
		  "rc=1");

	nlh = event(L4LB_CMD_BACKEND_NEW);
	put_vip(nlh, false);
	check_str("a backend event without its backend is malformed, prints nothing",
		  show(nlh, true, NULL), "rc=-1");
	check_int("... and leaves no output", (int)out_len, 0);

	nlh = event(L4LB_CMD_CONN_EVENT);
	put_flow(nlh, L4LB_CONN_EVENT_NEW, 0, 0);
	check_str("flow new, text", show(nlh, false, NULL),
		  "flow new tcp 10.0.0.2:40000 -> 10.0.0.10:80 backend 10.0.1.1:8080 dnat\n");
	check_str("flow new, JSON: conn list's keys, event, suppressed",
		  show(nlh, true, NULL),
		  "{\"event\":\"flow_new\",\"proto\":\"tcp\","
		  "\"state\":\"SYN_SENT\",\"expires\":10,"
		  "\"client\":{\"address\":\"10.0.0.2\",\"port\":40000},"
		  "\"vip\":{\"address\":\"10.0.0.10\",\"port\":80},"
		  "\"backend\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"mode\":\"dnat\",\"reply\":{"
		  "\"src\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"dst\":{\"address\":\"10.0.0.2\",\"port\":40000}},"
		  "\"replied\":false,\"oneway\":false,\"ops\":false,"
		  "\"adopted\":false,\"suppressed\":0}\n");

	nlh = event(L4LB_CMD_CONN_EVENT);
	put_flow(nlh, L4LB_CONN_EVENT_END, L4LB_CONN_END_EXPIRED, 17);
	check_str("flow end, text: reason and suppressed",
		  show(nlh, false, "2026-12-02T07:00:00.000001Z"),
		  "2026-12-02T07:00:00.000001Z flow end tcp 10.0.0.2:40000 -> "
		  "10.0.0.10:80 backend 10.0.1.1:8080 dnat replied (expired) "
		  "(17 suppressed)\n");
	check_str("flow end, JSON: reason and suppressed",
		  show(nlh, true, NULL),
		  "{\"event\":\"flow_end\",\"proto\":\"tcp\","
		  "\"state\":\"TIME_WAIT\",\"expires\":0,"
		  "\"client\":{\"address\":\"10.0.0.2\",\"port\":40000},"
		  "\"vip\":{\"address\":\"10.0.0.10\",\"port\":80},"
		  "\"backend\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"mode\":\"dnat\",\"reply\":{"
		  "\"src\":{\"address\":\"10.0.1.1\",\"port\":8080},"
		  "\"dst\":{\"address\":\"10.0.0.2\",\"port\":40000}},"
		  "\"replied\":true,\"oneway\":false,\"ops\":false,"
		  "\"adopted\":false,\"reason\":\"expired\","
		  "\"suppressed\":17}\n");

	nlh = event(L4LB_CMD_CONN_EVENT);
	put_flow(nlh, L4LB_CONN_EVENT_END, 99, -1);
	check_str("flow end, a reason this l4ctl does not know: its number",
		  show(nlh, false, NULL),
		  "flow end tcp 10.0.0.2:40000 -> 10.0.0.10:80 backend 10.0.1.1:8080 dnat replied (99)\n");

	nlh = event(L4LB_CMD_CONN_EVENT);
	put_flow(nlh, 7, 0, 0);
	check_str("a flow event of an unknown kind is malformed",
		  show(nlh, true, NULL), "rc=-1");

	nlh = event(L4LB_CMD_CONN_EVENT);
	check_str("a flow event without its flow is malformed",
		  show(nlh, false, NULL), "rc=-1");
	check_int("... and leaves no output", (int)out_len, 0);

	free(out);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
