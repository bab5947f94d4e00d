/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a router does with a packet it forwards, for the modes that send
 * packets on themselves (forward.c).
 */
#ifndef _L4LB_FORWARD_H
#define _L4LB_FORWARD_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"	/* skb_gso_validate_network_len() */

struct l4lb_conn;
struct l4lb_net;

/*
 * As ip_forward() and ip6_forward(): is @skb, longer than @mtu and not to
 * be fragmented, too big even in its GSO segments, or were its fragments
 * (defrag keeps the largest one's size, @frag_max)? The sender is to be
 * told. Inline, as the callers below: asked per packet.
 */
static inline bool l4lb_too_big(const struct sk_buff *skb, unsigned int mtu,
				u16 frag_max)
{
	if (frag_max > mtu)
		return true;
	if (skb->ignore_df)
		return false;
	return !skb_is_gso(skb) || !skb_gso_validate_network_len(skb, mtu);
}

/* IPv4: a datagram without DF is fragmented, never refused. */
static inline bool l4lb_too_big4(const struct sk_buff *skb, unsigned int mtu)
{
	return skb->len > mtu && (ip_hdr(skb)->frag_off & htons(IP_DF)) &&
	       l4lb_too_big(skb, mtu, IPCB(skb)->frag_max_size);
}

static inline bool l4lb_too_big6(const struct sk_buff *skb, unsigned int mtu)
{
	return skb->len > mtu &&
	       l4lb_too_big(skb, mtu, IP6CB(skb)->frag_max_size);
}

/*
 * DNAT, a client's packet of flow @c, rewritten to its backend in
 * PREROUTING: forwarded here on the backend's cached route (NF_STOLEN, or
 * NF_DROP) when the stack would do no more than that, else routed as the
 * stack routes it, left for the stack to forward (NF_ACCEPT).
 */
unsigned int l4lb_forward4(struct l4lb_net *ln, struct sk_buff *skb,
			   struct l4lb_conn *c,
			   const struct nf_hook_state *state);

#endif /* _L4LB_FORWARD_H */
