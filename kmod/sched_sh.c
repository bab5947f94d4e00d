// SPDX-License-Identifier: GPL-2.0
/*
 * Source hashing, as IPVS sh: the client's address (and port, with
 * L4LB_VIP_F_SH_PORT) picks a bucket of a table built in ->build(), whose
 * buckets are shared out in proportion to weight; a client keeps its
 * backend while the set stays. Unlike maglev, a change of the set may move
 * most clients.
 *
 * The table has a power of two of buckets, 16 to 32 per backend (at least
 * 256, at most L4LB_SH_BUCKETS_MAX). Each backend gets one bucket and a
 * share of the rest by weight, so its share of clients is off by less
 * than one bucket (1/16 of an even share). A client whose backend is full
 * (maxconn) tries other buckets, a few, stepping by an odd stride taken
 * from its hash: the full backend's clients spread over the others in
 * proportion to their buckets, as long as they are not full either; past
 * those tries, the next backend of the group that is not full.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/l4lb.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "sched.h"
#include "sched_idx.h"

#define L4LB_SH_BUCKETS_MIN	256U
#define L4LB_SH_BUCKETS_MAX	BIT(20)
#define L4LB_SH_TRIES		8U	/* buckets tried before a scan */

static u32 l4lb_sh_buckets(unsigned int n)
{
	u32 size = roundup_pow_of_two(clamp(16ULL * n,
					    (u64)L4LB_SH_BUCKETS_MIN,
					    (u64)L4LB_SH_BUCKETS_MAX));

	/* Every backend has a bucket, however many there are. */
	return max_t(u32, size, roundup_pow_of_two(n));
}

static int l4lb_sh_build(const struct l4lb_dest_set *set,
			 struct l4lb_dest_group *g, gfp_t gfp)
{
	unsigned int n = g->count, i;
	struct l4lb_idx_table *tab;
	u32 size, b = 0, end;
	u64 total = 0, cum = 0;

	size = l4lb_sh_buckets(n);
	tab = l4lb_idx_alloc(size, n, gfp);
	if (!tab)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		total += max(g->backends[i]->weight, 1U);
	/*
	 * Backend i gets 1 + its weight's share of the other size - n
	 * buckets, rounded on the running sum, so that all add up to size.
	 */
	for (i = 0; i < n; i++) {
		cum += max(g->backends[i]->weight, 1U);
		end = i + 1 + mul_u64_u64_div_u64(cum, size - n, total);
		for (; b < end; b++)
			l4lb_idx_set(tab, b, i);
	}
	g->priv = tab;
	return 0;
}

static void l4lb_sh_free(struct l4lb_dest_group *g)
{
	kvfree(g->priv);
}

static struct l4lb_backend *l4lb_sh_pick(const struct l4lb_dest_set *set,
					 struct l4lb_dest_group *g,
					 unsigned int count,
					 const struct l4lb_tuple *tuple)
{
	const struct l4lb_idx_table *tab = g->priv;
	u32 mask = tab->len - 1, h, step, start;
	struct l4lb_backend *be;
	unsigned int i;

	h = l4lb_sched_hash_src(tuple, set->flags & L4LB_VIP_F_SH_PORT);
	step = (h >> 16) | 1;
	for (i = 0; i < L4LB_SH_TRIES; i++) {
		be = g->backends[l4lb_idx_get(tab, (h + i * step) & mask)];
		if (!l4lb_backend_full(be))
			return be;
	}
	start = l4lb_idx_get(tab, h & mask);
	for (i = 1; i < count; i++) {
		be = g->backends[(start + i) % count];
		if (!l4lb_backend_full(be))
			return be;
	}
	return NULL;
}

const struct l4lb_sched_ops l4lb_sched_sh = {
	.name = "sh",
	.build = l4lb_sh_build,
	.free = l4lb_sh_free,
	.pick = l4lb_sh_pick,
	/* No home: the table follows the order backends were added in, so
	 * two LBs, or one before and after a restart, may disagree.
	 */
};
