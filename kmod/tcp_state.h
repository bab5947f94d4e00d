/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connection states as the load balancer sees them, and the transition
 * function. Pure logic: this file and tcp_state.c also build in userspace for
 * the unit tests, so they include nothing from the kernel but types.
 */
#ifndef _L4LB_TCP_STATE_H
#define _L4LB_TCP_STATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
typedef unsigned char u8;
#endif

enum l4lb_tcp_state {
	L4LB_TCP_NONE,
	L4LB_TCP_SYN_SENT,	/* client SYN seen */
	L4LB_TCP_SYN_RECV,	/* backend SYN-ACK seen */
	L4LB_TCP_ESTABLISHED,
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
 * or by the backend (@reply true).
 */
u8 l4lb_tcp_next_state(u8 state, bool reply, u8 flags);

/* A segment that may open a new flow: SYN without ACK or RST. */
static inline bool l4lb_tcp_is_opening(u8 flags)
{
	return (flags & (L4LB_TCPF_SYN | L4LB_TCPF_ACK | L4LB_TCPF_RST)) ==
	       L4LB_TCPF_SYN;
}

#endif /* _L4LB_TCP_STATE_H */
