/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forwarding modes: how a packet of a flow reaches the other side, chosen per
 * VIP (enum l4lb_fwd_mode), one ops table per mode.
 */
#ifndef _L4LB_XMIT_H
#define _L4LB_XMIT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>

#include "conn.h"

struct l4lb_backend;
struct l4lb_pkt;

struct l4lb_xmit_ops {
	/* The tuple the backend's replies to a flow from @orig will carry. */
	void (*reply_tuple)(struct l4lb_tuple *reply,
			    const struct l4lb_tuple *orig,
			    const struct l4lb_backend *be);
	/*
	 * Send @skb, a packet of (or an ICMP error about) flow @c going in
	 * @dir, on its way: NF_ACCEPT after rewriting it for the stack to
	 * route, NF_STOLEN when sent here, NF_DROP on failure.
	 */
	unsigned int (*xmit)(struct sk_buff *skb, const struct l4lb_pkt *pkt,
			     struct l4lb_conn *c, enum l4lb_dir dir,
			     const struct nf_hook_state *state);
};

/* The ops of mode @mode, or NULL for a mode not implemented. */
const struct l4lb_xmit_ops *l4lb_xmit_find(u8 mode);

#endif /* _L4LB_XMIT_H */
