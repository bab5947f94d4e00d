// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI 2016, section 3.4).
 *
 * Each group has a lookup table of M entries (M prime), each naming one of
 * the group's backends; a flow goes to table[hash % M]. Every backend has
 * its own permutation of the M slots, (offset + j * skip) % M, and the
 * backends take turns claiming the next free slot of their permutation
 * until the table is full. Removing a backend frees only its own slots for
 * the others, so few flows of other backends move (0.3-0.6% at M = 65537,
 * tests/unit/maglev_test.c); adding one takes its 1/(N + 1) of the slots.
 *
 * Flows must land on the same backend on every load balancer behind one
 * ECMP route, whatever the order backends were added there: a backend's
 * permutation is a hash of its address and port with fixed seeds, and the
 * order of turns depends on the backends' identities and weights only,
 * never on their position in the group.
 *
 * Weights: stride scheduling of the turns. A backend of weight w takes its
 * n-th turn (from 0) at virtual time (2n + 1) / w; the earliest turn goes
 * first, at the same time the heavier backend's, then the lower identity
 * (a hash of the address and port, then the address and port). Each
 * backend thus ends within about one entry of its weight's share of M, and
 * the order of any two backends' turns does not depend on the others, so
 * removing a backend only takes its turns out of the sequence: the paper's
 * disruption bound holds. With equal weights this is the paper's round
 * robin. (Katran and Cilium instead give turns by credit accumulated per
 * round, proportional too, but at a pass over all backends per round: M * N
 * steps when one weight dwarfs the others.)
 *
 * Size: the VIP's maglev size; by default (or when it is smaller than the
 * group, which would leave backends without entries) 65537, or the
 * smallest of 131071, 262139, 524287, 1048573 giving at least 100 entries
 * per backend (uapi/linux/l4lb.h). The default is a function of the
 * group's size alone, so load balancers with the same backends agree, and
 * it changes only where a group grows past 655, 1310, 2621 or 5242
 * backends (or shrinks back): there the table is rebuilt at another size
 * and most flows move. A VIP whose group may cross such a step should have
 * its maglev size set.
 *
 * Building costs O(M log M) slot probes: the backends of one weight take
 * their turns together, so the heap that orders turns holds one entry per
 * distinct weight. It runs in process context, before the dest set is
 * published.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/l4lb.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "sched.h"
#include "sched_idx.h"

/* Seeds of a backend's permutation: fixed, as L4LB_SCHED_HASH_SEED. */
#define L4LB_MAGLEV_SEED_OFFSET	0x4d61676cU
#define L4LB_MAGLEV_SEED_SKIP	0x65763136U

/*
 * Table entries a new flow tries when the backend its hash names is full
 * (maxconn), before the group is scanned. Neighbouring entries name
 * backends at random in proportion to their weights, so the overflow of a
 * full backend spreads as the weights say; the scan after them only makes
 * sure a flow is refused only when the whole group is full.
 */
#define L4LB_MAGLEV_PROBES	16

static const u32 l4lb_maglev_sizes[] = {
	L4LB_MAGLEV_SIZE_DEFAULT, 131071, 262139, 524287, L4LB_MAGLEV_SIZE_MAX,
};

/* A backend while the table is built. */
struct l4lb_maglev_perm {
	const struct l4lb_backend *be;
	u64 id;			/* the order among backends of a weight */
	u32 weight;
	u32 pos;		/* the next slot of its permutation */
	u32 skip;
	u32 index;		/* in g->backends[] */
};

/*
 * The backends of one weight, perm[first] on, in a min-heap by their next
 * turn. Virtual time in units of 2^-42: a turn is 2 * stride, stride =
 * 2^42 / weight, and M (< 2^20) turns stay below 2^63. The rounding of
 * stride is the same on every host.
 */
#define L4LB_MAGLEV_VT_SHIFT	42

struct l4lb_maglev_class {
	u64 time;
	u64 stride;
	u32 weight;
	u32 first;
	u32 count;
};

