// SPDX-License-Identifier: GPL-2.0
/* The table of forwarding modes, and what they share. */
#include <linux/l4lb.h>

#include "packet.h"
#include "proto.h"
#include "xmit.h"

const struct l4lb_xmit_ops *const l4lb_xmit_modes[__L4LB_FWD_MAX] = {
	[L4LB_FWD_DNAT] = &l4lb_xmit_dnat,
	[L4LB_FWD_SNAT] = &l4lb_xmit_snat,
	[L4LB_FWD_DSR] = &l4lb_xmit_dsr,
	[L4LB_FWD_TUNNEL] = &l4lb_xmit_tunnel,
};

struct l4lb_conn *l4lb_xmit_create(struct l4lb_net *ln,
				   const struct l4lb_pkt *pkt,
				   const struct l4lb_tuple *reply,
				   struct l4lb_backend *be, u32 cs)
{
	struct l4lb_tuple rev;

	/*
	 * One-way modes never see a reply: the reversed tuple is what the
	 * backend answers with, shown but not hashed (conn.h).
	 */
	if (!reply) {
		l4lb_tuple_reverse(&rev, &pkt->tuple);
		reply = &rev;
	}
	return l4lb_conn_create(ln, &pkt->tuple, reply, be,
				pkt->proto->initial(pkt) | cs, pkt->end);
}
