// SPDX-License-Identifier: GPL-2.0
/*
 * Packet parsing. The hook runs after defragmentation, so fragments seen here
 * are ones defrag let through (it is not enabled for this netns, say): they
 * carry no ports to match and pass untouched.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "packet.h"
#include "tcp_state.h"

static bool l4lb_parse_ports(struct sk_buff *skb, struct l4lb_pkt *pkt)
{
	struct l4lb_tuple *t = &pkt->tuple;

	if (t->proto == IPPROTO_TCP) {
		struct tcphdr _th;
		const struct tcphdr *th;

		th = skb_header_pointer(skb, pkt->l4off, sizeof(_th), &_th);
		if (!th)
			return false;
		t->sport = th->source;
		t->dport = th->dest;
		pkt->tcp_flags = (th->fin ? L4LB_TCPF_FIN : 0) |
				 (th->syn ? L4LB_TCPF_SYN : 0) |
				 (th->rst ? L4LB_TCPF_RST : 0) |
				 (th->ack ? L4LB_TCPF_ACK : 0);
		return true;
	}
	if (t->proto == IPPROTO_UDP) {
		struct udphdr _uh;
		const struct udphdr *uh;

		uh = skb_header_pointer(skb, pkt->l4off, sizeof(_uh), &_uh);
		if (!uh)
			return false;
		t->sport = uh->source;
		t->dport = uh->dest;
		pkt->tcp_flags = 0;
		return true;
	}
	return false;
}

static bool l4lb_parse_ipv4(struct sk_buff *skb, struct l4lb_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct l4lb_tuple *t = &pkt->tuple;

	if (ip_is_fragment(iph))
		return false;
	t->family = AF_INET;
	t->proto = iph->protocol;
	t->src.ip = iph->saddr;
	t->dst.ip = iph->daddr;
	pkt->l4off = skb_network_offset(skb) + iph->ihl * 4;
	return true;
}

static bool l4lb_parse_ipv6(struct sk_buff *skb, struct l4lb_pkt *pkt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct l4lb_tuple *t = &pkt->tuple;
	u8 nexthdr = ip6h->nexthdr;
	__be16 frag_off;
	int off;

	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0 || (frag_off & htons(IP6_OFFSET)))
		return false;
	t->family = AF_INET6;
	t->proto = nexthdr;
	t->src.in6 = ip6h->saddr;
	t->dst.in6 = ip6h->daddr;
	pkt->l4off = off;
	return true;
}

bool l4lb_parse(struct sk_buff *skb, u8 pf, struct l4lb_pkt *pkt)
{
	bool ok;

	/* The tuple is a hash key: unused address bytes must be zero. */
	memset(&pkt->tuple, 0, sizeof(pkt->tuple));
	if (pf == NFPROTO_IPV4)
		ok = l4lb_parse_ipv4(skb, pkt);
	else
		ok = l4lb_parse_ipv6(skb, pkt);
	return ok && l4lb_parse_ports(skb, pkt);
}
