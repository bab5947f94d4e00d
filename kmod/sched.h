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
	/*
	 * Optional: the backend the hash names for @tuple, full or not,
	 * the same on every LB with the same backends, whatever the order
	 * they were added in. A TCP packet of a flow the LB does not know
	 * goes there (see hook.c): that is where the connection has been.
	 */
	struct l4lb_backend *(*home)(const struct l4lb_dest_set *set,
				     struct l4lb_dest_group *g,
				     unsigned int count,
				     const struct l4lb_tuple *tuple);
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
 * 64 bits: a table may hold 2^26 flows; times a weight, still below 2^51.
 */
static inline u64 l4lb_backend_load(const struct l4lb_backend *be)
{
	return ((u64)(u32)atomic_read(&be->conns.active) << 8) +
	       (u32)atomic_read(&be->conns.inactive);
}

/*
 * Hash of what identifies a client to a hashing scheduler. The seed is
 * fixed, not random: load balancers behind one ECMP route must send a flow
 * to the same backend (see sched_maglev.c).
 */
#define L4LB_SCHED_HASH_SEED	0x6c346c62U

/* Of the address in host order, so that LBs of either byte order agree. */
static inline u32 l4lb_sched_hash_addr(const union nf_inet_addr *a, u8 family,
				       u32 seed)
{
	u32 w[4];
	int i;

	if (family == AF_INET)
		return jhash_1word(ntohl(a->ip), seed);
	for (i = 0; i < 4; i++)
		w[i] = ntohl(a->ip6[i]);
	return jhash2(w, 4, seed);
}

static inline u32 l4lb_sched_hash_src(const struct l4lb_tuple *t, bool port)
{
	u32 h = l4lb_sched_hash_addr(&t->src, t->family, L4LB_SCHED_HASH_SEED);

	return port ? jhash_1word(ntohs(t->sport), h) : h;
}

static inline u32 l4lb_sched_hash_5tuple(const struct l4lb_tuple *t)
{
	u32 h = l4lb_sched_hash_src(t, false);

	return jhash_3words((u32)ntohs(t->sport) << 16 | ntohs(t->dport),
			    t->proto,
			    l4lb_sched_hash_addr(&t->dst, t->family, 0), h);
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

/* Does the VIP's scheduler name a home backend (maglev)? Under RCU. */
static inline bool l4lb_sched_has_home(const struct l4lb_vip *vip)
{
	struct l4lb_dest_set *set = rcu_dereference(vip->dests);

	return set && set->sched->home;
}

/* The home of @tuple: of the primaries, or of the backups if none. */
static inline struct l4lb_backend *l4lb_sched_home(struct l4lb_vip *vip,
						   const struct l4lb_tuple *tuple)
{
	struct l4lb_dest_set *set = rcu_dereference(vip->dests);
	unsigned int count;
	int i;

	if (!set || !set->sched->home)
		return NULL;
	for (i = 0; i < L4LB_GROUPS; i++) {
		count = READ_ONCE(set->group[i].count);
		if (count)
			return set->sched->home(set, &set->group[i], count,
						tuple);
	}
	return NULL;
}

#endif /* _L4LB_SCHED_H */
