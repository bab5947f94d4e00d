/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connection states as the load balancer sees them, the transition
 * function and the sequence-window rule for RSTs. Pure logic: this file and
 * tcp_state.c also build in userspace for the unit tests, so they include
 * nothing from the kernel but types.
 */
#ifndef _L4LB_TCP_STATE_H
#define _L4LB_TCP_STATE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include <stdbool.h>
typedef unsigned char u8;
typedef unsigned int u32;
typedef int s32;
#define BIT(n) (1U << (n))
#endif

#include "evict.h"

enum l4lb_tcp_state {
	L4LB_TCP_NONE,
	L4LB_TCP_SYN_SENT,	/* client SYN seen, no answer yet */
	L4LB_TCP_SYN_RECV,	/* backend SYN-ACK seen */
	L4LB_TCP_ESTABLISHED,	/* client ACK after the SYN-ACK */
	L4LB_TCP_FIN_WAIT,	/* client sent FIN */
	L4LB_TCP_CLOSE_WAIT,	/* backend sent FIN */
	L4LB_TCP_TIME_WAIT,	/* both sides sent FIN */
	L4LB_TCP_CLOSE,		/* RST seen */

	L4LB_TCP_STATE_COUNT
};

/* The TCP header flags the state machine looks at. */
#define L4LB_TCPF_FIN	0x01
#define L4LB_TCPF_SYN	0x02
#define L4LB_TCPF_RST	0x04
#define L4LB_TCPF_ACK	0x10

/*
 * Next state after a segment with @flags, sent by the client (@reply false)
 * or by the backend (@reply true). The caller leaves out of @flags what it
 * did not believe: a RST or FIN outside the sequence window, an ACK that
 * does not acknowledge the backend's SYN-ACK.
 */
u8 l4lb_tcp_next_state(u8 state, bool reply, u8 flags);

/*
 * The same for a one-way flow (DSR, tunnel), where only the client's
 * segments pass the LB, as IPVS's input-only table: its ACK after the SYN
 * establishes (no SYN-ACK is ever seen), its FIN closes (FIN_WAIT until the
 * timeout: the backend's FIN is never seen), a RST ends. A SYN while the
 * flow is closing is the client's next connection on the tuple, kept on the
 * same backend, whose ACK establishes it again; an established flow is left
 * as it is.
 */
u8 l4lb_tcp_next_oneway(u8 state, u8 flags);

/* A segment that may open a new flow: SYN without ACK or RST. */
static inline bool l4lb_tcp_is_opening(u8 flags)
{
	return (flags & (L4LB_TCPF_SYN | L4LB_TCPF_ACK | L4LB_TCPF_RST)) ==
	       L4LB_TCPF_SYN;
}

/* What a flow's state says of how its connection went, for the counters. */
enum l4lb_tcp_outcome {
	L4LB_TCP_PENDING,	/* in its handshake still */
	L4LB_TCP_WAS_ESTABLISHED,
	L4LB_TCP_FAILED,	/* over before it was established */
};

/*
 * Of a flow in @state whose outcome was not known before (once known, it
 * stays: the caller remembers it). ESTABLISHED, FIN_WAIT and CLOSE_WAIT are
 * reached only through ESTABLISHED, possibly within one segment (ACK and
 * FIN); TIME_WAIT and CLOSE before it mean a RST or FIN in the handshake.
 */
static inline enum l4lb_tcp_outcome l4lb_tcp_outcome(u8 state)
{
	switch (state) {
	case L4LB_TCP_ESTABLISHED:
	case L4LB_TCP_FIN_WAIT:
	case L4LB_TCP_CLOSE_WAIT:
		return L4LB_TCP_WAS_ESTABLISHED;
	case L4LB_TCP_TIME_WAIT:
	case L4LB_TCP_CLOSE:
		return L4LB_TCP_FAILED;
	default:
		return L4LB_TCP_PENDING;
	}
}

/*
 * Whether, and how soon, a flow in @state may be evicted to make room for a
 * new one when the table is full: a connection that is over goes first, then
 * one whose handshake never completed (a SYN flood's, whether or not the
 * backend answered with a SYN-ACK). A connection that completed its
 * handshake (the client acknowledged the backend's SYN-ACK) and is still
 * open never does.
 */
static inline enum l4lb_evict l4lb_tcp_evict(u8 state)
{
	switch (state) {
	case L4LB_TCP_ESTABLISHED:
	case L4LB_TCP_FIN_WAIT:
	case L4LB_TCP_CLOSE_WAIT:
		return L4LB_EVICT_NEVER;
	case L4LB_TCP_TIME_WAIT:
	case L4LB_TCP_CLOSE:
		return L4LB_EVICT_ENDED;
	default:
		return L4LB_EVICT_UNPROVEN;
	}
}

/*
 * One-way: an established flow is unproven (nobody saw the backend answer,
 * so its ACK could be forged along with the SYN), so a full table may evict
 * it, but last, the idlest first, like a UDP conversation.
 */
static inline enum l4lb_evict l4lb_tcp_evict_oneway(u8 state)
{
	enum l4lb_evict e = l4lb_tcp_evict(state);

	return e == L4LB_EVICT_NEVER ? L4LB_EVICT_LAST : e;
}

/*
 * Sequence numbers. The LB keeps, per direction, a recent value of the next
 * sequence number that side sends ("nxt"), written only when the sender has
 * moved at least L4LB_TCP_SEQ_STEP beyond it, so that a busy flow does not
 * write its entry on every packet. A RST or FIN is believed when its sequence
 * number lies in [nxt - STEP, nxt + WINDOW): a blind attacker must guess a
 * 2^18-wide range out of 2^32 per attempt. Segments that do not start in that
 * range never move nxt, so injected data cannot drag the window to where the
 * attacker's RST is.
 */
#define L4LB_TCP_SEQ_STEP	BIT(14)
#define L4LB_TCP_SEQ_WINDOW	BIT(18)

static inline bool l4lb_tcp_in_window(u32 nxt, u32 seq)
{
	s32 d = (s32)(seq - nxt);

	return d >= -(s32)L4LB_TCP_SEQ_STEP && d < (s32)L4LB_TCP_SEQ_WINDOW;
}

/*
 * Whether a segment from @seq to @end should be recorded as the new nxt: it
 * starts in the window and ends a step or more beyond nxt (a GRO packet may
 * be longer than the window).
 */
static inline bool l4lb_tcp_seq_advances(u32 nxt, u32 seq, u32 end)
{
	return l4lb_tcp_in_window(nxt, seq) &&
	       (s32)(end - nxt) >= (s32)L4LB_TCP_SEQ_STEP;
}

#endif /* _L4LB_TCP_STATE_H */
