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
 * the others, so few flows of other backends move; adding one takes about
 * 1/(N + 1) of the slots, mostly from everyone's later choices.
 *
 * Flows must land on the same backend on every load balancer behind one
 * ECMP route, whatever the order backends were added there: a backend's
 * permutation is a hash of its address and port with fixed seeds, and the
 * order of turns depends on the backends' identities and weights only,
 * never on their position in the group.
 *
 * Weights: stride scheduling of the turns. A backend of weight w takes its
 * n-th turn (from 0) at virtual time (2n + 1) / w; the backend with the
 * earliest next turn goes next, ties broken by identity. Each backend thus
 * ends within one entry of its weight's share of M, and the order of
 * any two backends' turns does not depend on the others, so removing a
 * backend only takes its turns out of the sequence: the paper's disruption
 * bound holds. With equal weights this is the paper's round robin.
 * (Katran and Cilium instead give turns by accumulated credit per round;
 * that is proportional too, but costs a pass over all backends per round.)
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
 * Building costs O(M log M) slot probes plus O(M log N) for the order of
 * turns (a heap); equal weights skip the heap. It runs in process context,
 * before the dest set is published.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/l4lb.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sched.h"
#include "sched_maglev.h"

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

/* A backend's place in its permutation while the table is built. */
struct l4lb_maglev_perm {
	const struct l4lb_backend *be;
	u32 pos;		/* the next slot to try */
	u32 skip;
	u32 index;		/* in g->backends[] */
};

/*
 * A backend's next turn, in a min-heap. Virtual time in units of 2^-42: a
 * turn is 2 * stride, stride = 2^42 / weight, and M (< 2^20) turns stay
 * below 2^63. The rounding of stride is the same on every host.
 */
#define L4LB_MAGLEV_VT_SHIFT	42

struct l4lb_maglev_turn {
	u64 time;
	u64 id;			/* orders turns at the same time */
	u64 stride;
	struct l4lb_maglev_perm *p;
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
static void l4lb_maglev_init(struct l4lb_maglev_turn *t,
			     struct l4lb_maglev_perm *p,
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
	p->pos = h1 % size;
	p->skip = h2 % (size - 1) + 1;
	t->stride = div_u64(1ULL << L4LB_MAGLEV_VT_SHIFT, be->weight);
	t->time = t->stride;
	t->id = (u64)h1 << 32 | h2;
	t->p = p;
}

/* Does @a come before @b? A strict total order. */
static bool l4lb_maglev_before(const struct l4lb_maglev_turn *a,
			       const struct l4lb_maglev_turn *b)
{
	const struct l4lb_backend_key *ka, *kb;
	int c;

	if (a->time != b->time)
		return a->time < b->time;
	if (a->id != b->id)
		return a->id < b->id;
	/* Same hashes: the addresses and ports differ within a VIP. */
	ka = &a->p->be->hkey.key;
	kb = &b->p->be->hkey.key;
	c = memcmp(&ka->addr, &kb->addr, sizeof(ka->addr));
	return c ? c < 0 : be16_to_cpu(ka->port) < be16_to_cpu(kb->port);
}

static void l4lb_maglev_sift_down(struct l4lb_maglev_turn *heap,
				  unsigned int n, unsigned int i)
{
	struct l4lb_maglev_turn t = heap[i];
	unsigned int c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && l4lb_maglev_before(&heap[c + 1], &heap[c]))
			c++;
		if (!l4lb_maglev_before(&heap[c], &t))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = t;
}

/* Claim the next free slot of @p's permutation for it. */
static void l4lb_maglev_take(struct l4lb_maglev *m, unsigned long *used,
			     struct l4lb_maglev_perm *p)
{
	u32 c = p->pos;

	while (test_bit(c, used)) {
		c += p->skip;
		if (c >= m->size)
			c -= m->size;
	}
	__set_bit(c, used);
	if (m->wide)
		m->e32[c] = p->index;
	else
		m->e16[c] = p->index;
	p->pos = c + p->skip;
	if (p->pos >= m->size)
		p->pos -= m->size;
}

