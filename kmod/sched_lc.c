// SPDX-License-Identifier: GPL-2.0
/*
 * Least connections, as IPVS lc and wlc count them: a backend's load is
 * active * 256 + inactive (l4lb_backend_load()); lc takes the least
 * loaded, wlc the least load per unit of weight, compared by
 * cross-multiplication (no division). Full backends are passed over.
 *
 * Each new flow scans the group, so the cost grows with its size, as in
 * IPVS. The scan starts one backend further each time (the group's
 * position, as rr), so that backends of equal load take new flows in turn
 * rather than the first of them taking all until its count moves.
 *
 * There is no ->build(): weights are read as they are now, so a weight
 * change needs no new set, and backends can be appended to the group in
 * place. A weight of 0 read here belongs to a backend on its way out of
 * the set: it takes no flow, as in IPVS.
 */
#include "sched.h"

static struct l4lb_backend *l4lb_lc_scan(struct l4lb_dest_group *g,
					 unsigned int count, bool weighted)
{
	unsigned int i = (unsigned int)atomic_inc_return(&g->pos) % count;
	struct l4lb_backend *be, *least = NULL;
	u64 load, least_load = 0;
	u32 w, least_w = 0;
	unsigned int n;

	for (n = 0; n < count; n++, i = i + 1 < count ? i + 1 : 0) {
		be = g->backends[i];
		w = READ_ONCE(be->weight);
		if (!w)
			continue;
		load = l4lb_backend_load(be);
		/* Not less loaded than the one found: next. */
		if (least && (weighted ?
			      load * least_w >= least_load * w :
			      load >= least_load))
			continue;
		if (l4lb_backend_full(be))
			continue;
		least = be;
		least_w = w;
		least_load = load;
		if (!load)		/* none can have less */
			break;
	}
	return least;
}

static struct l4lb_backend *l4lb_lc_pick(const struct l4lb_dest_set *set,
					 struct l4lb_dest_group *g,
					 unsigned int count,
					 const struct l4lb_tuple *tuple)
{
	return l4lb_lc_scan(g, count, false);
}

static struct l4lb_backend *l4lb_wlc_pick(const struct l4lb_dest_set *set,
					  struct l4lb_dest_group *g,
					  unsigned int count,
					  const struct l4lb_tuple *tuple)
{
	return l4lb_lc_scan(g, count, true);
}

const struct l4lb_sched_ops l4lb_sched_lc = {
	.name = "lc",
	.pick = l4lb_lc_pick,
};

const struct l4lb_sched_ops l4lb_sched_wlc = {
	.name = "wlc",
	.pick = l4lb_wlc_pick,
};
