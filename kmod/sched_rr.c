// SPDX-License-Identifier: GPL-2.0
/*
 * Round robin: each new flow goes to the next backend of the dest set, in the
 * order backends were added. Weights other than 0 (drain) are ignored, as with
 * IPVS rr. The position is one atomic per dest set, touched only by new flows.
 */
#include <linux/atomic.h>

#include "sched.h"

static struct l4lb_backend *l4lb_rr_pick(struct l4lb_dest_set *set,
					 unsigned int count,
					 const struct l4lb_tuple *tuple)
{
	unsigned int pos = (unsigned int)atomic_inc_return(&set->pos) - 1;

	return set->backends[pos % count];
}

const struct l4lb_sched_ops l4lb_sched_rr = {
	.name = "rr",
	.pick = l4lb_rr_pick,
};
