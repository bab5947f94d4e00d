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
 * or by the backend (@reply true). A RST is passed in only once
 * l4lb_tcp_rst_acceptable() said yes.
 */
u8 l4lb_tcp_next_state(u8 state, bool reply, u8 flags);

/* A segment that may open a new flow: SYN without ACK or RST. */
static inline bool l4lb_tcp_is_opening(u8 flags)
{
	return (flags & (L4LB_TCPF_SYN | L4LB_TCPF_ACK | L4LB_TCPF_RST)) ==
	       L4LB_TCPF_SYN;
}

/*
 * States in which a flow may be evicted to make room for a new one when the
 * table is full: the handshake never completed (a SYN flood's flows, whether
 * or not the backend answered with a SYN-ACK), or the connection is over.
 * A connection that completed its handshake and is still open never is.
 */
static inline bool l4lb_tcp_evictable(u8 state)
{
	return state != L4LB_TCP_ESTABLISHED && state != L4LB_TCP_FIN_WAIT &&
	       state != L4LB_TCP_CLOSE_WAIT;
}

/*
 * Sequence numbers. The LB keeps, per direction, a recent value of the next
 * sequence number that side sends ("nxt"), written only when the sender has
 * moved at least L4LB_TCP_SEQ_STEP beyond it, so that a busy flow does not
 * write its entry on every packet. A RST is believed when its sequence number
 * lies in [nxt - STEP, nxt + WINDOW): a blind attacker must guess a 2^18-wide
 * range out of 2^32 per attempt. Segments outside that range never move nxt,
 * so injected data cannot drag the window to where the attacker's RST is.
 */
#define L4LB_TCP_SEQ_STEP	BIT(14)
#define L4LB_TCP_SEQ_WINDOW	BIT(18)

static inline bool l4lb_tcp_rst_acceptable(u32 nxt, u32 seq)
{
	s32 d = (s32)(seq - nxt);

	return d >= -(s32)L4LB_TCP_SEQ_STEP && d < (s32)L4LB_TCP_SEQ_WINDOW;
}

/* Whether a segment ending at @end should be recorded as the new nxt. */
static inline bool l4lb_tcp_seq_advances(u32 nxt, u32 end)
{
	s32 d = (s32)(end - nxt);

	return d >= (s32)L4LB_TCP_SEQ_STEP && d < (s32)L4LB_TCP_SEQ_WINDOW;
}

#endif /* _L4LB_TCP_STATE_H */
