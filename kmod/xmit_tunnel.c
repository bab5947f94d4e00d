// SPDX-License-Identifier: GPL-2.0
/*
 * Tunnel mode: direct server return over IP, as IPVS TUN. The client's packet
 * goes to its backend untouched, inside an outer IP header from the LB
 * (IPIP for IPv4 VIPs, IP6IP6 for IPv6 ones), optionally with UDP in between:
 * FOU (the inner IP header right after UDP) or GUE (a GUE header, variant 0,
 * first), whose source port comes from the flow hash so that ECMP and RSS
 * spread the flows. The backend decapsulates with a stock ipip / ip6tnl / fou
 * device, owns the VIP, and answers the client directly.
 *
 * The inner packet is not changed at all (no TTL decrement: to the client the
 * LB and the tunnel are one hop). What does not fit the path to the backend
 * once encapsulated is refused to the client with "fragmentation needed" /
 * "packet too big" (IPv4 only with DF); what may be fragmented is fragmented
 * in the outer header, so the backend reassembles it before decapsulating.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/jhash.h>
#include <linux/l4lb.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/dsfield.h>
#include <net/gue.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>

#include "compat.h"
#include "nat.h"
#include "net.h"
#include "packet.h"
#include "service.h"
#include "xmit.h"

static int l4lb_tunnel_check(const struct l4lb_vip_key *key,
			     const struct l4lb_vip_cfg *cfg,
			     struct netlink_ext_ack *extack)
{
	if (cfg->encap != L4LB_ENCAP_IPIP && !cfg->encap_port) {
		NL_SET_ERR_MSG(extack,
			       "FOU and GUE encapsulation need an encap port (the backends' UDP port)");
		return -EINVAL;
	}
	return 0;
}

static struct l4lb_conn *l4lb_tunnel_create(struct l4lb_net *ln,
					    const struct l4lb_pkt *pkt,
					    struct l4lb_backend *be, u32 cs)
{
	return l4lb_xmit_create(ln, pkt, NULL, be, cs);
}

static u32 l4lb_tunnel_seed __read_mostly;

/*
 * The flow's hash, from its tuple: the outer UDP source port and IPv6 flow
 * label come from it. Not the skb's hash, which may be the client's socket's
 * (veth passes it on) and change within a flow when TCP rethinks its path.
 */
static u32 l4lb_flow_hash(const struct l4lb_tuple *t)
{
	u32 ports = ((u32)ntohs(t->sport) << 16) | ntohs(t->dport);

	net_get_random_once(&l4lb_tunnel_seed, sizeof(l4lb_tunnel_seed));
	if (t->family == AF_INET)
		return jhash_3words((__force u32)t->src.ip,
				    (__force u32)t->dst.ip, ports ^ t->proto,
				    l4lb_tunnel_seed);
	return jhash2(t->src.all, 4,
		      jhash2(t->dst.all, 4,
			     jhash_2words(ports, t->proto, l4lb_tunnel_seed)));
}

/* Bytes between the outer IP header and the inner one. */
static unsigned int l4lb_encap_len(u8 encap)
{
	switch (encap) {
	case L4LB_ENCAP_FOU:
		return sizeof(struct udphdr);
	case L4LB_ENCAP_GUE:
		return sizeof(struct udphdr) + sizeof(struct guehdr);
	}
	return 0;
}

/*
 * The route to the backend and the source address the outer header takes
 * from it (the route's preferred source). NULL when there is none, or when
 * the backend is the LB itself: there is nobody to decapsulate.
 */
static struct dst_entry *l4lb_route4(struct net *net, struct sk_buff *skb,
				     __be32 daddr, u8 proto,
				     union nf_inet_addr *saddr)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_mark = skb->mark,
		.flowi4_proto = proto,
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return NULL;
	if (rt->rt_type != RTN_UNICAST) {
		ip_rt_put(rt);
		return NULL;
	}
	saddr->ip = fl4.saddr;
	return &rt->dst;
}

static struct dst_entry *l4lb_route6(struct net *net, struct sk_buff *skb,
				     const struct in6_addr *daddr, u8 proto,
				     union nf_inet_addr *saddr)
{
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.flowi6_mark = skb->mark,
		.flowi6_proto = proto,
	};
	struct dst_entry *dst;

	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error || (dst->dev->flags & IFF_LOOPBACK) ||
	    ipv6_dev_get_saddr(net, dst->dev, daddr, 0, &saddr->in6)) {
		dst_release(dst);
		return NULL;
	}
	return dst;
}

