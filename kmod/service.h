/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VIPs and their backends.
 *
 * Configuration is changed under the per-netns mutex and published to the
 * packet path with RCU: the hook finds a VIP in an RCU hash, and picks a
 * backend from the VIP's immutable dest set (only backends with weight > 0),
 * whose scheduler state lives in the set.
 *
 * Lifetimes: a VIP is referenced by the VIP table and by each of its backends;
 * a backend by its VIP's list and by each flow using it. The last reference
 * frees after a grace period (call_rcu), so the packet path may keep using an
 * object it found under RCU while it is being deleted, and no configuration
 * change waits for a grace period.
 *
 * Deleting a VIP marks it dead: flows that still point at one of its
 * backends (deleted earlier or not) are reclaimed by the next lookup or GC
 * pass, never used again. Deleting a backend only removes it from the dest
 * set: its flows drain.
 */
#ifndef _L4LB_SERVICE_H
#define _L4LB_SERVICE_H

#include <linux/list.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

#include "limit.h"
#include "params.h"
#include "stats.h"

struct l4lb_net;
struct l4lb_route;
struct l4lb_sched_ops;

/* What identifies a VIP: (family, proto, address, port). */
struct l4lb_vip_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;
};

/* What identifies a backend of a VIP: its address and port. */
struct l4lb_backend_key {
	union nf_inet_addr addr;
	__be16 port;
};

struct l4lb_vip;

/* The key of the netns' backend hash: a backend is unique per VIP. */
struct l4lb_backend_hkey {
	const struct l4lb_vip *vip;
	struct l4lb_backend_key key;
};

struct l4lb_backend {
	/* Read per packet. */
	struct l4lb_pcpu_stats __percpu *stats;
	struct l4lb_vip *vip;		/* holds a reference */
	u8 state;			/* enum l4lb_backend_state */
	u8 deleted;			/* no new flow, even a persistent one */
	struct l4lb_route __rcu *route;	/* see route.h */

	struct l4lb_backend_hkey hkey;
	struct rhash_head hnode;	/* in l4lb_net->backends, under the mutex */
	struct list_head list;		/* in vip->backends, under the mutex */
	/* Written under the mutex, read by schedulers. */
	u32 weight;
	u32 maxconn;			/* 0: no limit */
	u32 flags;			/* L4LB_BACKEND_F_* */
	struct l4lb_conn_counts conns;
	refcount_t refcnt;
	struct rcu_head rcu;
	/* Under the mutex: @stats' sums at the last zeroing, for dumps. */
	struct l4lb_stats_sum stats_zero;
};

/* What a backend add or set gives; @given: L4LB_BE_CFG_* of those named. */
#define L4LB_BE_CFG_WEIGHT	BIT(0)
#define L4LB_BE_CFG_STATE	BIT(1)
#define L4LB_BE_CFG_MAXCONN	BIT(2)
#define L4LB_BE_CFG_FLAGS	BIT(3)

struct l4lb_backend_cfg {
	u32 given;
	u32 weight;
	u8 state;
	u32 maxconn;
	u32 flags;
};

/* One group of a dest set: see sched.h. */
struct l4lb_dest_group {
	struct l4lb_backend **backends;
	unsigned int count;		/* may grow in place: see sched.h */
	atomic_t pos;			/* scheduler state, e.g. rr position */
	void *priv;			/* scheduler state built by ->build() */
};

/*
 * The backends eligible for new flows, primaries then backups in
 * backends[]; immutable once published, but for appends (see sched.h).
 */
struct l4lb_dest_set {
	struct rcu_head rcu;
	const struct l4lb_sched_ops *sched;
	u32 flags;			/* the VIP's L4LB_VIP_F_* */
	u32 maglev_size;		/* the VIP's, 0: the default */
	unsigned int cap;		/* room in backends[] */
	struct l4lb_dest_group group[2];	/* enum l4lb_dest_group_id */
	struct l4lb_backend *backends[];
};

/* SNAT: the VIP's own source addresses; immutable once published. */
struct l4lb_snat_addrs {
	struct rcu_head rcu;
	unsigned int count;
	union nf_inet_addr addr[];
};

/*
 * What VIP add and VIP set give. @given: L4LB_VIP_CFG_* bits of the fields
 * a request named (VIP set changes only those; VIP add takes defaults for
 * the others).
 */
#define L4LB_VIP_CFG_SCHED	BIT(0)
#define L4LB_VIP_CFG_MODE	BIT(1)
#define L4LB_VIP_CFG_SNAT_ADDRS	BIT(2)
#define L4LB_VIP_CFG_SNAT_PORTS	BIT(3)
#define L4LB_VIP_CFG_ENCAP	BIT(4)
#define L4LB_VIP_CFG_ENCAP_PORT	BIT(5)
#define L4LB_VIP_CFG_FLAGS	BIT(6)
#define L4LB_VIP_CFG_TIMEOUTS	BIT(7)
#define L4LB_VIP_CFG_MAGLEV_SIZE BIT(8)
#define L4LB_VIP_CFG_MAXCONN	BIT(9)
#define L4LB_VIP_CFG_RATE	BIT(10)	/* rate and burst */
#define L4LB_VIP_CFG_PERSIST	BIT(11)

