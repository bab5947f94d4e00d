// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting. The checksum helpers of the core
 * (inet_proto_csum_replace*) keep the L4 checksum right for every ip_summed
 * mode: for CHECKSUM_PARTIAL (local senders, GSO) only the pseudo-header part
 * is in the header, for CHECKSUM_COMPLETE skb->csum follows the change.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "nat.h"
#include "packet.h"

/*
 * The L4 checksum field to update, or NULL for a UDP datagram sent without a
 * checksum (IPv4 allows it): that one stays without.
 */
static __sum16 *l4lb_l4_csum(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			     __be16 **port, enum l4lb_nat_side side)
{
	void *l4 = skb->data + pkt->l4off;
	struct udphdr *uh;

	if (pkt->tuple.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		*port = side == L4LB_NAT_DST ? &th->dest : &th->source;
		return &th->check;
	}

	uh = l4;
	*port = side == L4LB_NAT_DST ? &uh->dest : &uh->source;
	if (!uh->check && skb->ip_summed != CHECKSUM_PARTIAL)
		return NULL;
	return &uh->check;
}

int l4lb_nat_rewrite(struct sk_buff *skb, const struct l4lb_pkt *pkt,
		     enum l4lb_nat_side side, const union nf_inet_addr *addr,
		     __be16 port)
{
	unsigned int l4len = pkt->tuple.proto == IPPROTO_TCP ?
			     sizeof(struct tcphdr) : sizeof(struct udphdr);
	__be16 *l4port;
	__sum16 *csum;

	if (skb_ensure_writable(skb, pkt->l4off + l4len))
		return -ENOMEM;

	csum = l4lb_l4_csum(skb, pkt, &l4port, side);
	if (pkt->tuple.family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);
		__be32 *a = side == L4LB_NAT_DST ? &iph->daddr : &iph->saddr;

		if (csum)
			inet_proto_csum_replace4(csum, skb, *a, addr->ip, true);
		csum_replace4(&iph->check, *a, addr->ip);
		*a = addr->ip;
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct in6_addr *a = side == L4LB_NAT_DST ? &ip6h->daddr :
							    &ip6h->saddr;

		if (csum)
			inet_proto_csum_replace16(csum, skb, a->s6_addr32,
						  addr->ip6, true);
		*a = addr->in6;
	}

	if (csum) {
		inet_proto_csum_replace2(csum, skb, *l4port, port, false);
		/* Zero means "no checksum" to UDP: send all ones instead. */
		if (pkt->tuple.proto == IPPROTO_UDP && !*csum)
			*csum = CSUM_MANGLED_0;
	}
	*l4port = port;
	return 0;
}
