// SPDX-License-Identifier: GPL-2.0
/*
 * Rejects are built by netfilter's nf_reject (what nft and iptables REJECT
 * use): it never answers a RST or an ICMP error, checks the packet's
 * checksum first, and routes the answer from PREROUTING as well as from
 * LOCAL_OUT. A RST comes from the VIP, as the client addressed it; an ICMP
 * error, like a router's, from the LB's own address toward the client (it
 * quotes the client's packet, which is what the client matches it by).
 * "rejects" counts what was asked of nf_reject: it still declines to answer
 * a packet with a bad checksum, and ICMP errors are rate limited
 * (net.ipv4.icmp_ratelimit). Kernels built without nf_reject drop instead.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include "net.h"
#include "packet.h"
#include "reject.h"
#include "tcp_state.h"

static bool l4lb_reject4(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			 const struct nf_hook_state *state)
{
	if (!IS_ENABLED(CONFIG_NF_REJECT_IPV4))
		return false;
	if (pkt->tuple.proto == IPPROTO_TCP)
		nf_send_reset(state->net, state->sk, skb, state->hook);
	else
		nf_send_unreach(skb, ICMP_PORT_UNREACH, state->hook);
	return true;
}

static bool l4lb_reject6(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			 const struct nf_hook_state *state)
{
	if (!IS_ENABLED(CONFIG_NF_REJECT_IPV6))
		return false;
	if (pkt->tuple.proto == IPPROTO_TCP)
		nf_send_reset6(state->net, state->sk, skb, state->hook);
	else
		nf_send_unreach6(state->net, skb, ICMPV6_PORT_UNREACH,
				 state->hook);
	return true;
}

void l4lb_reject(struct l4lb_net *ln, struct sk_buff *skb,
		 const struct l4lb_pkt *pkt, const struct nf_hook_state *state)
{
	bool sent;

	/* Nothing answers a RST. */
	if (pkt->tuple.proto == IPPROTO_TCP && (pkt->tcp_flags & L4LB_TCPF_RST))
		return;
	sent = pkt->tuple.family == AF_INET ? l4lb_reject4(skb, pkt, state) :
					      l4lb_reject6(skb, pkt, state);
	if (sent)
		l4lb_net_count(ln->stats, L4LB_NET_REJECTS);
}