/* Based on ip_exceeds_mtu(): does @skb, or each of its segments, fit? */
static bool l4lb_fits(const struct sk_buff *skb, unsigned int mtu)
{
	return skb->len <= mtu ||
	       (skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

enum l4lb_fit {
	L4LB_FIT,		/* as it is */
	L4LB_FIT_FRAG,		/* in fragments of the outer packet */
	L4LB_FIT_TOO_BIG,	/* the client must send smaller packets */
};

/*
 * Whether the packet may go through a tunnel of @mtu bytes for the inner
 * packet. A datagram defrag reassembled is judged by its largest fragment,
 * as the forwarding path does: if those fitted, the outer packet carries it
 * in fragments. An ICMP error is never answered with another; neither is a
 * packet when the tunnel leaves less than the minimum MTU the client may be
 * asked for: both go in fragments.
 */
static enum l4lb_fit l4lb_tunnel_fit(const struct sk_buff *skb,
				     const struct l4lb_pkt *pkt, u8 pf,
				     int mtu)
{
	u16 frag_max;

	if (mtu > 0 && l4lb_fits(skb, mtu))
		return L4LB_FIT;
	if (pkt->icmp)
		return L4LB_FIT_FRAG;
	if (pf == NFPROTO_IPV4) {
		if (mtu < 68 || !(ip_hdr(skb)->frag_off & htons(IP_DF)))
			return L4LB_FIT_FRAG;
		frag_max = IPCB(skb)->frag_max_size;
	} else {
		if (mtu < IPV6_MIN_MTU)
			return L4LB_FIT_FRAG;
		frag_max = IP6CB(skb)->frag_max_size;
	}
	if (frag_max && frag_max <= mtu && !skb_is_gso(skb))
		return L4LB_FIT_FRAG;
	return L4LB_FIT_TOO_BIG;
}

/* Tell the client its packet was too big for the tunnel: @mtu at most. */
static void l4lb_tunnel_too_big(struct sk_buff *skb,
				const struct nf_hook_state *state, u32 mtu)
{
	if (state->pf == NFPROTO_IPV4) {
		/*
		 * icmp_send() needs the packet's route, which it has not yet
		 * in PREROUTING. With the input route, a VIP that is a local
		 * address is the error's source, as the client expects.
		 */
		if (!skb_dst(skb) &&
		    l4lb_route_input4(skb, ip_hdr(skb), state->in))
			return;
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			  htonl(mtu));
		return;
	}
	/* The LB host's own clients' packets have no device yet. */
	if (!skb->dev)
		skb->dev = state->net->loopback_dev;
	icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
}

/* Push the UDP header (and GUE's), for the backends' FOU/GUE port @port. */
static void l4lb_push_udp(struct sk_buff *skb, u8 encap, __be16 sport,
			  __be16 port, u8 inner_proto)
{
	struct guehdr *gueh;
	struct udphdr *uh;

	if (encap == L4LB_ENCAP_GUE) {
		gueh = skb_push(skb, sizeof(*gueh));
		gueh->control = 0;
		gueh->version = 0;
		gueh->hlen = 0;
		gueh->flags = 0;
		gueh->proto_ctype = inner_proto;
	}
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = sport;
	uh->dest = port;
	uh->len = htons(skb->len);
	uh->check = 0;
}

static void l4lb_push_ip4(struct net *net, struct sk_buff *skb,
			  const struct dst_entry *dst, __be32 saddr,
			  __be32 daddr, u8 proto, u8 dsfield, __be16 df)
{
	struct iphdr *iph;

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = dsfield;
	iph->tot_len = htons(skb->len);
	iph->frag_off = df;
	iph->ttl = ip4_dst_hoplimit(dst);
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	/* ip_local_out() computes the header checksum. */
	ip_select_ident_segs(net, skb, NULL, skb_shinfo(skb)->gso_segs ?: 1);
	skb->protocol = htons(ETH_P_IP);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
}

static void l4lb_push_ip6(struct net *net, struct sk_buff *skb,
			  struct dst_entry *dst, const struct in6_addr *saddr,
			  const struct in6_addr *daddr, u8 proto, u8 dsfield)
{
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.saddr = *saddr,
		.flowi6_proto = proto,
	};
	struct ipv6hdr *ip6h;

	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	/* From the inner flow's hash, set before: a label for ECMP. */
	ip6_flow_hdr(ip6h, dsfield,
		     ip6_make_flowlabel(net, skb, 0, true, &fl6));
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = proto;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
}

