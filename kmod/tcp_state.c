// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP state machine. It only has to be good enough to pick a timeout:
 * the endpoints enforce TCP, we only decide how long to remember a flow.
 * Both directions are tracked because in DNAT mode replies cross the LB; with
 * modes that see one direction only, the client's ACK alone establishes.
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
	default:
		return reply ? L4LB_TCP_CLOSE_WAIT : L4LB_TCP_FIN_WAIT;
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
			/* A new SYN reopens a finished flow (port reuse). */
			if (state == L4LB_TCP_NONE || state == L4LB_TCP_CLOSE ||
			    state == L4LB_TCP_TIME_WAIT)
				return L4LB_TCP_SYN_SENT;
			return state;
		}
		if (reply && (flags & L4LB_TCPF_ACK) &&
		    state == L4LB_TCP_SYN_SENT)
			return L4LB_TCP_SYN_RECV;
		return state;
	}

	if (flags & L4LB_TCPF_FIN)
		return l4lb_tcp_fin(state, reply);

	if ((flags & L4LB_TCPF_ACK) && !reply &&
	    (state == L4LB_TCP_SYN_SENT || state == L4LB_TCP_SYN_RECV))
		return L4LB_TCP_ESTABLISHED;

	return state;
}
