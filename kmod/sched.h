/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schedulers choose a backend for a new flow from the VIP's dest set. They
 * run in the packet path under RCU and take no locks. A scheduler's state
 * lives in the dest set it was built for: ->build() prepares it (process
 * context) before the set is published, ->free() releases it once no reader
 * can see the set any more.
 */
#ifndef _L4LB_SCHED_H
#define _L4LB_SCHED_H

#include <linux/gfp.h>

#include "conn.h"
#include "service.h"

struct l4lb_sched_ops {
	const char *name;
	int (*build)(struct l4lb_dest_set *set, gfp_t gfp);	/* optional */
	void (*free)(struct l4lb_dest_set *set);		/* optional */
	struct l4lb_backend *(*pick)(struct l4lb_dest_set *set,
				     unsigned int count,
				     const struct l4lb_tuple *tuple);
};

extern const struct l4lb_sched_ops l4lb_sched_rr;

#define L4LB_SCHED_DEFAULT (&l4lb_sched_rr)

const struct l4lb_sched_ops *l4lb_sched_find(const char *name);

/*
 * The backend for a new flow, or NULL when none takes new flows. A set of a
 * scheduler without ->build() may grow in place (backends appended), so its
 * count is read once, with acquire semantics, against the entries' stores.
 */
static inline struct l4lb_backend *l4lb_sched_pick(struct l4lb_vip *vip,
						   const struct l4lb_tuple *tuple)
{
	struct l4lb_dest_set *set = rcu_dereference(vip->dests);
	unsigned int count;

	if (!set)
		return NULL;
	/* Pairs with the release in l4lb_dests_append(). */
	count = smp_load_acquire(&set->count);
	if (!count)
		return NULL;
	return set->sched->pick(set, count, tuple);
}

#endif /* _L4LB_SCHED_H */
