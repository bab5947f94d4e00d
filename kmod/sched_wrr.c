// SPDX-License-Identifier: GPL-2.0
/*
 * Smooth weighted round robin, nginx's: at each turn every backend gains
 * its weight, the one with the most is chosen and pays the total. A heavy
 * backend's flows are spread out, not sent in bursts: weights 5, 1, 1 give
 * a a b a c a a. Lock-free: ->build() writes the whole sequence once, and
 * a new flow takes the next entry (one atomic per group, as rr).
 *
 * Weights are divided by their gcd first. A sequence that would be longer
 * than L4LB_WRR_LEN, or 4 entries per backend when that is more, is made
 * to fit by scaling the weights down, each to at least 1: a backend's
 * share of the flows is then off by about one entry's worth (up to 16384
 * backends, 1/65536 of all flows; beyond, a quarter of an even share),
 * the price of a table of at most 128 KiB there.
 *
 * A full backend (maxconn) loses its turn: the flow takes the next one, so
 * the others keep their proportions and order; after a few full ones, the
 * flow goes to the next backend of the group that is not full.
 */
#include <linux/gcd.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "sched.h"
#include "sched_idx.h"

#define L4LB_WRR_LEN	65536U	/* the longest sequence, at least */
#define L4LB_WRR_TRIES	8U	/* entries tried before a scan */

struct l4lb_wrr_ent {
	u32 weight;
	u32 pos;		/* in the group */
};

/*
 * The backends of one weight: at any turn, all of them have gained the
 * same, so the one with the most is the first (in group order) of those
 * chosen least often. They take turns in group order, and a turn only
 * compares one backend per weight: building costs O(length x weights),
 * where scaling bounds the distinct weights by sqrt(2 x length).
 */
struct l4lb_wrr_class {
	u64 weight;
	u64 rounds;		/* times every backend of it was chosen */
	u32 first;		/* its backends: ent[first .. first + n - 1] */
	u32 n;
	u32 next;		/* the one of them chosen next, 0 .. n - 1 */
};

static int l4lb_wrr_cmp(const void *a, const void *b)
{
	const struct l4lb_wrr_ent *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Weights over their gcd, scaled to fit: returns the sequence's length. */
static u32 l4lb_wrr_weights(const struct l4lb_dest_group *g,
			    struct l4lb_wrr_ent *ent)
{
	unsigned int n = g->count, i;
	u64 total = 0, cap, cum, prev, next, len;
	unsigned long div = 0;

	for (i = 0; i < n; i++) {
		ent[i].weight = max(g->backends[i]->weight, 1U);
		ent[i].pos = i;
		div = gcd(div, ent[i].weight);
	}
	for (i = 0; i < n; i++) {
		ent[i].weight /= div;
		total += ent[i].weight;
	}
	cap = max_t(u64, L4LB_WRR_LEN, 4ULL * n);
	if (total <= cap)
		return total;
	/*
	 * Shares of cap - n entries, rounded on the running sum (each within
	 * one entry of its exact share), at least 1 each: at most cap.
	 */
	cum = 0;
	prev = 0;
	len = 0;
	for (i = 0; i < n; i++) {
		cum += ent[i].weight;
		next = mul_u64_u64_div_u64(cum, cap - n, total);
		ent[i].weight = max_t(u64, next - prev, 1);
		prev = next;
		len += ent[i].weight;
	}
	return len;
}

static int l4lb_wrr_build(const struct l4lb_dest_set *set,
			  struct l4lb_dest_group *g, gfp_t gfp)
{
	struct l4lb_wrr_class *cls = NULL, *best;
	struct l4lb_idx_table *seq = NULL;
	unsigned int n = g->count, i, c, nc;
	struct l4lb_wrr_ent *ent;
	u32 len, turn, pos, best_pos;
	s64 v, best_v;
	int err = -ENOMEM;

	ent = kvmalloc_array(n, sizeof(*ent), gfp);
	if (!ent)
		return -ENOMEM;
	len = l4lb_wrr_weights(g, ent);
	sort(ent, n, sizeof(*ent), l4lb_wrr_cmp, NULL);
	for (i = 0, nc = 0; i < n; i++)
		nc += !i || ent[i].weight != ent[i - 1].weight;
	cls = kvcalloc(nc, sizeof(*cls), gfp);
	seq = l4lb_idx_alloc(len, n, gfp);
	if (!cls || !seq)
		goto out;
	for (i = 0, c = 0; i < n; i++) {
		if (i && ent[i].weight != ent[i - 1].weight)
			c++;
		if (!cls[c].n) {
			cls[c].weight = ent[i].weight;
			cls[c].first = i;
		}
		cls[c].n++;
	}

	/* At turn t, a backend chosen k times has t * weight - k * len. */
	for (turn = 1; turn <= len; turn++) {
		best = NULL;
		best_v = 0;
		best_pos = 0;
		for (c = 0; c < nc; c++) {
			v = (s64)(turn * cls[c].weight - len * cls[c].rounds);
			pos = ent[cls[c].first + cls[c].next].pos;
			/* Ties to the first in group order, as nginx. */
			if (!best || v > best_v ||
			    (v == best_v && pos < best_pos)) {
				best = &cls[c];
				best_v = v;
				best_pos = pos;
			}
		}
		l4lb_idx_set(seq, turn - 1, best_pos);
		if (++best->next == best->n) {
			best->next = 0;
			best->rounds++;
		}
		if (!(turn & 1023))
			cond_resched();
	}
	g->priv = seq;
	seq = NULL;
	err = 0;
out:
	kvfree(seq);
	kvfree(cls);
	kvfree(ent);
	return err;
}

static void l4lb_wrr_free(struct l4lb_dest_group *g)
{
	kvfree(g->priv);
}

static struct l4lb_backend *l4lb_wrr_pick(const struct l4lb_dest_set *set,
					  struct l4lb_dest_group *g,
					  unsigned int count,
					  const struct l4lb_tuple *tuple)
{
	const struct l4lb_idx_table *seq = g->priv;
	unsigned int i, pos = 0, tries = min(L4LB_WRR_TRIES, seq->len);
	struct l4lb_backend *be;

	/* A turn of a full backend is skipped, not given to its neighbour. */
	for (i = 0; i < tries; i++) {
		pos = (unsigned int)atomic_inc_return(&g->pos) - 1;
		pos = l4lb_idx_get(seq, pos % seq->len);
		be = g->backends[pos];
		if (!l4lb_backend_full(be))
			return be;
	}
	/* Most are full: any that is not, after the last one tried. */
	for (i = 1; i < count; i++) {
		be = g->backends[(pos + i) % count];
		if (!l4lb_backend_full(be))
			return be;
	}
	return NULL;
}

const struct l4lb_sched_ops l4lb_sched_wrr = {
	.name = "wrr",
	.build = l4lb_wrr_build,
	.free = l4lb_wrr_free,
	.pick = l4lb_wrr_pick,
};
