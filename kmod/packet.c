// SPDX-License-Identifier: GPL-2.0
/*
 * Packet parsing. A fragment carries no ports to match: it is told apart
 * (addresses only), for the hook to reassemble it (defrag.c) and parse the
 * whole datagram again. An ICMP error is parsed down to the packet it
 * quotes, whose reversed tuple is the flow (and direction) the error is
 * about.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "packet.h"
#include "proto.h"

/*
 * The ports of a quoted packet: RFC 792 quotes at least 8 bytes of L4. The
 * error is about a flow only when it goes where the flow's packets in its
 * direction go: to the quoted packet's source.
 */
static bool l4lb_parse_inner_ports(struct sk_buff *skb, struct l4lb_pkt *pkt,
				   struct l4lb_tuple *inner)
{
	union nf_inet_addr outer_dst = pkt->tuple.dst;
	const __be16 *ports;
	__be16 _ports[2];

	if (pkt->inner_l4off + 8 > skb->len)
		return false;
	ports = skb_header_pointer(skb, pkt->inner_l4off, sizeof(_ports),
				   _ports);
	if (!ports)
		return false;
	inner->sport = ports[0];
	inner->dport = ports[1];
	if (!nf_inet_addr_cmp(&outer_dst, &inner->src))
		return false;
	pkt->proto = l4lb_proto_find(inner->proto);
	l4lb_tuple_reverse(&pkt->tuple, inner);
	pkt->icmp = true;
	return pkt->proto;
}

/*
 * The ICMP and IPv6 parsers are out of line: their header copies on the
 * stack would make every packet's parse pay a larger frame and a stack
 * protector check.
 */
static noinline enum l4lb_parse l4lb_parse_icmp4(struct sk_buff *skb,
						 struct l4lb_pkt *pkt)
{
	struct l4lb_tuple inner = { .family = AF_INET };
	const struct icmphdr *icmph;
	const struct iphdr *iph;
	struct icmphdr _icmph;
	struct iphdr _iph;

	icmph = skb_header_pointer(skb, pkt->l4off, sizeof(_icmph), &_icmph);
	if (!icmph)
		return L4LB_PKT_PASS;
	switch (icmph->type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		break;
	default:
		return L4LB_PKT_PASS;	/* echo and the like: not about a flow */
	}
	if (icmph->type == ICMP_DEST_UNREACH &&
	    icmph->code == ICMP_FRAG_NEEDED) {
		pkt->too_big = true;
		pkt->mtu = ntohs(icmph->un.frag.mtu);
	}

	pkt->inner_l3off = pkt->l4off + sizeof(*icmph);
	iph = skb_header_pointer(skb, pkt->inner_l3off, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5 ||
	    (iph->frag_off & htons(IP_OFFSET)))
		return L4LB_PKT_PASS;
	inner.src.ip = iph->saddr;
	inner.dst.ip = iph->daddr;
	inner.proto = iph->protocol;
	pkt->inner_l4off = pkt->inner_l3off + iph->ihl * 4;
	return l4lb_parse_inner_ports(skb, pkt, &inner) ? L4LB_PKT_ICMP :
							  L4LB_PKT_PASS;
}

static noinline enum l4lb_parse l4lb_parse_icmp6(struct sk_buff *skb,
						 struct l4lb_pkt *pkt)
{
	struct l4lb_tuple inner = { .family = AF_INET6 };
	const struct icmp6hdr *icmp6h;
	const struct ipv6hdr *ip6h;
	struct icmp6hdr _icmp6h;
	struct ipv6hdr _ip6h;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	icmp6h = skb_header_pointer(skb, pkt->l4off, sizeof(_icmp6h),
				    &_icmp6h);
	if (!icmp6h)
		return L4LB_PKT_PASS;
	switch (icmp6h->icmp6_type) {
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_PKT_TOOBIG:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		break;
	default:
		return L4LB_PKT_PASS;
	}
	if (icmp6h->icmp6_type == ICMPV6_PKT_TOOBIG) {
		pkt->too_big = true;
		pkt->mtu = ntohl(icmp6h->icmp6_mtu);
	}

