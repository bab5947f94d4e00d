// SPDX-License-Identifier: GPL-2.0
/*
 * Round robin: each new flow goes to the next backend of the group, in the
 * order backends were added; weights are ignored, as with IPVS rr. The
 * position is one atomic per group, touched only by new flows. A full
 * backend (maxconn) is passed over.
 */
#include "sched.h"

static struct l4lb_backend *l4lb_rr_pick(const struct l4lb_dest_set *set,
					 struct l4lb_dest_group *g,
					 unsigned int count,
					 const struct l4lb_tuple *tuple)
{
	unsigned int pos = (unsigned int)atomic_inc_return(&g->pos) - 1;
	struct l4lb_backend *be;
	unsigned int i;

	for (i = 0; i < count; i++) {
		be = g->backends[(pos + i) % count];
		if (!l4lb_backend_full(be))
			return be;
	}
	return NULL;
}

const struct l4lb_sched_ops l4lb_sched_rr = {
	.name = "rr",
	.pick = l4lb_rr_pick,
};