static unsigned int l4lb_tunnel_xmit(struct l4lb_net *ln,
				     struct sk_buff *skb,
				     const struct l4lb_pkt *pkt,
				     struct l4lb_conn *c, enum l4lb_dir dir,
				     const struct nf_hook_state *state)
{
	const struct l4lb_backend *be = c->backend;
	const union nf_inet_addr *daddr = &be->hkey.key.addr;
	bool v4 = state->pf == NFPROTO_IPV4;
	u8 inner_proto = v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	unsigned int hlen, elen;
	union nf_inet_addr saddr;
	struct dst_entry *dst;
	enum l4lb_fit fit;
	__be16 port, sport = 0;
	int gso_type, err;
	u8 encap, proto, dsfield;
	__be16 df = 0;

	DEBUG_NET_WARN_ON_ONCE(dir != L4LB_DIR_ORIG);	/* see xmit.h */
	encap = READ_ONCE(be->vip->encap);
	port = READ_ONCE(be->vip->encap_port);
	elen = l4lb_encap_len(encap);
	proto = elen ? IPPROTO_UDP : inner_proto;
	hlen = (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) + elen;
	if (elen && !port)
		goto drop;
	/* The outer length field holds 16 bits (GSO: per segment). */
	if (!skb_is_gso(skb) &&
	    skb->len + hlen - (v4 ? 0 : sizeof(struct ipv6hdr)) > IP_MAX_MTU)
		goto drop;

	if (v4)
		dst = l4lb_route4(state->net, skb, daddr->ip, proto, &saddr);
	else
		dst = l4lb_route6(state->net, skb, &daddr->in6, proto, &saddr);
	if (!dst)
		goto drop;

	fit = l4lb_tunnel_fit(skb, pkt, state->pf,
			      (int)dst_mtu(dst) - (int)hlen);
	if (unlikely(fit == L4LB_FIT_TOO_BIG)) {
		l4lb_tunnel_too_big(skb, state, dst_mtu(dst) - hlen);
		dst_release(dst);
		l4lb_net_count(ln->stats, L4LB_NET_TOO_BIG);
		return NF_DROP;
	}

	if (v4) {
		dsfield = ipv4_get_dsfield(ip_hdr(skb));
		/* What is sent in fragments cannot say "do not fragment". */
		if (fit == L4LB_FIT)
			df = ip_hdr(skb)->frag_off & htons(IP_DF);
	} else {
		dsfield = ipv6_get_dsfield(ipv6_hdr(skb));
	}
	dsfield = INET_ECN_encapsulate(dsfield, dsfield);
	/* For the UDP source port and the IPv6 flow label. */
	skb_set_hash(skb, l4lb_flow_hash(&pkt->tuple), PKT_HASH_TYPE_L4);
	if (elen)
		sport = udp_flow_src_port(state->net, skb, 0, 0, false);

	if (skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) + hlen))
		goto drop_dst;
	if (pkt->l4off)
		skb_set_transport_header(skb, pkt->l4off);
	gso_type = v4 ? SKB_GSO_IPXIP4 : SKB_GSO_IPXIP6;
	/*
	 * FOU/GUE over IPv6 needs the UDP checksum (RFC 8200); over IPv4 it
	 * is left out, as the kernel's own FOU and GUE tunnels do by default.
	 */
	if (elen)
		gso_type |= v4 ? SKB_GSO_UDP_TUNNEL : SKB_GSO_UDP_TUNNEL_CSUM;
	if (iptunnel_handle_offloads(skb, gso_type))
		goto drop_dst;
	skb_set_inner_ipproto(skb, inner_proto);
	/* Where GSO finds the inner packet after the outer headers. */
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));

	if (elen)
		l4lb_push_udp(skb, encap, sport, port, inner_proto);
	if (v4) {
		if (elen)
			udp_set_csum(true, skb, saddr.ip, daddr->ip, skb->len);
		l4lb_push_ip4(state->net, skb, dst, saddr.ip, daddr->ip,
			      proto, dsfield, df);
	} else {
		if (elen)
			udp6_set_csum(false, skb, &saddr.in6, &daddr->in6,
				      skb->len);
		l4lb_push_ip6(state->net, skb, dst, &saddr.in6, &daddr->in6,
			      proto, dsfield);
	}

	/* The outer packet is the LB's own: it may fragment it (see above). */
	skb->ignore_df = 1;
	if (state->hook == NF_INET_PRE_ROUTING)
		skb_clear_tstamp(skb);
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	if (v4)
		err = ip_local_out(state->net, skb->sk, skb);
	else
		err = ip6_local_out(state->net, skb->sk, skb);
	/* Gone either way: a loss is counted here, not by the hook. */
	if (unlikely(net_xmit_eval(err))) {
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		l4lb_backend_event(c->backend, L4LB_EV_DROP_XMIT);
	}
	return NF_STOLEN;

