// SPDX-License-Identifier: GPL-2.0
/*
 * Power of two random choices (Mitzenmacher) on weighted load: draw two
 * backends at random in proportion to weight, send the flow to the one
 * with less load per unit of weight (IPVS's active * 256 + inactive,
 * compared by cross-multiplication). Near least-connections balance at
 * O(log N) per flow, and no herd: CPUs scheduling at once rarely see the
 * same pair, where lc sends them all to the one least loaded backend.
 *
 * ->build() keeps the running sums of the weights, so a draw is a binary
 * search (or none, when all weights are equal). The random numbers are the
 * CPU's own (get_random_u64()): no shared write per flow. When both drawn
 * are full (maxconn), the group is scanned for the least loaded that is
 * not.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "sched.h"

struct l4lb_p2c {
	u32 total;
	bool uniform;		/* all weights equal: no search */
	u32 cum[];		/* cum[i]: weights of backends 0 .. i */
};

/*
 * Weights are at most 65535, so their sum fits u32 up to 65537 backends;
 * beyond, every weight loses as many low bits as the sum must (at most 8
 * with 2^24 backends), each kept at least 1.
 */
static int l4lb_p2c_build(const struct l4lb_dest_set *set,
			  struct l4lb_dest_group *g, gfp_t gfp)
{
	unsigned int n = g->count, i, shift = 0;
	u64 total = 0, sum;
	struct l4lb_p2c *p;
	u32 w;

	p = kvmalloc(struct_size(p, cum, n), gfp);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		total += max(g->backends[i]->weight, 1U);
	while ((total >> shift) + n > U32_MAX)
		shift++;
	p->uniform = true;
	for (i = 0, sum = 0; i < n; i++) {
		w = max(g->backends[i]->weight >> shift, 1U);
		sum += w;
		p->cum[i] = sum;
		if (w != p->cum[0])
			p->uniform = false;
	}
	p->total = sum;
	g->priv = p;
	return 0;
}

static void l4lb_p2c_free(struct l4lb_dest_group *g)
{
	kvfree(g->priv);
}

static u32 l4lb_p2c_weight(const struct l4lb_p2c *p, unsigned int i)
{
	return i ? p->cum[i] - p->cum[i - 1] : p->cum[0];
}

/* A position drawn in proportion to weight, from 32 random bits. */
static unsigned int l4lb_p2c_draw(const struct l4lb_p2c *p,
				  unsigned int count, u32 r)
{
	u32 x = (u32)(((u64)r * p->total) >> 32);
	unsigned int base = 0, half;

	if (p->uniform)
		return ((u64)r * count) >> 32;
	/*
	 * The first whose running sum exceeds x. Without branches on the
	 * data (a conditional move): random draws defeat branch prediction.
	 */
	while (count > 1) {
		half = count / 2;
		base = p->cum[base + half - 1] <= x ? base + half : base;
		count -= half;
	}
	return base;
}

/* Has a less load per weight than b? */
static bool l4lb_p2c_less(u64 load_a, u32 w_a, u64 load_b, u32 w_b)
{
	return load_a * w_b < load_b * w_a;
}

static struct l4lb_backend *l4lb_p2c_scan(const struct l4lb_p2c *p,
					  struct l4lb_dest_group *g,
					  unsigned int count, unsigned int i)
{
	struct l4lb_backend *be, *least = NULL;
	u64 load, least_load = 0;
	u32 w, least_w = 0;
	unsigned int n;

	for (n = 0; n < count; n++, i = i + 1 < count ? i + 1 : 0) {
		be = g->backends[i];
		w = l4lb_p2c_weight(p, i);
		load = l4lb_backend_load(be);
		if (least && !l4lb_p2c_less(load, w, least_load, least_w))
			continue;
		if (l4lb_backend_full(be))
			continue;
		least = be;
		least_w = w;
		least_load = load;
	}
	return least;
}

static struct l4lb_backend *l4lb_p2c_pick(const struct l4lb_dest_set *set,
					  struct l4lb_dest_group *g,
					  unsigned int count,
					  const struct l4lb_tuple *tuple)
{
	const struct l4lb_p2c *p = g->priv;
	u64 r = get_random_u64();
	unsigned int i = l4lb_p2c_draw(p, count, (u32)r);
	unsigned int j = l4lb_p2c_draw(p, count, (u32)(r >> 32));
	struct l4lb_backend *a, *b;

	/* Two different ones when there are two: one more draw. */
	if (i == j && count > 1)
		j = l4lb_p2c_draw(p, count, get_random_u32());
	a = g->backends[i];
	b = g->backends[j];
	if (l4lb_p2c_less(l4lb_backend_load(b), l4lb_p2c_weight(p, j),
			  l4lb_backend_load(a), l4lb_p2c_weight(p, i))) {
		swap(a, b);
		swap(i, j);
	}
	if (!l4lb_backend_full(a))
		return a;
	if (!l4lb_backend_full(b))
		return b;
	return l4lb_p2c_scan(p, g, count, i);
}

const struct l4lb_sched_ops l4lb_sched_p2c = {
	.name = "p2c",
	.build = l4lb_p2c_build,
	.free = l4lb_p2c_free,
	.pick = l4lb_p2c_pick,
};
