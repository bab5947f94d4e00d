/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header rewrites with checksum updates. Every rewrite is the difference
 * between the tuple a packet has and the tuple it must leave with: the same
 * code serves DNAT, SNAT and un-NAT in both directions, and the headers an
 * ICMP error quotes.
 */
#ifndef _L4LB_NAT_H
#define _L4LB_NAT_H

#include <linux/skbuff.h>

#include "conn.h"

struct l4lb_pkt;

/*
 * Translate a packet of flow @c going in @dir: a TCP/UDP packet, or an ICMP
 * error about the flow (outer and quoted headers). @local: an ICMP error the
 * LB itself emitted (LOCAL_OUT); toward the client it then comes from the
 * VIP, as everything the client sees from the LB does.
 */
int l4lb_nat(struct sk_buff *skb, const struct l4lb_pkt *pkt,
	     const struct l4lb_conn *c, enum l4lb_dir dir, bool local);

/* Is the ICMP error's checksum right? (It is recomputed after rewriting.) */
bool l4lb_nat_icmp_csum_ok(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			   unsigned int hook);

#endif /* _L4LB_NAT_H */