drop_dst:
	dst_release(dst);
drop:
	l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
	return NF_DROP;
}

/*
 * Path MTU beyond the LB's own link. A router's "fragmentation needed" /
 * "packet too big" about an encapsulated packet comes to the LB and quotes
 * the outer header, which the stack hands only to a tunnel device of its
 * own. The LB takes it itself, as IPVS does (ip_vs_in_icmp()): the route to
 * the backend learns the MTU, and the client's next packet that no longer
 * fits is answered with the MTU left inside the tunnel (l4lb_tunnel_fit()).
 *
 * An error is believed only when it quotes what the LB sends: its outer
 * header from the local address the error is addressed to, encapsulated as
 * the VIP says, around a packet of a live tunnel flow (client address and
 * port, VIP and port) going to that very backend. Whoever forges one must
 * know all that; then it can lower the path MTU to that backend, for every
 * flow, down to the kernel's floor (min_pmtu, 552 by default; 1280 for
 * IPv6) for as long as the route keeps it (mtu_expires): the risk IPVS and
 * the stack's own sockets accept. Routers that quote less than the inner
 * headers (RFC 792's minimum, 8 bytes past the outer header) are not
 * believed: RFC 1812 and RFC 4443 ask for as much as fits.
 */

/*
 * The quoted outer header at @off, its inner packet's addresses and ports
 * into @t; @outer gets the outer addresses, protocol and UDP destination
 * port, *@encap what the LB would have sent. Returns false on anything the
 * LB does not send.
 */
static bool l4lb_tunnel_quote(const struct sk_buff *skb, unsigned int off,
			      u8 pf, struct l4lb_tuple *outer,
			      struct l4lb_tuple *t, u8 *encap)
{
	u8 inner_proto = pf == NFPROTO_IPV4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	const struct udphdr *uh;
	const struct guehdr *gueh;
	const __be16 *ports;
	union {
		struct iphdr iph;
		struct ipv6hdr ip6h;
		struct udphdr uh;
		struct guehdr gueh;
		__be16 ports[2];
	} buf;
	__be16 frag_off;
	u8 nexthdr;
	int l4off;

