/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing a packet into the tuple the connection table and VIPs are keyed by. */
#ifndef _L4LB_PACKET_H
#define _L4LB_PACKET_H

#include <linux/skbuff.h>

#include "conn.h"

struct l4lb_pkt {
	struct l4lb_tuple tuple;
	unsigned int l4off;	/* L4 header offset from skb->data */
	u8 tcp_flags;		/* L4LB_TCPF_* */
};

/* False for anything the load balancer does not handle: let it pass. */
bool l4lb_parse(struct sk_buff *skb, u8 pf, struct l4lb_pkt *pkt);

#endif /* _L4LB_PACKET_H */
