// SPDX-License-Identifier: GPL-2.0
/*
 * DNAT, as IPVS NAT: the destination of the client's packets becomes the
 * backend, the source of the replies the VIP; the stack routes both (the LB
 * is the backends' gateway).
 */
#include <net/dst.h>
#include <net/route.h>

#include "compat.h"
#include "forward.h"
#include "nat.h"
#include "net.h"
#include "packet.h"
#include "service.h"
#include "xmit.h"

static struct l4lb_conn *l4lb_dnat_create(struct l4lb_net *ln,
					  const struct l4lb_pkt *pkt,
					  struct l4lb_backend *be, u32 cs)
{
	const struct l4lb_tuple *orig = &pkt->tuple;
	struct l4lb_tuple reply;

	memset(&reply, 0, sizeof(reply));
	reply.src = be->hkey.key.addr;
	reply.sport = be->hkey.key.port;
	reply.dst = orig->src;
	reply.dport = orig->sport;
	reply.proto = orig->proto;
	reply.family = orig->family;
	return l4lb_xmit_create(ln, pkt, &reply, be, cs);
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

static unsigned int l4lb_dnat_xmit(struct l4lb_net *ln, struct sk_buff *skb,
				   const struct l4lb_pkt *pkt,
				   struct l4lb_conn *c, enum l4lb_dir dir,
				   const struct nf_hook_state *state)
{
	if ((dir == L4LB_DIR_REPLY && l4lb_route_reply(skb, state)) ||
	    l4lb_nat(skb, pkt, c, dir, false)) {
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		return NF_DROP;
	}
	/*
	 * A route looked up before the rewrite would deliver the packet to
	 * the VIP: in PREROUTING it is routed afresh (IPv4: see forward.c),
	 * at LOCAL_OUT the hook reroutes it.
	 */
	if (dir == L4LB_DIR_ORIG && state->hook == NF_INET_PRE_ROUTING) {
		if (state->pf == NFPROTO_IPV4 && !pkt->icmp)
			return l4lb_forward4(ln, skb, c, state);
		skb_dst_drop(skb);
	}
	return NF_ACCEPT;
}

const struct l4lb_xmit_ops l4lb_xmit_dnat = {
	.create = l4lb_dnat_create,
	.xmit = l4lb_dnat_xmit,
};