static u32 l4lb_maglev_size(const struct l4lb_dest_set *set, unsigned int count)
{
	unsigned int i;

	if (set->maglev_size >= count)
		return set->maglev_size;
	for (i = 0; i < ARRAY_SIZE(l4lb_maglev_sizes) - 1; i++)
		if (l4lb_maglev_sizes[i] >= (u64)count * 100)
			break;
	return l4lb_maglev_sizes[i];
}

/*
 * Offset and skip from the backend's address and port, as numbers (not
 * bytes in memory), so that hosts of either byte order agree.
 */
static void l4lb_maglev_perm_init(struct l4lb_maglev_perm *p,
				  const struct l4lb_backend *be, u32 size)
{
	const struct l4lb_backend_key *key = &be->hkey.key;
	u32 w[5], h1, h2;
	int n = 0, i;

	if (be->vip->key.family == AF_INET) {
		w[n++] = be32_to_cpu(key->addr.ip);
	} else {
		for (i = 0; i < 4; i++)
			w[n++] = be32_to_cpu(key->addr.ip6[i]);
	}
	w[n++] = be16_to_cpu(key->port);
	h1 = jhash2(w, n, L4LB_MAGLEV_SEED_OFFSET);
	h2 = jhash2(w, n, L4LB_MAGLEV_SEED_SKIP);
	p->be = be;
	p->id = (u64)h1 << 32 | h2;
	p->weight = be->weight;
	p->pos = h1 % size;
	p->skip = h2 % (size - 1) + 1;
}

/* Heavier first, then by identity: a strict total order. */
static int l4lb_maglev_cmp(const void *a, const void *b)
{
	const struct l4lb_maglev_perm *p = a, *q = b;
	const struct l4lb_backend_key *kp = &p->be->hkey.key;
	const struct l4lb_backend_key *kq = &q->be->hkey.key;
	int c;

	if (p->weight != q->weight)
		return p->weight > q->weight ? -1 : 1;
	if (p->id != q->id)
		return p->id < q->id ? -1 : 1;
	/* Same hashes: the addresses and ports differ within a VIP. */
	c = memcmp(&kp->addr, &kq->addr, sizeof(kp->addr));
	return c ?: (int)be16_to_cpu(kp->port) - (int)be16_to_cpu(kq->port);
}

/* Does @a take its turns before @b? Weights differ: a strict order. */
static bool l4lb_maglev_before(const struct l4lb_maglev_class *a,
			       const struct l4lb_maglev_class *b)
{
	return a->time != b->time ? a->time < b->time : a->weight > b->weight;
}

static void l4lb_maglev_sift_down(struct l4lb_maglev_class *heap,
				  unsigned int n, unsigned int i)
{
	struct l4lb_maglev_class c = heap[i];
	unsigned int j;

	while ((j = 2 * i + 1) < n) {
		if (j + 1 < n && l4lb_maglev_before(&heap[j + 1], &heap[j]))
			j++;
		if (!l4lb_maglev_before(&heap[j], &c))
			break;
		heap[i] = heap[j];
		i = j;
	}
	heap[i] = c;
}

/* Claim the next free slot of @p's permutation for it. */
static void l4lb_maglev_take(struct l4lb_idx_table *t, unsigned long *used,
			     struct l4lb_maglev_perm *p)
{
	u32 c = p->pos;

	while (test_bit(c, used)) {
		c += p->skip;
		if (c >= t->len)
			c -= t->len;
	}
	__set_bit(c, used);
	l4lb_idx_set(t, c, p->index);
	p->pos = c + p->skip;
	if (p->pos >= t->len)
		p->pos -= t->len;
}

/* Turns until the table is full; @perm sorted, @heap room for n classes. */
static void l4lb_maglev_populate(struct l4lb_idx_table *t,
				 unsigned long *used,
				 struct l4lb_maglev_perm *perm, unsigned int n,
				 struct l4lb_maglev_class *heap)
{
	struct l4lb_maglev_class *c;
	unsigned int i, k = 0;
	u32 filled = 0;