	pkt->inner_l3off = pkt->l4off + sizeof(*icmp6h);
	ip6h = skb_header_pointer(skb, pkt->inner_l3off, sizeof(_ip6h),
				  &_ip6h);
	if (!ip6h || ip6h->version != 6)
		return L4LB_PKT_PASS;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, pkt->inner_l3off + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0 || (frag_off & htons(IP6_OFFSET)))
		return L4LB_PKT_PASS;
	inner.src.in6 = ip6h->saddr;
	inner.dst.in6 = ip6h->daddr;
	inner.proto = nexthdr;
	pkt->inner_l4off = off;
	return l4lb_parse_inner_ports(skb, pkt, &inner) ? L4LB_PKT_ICMP :
							  L4LB_PKT_PASS;
}

/*
 * A TCP or UDP header outside the linear part, copied out. Out of line, so
 * that a packet whose header is in place, as nearly every packet has it,
 * pays no stack copy and no stack protector check.
 */
static noinline bool l4lb_fill_copy(const struct sk_buff *skb,
				    struct l4lb_pkt *pkt)
{
	union {
		struct tcphdr tcp;
		struct udphdr udp;
	} buf;
	const void *hdr;

	if (WARN_ON_ONCE(pkt->proto->hdr_len > sizeof(buf)))
		return false;
	hdr = skb_header_pointer(skb, pkt->l4off, pkt->proto->hdr_len, &buf);
	return hdr && pkt->proto->fill(skb, pkt, hdr);
}

static __always_inline bool l4lb_fill(const struct sk_buff *skb,
				      struct l4lb_pkt *pkt)
{
	const struct l4lb_proto_ops *ops = pkt->proto;

	if (unlikely(pkt->l4off + ops->hdr_len > skb_headlen(skb)))
		return l4lb_fill_copy(skb, pkt);
	return ops->fill(skb, pkt, skb->data + pkt->l4off);
}

/* TCP or UDP at pkt->l4off, or an ICMP error. */
static __always_inline enum l4lb_parse l4lb_parse_l4(struct sk_buff *skb,
						     struct l4lb_pkt *pkt)
{
	u8 proto = pkt->tuple.proto;

	if (proto == IPPROTO_ICMP && pkt->tuple.family == AF_INET)
		return l4lb_parse_icmp4(skb, pkt);
	if (proto == IPPROTO_ICMPV6 && pkt->tuple.family == AF_INET6)
		return l4lb_parse_icmp6(skb, pkt);
	pkt->proto = l4lb_proto_find(proto);
	if (!pkt->proto)
		return L4LB_PKT_PASS;
	return l4lb_fill(skb, pkt) ? L4LB_PKT_FLOW : L4LB_PKT_INVALID;
}

static enum l4lb_parse l4lb_parse_ipv4(struct sk_buff *skb,
				       struct l4lb_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct l4lb_tuple *t = &pkt->tuple;

	t->family = AF_INET;
	t->proto = iph->protocol;
	t->src.ip = iph->saddr;
	t->dst.ip = iph->daddr;
	pkt->l4off = skb_network_offset(skb) + iph->ihl * 4;
	if (ip_is_fragment(iph))
		return L4LB_PKT_FRAG;
	return l4lb_parse_l4(skb, pkt);
}

static noinline enum l4lb_parse l4lb_parse_ipv6(struct sk_buff *skb,
						struct l4lb_pkt *pkt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct l4lb_tuple *t = &pkt->tuple;
	u8 nexthdr = ip6h->nexthdr;
	__be16 frag_off;
	int off;

	t->family = AF_INET6;
	t->src.in6 = ip6h->saddr;
	t->dst.in6 = ip6h->daddr;
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0)
		return L4LB_PKT_INVALID;	/* a broken header chain */
	t->proto = nexthdr;
	pkt->l4off = off;
	/* Offset or more-fragments: a fragment, first or not (the header
	 * chain stops at the fragment header of a non-first one).
	 */
	if (frag_off & htons(IP6_OFFSET | IP6_MF))
		return L4LB_PKT_FRAG;
	return l4lb_parse_l4(skb, pkt);
}

enum l4lb_parse l4lb_parse(struct sk_buff *skb, u8 pf, struct l4lb_pkt *pkt)
{
	/* The tuple is a hash key: unused address bytes must be zero. */
	memset(&pkt->tuple, 0, sizeof(pkt->tuple));
	pkt->proto = NULL;
	pkt->l4off = 0;
	pkt->icmp = false;
	pkt->too_big = false;
	pkt->tcp_flags = 0;
	pkt->seq = 0;
	pkt->ack = 0;
	pkt->end = 0;
	if (pf == NFPROTO_IPV4)
		return l4lb_parse_ipv4(skb, pkt);
	return l4lb_parse_ipv6(skb, pkt);
}
