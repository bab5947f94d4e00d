// SPDX-License-Identifier: GPL-2.0
/*
 * Reassembling fragments in the LB's own hooks, as IPVS does, rather than
 * enabling nf_defrag's hooks for the netns: those run for every packet
 * (one more hook call each), while the LB's parse already tells a fragment
 * from a whole packet, so only fragments pay. A fragment gets here only
 * when nothing earlier reassembled it: with conntrack in use, its defrag
 * (priority -400) has, and the LB sees the whole datagram as before.
 *
 * The defrag users (queue keys) are conntrack's, in the default zone, as
 * nf_defrag's hooks use for a netns without zones: a zone needs conntrack,
 * whose own defrag then runs first. The reassembled datagram is marked as
 * nf_defrag marks it: its largest fragment's size for the way out
 * (frag_max_size) and ignore_df.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <net/ip.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "compat.h"
#include "defrag.h"

static unsigned int l4lb_defrag4(struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	enum ip_defrag_users user = IP_DEFRAG_CONNTRACK_OUT;

	/* IP_NODEFRAG: a raw socket's fragments go out as it made them. */
	if (state->hook == NF_INET_LOCAL_OUT && skb->sk &&
	    sk_fullsock(skb->sk) && skb->sk->sk_family == PF_INET &&
	    l4lb_sk_nodefrag(skb->sk))
		return NF_ACCEPT;
	if (nf_bridge_in_prerouting(skb))
		user = IP_DEFRAG_CONNTRACK_BRIDGE_IN;
	else if (state->hook == NF_INET_PRE_ROUTING)
		user = IP_DEFRAG_CONNTRACK_IN;
	if (ip_defrag(state->net, skb, user))
		return NF_STOLEN;	/* queued, or dropped and counted */
	skb->ignore_df = 1;
	return NF_ACCEPT;
}

static unsigned int l4lb_defrag6(struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	enum ip6_defrag_users user = IP6_DEFRAG_CONNTRACK_OUT;
	int err;

	if (nf_bridge_in_prerouting(skb))
		user = IP6_DEFRAG_CONNTRACK_BRIDGE_IN;
	else if (state->hook == NF_INET_PRE_ROUTING)
		user = IP6_DEFRAG_CONNTRACK_IN;
	err = nf_ct_frag6_gather(state->net, skb, user);
	if (err == -EINPROGRESS)
		return NF_STOLEN;
	return err ? NF_DROP : NF_ACCEPT;
}

unsigned int l4lb_defrag(struct sk_buff *skb, const struct nf_hook_state *state)
{
	return state->pf == NFPROTO_IPV4 ? l4lb_defrag4(skb, state) :
					   l4lb_defrag6(skb, state);
}
