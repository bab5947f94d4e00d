// SPDX-License-Identifier: GPL-2.0
/*
 * TCP: only a SYN opens a flow, the state machine of tcp_state.c picks the
 * timeout. What a blind attacker could forge is not believed: a RST or FIN
 * outside the flow's sequence window (once the backend answered), an ACK
 * that does not acknowledge the backend's SYN-ACK. Such segments are still
 * passed on (the endpoint applies its own, exact checks); they only do not
 * change the flow here.
 *
 * One-way flows (DSR, tunnel: L4LB_CS_ONEWAY) show the LB the client's
 * segments only. Their RSTs and FINs are always checked against the
 * client's own window (known from its SYN on), since the backend's answer
 * that would otherwise arm the check is never seen; an established one-way
 * flow proves nothing (its ACK cannot be checked against a SYN-ACK), so a
 * full table may evict it, last. Backend packets that happen to be routed
 * through the LB do not change such a flow: they find no entry (conn.h).
 */
#include <linux/tcp.h>

#include "proto.h"
#include "tcp_state.h"

static bool l4lb_tcp_fill(const struct sk_buff *skb, struct l4lb_pkt *pkt,
			  const void *hdr)
{
	const struct tcphdr *th = hdr;
	unsigned int doff = th->doff * 4;

	if (doff < sizeof(*th) || pkt->l4off + doff > skb->len)
		return false;

	pkt->tuple.sport = th->source;
	pkt->tuple.dport = th->dest;
	pkt->tcp_flags = (th->fin ? L4LB_TCPF_FIN : 0) |
			 (th->syn ? L4LB_TCPF_SYN : 0) |
			 (th->rst ? L4LB_TCPF_RST : 0) |
			 (th->ack ? L4LB_TCPF_ACK : 0);
	pkt->seq = ntohl(th->seq);
	pkt->ack = ntohl(th->ack_seq);
	pkt->end = pkt->seq + (skb->len - pkt->l4off - doff) + th->syn +
		   th->fin;
	return true;
}

static bool l4lb_tcp_may_open(const struct l4lb_pkt *pkt)
{
	return l4lb_tcp_is_opening(pkt->tcp_flags);
}

static u32 l4lb_tcp_initial(const struct l4lb_pkt *pkt)
{
	return L4LB_TCP_SYN_SENT;
}

static int l4lb_tcp_next(const struct l4lb_conn *c, u32 state,
			 enum l4lb_dir dir, const struct l4lb_pkt *pkt)
{
	u8 flags = pkt->tcp_flags, s = state & L4LB_CS_PSTATE;
	bool oneway = state & L4LB_CS_ONEWAY;

	if ((flags & (L4LB_TCPF_RST | L4LB_TCPF_FIN)) &&
	    (state & (L4LB_CS_REPLIED | L4LB_CS_ONEWAY)) &&
	    !l4lb_tcp_in_window(READ_ONCE(c->seq[dir]), pkt->seq))
		return -1;
	if (oneway)
		return l4lb_tcp_next_oneway(s, flags);
	/*
	 * A connection adopted mid-stream (its SYN went through another LB,
	 * or before a restart) has no handshake to see: the backend
	 * answering is the proof that it knows the connection.
	 */
	if ((state & L4LB_CS_ADOPTED) && dir == L4LB_DIR_REPLY &&
	    s == L4LB_TCP_SYN_SENT &&
	    (flags & (L4LB_TCPF_SYN | L4LB_TCPF_ACK | L4LB_TCPF_RST)) ==
	    L4LB_TCPF_ACK)
		return l4lb_tcp_next_state(L4LB_TCP_ESTABLISHED, true, flags);
	/*
	 * The handshake completes with the ACK of the backend's SYN-ACK,
	 * whose end seq[REPLY] holds: a spoofed ACK cannot know it.
	 */
	if (dir == L4LB_DIR_ORIG && s == L4LB_TCP_SYN_RECV &&
	    (flags & L4LB_TCPF_ACK) &&
	    pkt->ack != READ_ONCE(c->seq[L4LB_DIR_REPLY]))
		flags &= ~L4LB_TCPF_ACK;
	return l4lb_tcp_next_state(s, dir == L4LB_DIR_REPLY, flags);
}

/*
 * Keep seq[] close to what each side sends. The backend's side becomes known
 * with its first answer; the client's with its SYN (see l4lb_conn_create).
 */
static void l4lb_tcp_seen(struct l4lb_conn *c, enum l4lb_dir dir,
			  const struct l4lb_pkt *pkt, u32 old, u32 new)
{
	u32 *nxt = &c->seq[dir];

	if (dir == L4LB_DIR_REPLY && !(old & L4LB_CS_REPLIED) &&
	    (new & L4LB_CS_REPLIED)) {
		WRITE_ONCE(*nxt, pkt->end);
		return;
	}
	/*
	 * A SYN retransmitted with another ISN (client restarted); one-way,
	 * also a new connection on a closing flow's tuple, but never a SYN
	 * an established flow ignores: its ISN would move the window to
	 * wherever a spoofer wants it.
	 */
	if (dir == L4LB_DIR_ORIG && !(new & L4LB_CS_REPLIED) &&
	    (pkt->tcp_flags & L4LB_TCPF_SYN) &&
	    (!(new & L4LB_CS_ONEWAY) ||
	     (new & L4LB_CS_PSTATE) == L4LB_TCP_SYN_SENT)) {
		if (READ_ONCE(*nxt) != pkt->end)
			WRITE_ONCE(*nxt, pkt->end);
		return;
	}
	if (l4lb_tcp_seq_advances(READ_ONCE(*nxt), pkt->seq, pkt->end))
		WRITE_ONCE(*nxt, pkt->end);
}

/* A new SYN on the tuple of a connection that is over: schedule afresh. */
static bool l4lb_tcp_reopens(u32 state, const struct l4lb_pkt *pkt)
{
	u8 s = state & L4LB_CS_PSTATE;

	return l4lb_tcp_is_opening(pkt->tcp_flags) &&
	       (s == L4LB_TCP_TIME_WAIT || s == L4LB_TCP_CLOSE);
}

static u32 l4lb_tcp_timeout(u32 state, const struct l4lb_timeouts *t)
{
	u8 s = state & L4LB_CS_PSTATE;

	/* VIP set and the namespace default write it under traffic. */
	return READ_ONCE(t->tcp[s < L4LB_TCP_STATE_COUNT ? s : L4LB_TCP_CLOSE]);
}

static bool l4lb_tcp_active(u32 state)
{
	return (state & L4LB_CS_PSTATE) == L4LB_TCP_ESTABLISHED;
}

static enum l4lb_evict l4lb_tcp_evict_class(u32 state)
{
	if (state & L4LB_CS_ONEWAY)
		return l4lb_tcp_evict_oneway(state & L4LB_CS_PSTATE);
	return l4lb_tcp_evict(state & L4LB_CS_PSTATE);
}

const struct l4lb_proto_ops l4lb_proto_tcp = {
	.proto = IPPROTO_TCP,
	.csum_off = offsetof(struct tcphdr, check),
	.hdr_len = sizeof(struct tcphdr),
	.fill = l4lb_tcp_fill,
	.may_open = l4lb_tcp_may_open,
	.initial = l4lb_tcp_initial,
	.next = l4lb_tcp_next,
	.seen = l4lb_tcp_seen,
	.reopens = l4lb_tcp_reopens,
	.timeout = l4lb_tcp_timeout,
	.active = l4lb_tcp_active,
	.evict = l4lb_tcp_evict_class,
};
