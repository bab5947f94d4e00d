/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Refusing a new flow out loud: a TCP RST or an ICMP port unreachable to
 * the client, so it fails at once instead of after its retries.
 */
#ifndef _L4LB_REJECT_H
#define _L4LB_REJECT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>

struct l4lb_net;
struct l4lb_pkt;

/* Answer @skb (not consumed) with a RST or an unreachable, counted. */
void l4lb_reject(struct l4lb_net *ln, struct sk_buff *skb,
		 const struct l4lb_pkt *pkt, const struct nf_hook_state *state);

#endif /* _L4LB_REJECT_H */