struct l4lb_vip_cfg {
	u32 given;
	const struct l4lb_sched_ops *sched;
	u8 mode;
	u8 encap;
	__be16 encap_port;
	u16 snat_port_min;
	u16 snat_port_max;
	u32 flags;			/* L4LB_VIP_F_* */
	u32 maglev_size;
	u32 maxconn;
	u32 rate;
	u32 burst;
	u32 persist;			/* seconds */
	struct l4lb_snat_addrs *snat;	/* NULL: the egress address */
	/* Seconds, of those in timeouts_given; 0: follow the default. */
	u32 timeouts_given;		/* BIT(enum l4lb_timeout) */
	u32 timeouts[L4LB_TO_COUNT];
};

struct l4lb_vip {
	/* Read per packet. */
	u8 dead;			/* deleted: its flows must not be used */
	u8 mode;			/* enum l4lb_fwd_mode of new flows */
	u8 encap;			/* enum l4lb_encap */
	__be16 encap_port;
	u16 snat_port_min;
	u16 snat_port_max;
	u32 flags;			/* L4LB_VIP_F_* */
	u32 maxconn;			/* 0: no limit */
	u32 persist;			/* jiffies, 0: no persistence */
	struct l4lb_snat_addrs __rcu *snat;
	struct l4lb_vip_key key;
	struct hlist_node hnode;	/* in the VIP hash, RCU */
	struct hlist_node anode;	/* in the VIP address hash, RCU */
	struct l4lb_dest_set __rcu *dests;
	struct l4lb_pcpu_stats __percpu *stats;
	struct l4lb_timeouts timeouts;	/* in force: own, else default */

	const struct l4lb_sched_ops *sched;
	u32 maglev_size;		/* under the mutex: as given, 0: default */
	/* Under the mutex: its own timeouts in seconds, 0 where none. */
	u32 timeouts_own[L4LB_TO_COUNT];
	struct list_head list;		/* in l4lb_net->vips, under the mutex */
	struct list_head backends;	/* under the mutex */
	unsigned int backend_count;	/* under the mutex */
	refcount_t refcnt;
	struct rcu_head rcu;

	/* Written by new flows: off the lines read per packet. */
	struct l4lb_conn_counts conns ____cacheline_aligned_in_smp;
	struct l4lb_rate rate;		/* new flows; rate 0: no limit */
	/* Under the mutex: @stats' sums at the last zeroing, for dumps. */
	struct l4lb_stats_sum stats_zero;
};

/* An event of a flow of @be: counted on the backend and on its VIP. */
static inline void l4lb_backend_event(struct l4lb_backend *be,
				      enum l4lb_stats_event ev)
{
	l4lb_stats_event(be->stats, ev, 1);
	l4lb_stats_event(be->vip->stats, ev, 1);
}

int l4lb_service_net_init(struct l4lb_net *ln);
void l4lb_service_net_exit(struct l4lb_net *ln);

struct l4lb_vip *l4lb_vip_lookup(struct l4lb_net *ln,
				 const struct l4lb_vip_key *key);
bool l4lb_vip_addr_in_use(struct l4lb_net *ln, const union nf_inet_addr *addr,
			  u8 family);
struct l4lb_vip *l4lb_vip_find(struct l4lb_net *ln,
			       const struct l4lb_vip_key *key);
/* The defaults of a VIP add. */
void l4lb_vip_cfg_init(struct l4lb_vip_cfg *cfg);
/* Both take cfg->snat (freed on failure). */
int l4lb_vip_add(struct l4lb_net *ln, const struct l4lb_vip_key *key,
		 struct l4lb_vip_cfg *cfg, struct netlink_ext_ack *extack);
int l4lb_vip_set(struct l4lb_net *ln, struct l4lb_vip *vip,
		 struct l4lb_vip_cfg *cfg, struct netlink_ext_ack *extack);
void l4lb_vip_del(struct l4lb_net *ln, struct l4lb_vip *vip);
/* New default timeouts (seconds, 0: unchanged) for the netns and its VIPs. */
void l4lb_net_set_timeouts(struct l4lb_net *ln, const u32 *secs);
void l4lb_vip_flush_all(struct l4lb_net *ln);

struct l4lb_backend *l4lb_backend_find(struct l4lb_net *ln,
				       struct l4lb_vip *vip,
				       const struct l4lb_backend_key *key);
void l4lb_backend_cfg_init(struct l4lb_backend_cfg *cfg);
int l4lb_backend_add(struct l4lb_net *ln, struct l4lb_vip *vip,
		     const struct l4lb_backend_key *key,
		     const struct l4lb_backend_cfg *cfg,
		     struct netlink_ext_ack *extack);
int l4lb_backend_set(struct l4lb_net *ln, struct l4lb_backend *be,
		     const struct l4lb_backend_cfg *cfg,
		     struct netlink_ext_ack *extack);
int l4lb_backend_del(struct l4lb_net *ln, struct l4lb_backend *be,
		     struct netlink_ext_ack *extack);

/* Take a reference from the packet path; fails once the backend is dying. */
static inline bool l4lb_backend_tryget(struct l4lb_backend *be)
{
	return refcount_inc_not_zero(&be->refcnt);
}

void l4lb_backend_put(struct l4lb_backend *be);
/* @refs references at once: the flows of a batch freed together. */
void l4lb_backend_put_many(struct l4lb_backend *be, unsigned int refs);

/* Packet path: may a flow to @be still be used? */
static inline bool l4lb_backend_dead(const struct l4lb_backend *be)
{
	return READ_ONCE(be->vip->dead);
}

#endif /* _L4LB_SERVICE_H */
