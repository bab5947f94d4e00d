// SPDX-License-Identifier: GPL-2.0
/*
 * DNAT's own forwarding. Rewritten in PREROUTING, a client's packet would
 * be routed by the stack: an input route lookup (FIB lookup, source
 * validation, early demux) for every packet, then ip_forward(). The first
 * packet of a flow still goes that way, with the input route looked up
 * here; the flow is then marked as one the stack's routing took
 * (L4LB_CS_ROUTED: not a martian or a local source). Its next packets go
 * out here, on the backend's cached route (route.h), through what
 * ip_forward() does to them: TTL, MTU, the FORWARD and POSTROUTING hooks.
 *
 * Only while that is all the stack would do: anything else goes the
 * stack's way (and gets its ICMP errors, its counters): reverse-path
 * filtering, forwarding off, policy rules (routing by source or mark),
 * IPsec policies, IP options, TTL expiring, a packet too big, a datagram
 * defrag reassembled, a local backend, another PREROUTING hook after the
 * LB's. One thing the stack does is not done: ICMP redirects (a client is
 * never to go to the backend directly), as IPVS does not.
 */
#include <linux/inetdevice.h>
#include <linux/netfilter_bridge.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "compat.h"
#include "conn.h"
#include "forward.h"
#include "hook.h"
#include "net.h"
#include "route.h"
#include "service.h"

/* No IPsec policy could apply to a forwarded packet (xfrm4_policy_check). */
static bool l4lb_xfrm_none(const struct net *net, const struct sk_buff *skb)
{
#ifdef CONFIG_XFRM
	return !secpath_exists(skb) &&
	       !READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_FWD]) &&
	       !READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) &&
	       READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_FWD]) ==
		       XFRM_USERPOLICY_ACCEPT &&
	       READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_OUT]) ==
		       XFRM_USERPOLICY_ACCEPT;
#else
	return true;
#endif
}

/* Not a frame being bridged that br_netfilter shows to the IP hooks. */
static bool l4lb_not_bridged(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	return !nf_bridge_info_exists(skb);
#else
	return true;
#endif
}

/*
 * Would ip_rcv_finish() and ip_forward() do no more than route it, by its
 * destination alone? Then the first packet is routed here too (after the
 * LB's hook, nothing could change the packet or its mark any more).
 */
static bool l4lb_forward_plain4(const struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct in_device *in_dev = __in_dev_get_rcu(state->in);
	const struct iphdr *iph = ip_hdr(skb);

	return in_dev && IN_DEV_FORWARD(in_dev) && !IN_DEV_RPFILTER(in_dev) &&
	       skb->pkt_type == PACKET_HOST && !skb->sk &&
	       /* LRO: ip_forward() warns and drops it */
	       !(skb_is_gso(skb) && !skb_shinfo(skb)->gso_type) &&
	       iph->ihl == 5 && iph->ttl > 1 && !IPCB(skb)->frag_max_size &&
	       l4lb_not_bridged(skb) && l4lb_xfrm_none(state->net, skb) &&
	       l4lb_route_by_dst(state->net, false) && l4lb_hook_last(state);
}

/* ip_forward_finish() */
static int l4lb_forward4_finish(struct net *net, struct sock *sk,
				struct sk_buff *skb)
{
	__IP_INC_STATS(net, IPSTATS_MIB_OUTFORWDATAGRAMS);
	__IP_ADD_STATS(net, IPSTATS_MIB_OUTOCTETS, skb->len);
#ifdef CONFIG_NET_SWITCHDEV
	if (skb->offload_l3_fwd_mark) {
		consume_skb(skb);
		return 0;
	}
#endif
	skb_clear_tstamp(skb);
	return dst_output(net, sk, skb);
}

/* The first packet: routed as the stack would, here, to see the route. */
static unsigned int l4lb_forward4_first(struct sk_buff *skb,
					struct l4lb_conn *c,
					const struct nf_hook_state *state)
{
	/* An error: the stack looks it up again, and drops and counts it. */
	if (!l4lb_route_input4(skb, ip_hdr(skb), state->in) &&
	    skb_rtable(skb)->rt_type == RTN_UNICAST)
		l4lb_conn_change(c, 0, L4LB_CS_ROUTED);
	return NF_ACCEPT;
}

unsigned int l4lb_forward4(struct l4lb_net *ln, struct sk_buff *skb,
			   struct l4lb_conn *c,
			   const struct nf_hook_state *state)
{
	struct dst_entry *dst;
	struct iphdr *iph;

	/* A route looked up before the rewrite would deliver it to the VIP. */
	skb_dst_drop(skb);
	if (!l4lb_forward_plain4(skb, state))
		return NF_ACCEPT;
	if (!(READ_ONCE(c->state) & L4LB_CS_ROUTED))
		return l4lb_forward4_first(skb, c, state);
	dst = l4lb_route_cached(state->net, c->backend);
	if (!dst || container_of(dst, struct rtable, dst)->rt_type != RTN_UNICAST ||
	    l4lb_too_big4(skb, ip_dst_mtu_maybe_forward(dst, true)))
		return NF_ACCEPT;
	if (skb_cow(skb, LL_RESERVED_SPACE(dst->dev) + dst->header_len)) {
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		return NF_DROP;
	}
	skb_forward_csum(skb);
	iph = ip_hdr(skb);
	ip_decrease_ttl(iph);
	IPCB(skb)->flags |= IPSKB_FORWARDED;
	if (READ_ONCE(state->net->ipv4.sysctl_ip_fwd_update_priority))
		skb->priority = rt_tos2priority(iph->tos);
	skb_dst_set_noref(skb, dst);
	/*
	 * A packet the FORWARD chain queues (NFQUEUE) goes on, once given
	 * back, with ip_output(): the kernel's, not code of this module,
	 * which may be gone by then.
	 */
	if (nf_hook(NFPROTO_IPV4, NF_INET_FORWARD, state->net, NULL, skb,
		    state->in, dst->dev, ip_output) == 1)
		l4lb_forward4_finish(state->net, NULL, skb);
	return NF_STOLEN;
}
