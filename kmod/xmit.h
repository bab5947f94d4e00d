/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forwarding modes: how a packet of a flow reaches the other side, chosen per
 * VIP (enum l4lb_fwd_mode), one ops table and one file per mode:
 * xmit_dnat.c, xmit_snat.c, xmit_dsr.c, xmit_tunnel.c. A flow keeps the mode
 * it was created with (conn->state), so a VIP's mode can change under
 * traffic: new flows take the new one.
 */
#ifndef _L4LB_XMIT_H
#define _L4LB_XMIT_H

#include <linux/l4lb.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>

#include "conn.h"

struct l4lb_backend;
struct l4lb_net;
struct l4lb_pkt;
struct l4lb_vip_cfg;
struct l4lb_vip_key;

struct l4lb_xmit_ops {
	/*
	 * Only the client's packets pass the LB; the backend answers the
	 * client directly. Nothing is rewritten, so the LB's own ICMP errors
	 * about such a flow need no translation. Its flows are hashed under
	 * ORIG only (conn.h): ->xmit() sees @dir ORIG.
	 */
	bool oneway;
	/*
	 * A new flow gets a source the backend has never seen (SNAT's
	 * address and port): a connection cannot be resumed after the LB
	 * lost its entry (see hook.c, adoption).
	 */
	bool new_source;
	/* Optional: may a VIP @key have configuration @cfg in this mode? */
	int (*check)(const struct l4lb_vip_key *key,
		     const struct l4lb_vip_cfg *cfg,
		     struct netlink_ext_ack *extack);
	/*
	 * Create the flow @pkt opens to @be (its reply tuple is the mode's
	 * business), with state bits @cs. ERR_PTR as l4lb_conn_create().
	 */
	struct l4lb_conn *(*create)(struct l4lb_net *ln,
				    const struct l4lb_pkt *pkt,
				    struct l4lb_backend *be, u32 cs);
	/*
	 * Send @skb, a packet of (or an ICMP error about) flow @c of netns
	 * @ln going in @dir, on its way: NF_ACCEPT after rewriting it for
	 * the stack to route, NF_STOLEN when sent here, NF_DROP on failure
	 * (counted).
	 */
	unsigned int (*xmit)(struct l4lb_net *ln, struct sk_buff *skb,
			     const struct l4lb_pkt *pkt, struct l4lb_conn *c,
			     enum l4lb_dir dir,
			     const struct nf_hook_state *state);
};

extern const struct l4lb_xmit_ops l4lb_xmit_dnat;
extern const struct l4lb_xmit_ops l4lb_xmit_snat;
extern const struct l4lb_xmit_ops l4lb_xmit_dsr;
extern const struct l4lb_xmit_ops l4lb_xmit_tunnel;

/*
 * Tunnel mode: a router's "fragmentation needed" / "packet too big" about
 * one of the LB's own encapsulated packets sets the path MTU to its backend
 * and is consumed (true: return NF_STOLEN). False: not about a tunnel.
 */
bool l4lb_tunnel_icmp(struct l4lb_net *ln, struct sk_buff *skb,
		      const struct l4lb_pkt *pkt,
		      const struct nf_hook_state *state);

extern const struct l4lb_xmit_ops *const l4lb_xmit_modes[__L4LB_FWD_MAX];

/*
 * The ops of mode @mode, or NULL for a mode not implemented. Inline: each
 * packet looks its mode up.
 */
static inline const struct l4lb_xmit_ops *l4lb_xmit_find(u8 mode)
{
	return mode < ARRAY_SIZE(l4lb_xmit_modes) ? l4lb_xmit_modes[mode] :
						    NULL;
}

/* Create a flow whose replies carry @reply (NULL: the reverse of @pkt's). */
struct l4lb_conn *l4lb_xmit_create(struct l4lb_net *ln,
				   const struct l4lb_pkt *pkt,
				   const struct l4lb_tuple *reply,
				   struct l4lb_backend *be, u32 cs);

#endif /* _L4LB_XMIT_H */
