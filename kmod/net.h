/* SPDX-License-Identifier: GPL-2.0 */
/* Per network namespace state: each netns is an independent load balancer. */
#ifndef _L4LB_NET_H
#define _L4LB_NET_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "params.h"
#include "stats.h"

#define L4LB_VIP_HASH_BITS 8

struct mem_cgroup;

/*
 * Flow events' rate limit and what they told (see conn_event.c): written
 * only when an event is sent, so only while someone listens.
 */
struct l4lb_flow_events {
	atomic64_t tat;		/* GCRA's theoretical arrival time, in ns */
	atomic64_t told;	/* suppressed events reported so far */
	bool dying;		/* the namespace goes away: no more events */
};

/* One address family's flow table, with the GC's place in it. */
struct l4lb_conn_table {
	struct rhashtable ht;
	struct rhashtable_iter gc_iter;
	bool gc_walking;		/* gc_iter entered */
	u32 __percpu *reap_at;		/* per CPU: where reap-ahead goes on */
};

struct l4lb_net {
	struct net *net;

	/* Serialises configuration changes and dumps. */
	struct mutex lock;
	struct list_head vips;		/* under @lock, in creation order */
	unsigned int vip_count;		/* under @lock */
	bool hooked;			/* under @lock: hooks on (while VIPs) */
	unsigned int backend_count;	/* under @lock */
	/* Bumped by every change, under @lock: dumps detect interruptions. */
	unsigned int gen;
	struct hlist_head vip_hash[1 << L4LB_VIP_HASH_BITS];	/* RCU */
	struct hlist_head vip_addr_hash[1 << L4LB_VIP_HASH_BITS]; /* RCU */
	struct rhashtable backends;	/* by (VIP, address, port), @lock */
	struct l4lb_limits limits;
	/* Under @lock: the timeouts of VIPs without their own. */
	struct l4lb_timeouts timeouts;
	/* Where flows allocated on the packet path are charged. */
	struct mem_cgroup *memcg;

	struct l4lb_conn_table tables[2];	/* IPv4, IPv6 */
	struct delayed_work gc_work;
	unsigned int gc_table;		/* the table GC is walking */
	struct llist_head free_list;	/* unlinked flows awaiting a GP */
	struct work_struct free_work;

	struct l4lb_net_stats __percpu *stats;
	/* Under @lock: @stats' sums at the last zeroing, for the dumps. */
	u64 stats_zero[L4LB_NET_COUNTERS];

	/* Written for each new flow: keep it off the lines read per packet. */
	atomic_t conn_count ____cacheline_aligned_in_smp;
	struct l4lb_flow_events flow_events;
};

extern unsigned int l4lb_net_id;

/* Under @lock, after every configuration change; 0 means "no dump yet". */
static inline void l4lb_net_changed(struct l4lb_net *ln)
{
	if (!++ln->gen)
		ln->gen = 1;
}

static inline struct l4lb_net *l4lb_pernet(const struct net *net)
{
	return net_generic(net, l4lb_net_id);
}

/*
 * The same from the packet path, which the hooks run inside an RCU
 * read-side section: net_generic()'s own would be two calls per packet.
 */
static inline struct l4lb_net *l4lb_pernet_rcu(const struct net *net)
{
	return rcu_dereference(net->gen)->ptr[l4lb_net_id];
}

#endif /* _L4LB_NET_H */
