/* SPDX-License-Identifier: GPL-2.0 */
/* Header rewrites with incremental checksum updates. */
#ifndef _L4LB_NAT_H
#define _L4LB_NAT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>

struct l4lb_pkt;

enum l4lb_nat_side {
	L4LB_NAT_SRC,
	L4LB_NAT_DST,
};

/* Rewrite the source or destination address and port of @skb. */
int l4lb_nat_rewrite(struct sk_buff *skb, const struct l4lb_pkt *pkt,
		     enum l4lb_nat_side side, const union nf_inet_addr *addr,
		     __be16 port);

#endif /* _L4LB_NAT_H */
