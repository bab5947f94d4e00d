// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter entry point: PREROUTING, after defragmentation and before
 * conntrack, for IPv4 and IPv6. Flows the load balancer handles are marked
 * untracked, so conntrack keeps no second copy of their state.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "compat.h"
#include "conn.h"
#include "hook.h"
#include "nat.h"
#include "net.h"
#include "packet.h"
#include "sched.h"
#include "service.h"
#include "tcp_state.h"

/*
 * A flow the hook has no entry for. Returns its new entry, or NULL with
 * *verdict set when the packet is not ours or is refused.
 */
static struct l4lb_conn_hash *l4lb_new_flow(struct l4lb_net *ln,
					    const struct l4lb_pkt *pkt,
					    unsigned int *verdict)
{
	const struct l4lb_tuple *t = &pkt->tuple;
	struct l4lb_vip_key key = {
		.addr = t->dst,
		.port = t->dport,
		.proto = t->proto,
		.family = t->family,
	};
	struct l4lb_backend *be;
	struct l4lb_conn *conn;
	struct l4lb_vip *vip;

	*verdict = NF_ACCEPT;
	vip = l4lb_vip_lookup(ln, &key);
	if (!vip)
		return NULL;
	/*
	 * Mid-stream TCP with no entry (table loss, expiry): as IPVS does,
	 * let the stack see it, which answers with a RST where the VIP is
	 * local, instead of sending it to a backend that never saw the SYN.
	 */
	if (t->proto == IPPROTO_TCP && !l4lb_tcp_is_opening(pkt->tcp_flags))
		return NULL;

	be = l4lb_sched_pick(vip, t);
	if (!be)
		goto drop;

	conn = l4lb_conn_create(ln, t, be);
	if (IS_ERR(conn)) {
		struct l4lb_conn_hash *h;

		/* Another CPU created this flow first: use its entry. */
		if (PTR_ERR(conn) == -EEXIST) {
			h = l4lb_conn_lookup(ln, t);
			if (h)
				return h;
		}
		goto drop;
	}
	l4lb_stats_conn(vip->stats);
	l4lb_stats_conn(be->stats);
	return &conn->hash[L4LB_DIR_ORIG];

drop:
	l4lb_stats_drop(vip->stats);
	*verdict = NF_DROP;
	return NULL;
}

/*
 * A reply leaves with the VIP as its source. Route it first, by its real
 * source: to the routing code a local VIP as source would be a martian.
 */
static int l4lb_route_reply(struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	if (state->pf != NFPROTO_IPV4 || skb_dst(skb))
		return 0;
	return l4lb_route_input4(skb, ip_hdr(skb), state->in);
}

static int l4lb_xmit_dnat(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			  const struct l4lb_conn *conn, enum l4lb_dir dir,
			  const struct nf_hook_state *state)
{
	const struct l4lb_tuple *orig = &conn->hash[L4LB_DIR_ORIG].tuple;
	const struct l4lb_backend *be = conn->backend;
	int err;

	if (dir == L4LB_DIR_ORIG)
		return l4lb_nat_rewrite(skb, pkt, L4LB_NAT_DST, &be->key.addr,
					be->key.port);

	err = l4lb_route_reply(skb, state);
	if (err)
		return err;
	return l4lb_nat_rewrite(skb, pkt, L4LB_NAT_SRC, &orig->dst,
				orig->dport);
}

static unsigned int l4lb_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_pernet(state->net);
	struct l4lb_conn_hash *h;
	struct l4lb_backend *be;
	struct l4lb_conn *conn;
	unsigned int verdict;
	struct l4lb_pkt pkt;
	enum l4lb_dir dir;

	if (!l4lb_parse(skb, state->pf, &pkt))
		return NF_ACCEPT;

	h = l4lb_conn_lookup(ln, &pkt.tuple);
	if (!h) {
		h = l4lb_new_flow(ln, &pkt, &verdict);
		if (!h)
			return verdict;
	}
	conn = l4lb_conn_of(h);
	dir = h->tuple.dir;
	be = conn->backend;

	l4lb_conn_refresh(conn, dir, pkt.tcp_flags);
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);

	if (l4lb_xmit_dnat(skb, &pkt, conn, dir, state))
		return NF_DROP;

	l4lb_stats_packet(be->stats, dir == L4LB_DIR_REPLY, skb->len);
	l4lb_stats_packet(be->vip->stats, dir == L4LB_DIR_REPLY, skb->len);
	return NF_ACCEPT;
}

static const struct nf_hook_ops l4lb_nf_ops[] = {
	{
		.hook = l4lb_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = l4lb_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
};

int l4lb_hook_register(struct net *net)
{
	int err;

	err = nf_defrag_ipv4_enable(net);
	if (err)
		return err;
	err = nf_defrag_ipv6_enable(net);
	if (err)
		goto err_v4;
	err = nf_register_net_hooks(net, l4lb_nf_ops, ARRAY_SIZE(l4lb_nf_ops));
	if (err)
		goto err_v6;
	return 0;

err_v6:
	nf_defrag_ipv6_disable(net);
err_v4:
	nf_defrag_ipv4_disable(net);
	return err;
}

void l4lb_hook_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, l4lb_nf_ops, ARRAY_SIZE(l4lb_nf_ops));
	nf_defrag_ipv6_disable(net);
	nf_defrag_ipv4_disable(net);
}
