/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schedulers choose a backend for a new flow from the VIP's dest set. They
 * run in the packet path under RCU and take no locks.
 *
 * A dest set has two groups: the primary backends and the backups, each
 * holding only backends that are up and have a weight; backups are asked
 * only when no primary can take the flow. A scheduler's state for a group
 * lives in the group: ->build() prepares it (process context) before the
 * set is published, ->free() releases it once no reader can see the set.
 * What changes per flow (a backend's flow count against its maxconn) is
 * checked at pick time: ->pick() skips full backends, returning NULL when
 * none of the group can take the flow.
 *
 * The selection logic is plain C over these structures, so that the same
 * files build in userspace for the unit tests (tests/unit).
 */
#ifndef _L4LB_SCHED_H
#define _L4LB_SCHED_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/jhash.h>

#include "conn.h"
#include "service.h"

/* set->group[] */
enum l4lb_dest_group_id {
	L4LB_GROUP_PRIMARY,
	L4LB_GROUP_BACKUP,

	L4LB_GROUPS
};

struct l4lb_sched_ops {
	const char *name;
	/* Optional. The group's backends are in place; set->flags and
	 * set->maglev_size are the VIP's. Fills g->priv.
	 */
	int (*build)(const struct l4lb_dest_set *set,
		     struct l4lb_dest_group *g, gfp_t gfp);
	void (*free)(struct l4lb_dest_group *g);		/* optional */
	/* @count: g->count as read once (see l4lb_sched_pick()). */
	struct l4lb_backend *(*pick)(const struct l4lb_dest_set *set,
				     struct l4lb_dest_group *g,
				     unsigned int count,
				     const struct l4lb_tuple *tuple);
	/* The same tuple always gets the same backend while the set stays:
	 * a TCP packet of an unknown flow may be given one (see hook.c).
	 */
	bool consistent;
};

extern const struct l4lb_sched_ops l4lb_sched_rr;
extern const struct l4lb_sched_ops l4lb_sched_wrr;
extern const struct l4lb_sched_ops l4lb_sched_lc;
extern const struct l4lb_sched_ops l4lb_sched_wlc;
extern const struct l4lb_sched_ops l4lb_sched_sh;
extern const struct l4lb_sched_ops l4lb_sched_maglev;
extern const struct l4lb_sched_ops l4lb_sched_p2c;

#define L4LB_SCHED_DEFAULT (&l4lb_sched_rr)

/* By name or alias (round-robin, least-connections, ip-hash). */
const struct l4lb_sched_ops *l4lb_sched_find(const char *name);

/* Has @be as many flows as its maxconn allows? Racy by design: CPUs
 * creating flows at once may each pass, as with IPVS's upper threshold.
 */
static inline bool l4lb_backend_full(const struct l4lb_backend *be)
{
	u32 max = READ_ONCE(be->maxconn);

	return max && (u32)(atomic_read(&be->conns.active) +
			    atomic_read(&be->conns.inactive)) >= max;
}

/* Flows of @be now, as lc and wlc count them (IPVS: active * 256 +
 * inactive, since a connection in handshake or closing costs little).
 */
static inline u32 l4lb_backend_load(const struct l4lb_backend *be)
{
	return ((u32)atomic_read(&be->conns.active) << 8) +
	       (u32)atomic_read(&be->conns.inactive);
}

/*
 * Hash of what identifies a client to a hashing scheduler. The seed is
 * fixed, not random: load balancers behind one ECMP route must send a flow
 * to the same backend (see sched_maglev.c).
 */
#define L4LB_SCHED_HASH_SEED	0x6c346c62U

static inline u32 l4lb_sched_hash_src(const struct l4lb_tuple *t, bool port)
{
	u32 h = t->family == AF_INET ?
		jhash_1word((__force u32)t->src.ip, L4LB_SCHED_HASH_SEED) :
		jhash2((const u32 *)t->src.all, 4, L4LB_SCHED_HASH_SEED);

	return port ? jhash_1word((__force u32)t->sport, h) : h;
}

static inline u32 l4lb_sched_hash_5tuple(const struct l4lb_tuple *t)
{
	u32 h = l4lb_sched_hash_src(t, false);

	h = jhash_3words((__force u32)t->sport << 16 | (__force u32)t->dport,
			 t->proto, t->family == AF_INET ?
			 (__force u32)t->dst.ip :
			 jhash2((const u32 *)t->dst.all, 4, 0), h);
	return h;
}

/*
 * The backend for a new flow, or NULL when none takes new flows. A group
 * of a scheduler without ->build() may grow in place (backends appended),
 * so its count is read once, with acquire semantics, against the entries'
 * stores.
 */
static inline struct l4lb_backend *l4lb_sched_pick(struct l4lb_vip *vip,
						   const struct l4lb_tuple *tuple)
{
	struct l4lb_dest_set *set = rcu_dereference(vip->dests);
	struct l4lb_backend *be;
	unsigned int count;
	int i;

	if (!set)
		return NULL;
	for (i = 0; i < L4LB_GROUPS; i++) {
		/* Pairs with the release in l4lb_dests_append(). */
		count = smp_load_acquire(&set->group[i].count);
		if (!count)
			continue;
		be = set->sched->pick(set, &set->group[i], count, tuple);
		if (be)
			return be;
	}
	return NULL;
}

/* Is the VIP's scheduler a consistent one (maglev, sh)? Under RCU. */
static inline bool l4lb_sched_consistent(const struct l4lb_vip *vip)
{
	struct l4lb_dest_set *set = rcu_dereference(vip->dests);

	return set && set->sched->consistent;
}

#endif /* _L4LB_SCHED_H */
