/* SPDX-License-Identifier: GPL-2.0 */
/* Per network namespace state: each netns is an independent load balancer. */
#ifndef _L4LB_NET_H
#define _L4LB_NET_H

#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#define L4LB_VIP_HASH_BITS 8

struct l4lb_net {
	struct net *net;

	/* Serialises configuration changes and dumps. */
	struct mutex lock;
	struct list_head vips;		/* under @lock, in creation order */
	unsigned int vip_count;		/* under @lock; hooks are on while > 0 */
	struct hlist_head vip_hash[1 << L4LB_VIP_HASH_BITS];	/* RCU */

	struct rhashtable conns;
	atomic_t conn_count;		/* flows, not hash entries */
	struct delayed_work gc_work;
};

extern unsigned int l4lb_net_id;

static inline struct l4lb_net *l4lb_pernet(const struct net *net)
{
	return net_generic(net, l4lb_net_id);
}

#endif /* _L4LB_NET_H */
