// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting. For a packet's own headers the core's helpers
 * (inet_proto_csum_replace*) keep the L4 checksum right for every ip_summed
 * mode: for CHECKSUM_PARTIAL (local senders, GSO) only the pseudo-header part
 * is in the header, for CHECKSUM_COMPLETE skb->csum follows the change. The
 * headers quoted in an ICMP error are plain data: their checksums are
 * updated as such, and the ICMP checksum is computed again at the end.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "nat.h"
#include "packet.h"
#include "proto.h"

/* Where the headers to rewrite are, and how their checksums behave. */
struct l4lb_nat_hdrs {
	unsigned int l3off;
	unsigned int l4off;
	u8 family;
	u8 proto;
	bool quoted;		/* inside an ICMP error */
	__sum16 *l4csum;	/* NULL: none to update (UDP without, or cut off) */
};

static void l4lb_csum_replace4(struct sk_buff *skb,
			       const struct l4lb_nat_hdrs *h,
			       __be32 from, __be32 to, bool pseudo)
{
	if (!h->l4csum)
		return;
	if (h->quoted)
		csum_replace4(h->l4csum, from, to);
	else
		inet_proto_csum_replace4(h->l4csum, skb, from, to, pseudo);
}

static __always_inline void l4lb_nat_addr4(struct sk_buff *skb,
					   const struct l4lb_nat_hdrs *h,
					   bool dst, __be32 to)
{
	struct iphdr *iph = (void *)skb->data + h->l3off;
	__be32 *a = dst ? &iph->daddr : &iph->saddr;

	l4lb_csum_replace4(skb, h, *a, to, true);
	csum_replace4(&iph->check, *a, to);
	*a = to;
}

static void l4lb_nat_addr(struct sk_buff *skb, const struct l4lb_nat_hdrs *h,
			  bool dst, const union nf_inet_addr *to)
{
	if (h->family == AF_INET) {
		l4lb_nat_addr4(skb, h, dst, to->ip);
	} else {
		struct ipv6hdr *ip6h = (void *)skb->data + h->l3off;
		struct in6_addr *a = dst ? &ip6h->daddr : &ip6h->saddr;
		int i;

		/* The core's 16-byte helper leaves skb->csum alone: for
		 * IPv6 the address and L4 checksum changes cancel out.
		 */
		if (h->l4csum && !h->quoted)
			inet_proto_csum_replace16(h->l4csum, skb, a->s6_addr32,
						  to->ip6, true);
		else
			for (i = 0; i < 4; i++)
				l4lb_csum_replace4(skb, h, a->s6_addr32[i],
						   to->ip6[i], true);
		*a = to->in6;
	}
}

static void l4lb_nat_port(struct sk_buff *skb, const struct l4lb_nat_hdrs *h,
			  bool dst, __be16 to)
{
	/* Both TCP and UDP start with the two ports. */
	__be16 *p = (void *)skb->data + h->l4off + (dst ? 2 : 0);

	if (h->l4csum) {
		if (h->quoted)
			csum_replace2(h->l4csum, *p, to);
		else
			inet_proto_csum_replace2(h->l4csum, skb, *p, to, false);
	}
	*p = to;
}

/* Zero means "no checksum" to UDP: a rewritten one sends all ones instead. */
static void l4lb_nat_udp_zero(const struct l4lb_nat_hdrs *h)
{
	if (h->l4csum && h->proto == IPPROTO_UDP && !*h->l4csum)
		*h->l4csum = CSUM_MANGLED_0;
}

/*
 * Rewrite the headers described by @h from tuple @from to tuple @to.
 * Inlined, as l4lb_nat_target(): a call each would be a visible share of a
 * packet's time (make bench's profile phase).
 */
static __always_inline void l4lb_nat_tuple(struct sk_buff *skb,
					   struct l4lb_nat_hdrs *h,
					   const struct l4lb_tuple *from,
					   const struct l4lb_tuple *to)
{
	if (!nf_inet_addr_cmp(&from->src, &to->src))
		l4lb_nat_addr(skb, h, false, &to->src);
	if (!nf_inet_addr_cmp(&from->dst, &to->dst))
		l4lb_nat_addr(skb, h, true, &to->dst);
	if (from->sport != to->sport)
		l4lb_nat_port(skb, h, false, to->sport);
	if (from->dport != to->dport)
		l4lb_nat_port(skb, h, true, to->dport);
	l4lb_nat_udp_zero(h);
}

/* What replacing @from by @to adds to a checksum (16-bit values widened). */
static __always_inline __wsum l4lb_csum_change(__wsum sum, u32 from, u32 to)
{
	return from == to ? sum :
	       csum_add(sum, csum_sub((__force __wsum)to, (__force __wsum)from));
}

