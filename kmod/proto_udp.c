// SPDX-License-Identifier: GPL-2.0
/*
 * UDP: any datagram opens a flow. As with conntrack, a flow is a
 * "conversation" (long timeout) only once the client sent again after the
 * backend answered; a query and its answer, or a datagram never answered (a
 * flood from spoofed sources), time out soon and are evicted first when the
 * table is full. A conversation can be faked blind (two datagrams, the
 * second after the answer): it is evicted only when nothing else may be,
 * the idlest first, so that conversations in use stay. In the one-way
 * modes (DSR, tunnel) answers are never seen: the client's second datagram
 * makes the conversation, as IPVS DR keeps such flows for its UDP timeout.
 *
 * One packet scheduling (L4LB_CS_OPS, a VIP flag): each query is scheduled
 * on its own, as with IPVS --ops, so a flow lives only while a datagram of
 * its client is unanswered. Its state counts the unanswered datagrams
 * beyond the first, so that queries sent together from one port (a
 * resolver's A and AAAA) all get their answers translated; the answer to
 * the last one marks it answered, and the hook ends it then. One-way modes
 * never see answers: the hook ends such a flow once its datagram is sent.
 */
#include <linux/udp.h>

#include "proto.h"

enum {
	L4LB_UDP_NEW,
	L4LB_UDP_ANSWERED,	/* the backend answered */
	L4LB_UDP_CONVERSATION,	/* the client went on after an answer */
};

/* One packet scheduling: unanswered datagrams - 1, then "all answered". */
#define L4LB_UDP_OPS_ANSWERED	L4LB_CS_PSTATE
#define L4LB_UDP_OPS_MAX	(L4LB_UDP_OPS_ANSWERED - 1)

bool l4lb_udp_ops_answered(u32 state)
{
	return (state & L4LB_CS_PSTATE) == L4LB_UDP_OPS_ANSWERED;
}

/*
 * Past L4LB_UDP_OPS_MAX queries in flight, answers end the flow before the
 * last query's: that one's answer then passes untranslated (dropped by the
 * client), as any answer of an expired flow.
 */
static u32 l4lb_udp_ops_next(u32 s, enum l4lb_dir dir)
{
	if (s == L4LB_UDP_OPS_ANSWERED)
		return s;
	if (dir == L4LB_DIR_ORIG)
		return s < L4LB_UDP_OPS_MAX ? s + 1 : s;
	return s ? s - 1 : L4LB_UDP_OPS_ANSWERED;
}

static bool l4lb_udp_fill(const struct sk_buff *skb, struct l4lb_pkt *pkt,
			  const void *hdr)
{
	const struct udphdr *uh = hdr;
	unsigned int len = ntohs(uh->len);

	/* The length field may not claim more than is there, nor less
	 * than the header (trailing bytes are allowed, as by the stack).
	 */
	if (len < sizeof(*uh) || pkt->l4off + len > skb->len)
		return false;
	/* RFC 8200: a zero checksum is not allowed over IPv6. */
	if (!uh->check && pkt->tuple.family == AF_INET6)
		return false;

	pkt->tuple.sport = uh->source;
	pkt->tuple.dport = uh->dest;
	pkt->tcp_flags = 0;
	return true;
}

static bool l4lb_udp_may_open(const struct l4lb_pkt *pkt)
{
	return true;
}

static u32 l4lb_udp_initial(const struct l4lb_pkt *pkt)
{
	return L4LB_UDP_NEW;
}

static int l4lb_udp_next(const struct l4lb_conn *c, u32 state,
			 enum l4lb_dir dir, const struct l4lb_pkt *pkt)
{
	u32 s = state & L4LB_CS_PSTATE;

	if (state & L4LB_CS_OPS)
		return l4lb_udp_ops_next(s, dir);
	if (dir == L4LB_DIR_REPLY && s == L4LB_UDP_NEW)
		s = L4LB_UDP_ANSWERED;
	else if (dir == L4LB_DIR_ORIG && s == L4LB_UDP_ANSWERED)
		s = L4LB_UDP_CONVERSATION;
	/* One-way: the client's second datagram is all there is to see. */
	else if (dir == L4LB_DIR_ORIG && s == L4LB_UDP_NEW &&
		 (state & L4LB_CS_ONEWAY))
		s = L4LB_UDP_CONVERSATION;
	return s;
}

/* A query after the last answer, before the hook ended the flow. */
static bool l4lb_udp_reopens(u32 state, const struct l4lb_pkt *pkt)
{
	return (state & L4LB_CS_OPS) && l4lb_udp_ops_answered(state);
}

static u32 l4lb_udp_timeout(u32 state, const struct l4lb_timeouts *t)
{
	/* An OPS flow is never a conversation, whatever its count. */
	return !(state & L4LB_CS_OPS) &&
	       (state & L4LB_CS_PSTATE) == L4LB_UDP_CONVERSATION ?
	       READ_ONCE(t->udp) : READ_ONCE(t->udp_unreplied);
}

static bool l4lb_udp_active(u32 state)
{
	return true;
}

static enum l4lb_evict l4lb_udp_evict(u32 state)
{
	if (state & L4LB_CS_OPS)
		return l4lb_udp_ops_answered(state) ? L4LB_EVICT_ENDED :
						      L4LB_EVICT_UNPROVEN;
	return (state & L4LB_CS_PSTATE) == L4LB_UDP_CONVERSATION ?
	       L4LB_EVICT_LAST : L4LB_EVICT_UNPROVEN;
}

const struct l4lb_proto_ops l4lb_proto_udp = {
	.proto = IPPROTO_UDP,
	.csum_off = offsetof(struct udphdr, check),
	.hdr_len = sizeof(struct udphdr),
	.fill = l4lb_udp_fill,
	.may_open = l4lb_udp_may_open,
	.initial = l4lb_udp_initial,
	.next = l4lb_udp_next,
	.reopens = l4lb_udp_reopens,
	.timeout = l4lb_udp_timeout,
	.active = l4lb_udp_active,
	.evict = l4lb_udp_evict,
};
