/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schedulers choose a backend for a new flow from the VIP's immutable dest
 * set. They run in the packet path under RCU and take no locks.
 */
#ifndef _L4LB_SCHED_H
#define _L4LB_SCHED_H

#include "conn.h"
#include "service.h"

struct l4lb_sched_ops {
	const char *name;
	struct l4lb_backend *(*pick)(struct l4lb_vip *vip,
				     const struct l4lb_dest_set *set,
				     const struct l4lb_tuple *tuple);
};

extern const struct l4lb_sched_ops l4lb_sched_rr;

#define L4LB_SCHED_DEFAULT (&l4lb_sched_rr)

const struct l4lb_sched_ops *l4lb_sched_find(const char *name);

/* The backend for a new flow, or NULL when none takes new flows. */
static inline struct l4lb_backend *l4lb_sched_pick(struct l4lb_vip *vip,
						   const struct l4lb_tuple *tuple)
{
	const struct l4lb_dest_set *set = rcu_dereference(vip->dests);

	if (!set)
		return NULL;
	return vip->sched->pick(vip, set, tuple);
}

#endif /* _L4LB_SCHED_H */