/*
 * A packet's own L4 checksum after address changes that add up to @addrs
 * (the pseudo header's) and port changes that add up to @ports, as
 * inet_proto_csum_replace4() and _replace2() would leave it, once for all:
 * for CHECKSUM_PARTIAL the field holds the pseudo header's sum alone; for
 * CHECKSUM_COMPLETE skb->csum, which covers the L4 header, follows only
 * the address changes (the ports' change and the field's cancel out).
 */
static __always_inline void l4lb_nat_l4csum4(struct sk_buff *skb,
					     __sum16 *sum, __wsum addrs,
					     __wsum ports)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		*sum = ~csum_fold(csum_add(csum_unfold(*sum), addrs));
		return;
	}
	csum_replace_by_diff(sum, csum_add(addrs, ports));
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = ~csum_add(addrs, ~skb->csum);
}

/*
 * l4lb_nat_tuple() for an IPv4 packet of a flow (a flow and its backend
 * are of one family): its target is the reverse of the flow's other key,
 * read in place, and each checksum is updated once, by the sum of the
 * changes (the IP header's by the addresses', as the pseudo header's).
 * Every packet of a DNAT or SNAT flow comes this way; building two tuples
 * for it cost about 40 instructions, a helper call per change about 20
 * (make bench).
 */
static void l4lb_nat_key4(struct sk_buff *skb, struct l4lb_nat_hdrs *h,
			  const struct l4lb_tuple *from,
			  const struct l4lb_key4 *other)
{
	struct iphdr *iph = (void *)skb->data + h->l3off;
	__be16 *port = (void *)skb->data + h->l4off;	/* TCP, UDP: ports first */
	__wsum addrs, ports;

	addrs = l4lb_csum_change(0, (__force u32)from->src.ip,
				 (__force u32)other->dst);
	addrs = l4lb_csum_change(addrs, (__force u32)from->dst.ip,
				 (__force u32)other->src);
	ports = l4lb_csum_change(0, (__force u16)from->sport,
				 (__force u16)other->dport);
	ports = l4lb_csum_change(ports, (__force u16)from->dport,
				 (__force u16)other->sport);
	iph->saddr = other->dst;
	iph->daddr = other->src;
	port[0] = other->dport;
	port[1] = other->sport;
	csum_replace_by_diff(&iph->check, addrs);
	if (h->l4csum)
		l4lb_nat_l4csum4(skb, h->l4csum, addrs, ports);
	l4lb_nat_udp_zero(h);
}

/*
 * The L4 checksum to update, if any: none for a UDP datagram sent without one
 * (IPv4 allows it: it stays without), none when an ICMP error's quote is
 * too short to hold it.
 */
static __sum16 *l4lb_nat_l4csum(struct sk_buff *skb,
				const struct l4lb_nat_hdrs *h,
				const struct l4lb_proto_ops *proto)
{
	unsigned int off = h->l4off + proto->csum_off;
	__sum16 *csum;

	if (off + sizeof(*csum) > skb->len)
		return NULL;
	csum = (void *)skb->data + off;
	if (h->proto == IPPROTO_UDP && !*csum &&
	    (h->quoted || skb->ip_summed != CHECKSUM_PARTIAL))
		return NULL;
	return csum;
}

/* The tuple a packet of @c going in @dir must leave with. */
static __always_inline void l4lb_nat_target(const struct l4lb_conn *c,
					    enum l4lb_dir dir,
					    struct l4lb_tuple *to)
{
	struct l4lb_tuple other;

	l4lb_conn_tuple(c, !dir, &other);
	l4lb_tuple_reverse(to, &other);
}

/* The headers of a flow's own packet (not one quoted in an ICMP error). */
static __always_inline void l4lb_nat_flow_hdrs(struct l4lb_nat_hdrs *h,
					       struct sk_buff *skb,
					       const struct l4lb_pkt *pkt)
{
	*h = (struct l4lb_nat_hdrs){
		.l3off = skb_network_offset(skb),
		.l4off = pkt->l4off,
		.family = pkt->tuple.family,
		.proto = pkt->tuple.proto,
	};
	h->l4csum = l4lb_nat_l4csum(skb, h, pkt->proto);
}

/*
 * IPv6 goes by tuple. Out of line, with its own headers' description: the
 * IPv4 path would clear @to too (the kernel may zero every local), and
 * keep its own in memory, behind a stack protector check.
 */
static noinline void l4lb_nat_flow6(struct sk_buff *skb,
				    const struct l4lb_pkt *pkt,
				    const struct l4lb_conn *c, enum l4lb_dir dir)
{
	struct l4lb_nat_hdrs h;
	struct l4lb_tuple to;

	l4lb_nat_flow_hdrs(&h, skb, pkt);
	l4lb_nat_target(c, dir, &to);
	l4lb_nat_tuple(skb, &h, &pkt->tuple, &to);
}