	/* Outer: no options, no extension headers, never a later fragment. */
	if (pf == NFPROTO_IPV4) {
		iph = skb_header_pointer(skb, off, sizeof(*iph), &buf.iph);
		if (!iph || iph->version != 4 || iph->ihl != 5 ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return false;
		outer->src.ip = iph->saddr;
		outer->dst.ip = iph->daddr;
		outer->proto = iph->protocol;
		off += sizeof(*iph);
	} else {
		ip6h = skb_header_pointer(skb, off, sizeof(*ip6h), &buf.ip6h);
		if (!ip6h || ip6h->version != 6)
			return false;
		outer->src.in6 = ip6h->saddr;
		outer->dst.in6 = ip6h->daddr;
		outer->proto = ip6h->nexthdr;
		off += sizeof(*ip6h);
	}

	if (outer->proto == inner_proto) {
		*encap = L4LB_ENCAP_IPIP;
	} else if (outer->proto == IPPROTO_UDP) {
		uh = skb_header_pointer(skb, off, sizeof(*uh), &buf.uh);
		if (!uh)
			return false;
		outer->dport = uh->dest;
		off += sizeof(*uh);
		/*
		 * FOU: the inner IP header, version 4 or 6 in the first four
		 * bits; GUE: a variant 0 header, 0 in the first two, as the
		 * LB writes it (no flags, no options).
		 */
		gueh = skb_header_pointer(skb, off, sizeof(*gueh), &buf.gueh);
		if (!gueh)
			return false;
		if (((const u8 *)gueh)[0] >> 4 == (pf == NFPROTO_IPV4 ? 4 : 6)) {
			*encap = L4LB_ENCAP_FOU;
		} else if (!gueh->control && !gueh->version && !gueh->hlen &&
			   !gueh->flags && gueh->proto_ctype == inner_proto) {
			*encap = L4LB_ENCAP_GUE;
			off += sizeof(*gueh);
		} else {
			return false;
		}
	} else {
		return false;
	}

	/* Inner: the client's packet as it came, of the same family. */
	if (pf == NFPROTO_IPV4) {
		iph = skb_header_pointer(skb, off, sizeof(*iph), &buf.iph);
		if (!iph || iph->version != 4 || iph->ihl < 5 ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return false;
		t->src.ip = iph->saddr;
		t->dst.ip = iph->daddr;
		t->proto = iph->protocol;
		l4off = off + iph->ihl * 4;
	} else {
		ip6h = skb_header_pointer(skb, off, sizeof(*ip6h), &buf.ip6h);
		if (!ip6h || ip6h->version != 6)
			return false;
		t->src.in6 = ip6h->saddr;
		t->dst.in6 = ip6h->daddr;
		nexthdr = ip6h->nexthdr;
		l4off = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr,
					 &frag_off);
		if (l4off < 0 || (frag_off & htons(IP6_OFFSET)))
			return false;
		t->proto = nexthdr;
	}
	ports = skb_header_pointer(skb, l4off, sizeof(buf.ports), buf.ports);
	if (!ports)
		return false;
	t->sport = ports[0];
	t->dport = ports[1];
	return true;
}

/* Is @addr one of this namespace's own addresses? */
static bool l4lb_addr_local(struct net *net, const union nf_inet_addr *addr,
			    u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return inet_addr_type(net, addr->ip) == RTN_LOCAL;
	return ipv6_chk_addr(net, &addr->in6, NULL, 0);
}

/*
 * @pkt, a "fragmentation needed" / "packet too big" arriving at the LB:
 * when it is about one of the LB's own encapsulated packets, the route to
 * the backend learns the MTU and the error is consumed (true: the caller
 * returns NF_STOLEN). False: not about a tunnel, left as it is.
 */
bool l4lb_tunnel_icmp(struct l4lb_net *ln, struct sk_buff *skb,
		      const struct l4lb_pkt *pkt,
		      const struct nf_hook_state *state)
{
	struct l4lb_tuple outer = {}, t = {};
	unsigned int off = pkt->inner_l3off;
	const struct l4lb_backend *be;
	union nf_inet_addr to = {};
	struct l4lb_conn *c;
	struct l4lb_vip *vip;
	enum l4lb_dir dir;
	u8 pf = state->pf;
	u8 encap;

	if (!l4lb_tunnel_quote(skb, off, pf, &outer, &t, &encap))
		return false;
	/* Routers send the error to the outer source: the LB itself. */
	if (pf == NFPROTO_IPV4)
		to.ip = ip_hdr(skb)->daddr;
	else
		to.in6 = ipv6_hdr(skb)->daddr;
	if (!nf_inet_addr_cmp(&to, &outer.src))
		return false;

	t.family = pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	c = l4lb_conn_lookup(ln, &t, &dir);
	if (!c || dir != L4LB_DIR_ORIG ||
	    l4lb_conn_mode(c) != L4LB_FWD_TUNNEL)
		return false;
	be = c->backend;
	vip = be->vip;
	if (!nf_inet_addr_cmp(&be->hkey.key.addr, &outer.dst) ||
	    READ_ONCE(vip->encap) != encap ||
	    (encap != L4LB_ENCAP_IPIP &&
	     READ_ONCE(vip->encap_port) != outer.dport))
		return false;
	/* Last, the costly checks: a lookup, a checksum. */
	if (!l4lb_addr_local(state->net, &outer.src, pf) ||
	    !l4lb_nat_icmp_csum_ok(skb, pkt, state->hook))
		return false;

	/* Both update functions read the quoted header at skb->data. */
	if (!pskb_may_pull(skb, off + (pf == NFPROTO_IPV4 ?
				       sizeof(struct iphdr) :
				       sizeof(struct ipv6hdr))))
		return false;
	__skb_pull(skb, off);
	if (pf == NFPROTO_IPV4)
		ipv4_update_pmtu(skb, state->net, pkt->mtu, 0, outer.proto);
	else
		ip6_update_pmtu(skb, state->net, htonl(pkt->mtu), 0, 0,
				sock_net_uid(state->net, NULL));
	consume_skb(skb);
	l4lb_net_count(ln->stats, L4LB_NET_TUNNEL_PMTU);
	return true;
}

const struct l4lb_xmit_ops l4lb_xmit_tunnel = {
	.oneway = true,
	.check = l4lb_tunnel_check,
	.create = l4lb_tunnel_create,
	.xmit = l4lb_tunnel_xmit,
};