	for (i = 0; i < n; i++) {
		if (i && perm[i].weight == perm[i - 1].weight) {
			heap[k - 1].count++;
			continue;
		}
		c = &heap[k++];
		c->stride = div_u64(1ULL << L4LB_MAGLEV_VT_SHIFT,
				    perm[i].weight);
		c->time = c->stride;
		c->weight = perm[i].weight;
		c->first = i;
		c->count = 1;
	}
	for (i = k / 2; i-- > 0;)
		l4lb_maglev_sift_down(heap, k, i);
	for (;;) {
		c = &heap[0];
		for (i = c->first; i < c->first + c->count; i++) {
			l4lb_maglev_take(t, used, &perm[i]);
			if (++filled == t->len)
				return;
			if (!(filled & 4095))
				cond_resched();
		}
		c->time += 2 * c->stride;
		l4lb_maglev_sift_down(heap, k, 0);
	}
}

static int l4lb_maglev_build(const struct l4lb_dest_set *set,
			     struct l4lb_dest_group *g, gfp_t gfp)
{
	struct l4lb_maglev_class *heap;
	struct l4lb_maglev_perm *perm;
	unsigned int i, n = g->count;
	struct l4lb_idx_table *t;
	unsigned long *used;
	u32 size;
	int err = -ENOMEM;

	/* Beyond M backends (a million), the last in the order of turns
	 * get no slot.
	 */
	size = l4lb_maglev_size(set, n);
	t = l4lb_idx_alloc(size, n, gfp);
	perm = kvmalloc_array(n, sizeof(*perm), gfp);
	heap = kvmalloc_array(n, sizeof(*heap), gfp);
	used = kvcalloc(BITS_TO_LONGS(size), sizeof(*used), gfp);
	if (!t || !perm || !heap || !used)
		goto out;

	for (i = 0; i < n; i++) {
		l4lb_maglev_perm_init(&perm[i], g->backends[i], size);
		perm[i].index = i;
	}
	sort(perm, n, sizeof(*perm), l4lb_maglev_cmp, NULL);
	l4lb_maglev_populate(t, used, perm, n, heap);
	g->priv = t;
	t = NULL;
	err = 0;
out:
	kvfree(used);
	kvfree(heap);
	kvfree(perm);
	kvfree(t);
	return err;
}

static void l4lb_maglev_free(struct l4lb_dest_group *g)
{
	kvfree(g->priv);
	g->priv = NULL;
}

static u32 l4lb_maglev_hash(const struct l4lb_dest_set *set,
			    const struct l4lb_tuple *tuple)
{
	return set->flags & L4LB_VIP_F_HASH_SRC ?
	       l4lb_sched_hash_src(tuple, false) :
	       l4lb_sched_hash_5tuple(tuple);
}

/* The table's entry for @tuple, full or not. */
static struct l4lb_backend *l4lb_maglev_home(const struct l4lb_dest_set *set,
					     struct l4lb_dest_group *g,
					     unsigned int count,
					     const struct l4lb_tuple *tuple)
{
	const struct l4lb_idx_table *t = g->priv;

	return g->backends[l4lb_idx_get(t, l4lb_maglev_hash(set, tuple) %
					  t->len)];
}

static struct l4lb_backend *l4lb_maglev_pick(const struct l4lb_dest_set *set,
					     struct l4lb_dest_group *g,
					     unsigned int count,
					     const struct l4lb_tuple *tuple)
{
	const struct l4lb_idx_table *t = g->priv;
	u32 hash = l4lb_maglev_hash(set, tuple), e = hash % t->len;
	struct l4lb_backend *be;
	unsigned int i;

	for (i = 0; i < L4LB_MAGLEV_PROBES; i++) {
		be = g->backends[l4lb_idx_get(t, e)];
		if (!l4lb_backend_full(be))
			return be;
		if (++e == t->len)
			e = 0;
	}
	for (i = 0; i < count; i++) {
		be = g->backends[(hash + i) % count];
		if (!l4lb_backend_full(be))
			return be;
	}
	return NULL;
}

const struct l4lb_sched_ops l4lb_sched_maglev = {
	.name = "maglev",
	.build = l4lb_maglev_build,
	.free = l4lb_maglev_free,
	.pick = l4lb_maglev_pick,
	.home = l4lb_maglev_home,
};