static int l4lb_nat_flow(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			 const struct l4lb_conn *c, enum l4lb_dir dir)
{
	unsigned int l4len = pkt->tuple.proto == IPPROTO_TCP ?
			     sizeof(struct tcphdr) : sizeof(struct udphdr);
	struct l4lb_nat_hdrs h;

	/* skb_ensure_writable(), inline: the headers are nearly always
	 * pulled and the skb its own.
	 */
	if (!pskb_may_pull(skb, pkt->l4off + l4len) ||
	    skb_try_make_writable(skb, pkt->l4off + l4len))
		return -ENOMEM;
	if (pkt->tuple.family != AF_INET) {
		l4lb_nat_flow6(skb, pkt, c, dir);
		return 0;
	}
	l4lb_nat_flow_hdrs(&h, skb, pkt);
	l4lb_nat_key4(skb, &h, &pkt->tuple, l4lb_conn_key4(c, !dir));
	return 0;
}

static void l4lb_nat_icmp_csum(struct sk_buff *skb, const struct l4lb_pkt *pkt)
{
	unsigned int len = skb->len - pkt->l4off;
	__wsum csum;

	if (pkt->tuple.family == AF_INET) {
		struct icmphdr *icmph = (void *)skb->data + pkt->l4off;

		icmph->checksum = 0;
		icmph->checksum = csum_fold(skb_checksum(skb, pkt->l4off, len,
							 0));
	} else {
		struct icmp6hdr *icmp6h = (void *)skb->data + pkt->l4off;
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		icmp6h->icmp6_cksum = 0;
		csum = skb_checksum(skb, pkt->l4off, len, 0);
		icmp6h->icmp6_cksum = csum_ipv6_magic(&ip6h->saddr,
						      &ip6h->daddr, len,
						      IPPROTO_ICMPV6, csum);
	}
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * An ICMP error travelling in @dir quotes a packet of the flow that went the
 * other way, as translated: the quote gets that translation undone, and the
 * outer header gets the translation of @dir for the addresses that are the
 * flow's own (a router's address stays as it is).
 */
static int l4lb_nat_icmp(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			 const struct l4lb_conn *c, enum l4lb_dir dir,
			 bool local)
{
	struct l4lb_nat_hdrs h = {
		.l3off = pkt->inner_l3off,
		.l4off = pkt->inner_l4off,
		.family = pkt->tuple.family,
		.proto = pkt->tuple.proto,
		.quoted = true,
	};
	struct l4lb_tuple quoted, orig_quote, to, outer;

	if (skb_ensure_writable(skb, skb->len))
		return -ENOMEM;

	l4lb_tuple_reverse(&quoted, &pkt->tuple);
	l4lb_conn_tuple(c, !dir, &orig_quote);
	h.l4csum = l4lb_nat_l4csum(skb, &h, pkt->proto);
	l4lb_nat_tuple(skb, &h, &quoted, &orig_quote);

	/* The outer header: addresses only (no ports), no L4 checksum. */
	h = (struct l4lb_nat_hdrs){
		.l3off = skb_network_offset(skb),
		.family = pkt->tuple.family,
	};
	memset(&outer, 0, sizeof(outer));
	if (h.family == AF_INET) {
		outer.src.ip = ip_hdr(skb)->saddr;
		outer.dst.ip = ip_hdr(skb)->daddr;
	} else {
		outer.src.in6 = ipv6_hdr(skb)->saddr;
		outer.dst.in6 = ipv6_hdr(skb)->daddr;
	}
	l4lb_nat_target(c, dir, &to);
	if (((local && dir == L4LB_DIR_REPLY) ||
	     nf_inet_addr_cmp(&outer.src, &pkt->tuple.src)) &&
	    !nf_inet_addr_cmp(&outer.src, &to.src))
		l4lb_nat_addr(skb, &h, false, &to.src);
	if (nf_inet_addr_cmp(&outer.dst, &pkt->tuple.dst) &&
	    !nf_inet_addr_cmp(&outer.dst, &to.dst))
		l4lb_nat_addr(skb, &h, true, &to.dst);

	l4lb_nat_icmp_csum(skb, pkt);
	return 0;
}

int l4lb_nat(struct sk_buff *skb, const struct l4lb_pkt *pkt,
	     const struct l4lb_conn *c, enum l4lb_dir dir, bool local)
{
	if (pkt->icmp)
		return l4lb_nat_icmp(skb, pkt, c, dir, local);
	return l4lb_nat_flow(skb, pkt, c, dir);
}

bool l4lb_nat_icmp_csum_ok(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			   unsigned int hook)
{
	if (pkt->tuple.family == AF_INET)
		return !nf_ip_checksum(skb, hook, pkt->l4off, IPPROTO_ICMP);
	return !nf_ip6_checksum(skb, hook, pkt->l4off, IPPROTO_ICMPV6);
}
