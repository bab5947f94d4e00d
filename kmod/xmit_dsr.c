// SPDX-License-Identifier: GPL-2.0
/*
 * DSR (direct server return) by MAC rewrite, as IPVS DR: a client's packet
 * keeps its IP header (the destination stays the VIP, which the backend
 * has on its loopback) and goes to the backend's MAC address on a segment
 * the LB is directly attached to; the backend answers the client directly.
 * The stack would route the packet to the VIP, so it is sent here, to the
 * backend's neighbour entry (NF_STOLEN), with what a router hop does: the
 * TTL or hop limit decremented, the path MTU enforced with ICMP errors the
 * client understands, datagrams that defrag reassembled fragmented again.
 * ICMP errors from the client about the backend's replies go the same way.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/percpu.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/neighbour.h>
#include <net/route.h>

#include "compat.h"
#include "forward.h"
#include "net.h"
#include "packet.h"
#include "route.h"
#include "service.h"
#include "xmit.h"

static struct l4lb_conn *l4lb_dsr_create(struct l4lb_net *ln,
					 const struct l4lb_pkt *pkt,
					 struct l4lb_backend *be, u32 cs)
{
	return l4lb_xmit_create(ln, pkt, NULL, be, cs);
}

/*
 * The neighbour the fragments of the packet being sent on this CPU go to:
 * ip_do_fragment() and ip6_fragment() hand each fragment to an output
 * function that gets no context, and the route's next hop is the VIP. Set
 * and restored around the call, BHs off (a nested send restores ours).
 */
static DEFINE_PER_CPU(struct neighbour *, l4lb_dsr_neigh);

static int l4lb_dsr_frag_out(struct net *net, struct sock *sk,
			     struct sk_buff *skb)
{
	skb_dst_drop(skb);	/* see l4lb_dsr_send() */
	return neigh_output(this_cpu_read(l4lb_dsr_neigh), skb, false);
}

/*
 * The route to @be: its cached one, without a reference (*@ref false), else
 * looked up for this packet's @mark, a reference to put.
 */
static struct dst_entry *l4lb_dsr_route(struct net *net,
					struct l4lb_backend *be, u32 mark,
					bool *ref)
{
	struct dst_entry *dst = l4lb_route_cached(net, be);

	*ref = !dst;
	return dst ?: l4lb_route_lookup(net, be, mark);
}

static void l4lb_dsr_put(struct dst_entry *dst, bool ref)
{
	if (ref)
		dst_release(dst);
}

/*
 * Send @skb (header ready) on @dst, the route to @backend (its reference
 * taken when @ref), to @backend's neighbour entry, in fragments when @frag;
 * drops are counted in netns @ln's and @backend's counters.
 * Consumes @skb. What leaves has no dst: a packet queued while the
 * neighbour resolves is sent on through the neighbour its dst gives for
 * its destination, the VIP's.
 */
static int l4lb_dsr_send(struct l4lb_net *ln, struct sk_buff *skb,
			 struct dst_entry *dst, bool ref,
			 struct l4lb_backend *backend, bool v6, bool frag)
{
	const union nf_inet_addr *addr = &backend->hkey.key.addr;
	struct neighbour *n, *outer;
	int err;

	skb_dst_drop(skb);
	skb->dev = dst->dev;
	/*
	 * The neighbour lookup wants RCU, the fragments' per-CPU neighbour
	 * BHs off: PREROUTING's hook has both (l4lb_hook_in()).
	 */
	lockdep_assert_in_softirq();
	n = v6 ? ip_neigh_gw6(skb->dev, &addr->in6) :
		 ip_neigh_gw4(skb->dev, addr->ip);
	if (IS_ERR(n)) {
		l4lb_dsr_put(dst, ref);
		kfree_skb(skb);
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		l4lb_backend_event(backend, L4LB_EV_DROP_XMIT);
		return PTR_ERR(n);
	}
	if (!frag) {
		l4lb_dsr_put(dst, ref);
		err = neigh_output(n, skb, false);
	} else {
		/* The fragmenting code reads the MTU and counts on it. */
		if (ref)
			skb_dst_set(skb, dst);
		else
			skb_dst_set_noref(skb, dst);
		outer = this_cpu_read(l4lb_dsr_neigh);
		this_cpu_write(l4lb_dsr_neigh, n);
		if (v6)
			err = l4lb_ip6_fragment(ln->net, skb,
						l4lb_dsr_frag_out);
		else
			err = ip_do_fragment(ln->net, NULL, skb,
					     l4lb_dsr_frag_out);
		this_cpu_write(l4lb_dsr_neigh, outer);
	}
	return err;
}

/*
 * An ICMP error to the client about @skb. icmp_send() needs the packet's
 * input route, which PREROUTING has not looked up yet; with it, the error
 * comes from the VIP when the VIP is a local address.
 */
static void l4lb_dsr_icmp4(struct sk_buff *skb,
			   const struct nf_hook_state *state, int type,
			   int code, u32 info)
{
	if (!skb_dst(skb) && l4lb_route_input4(skb, ip_hdr(skb), state->in))
		return;
	icmp_send(skb, type, code, htonl(info));
}