static void l4lb_maglev_populate(struct l4lb_maglev *m, unsigned long *used,
				 struct l4lb_maglev_turn *heap,
				 unsigned int n, bool uniform)
{
	u32 filled = 0;
	unsigned int i;

	for (i = n / 2; i-- > 0;)
		l4lb_maglev_sift_down(heap, n, i);
	if (uniform) {
		/* The order never changes: sort once (heapsort, leaving
		 * it in heap[] from the last to the first), then go round.
		 */
		for (i = n; --i > 0;) {
			swap(heap[0], heap[i]);
			l4lb_maglev_sift_down(heap, i, 0);
		}
		for (;;) {
			for (i = n; i-- > 0;) {
				l4lb_maglev_take(m, used, heap[i].p);
				if (++filled == m->size)
					return;
				if (!(filled & 4095))
					cond_resched();
			}
		}
	}
	for (;;) {
		l4lb_maglev_take(m, used, heap[0].p);
		if (++filled == m->size)
			return;
		heap[0].time += 2 * heap[0].stride;
		l4lb_maglev_sift_down(heap, n, 0);
		if (!(filled & 4095))
			cond_resched();
	}
}

static int l4lb_maglev_build(const struct l4lb_dest_set *set,
			     struct l4lb_dest_group *g, gfp_t gfp)
{
	struct l4lb_maglev_turn *heap;
	struct l4lb_maglev_perm *perm;
	unsigned int i, n = g->count;
	struct l4lb_maglev *m;
	unsigned long *used;
	bool uniform = true;
	size_t esize;
	u32 size;
	int err = -ENOMEM;

	/* Beyond M backends (a million), the last in the order of turns
	 * get no slot.
	 */
	size = l4lb_maglev_size(set, n);
	esize = n > 65536 ? sizeof(u32) : sizeof(u16);
	m = kvmalloc(sizeof(*m) + (size_t)size * esize, gfp);
	perm = kvmalloc_array(n, sizeof(*perm), gfp);
	heap = kvmalloc_array(n, sizeof(*heap), gfp);
	used = kvcalloc(BITS_TO_LONGS(size), sizeof(*used), gfp);
	if (!m || !perm || !heap || !used)
		goto out;

	m->size = size;
	m->wide = esize == sizeof(u32);
	m->e32 = (void *)(m + 1);
	for (i = 0; i < n; i++) {
		l4lb_maglev_init(&heap[i], &perm[i], g->backends[i], size);
		perm[i].index = i;
		if (g->backends[i]->weight != g->backends[0]->weight)
			uniform = false;
	}
	l4lb_maglev_populate(m, used, heap, n, uniform);
	g->priv = m;
	m = NULL;
	err = 0;
out:
	kvfree(used);
	kvfree(heap);
	kvfree(perm);
	kvfree(m);
	return err;
}

static void l4lb_maglev_free(struct l4lb_dest_group *g)
{
	kvfree(g->priv);
	g->priv = NULL;
}

static struct l4lb_backend *l4lb_maglev_pick(const struct l4lb_dest_set *set,
					     struct l4lb_dest_group *g,
					     unsigned int count,
					     const struct l4lb_tuple *tuple)
{
	const struct l4lb_maglev *m = g->priv;
	struct l4lb_backend *be;
	unsigned int i;
	u32 hash, e;

	hash = set->flags & L4LB_VIP_F_HASH_SRC ?
	       l4lb_sched_hash_src(tuple, false) :
	       l4lb_sched_hash_5tuple(tuple);
	e = hash % m->size;
	for (i = 0; i < L4LB_MAGLEV_PROBES; i++) {
		be = g->backends[l4lb_maglev_entry(m, e)];
		if (!l4lb_backend_full(be))
			return be;
		if (++e == m->size)
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
	.consistent = true,
};
