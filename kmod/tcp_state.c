// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP state machine. It only has to be good enough to pick a timeout and
 * to tell a completed handshake from a flood: the endpoints enforce TCP, the
 * LB only decides how long to remember a flow and which flows are worth
 * keeping when the table is full. Both directions are seen in NAT modes,
 * only the client's in one-way modes (DSR, tunnel).
 */
#include "tcp_state.h"

static u8 l4lb_tcp_fin(u8 state, bool reply)
{
	switch (state) {
	case L4LB_TCP_FIN_WAIT:
		return reply ? L4LB_TCP_TIME_WAIT : state;
	case L4LB_TCP_CLOSE_WAIT:
		return reply ? state : L4LB_TCP_TIME_WAIT;
	case L4LB_TCP_TIME_WAIT:
	case L4LB_TCP_CLOSE:
		return state;
	case L4LB_TCP_ESTABLISHED:
		return reply ? L4LB_TCP_CLOSE_WAIT : L4LB_TCP_FIN_WAIT;
	default:
		/* A FIN during the handshake: the connection is ending
		 * before it was established; never let it look alive.
		 */
		return L4LB_TCP_TIME_WAIT;
	}
}

u8 l4lb_tcp_next_state(u8 state, bool reply, u8 flags)
{
	if (state >= L4LB_TCP_STATE_COUNT)
		state = L4LB_TCP_NONE;

	if (flags & L4LB_TCPF_RST)
		return L4LB_TCP_CLOSE;

	if (flags & L4LB_TCPF_SYN) {
		if (!reply && !(flags & L4LB_TCPF_ACK)) {
			/* A SYN retransmit, or the first one. */
			if (state == L4LB_TCP_NONE)
				return L4LB_TCP_SYN_SENT;
			return state;
		}
		if (reply && (flags & L4LB_TCPF_ACK) &&
		    state == L4LB_TCP_SYN_SENT)
			return L4LB_TCP_SYN_RECV;
		return state;
	}

	/*
	 * Only the client's ACK of the backend's SYN-ACK establishes: an ACK
	 * alone, without the backend having answered, proves nothing.
	 */
	if ((flags & L4LB_TCPF_ACK) && !reply && state == L4LB_TCP_SYN_RECV)
		state = L4LB_TCP_ESTABLISHED;

	if (flags & L4LB_TCPF_FIN)
		return l4lb_tcp_fin(state, reply);
	return state;
}

u8 l4lb_tcp_next_oneway(u8 state, u8 flags)
{
	if (state >= L4LB_TCP_STATE_COUNT)
		state = L4LB_TCP_NONE;

	if (flags & L4LB_TCPF_RST)
		return L4LB_TCP_CLOSE;

	if (flags & L4LB_TCPF_SYN) {
		/* A client sends no SYN-ACK. */
		if (flags & L4LB_TCPF_ACK)
			return state;
		switch (state) {
		case L4LB_TCP_NONE:
		case L4LB_TCP_SYN_SENT:
		case L4LB_TCP_FIN_WAIT:
			return L4LB_TCP_SYN_SENT;
		default:
			/* TIME_WAIT and CLOSE are rescheduled before (reopens) */
			return state;
		}
	}

	/* The client's ACK after its SYN: as established as it gets here. */
	if ((flags & L4LB_TCPF_ACK) && state == L4LB_TCP_SYN_SENT)
		state = L4LB_TCP_ESTABLISHED;

	if (flags & L4LB_TCPF_FIN)
		return l4lb_tcp_fin(state, false);
	return state;
}