/* A GSO packet that is not to be fragmented must fit in segments. */
static bool l4lb_dsr_gso_fits(const struct sk_buff *skb, unsigned int mtu)
{
	return !skb_is_gso(skb) || skb->len <= mtu ||
	       skb_gso_validate_network_len(skb, mtu);
}

static unsigned int l4lb_dsr_xmit4(struct l4lb_net *ln, struct sk_buff *skb,
				   struct l4lb_backend *backend,
				   const struct nf_hook_state *state)
{
	struct dst_entry *dst;
	unsigned int mtu;
	struct rtable *rt;
	bool frag, ref;

	dst = l4lb_dsr_route(state->net, backend, skb->mark, &ref);
	if (IS_ERR(dst))
		goto drop;
	rt = container_of(dst, struct rtable, dst);
	/*
	 * Only a neighbour on a directly attached segment gets the frame: a
	 * gateway would route it back to the VIP. Not this host either.
	 */
	if (rt->rt_type != RTN_UNICAST || rt->rt_gw_family)
		goto drop_rt;
	if (ip_hdr(skb)->ttl <= 1) {
		l4lb_dsr_icmp4(skb, state, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
		goto drop_rt;
	}
	mtu = ip_dst_mtu_maybe_forward(dst, true);
	if (l4lb_too_big4(skb, mtu)) {
		l4lb_dsr_put(dst, ref);
		l4lb_net_count(ln->stats, L4LB_NET_TOO_BIG);
		l4lb_dsr_icmp4(skb, state, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			       mtu);
		return NF_DROP;
	}
	if (!l4lb_dsr_gso_fits(skb, mtu) ||
	    skb_cow(skb, LL_RESERVED_SPACE(dst->dev)))
		goto drop_rt;
	ip_decrease_ttl(ip_hdr(skb));

	frag = !skb_is_gso(skb) &&
	       (skb->len > mtu || IPCB(skb)->frag_max_size);
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	/* Sent, or dropped and counted by the stack: it is no longer ours. */
	l4lb_dsr_send(ln, skb, dst, ref, backend, false, frag);
	return NF_STOLEN;

drop_rt:
	l4lb_dsr_put(dst, ref);
drop:
	l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
	return NF_DROP;
}

static unsigned int l4lb_dsr_xmit6(struct l4lb_net *ln, struct sk_buff *skb,
				   struct l4lb_backend *backend,
				   const struct nf_hook_state *state)
{
	struct dst_entry *dst;
	unsigned int mtu;
	bool frag, ref;

	dst = l4lb_dsr_route(state->net, backend, skb->mark, &ref);
	if (IS_ERR(dst))
		goto drop;
	/* On-link, not local: see l4lb_dsr_xmit4(). */
	if ((dst_rt6_info(dst)->rt6i_flags &
	     (RTF_GATEWAY | RTF_LOCAL | RTF_ANYCAST | RTF_REJECT)) ||
	    (dst->dev->flags & IFF_LOOPBACK))
		goto drop_dst;
	if (ipv6_hdr(skb)->hop_limit <= 1) {
		icmpv6_send(skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
		goto drop_dst;
	}
	mtu = ip6_dst_mtu_maybe_forward(dst, true);
	if (l4lb_too_big6(skb, mtu)) {
		l4lb_dsr_put(dst, ref);
		l4lb_net_count(ln->stats, L4LB_NET_TOO_BIG);
		/* Its source: the VIP when local to the LB (ipv6_chk_addr) */
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
		return NF_DROP;
	}
	if (!l4lb_dsr_gso_fits(skb, mtu) ||
	    skb_cow(skb, LL_RESERVED_SPACE(dst->dev)))
		goto drop_dst;
	ipv6_hdr(skb)->hop_limit--;

	/* As ip6_finish_output(): fragments leave as they came in. */
	frag = !skb_is_gso(skb) &&
	       (skb->len > mtu || (IP6CB(skb)->frag_max_size &&
				   skb->len > IP6CB(skb)->frag_max_size));
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	l4lb_dsr_send(ln, skb, dst, ref, backend, true, frag);
	return NF_STOLEN;

drop_dst:
	l4lb_dsr_put(dst, ref);
drop:
	l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
	return NF_DROP;
}

static unsigned int l4lb_dsr_xmit(struct l4lb_net *ln, struct sk_buff *skb,
				  const struct l4lb_pkt *pkt,
				  struct l4lb_conn *c, enum l4lb_dir dir,
				  const struct nf_hook_state *state)
{
	DEBUG_NET_WARN_ON_ONCE(dir != L4LB_DIR_ORIG);	/* see xmit.h */
	/*
	 * A client on this host: the backend's answer from the VIP would be
	 * a martian here (a local source address, or the VIP routed away).
	 * Refused, with an error the sending socket sees at once.
	 */
	if (state->hook != NF_INET_PRE_ROUTING) {
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		return NF_DROP_ERR(-ECONNREFUSED);
	}
	if (pkt->tuple.family == AF_INET6)
		return l4lb_dsr_xmit6(ln, skb, c->backend, state);
	return l4lb_dsr_xmit4(ln, skb, c->backend, state);
}

const struct l4lb_xmit_ops l4lb_xmit_dsr = {
	.oneway = true,
	.create = l4lb_dsr_create,
	.xmit = l4lb_dsr_xmit,
};
