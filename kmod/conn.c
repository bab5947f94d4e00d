// SPDX-License-Identifier: GPL-2.0
/*
 * Connection table: an rhashtable per netns and address family (resizes
 * under load, unlike a fixed hash), each flow hashed under both of its
 * tuples (one-way flows and templates: under ORIG only, see conn.h).
 *
 * Unlinking is claimed with the DEAD bit of the state word, so that the
 * packet path (an expired or stale entry met by a lookup, an eviction), the
 * GC and netns teardown can race without double frees. Unlinked entries wait
 * on a per-netns list for one grace period per batch (an rcu_head would cost
 * 16 bytes in every entry).
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "compat.h"
#include "conn.h"
#include "conn_event.h"
#include "net.h"
#include "packet.h"
#include "proto.h"
#include "service.h"
#include "tcp_state.h"

/* Hash entries the GC looks at per run; it runs again a jiffy later. */
#define L4LB_GC_BATCH		1024
/*
 * Entries the GC walks, or the free work frees, between two chances for
 * another task to run: reaping or freeing a thousand flows is milliseconds
 * of CPU, and without kernel preemption a server or client woken on that
 * CPU would wait for all of it.
 */
#define L4LB_RESCHED_EVERY	64
/* The free work's batches: entries per bulk free, backends' references. */
#define L4LB_FREE_BULK		16
#define L4LB_FREE_BACKENDS	8
/* A full table looks this far for a flow to evict, per new flow. */
#define L4LB_EVICT_BUCKETS	32
#define L4LB_EVICT_SCAN		16
/* Buckets each new flow looks at for expired flows to reap (reap ahead). */
#define L4LB_REAP_AHEAD		4
/* A busy flow writes its expiry at most this often. */
#define L4LB_EXPIRES_SLACK	(HZ / 8 ? HZ / 8 : 1)

static struct kmem_cache *l4lb_conn4_cache __read_mostly;
static struct kmem_cache *l4lb_conn6_cache __read_mostly;

/*
 * The keys' own hash and compare, a few words each: rhashtable's defaults
 * for a key of 13 or 37 bytes are jhash() with its byte tail and an
 * out-of-line memcmp(), a visible share of a packet's time in the table
 * (perf, make bench's profile phase). The seed is the table's, random.
 * IPv4's hash is inlined into the lookup (rhashtable_lookup() calls it
 * through its constant params): its call was a tenth of the lookup. GCC
 * still calls the compare (once or twice a lookup): it is kept short.
 */
static __always_inline u32 l4lb_key4_hash(const void *data, u32 len,
					  u32 seed)
{
	const struct l4lb_key4 *k = data;

	return jhash_3words((__force u32)k->src, (__force u32)k->dst,
			    (u32)(__force u16)k->sport << 16 |
			    (__force u16)k->dport, seed ^ k->proto);
}

/*
 * Nonzero when the keys differ: the addresses as one word, the ports as
 * another, the protocol, and one test.
 */
static __always_inline int l4lb_key4_cmp(struct rhashtable_compare_arg *arg,
					 const void *obj)
{
	const struct l4lb_key4 *a = arg->key;
	const struct l4lb_key4 *b = &((const struct l4lb_hash4 *)obj)->key;

	BUILD_BUG_ON(offsetof(struct l4lb_key4, dst) != 4 ||
		     offsetof(struct l4lb_key4, sport) != 8 ||
		     offsetof(struct l4lb_key4, dport) != 10);
	return ((get_unaligned((const u64 *)&a->src) ^
		 get_unaligned((const u64 *)&b->src)) |
		(get_unaligned((const u32 *)&a->sport) ^
		 get_unaligned((const u32 *)&b->sport)) |
		(a->proto ^ b->proto)) != 0;
}

/* Addresses and ports: the first 36 bytes of the key, nine words. */
static u32 l4lb_key6_hash(const void *data, u32 len, u32 seed)
{
	const struct l4lb_key6 *k = data;

	BUILD_BUG_ON(offsetof(struct l4lb_key6, proto) != 9 * sizeof(u32));
	return jhash2(data, 9, seed ^ k->proto);
}

static int l4lb_key6_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct l4lb_key6 *a = arg->key;
	const struct l4lb_key6 *b = &((const struct l4lb_hash6 *)obj)->key;

	return !ipv6_addr_equal(&a->src, &b->src) ||
	       !ipv6_addr_equal(&a->dst, &b->dst) ||
	       a->sport != b->sport || a->dport != b->dport ||
	       a->proto != b->proto;
}

static const struct rhashtable_params l4lb_conn4_params = {
	.head_offset = offsetof(struct l4lb_hash4, node),
	.key_offset = offsetof(struct l4lb_hash4, key),
	.key_len = offsetof(struct l4lb_key4, dir),
	.hashfn = l4lb_key4_hash,
	.obj_cmpfn = l4lb_key4_cmp,
	.automatic_shrinking = true,
};

static const struct rhashtable_params l4lb_conn6_params = {
	.head_offset = offsetof(struct l4lb_hash6, node),
	.key_offset = offsetof(struct l4lb_hash6, key),
	.key_len = offsetof(struct l4lb_key6, dir),
	.hashfn = l4lb_key6_hash,
	.obj_cmpfn = l4lb_key6_cmp,
	.automatic_shrinking = true,
};

static struct l4lb_conn4 *l4lb_conn4(struct l4lb_conn *c)
{
	return container_of(c, struct l4lb_conn4, c);
}

static struct l4lb_conn6 *l4lb_conn6(struct l4lb_conn *c)
{
	return container_of(c, struct l4lb_conn6, c);
}

static struct l4lb_conn *l4lb_conn_of4(struct l4lb_hash4 *h)
{
	return &container_of(h, struct l4lb_conn4, hash[h->key.dir])->c;
}

static struct l4lb_conn *l4lb_conn_of6(struct l4lb_hash6 *h)
{
	return &container_of(h, struct l4lb_conn6, hash[h->key.dir])->c;
}

static const struct l4lb_proto_ops *l4lb_conn_ops(u32 state)
{
	return l4lb_proto_find(state >> L4LB_CS_PROTO_SHIFT);
}

/* How long an entry in @state of @vip lives idle; a template: persistence. */
static u32 l4lb_conn_timeout(const struct l4lb_vip *vip, u32 state)
{
	if (unlikely(state & L4LB_CS_TEMPLATE))
		return READ_ONCE(vip->persist);
	return l4lb_conn_ops(state)->timeout(state, &vip->timeouts);
}

static u32 l4lb_now(void)
{
	return (u32)jiffies;
}

static bool l4lb_conn_expired(const struct l4lb_conn *c)
{
	return (s32)(l4lb_now() - READ_ONCE(c->expires)) >= 0;
}

static void l4lb_key4_set(struct l4lb_key4 *k, const struct l4lb_tuple *t,
			  u8 dir)
{
	k->src = t->src.ip;
	k->dst = t->dst.ip;
	k->sport = t->sport;
	k->dport = t->dport;
	k->proto = t->proto;
	k->dir = dir;
}

static void l4lb_key6_set(struct l4lb_key6 *k, const struct l4lb_tuple *t,
			  u8 dir)
{
	k->src = t->src.in6;
	k->dst = t->dst.in6;
	k->sport = t->sport;
	k->dport = t->dport;
	k->proto = t->proto;
	k->dir = dir;
}

void l4lb_conn_tuple(const struct l4lb_conn *c, enum l4lb_dir dir,
		     struct l4lb_tuple *t)
{
	memset(t, 0, sizeof(*t));
	if (l4lb_conn_is_v6(c)) {
		const struct l4lb_key6 *k =
			&container_of(c, struct l4lb_conn6, c)->hash[dir].key;

		t->src.in6 = k->src;
		t->dst.in6 = k->dst;
		t->sport = k->sport;
		t->dport = k->dport;
		t->proto = k->proto;
		t->family = AF_INET6;
	} else {
		const struct l4lb_key4 *k = l4lb_conn_key4(c, dir);

		t->src.ip = k->src;
		t->dst.ip = k->dst;
		t->sport = k->sport;
		t->dport = k->dport;
		t->proto = k->proto;
		t->family = AF_INET;
	}
}

unsigned int l4lb_conn_count(const struct l4lb_net *ln)
{
	return atomic_read(&ln->conn_count);
}

unsigned int l4lb_conn_buckets(struct l4lb_net *ln)
{
	unsigned int i, n = 0;

	rcu_read_lock();
	for (i = 0; i < ARRAY_SIZE(ln->tables); i++)
		n += rht_dereference_rcu(ln->tables[i].ht.tbl,
					 &ln->tables[i].ht)->size;
	rcu_read_unlock();
	return n;
}

/*
 * Add @delta to the active or inactive count a flow in @state is part of.
 * A template is no flow: schedulers and maxconn must not count it.
 */
static void l4lb_conn_account(const struct l4lb_conn *c, u32 state, int delta)
{
	struct l4lb_backend *be = c->backend;

	if (state & L4LB_CS_TEMPLATE)
		return;
	if (l4lb_conn_ops(state)->active(state)) {
		atomic_add(delta, &be->conns.active);
		atomic_add(delta, &be->vip->conns.active);
	} else {
		atomic_add(delta, &be->conns.inactive);
		atomic_add(delta, &be->vip->conns.inactive);
	}
}

/*
 * A batch of unlinked flows gives back its memory in bulk: one slab
 * operation per run of entries from the same slab rather than one per
 * entry (a batch holds flows in about the reverse order they were made,
 * so neighbours in it are often neighbours in a slab). Its backends'
 * references go back one atomic operation per backend for many flows
 * rather than one per flow: a VIP's new flows take turns among its
 * backends. Slots go first in, first out: with more backends than slots
 * taking turns, each flow costs the compares and one put, as before.
 */
struct l4lb_conn_freeing {
	void *objs[2][L4LB_FREE_BULK];		/* by family: IPv4, IPv6 */
	unsigned int nobjs[2];
	struct {
		struct l4lb_backend *be;
		unsigned int refs;
	} puts[L4LB_FREE_BACKENDS];
	unsigned int next_put;			/* the slot given up next */
};

static struct kmem_cache *l4lb_conn_cache(bool v6)
{
	return v6 ? l4lb_conn6_cache : l4lb_conn4_cache;
}

static void l4lb_conn_free_objs(struct l4lb_conn_freeing *f, bool v6)
{
	if (!f->nobjs[v6])
		return;
	kmem_cache_free_bulk(l4lb_conn_cache(v6), f->nobjs[v6], f->objs[v6]);
	f->nobjs[v6] = 0;
}

static void l4lb_conn_free_ref(struct l4lb_conn_freeing *f,
			       struct l4lb_backend *be)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f->puts); i++) {
		if (f->puts[i].be == be) {
			f->puts[i].refs++;
			return;
		}
	}
	/* A backend not among the last few: its slot is the oldest one. */
	i = f->next_put++ % ARRAY_SIZE(f->puts);
	if (f->puts[i].be)
		l4lb_backend_put_many(f->puts[i].be, f->puts[i].refs);
	f->puts[i].be = be;
	f->puts[i].refs = 1;
}

static void l4lb_conn_free(struct l4lb_conn_freeing *f, struct l4lb_conn *c)
{
	bool v6 = l4lb_conn_is_v6(c);

	l4lb_conn_free_ref(f, c->backend);
	f->objs[v6][f->nobjs[v6]++] = v6 ? (void *)l4lb_conn6(c) :
					   (void *)l4lb_conn4(c);
	if (f->nobjs[v6] == L4LB_FREE_BULK)
		l4lb_conn_free_objs(f, v6);
}

static void l4lb_conn_free_end(struct l4lb_conn_freeing *f)
{
	unsigned int i;

	l4lb_conn_free_objs(f, false);
	l4lb_conn_free_objs(f, true);
	for (i = 0; i < ARRAY_SIZE(f->puts); i++) {
		if (f->puts[i].be)
			l4lb_backend_put_many(f->puts[i].be, f->puts[i].refs);
	}
}

/* One grace period for everything unlinked since the last run. */
static void l4lb_conn_free_work(struct work_struct *work)
{
	struct l4lb_net *ln = container_of(work, struct l4lb_net, free_work);
	struct llist_node *batch = llist_del_all(&ln->free_list);
	struct l4lb_conn_freeing f = {};
	struct l4lb_conn *c, *tmp;
	unsigned int n = 0;

	if (!batch)
		return;
	synchronize_rcu();
	llist_for_each_entry_safe(c, tmp, batch, free_node) {
		l4lb_conn_free(&f, c);
		if (++n % L4LB_RESCHED_EVERY == 0)
			cond_resched();
	}
	l4lb_conn_free_end(&f);
}

/* @state: the entry's, which says whether its REPLY key is hashed. */
static void l4lb_conn_unlink(struct l4lb_net *ln, struct l4lb_conn *c,
			     u32 state)
{
	bool reply = !(state & L4LB_CS_ORIG_ONLY);

	if (l4lb_conn_is_v6(c)) {
		struct l4lb_conn6 *c6 = l4lb_conn6(c);
		struct rhashtable *ht = &ln->tables[1].ht;

		rhashtable_remove_fast(ht, &c6->hash[L4LB_DIR_ORIG].node,
				       l4lb_conn6_params);
		if (reply)
			rhashtable_remove_fast(ht,
					       &c6->hash[L4LB_DIR_REPLY].node,
					       l4lb_conn6_params);
	} else {
		struct l4lb_conn4 *c4 = l4lb_conn4(c);
		struct rhashtable *ht = &ln->tables[0].ht;

		rhashtable_remove_fast(ht, &c4->hash[L4LB_DIR_ORIG].node,
				       l4lb_conn4_params);
		if (reply)
			rhashtable_remove_fast(ht,
					       &c4->hash[L4LB_DIR_REPLY].node,
					       l4lb_conn4_params);
	}
}

void l4lb_conn_change(struct l4lb_conn *c, u32 clear, u32 set)
{
	u32 old = READ_ONCE(c->state);

	while (!try_cmpxchg(&c->state, &old, (old & ~clear) | set))
		;
}

/* How the connection of a flow in @state went, as far as it is known. */
static enum l4lb_tcp_outcome l4lb_conn_outcome(u32 state)
{
	if (((state >> L4LB_CS_PROTO_SHIFT) & 0xff) != IPPROTO_TCP ||
	    (state & L4LB_CS_TEMPLATE))
		return L4LB_TCP_PENDING;
	return l4lb_tcp_outcome(state & L4LB_CS_PSTATE);
}

/*
 * A flow in its last @state is gone: a TCP flow whose outcome was never
 * counted ended before it was established (unanswered, evicted, flushed,
 * its VIP deleted). Every TCP flow counted in conns thus counts once,
 * as established or as failed, when it is over.
 */
static void l4lb_conn_ended(const struct l4lb_conn *c, u32 state)
{
	if (((state >> L4LB_CS_PROTO_SHIFT) & 0xff) == IPPROTO_TCP &&
	    !(state & (L4LB_CS_COUNTED | L4LB_CS_TEMPLATE)))
		l4lb_backend_event(c->backend, L4LB_EV_FAILED);
}

/*
 * Unlink @c, which ends for reason @why (enum l4lb_conn_end; 0: a flow
 * nobody was told of, or a namespace going away: no event); false when
 * somebody else already did. Any context.
 */
static bool __l4lb_conn_kill(struct l4lb_net *ln, struct l4lb_conn *c, u8 why)
{
	u32 old = READ_ONCE(c->state);

	do {
		/* Half hashed: only its creator may unlink it (and does,
		 * once its nodes are in or the second failed).
		 */
		if (old & (L4LB_CS_DEAD | L4LB_CS_NEW))
			return false;
	} while (!try_cmpxchg(&c->state, &old, old | L4LB_CS_DEAD));

	l4lb_conn_unlink(ln, c, old);
	atomic_dec(&ln->conn_count);
	/* No transition after DEAD: the last state says what to uncount. */
	l4lb_conn_account(c, old, -1);
	l4lb_conn_ended(c, old);
	/* Before it is queued for freeing: the event reads it. */
	if (why && !(old & L4LB_CS_TEMPLATE))
		l4lb_conn_event(ln, c, L4LB_CONN_EVENT_END, why, old);
	if (llist_add(&c->free_node, &ln->free_list))
		queue_work(system_unbound_wq, &ln->free_work);
	return true;
}

void l4lb_conn_kill(struct l4lb_net *ln, struct l4lb_conn *c, u8 why)
{
	__l4lb_conn_kill(ln, c, why);
}

/*
 * Should the lookup reap @c? Inline: every lookup asks, and nearly every
 * answer is no.
 */
static __always_inline bool l4lb_conn_stale(const struct l4lb_conn *c)
{
	return l4lb_backend_dead(c->backend) || l4lb_conn_expired(c);
}

/*
 * A flow whose VIP was deleted, or that expired: reclaim it now rather than
 * at the next GC pass. True when @c must not be used. The counters count
 * flows, not templates.
 */
static bool l4lb_conn_reap(struct l4lb_net *ln, struct l4lb_conn *c)
{
	if (unlikely(l4lb_backend_dead(c->backend))) {
		if (__l4lb_conn_kill(ln, c, L4LB_CONN_END_VIP_DELETED) &&
		    !(READ_ONCE(c->state) & L4LB_CS_TEMPLATE))
			l4lb_net_count(ln->stats, L4LB_NET_STALE_REAPED);
		return true;
	}
	if (unlikely(l4lb_conn_expired(c))) {
		__l4lb_conn_kill(ln, c, L4LB_CONN_END_EXPIRED);
		return true;
	}
	return false;
}

/* An entry with either key @t, unless its state has a bit of @skip. */
static __always_inline struct l4lb_conn *
l4lb_conn_find(struct l4lb_net *ln, const struct l4lb_tuple *t,
	       enum l4lb_dir *dir, u32 skip)
{
	struct l4lb_conn *c;

	if (t->family == AF_INET) {
		struct l4lb_key4 k;
		struct l4lb_hash4 *h;

		l4lb_key4_set(&k, t, 0);
		h = rhashtable_lookup(&ln->tables[0].ht, &k,
				      l4lb_conn4_params);
		if (!h)
			return NULL;
		*dir = h->key.dir;
		c = l4lb_conn_of4(h);
	} else {
		struct l4lb_key6 k;
		struct l4lb_hash6 *h;

		l4lb_key6_set(&k, t, 0);
		h = rhashtable_lookup(&ln->tables[1].ht, &k,
				      l4lb_conn6_params);
		if (!h)
			return NULL;
		*dir = h->key.dir;
		c = l4lb_conn_of6(h);
	}

	if (unlikely(READ_ONCE(c->state) & skip) ||
	    (unlikely(l4lb_conn_stale(c)) && l4lb_conn_reap(ln, c)))
		return NULL;
	return c;
}

/*
 * No packet has a template's protocol (0), but a packet quoted in an ICMP
 * error may claim it: the state test every lookup makes skips templates.
 */
struct l4lb_conn *l4lb_conn_lookup(struct l4lb_net *ln,
				   const struct l4lb_tuple *t,
				   enum l4lb_dir *dir)
{
	return l4lb_conn_find(ln, t, dir, L4LB_CS_DEAD | L4LB_CS_TEMPLATE);
}

struct l4lb_conn *l4lb_conn_lookup_template(struct l4lb_net *ln,
					    const struct l4lb_tuple *t)
{
	struct l4lb_conn *c;
	enum l4lb_dir dir;

	/* Hashed under ORIG only, with protocol 0, which no flow has. */
	c = l4lb_conn_find(ln, t, &dir, L4LB_CS_DEAD);
	if (!c || !(READ_ONCE(c->state) & L4LB_CS_TEMPLATE))
		return NULL;
	return c;
}

static struct l4lb_conn *l4lb_conn_of_node(struct rhash_head *node, bool v6)
{
	if (v6)
		return l4lb_conn_of6(container_of(node, struct l4lb_hash6,
						  node));
	return l4lb_conn_of4(container_of(node, struct l4lb_hash4, node));
}

/*
 * How much a full table wants @c gone: its eviction class above its idle
 * time. 0: never.
 */
static u64 l4lb_conn_evict_rank(const struct l4lb_conn *c, u32 state, u32 now)
{
	const struct l4lb_proto_ops *p = l4lb_conn_ops(state); /* NULL: template */
	s32 left = (s32)(READ_ONCE(c->expires) - now);
	enum l4lb_evict class;
	u32 idle;

	if (left <= 0 || l4lb_backend_dead(c->backend))
		class = L4LB_EVICT_DEAD;
	else if (state & L4LB_CS_TEMPLATE)
		class = L4LB_EVICT_TEMPLATE;
	else
		class = p->evict(state);
	if (class == L4LB_EVICT_NEVER)
		return 0;
	idle = max_t(s32, l4lb_conn_timeout(c->backend->vip, state) - left, 0);
	return (u64)class << 32 | idle;
}

/*
 * Early drop, as conntrack does it: look at up to 16 entries in up to 32
 * buckets from a random place (an attacker cannot aim at them; the work per
 * new flow is bounded) and evict the one a full table wants gone most: dead
 * (expired, or its VIP deleted), then templates (persistence bindings, worth
 * less than any flow), then connections that are over, then flows
 * that never proved themselves (a flood's), then UDP conversations; within a
 * class the one idle longest, so a real client's fresh SYN outlives a flood's
 * older ones. An established TCP connection is never evicted. Only classes
 * from @floor on are taken: a new template may take no flow's place.
 */
static bool l4lb_conn_evict(struct l4lb_net *ln, int idx,
			    enum l4lb_evict floor)
{
	struct rhashtable *ht = &ln->tables[idx].ht;
	struct l4lb_conn *victim = NULL;
	u32 now = l4lb_now(), first;
	struct bucket_table *tbl;
	struct rhash_head *pos;
	unsigned int i, seen = 0;
	u64 best = 0;

	rcu_read_lock();
	tbl = rht_dereference_rcu(ht->tbl, ht);
	first = get_random_u32();
	for (i = 0; i < L4LB_EVICT_BUCKETS && seen < L4LB_EVICT_SCAN; i++) {
		u32 b = (first + i) & (tbl->size - 1);

		rht_for_each_rcu(pos, tbl, b) {
			struct l4lb_conn *c = l4lb_conn_of_node(pos, idx);
			u32 state = READ_ONCE(c->state);
			u64 rank;

			if (state & (L4LB_CS_DEAD | L4LB_CS_NEW))
				continue;
			if (++seen > L4LB_EVICT_SCAN)
				break;
			rank = l4lb_conn_evict_rank(c, state, now);
			if (rank > best && rank >> 32 >= floor) {
				best = rank;
				victim = c;
			}
		}
	}
	if (victim && __l4lb_conn_kill(ln, victim, L4LB_CONN_END_EVICTED) &&
	    !(READ_ONCE(victim->state) & L4LB_CS_TEMPLATE))
		l4lb_net_count(ln->stats, L4LB_NET_EARLY_DROPS);
	rcu_read_unlock();
	return victim;
}

/*
 * New flows reap as they come: each looks at the next L4LB_REAP_AHEAD
 * buckets of its table after those this CPU looked at last, and unlinks
 * the flows there that the GC walk would: expired ones, and those of a
 * deleted VIP. The GC walk is a work item, which the softirq load of a
 * flood of new flows starves: the flood's flows would outlive their
 * timeout by seconds, and the table grow (and rehash) under it, the more
 * so as each resize sends the walk back to the start. At the table's
 * usual load (about two buckets per entry, two entries per NAT flow), new
 * flows sweep it once per as many new flows as it holds: at a steady rate
 * an expired flow waits about one more timeout on average, and the GC
 * walk, when it runs, takes its share. Each CPU starts at a random bucket,
 * so that CPUs sharing a flood do not sweep in step.
 */
static void l4lb_conn_reap_ahead(struct l4lb_net *ln, int idx)
{
	struct l4lb_conn_table *t = &ln->tables[idx];
	struct bucket_table *tbl;
	struct rhash_head *pos;
	unsigned int i;
	u32 first;

	first = this_cpu_add_return(*t->reap_at, L4LB_REAP_AHEAD);
	/* From the hooks only: under their RCU read-side section. */
	tbl = rht_dereference_rcu(t->ht.tbl, &t->ht);
	for (i = 0; i < L4LB_REAP_AHEAD; i++) {
		/*
		 * A removal leaves the node's next pointer as it was; a
		 * rehash may move the chain's end into the new table, whose
		 * entries are then looked at instead: harmless either way.
		 */
		rht_for_each_rcu(pos, tbl, (first + i) & (tbl->size - 1)) {
			struct l4lb_conn *c = l4lb_conn_of_node(pos, idx);

			if (!(READ_ONCE(c->state) &
			      (L4LB_CS_DEAD | L4LB_CS_NEW)) &&
			    (l4lb_conn_expired(c) ||
			     l4lb_backend_dead(c->backend)))
				l4lb_conn_reap(ln, c);
		}
	}
}

static void *l4lb_conn_alloc(struct l4lb_net *ln, bool v6)
{
	struct kmem_cache *cache = l4lb_conn_cache(v6);
	struct mem_cgroup *old;
	void *p;

	/*
	 * Charged to the memory cgroup of whoever configured this netns; not
	 * GFP_ATOMIC, whose __GFP_HIGH would force the charge past the
	 * cgroup's limit: over it, the new flow is dropped.
	 */
	old = l4lb_set_active_memcg(ln->memcg);
	p = kmem_cache_zalloc(cache, GFP_NOWAIT | __GFP_NOWARN);
	l4lb_set_active_memcg(old);
	return p;
}

static int l4lb_conn_hash(struct l4lb_net *ln, struct l4lb_conn *c,
			  enum l4lb_dir dir)
{
	if (l4lb_conn_is_v6(c))
		return rhashtable_lookup_insert_fast(&ln->tables[1].ht,
						     &l4lb_conn6(c)->hash[dir].node,
						     l4lb_conn6_params);
	return rhashtable_lookup_insert_fast(&ln->tables[0].ht,
					     &l4lb_conn4(c)->hash[dir].node,
					     l4lb_conn4_params);
}

/*
 * Create and hash a flow from @orig, whose replies are @reply (NULL: none,
 * for L4LB_CS_ORIG_ONLY only), to @be, with state word bits @cs (protocol
 * state, mode, flags); @seq is the client's next sequence number (TCP). The
 * entry takes its own reference on @be. Errors: -ENOSPC (table full of
 * flows that may not be evicted), -EEXIST (another CPU hashed the same flow
 * first: look it up again), -EADDRINUSE (a hashed reply tuple is another
 * flow's).
 */
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_tuple *orig,
				   const struct l4lb_tuple *reply,
				   struct l4lb_backend *be, u32 cs, u32 seq)
{
	enum l4lb_evict floor = cs & L4LB_CS_TEMPLATE ? L4LB_EVICT_TEMPLATE :
							L4LB_EVICT_LAST;
	bool v6 = orig->family == AF_INET6;
	struct l4lb_conn *c;
	void *obj;
	int err;

	/* An unset REPLY key hashed would be found as an ORIG one. */
	if (WARN_ON_ONCE(!reply && !(cs & L4LB_CS_ORIG_ONLY)))
		return ERR_PTR(-EINVAL);
	l4lb_conn_reap_ahead(ln, v6);
	if (atomic_inc_return(&ln->conn_count) > ln->limits.conns &&
	    !l4lb_conn_evict(ln, v6, floor) &&
	    !l4lb_conn_evict(ln, !v6, floor)) {
		if (!(cs & L4LB_CS_TEMPLATE))
			l4lb_net_count(ln->stats, L4LB_NET_FULL_DROPS);
		err = -ENOSPC;
		goto err_count;
	}

	obj = l4lb_conn_alloc(ln, v6);
	if (!obj) {
		err = -ENOMEM;
		goto err_count;
	}
	if (v6) {
		struct l4lb_conn6 *c6 = obj;

		l4lb_key6_set(&c6->hash[L4LB_DIR_ORIG].key, orig,
			      L4LB_DIR_ORIG);
		if (reply)
			l4lb_key6_set(&c6->hash[L4LB_DIR_REPLY].key, reply,
				      L4LB_DIR_REPLY);
		c = &c6->c;
		c->state = L4LB_CS_IPV6;
	} else {
		struct l4lb_conn4 *c4 = obj;

		l4lb_key4_set(&c4->hash[L4LB_DIR_ORIG].key, orig,
			      L4LB_DIR_ORIG);
		if (reply)
			l4lb_key4_set(&c4->hash[L4LB_DIR_REPLY].key, reply,
				      L4LB_DIR_REPLY);
		c = &c4->c;
	}
	c->state |= L4LB_CS_NEW | cs |
		    (u32)orig->proto << L4LB_CS_PROTO_SHIFT;
	c->seq[L4LB_DIR_ORIG] = seq;
	c->expires = l4lb_now() + l4lb_conn_timeout(be->vip, c->state);
	if (!l4lb_backend_tryget(be)) {
		err = -ENOENT;
		goto err_free;
	}
	c->backend = be;

	/* Counted before anyone can see it, and so change its state. */
	l4lb_conn_account(c, c->state, 1);
	err = l4lb_conn_hash(ln, c, L4LB_DIR_ORIG);
	if (err)
		goto err_unaccount;

	if (!(cs & L4LB_CS_ORIG_ONLY))
		err = l4lb_conn_hash(ln, c, L4LB_DIR_REPLY);
	/*
	 * Told while it is still NEW, which nobody else may kill: its end
	 * event cannot come first.
	 */
	if (!err && !(cs & L4LB_CS_TEMPLATE))
		l4lb_conn_event(ln, c, L4LB_CONN_EVENT_NEW, 0,
				READ_ONCE(c->state));
	/* A flow never used has no outcome to count. */
	l4lb_conn_change(c, L4LB_CS_NEW, err ? L4LB_CS_COUNTED : 0);
	if (err) {
		/* The reply tuple is taken by another flow (two VIPs sharing
		 * a backend, same client address and port): unusable.
		 */
		__l4lb_conn_kill(ln, c, 0);
		return ERR_PTR(err == -EEXIST ? -EADDRINUSE : err);
	}
	return c;

err_unaccount:
	l4lb_conn_account(c, c->state, -1);
	l4lb_backend_put(be);
err_free:
	kmem_cache_free(l4lb_conn_cache(v6), obj);
err_count:
	atomic_dec(&ln->conn_count);
	return ERR_PTR(err);
}

/*
 * The counters of a flow's change from @old to @new: its outcome, once
 * known, and in NAT modes the handshake's latency, from the client's first
 * SYN (its time in seq[REPLY], see l4lb_conn_start_handshake()) to the
 * backend's SYN-ACK, its first answer. seq[REPLY] is read before ->seen()
 * makes it the backend's sequence number.
 */
static void l4lb_conn_stats(struct l4lb_conn *c, enum l4lb_dir dir,
			    u32 old, u32 new)
{
	struct l4lb_backend *be = c->backend;

	if ((new & ~old) & L4LB_CS_COUNTED)
		l4lb_backend_event(be, l4lb_conn_outcome(new) ==
				   L4LB_TCP_WAS_ESTABLISHED ?
				   L4LB_EV_ESTABLISHED : L4LB_EV_FAILED);
	if (dir == L4LB_DIR_REPLY && !(old & L4LB_CS_REPLIED) &&
	    ((old >> L4LB_CS_PROTO_SHIFT) & 0xff) == IPPROTO_TCP &&
	    !(old & (L4LB_CS_ONEWAY | L4LB_CS_ADOPTED)) &&
	    (old & L4LB_CS_PSTATE) == L4LB_TCP_SYN_SENT &&
	    (new & L4LB_CS_PSTATE) == L4LB_TCP_SYN_RECV)
		l4lb_stats_handshake(be->stats, l4lb_now_us() -
				     READ_ONCE(c->seq[L4LB_DIR_REPLY]));
}

void l4lb_conn_start_handshake(struct l4lb_conn *c)
{
	WRITE_ONCE(c->seq[L4LB_DIR_REPLY], l4lb_now_us());
}

bool l4lb_conn_update(struct l4lb_conn *c, enum l4lb_dir dir,
		      const struct l4lb_pkt *pkt)
{
	const struct l4lb_proto_ops *p = pkt->proto;
	u32 old = READ_ONCE(c->state), new, expires;
	int pstate;

	do {
		if (old & L4LB_CS_DEAD)
			return true;
		pstate = p->next(c, old, dir, pkt);
		if (pstate < 0)
			return false;
		new = (old & ~L4LB_CS_PSTATE) | pstate;
		if (dir == L4LB_DIR_REPLY)
			new |= L4LB_CS_REPLIED;
		/* Its outcome known: counted by whoever sets the bit. */
		if (!(new & L4LB_CS_COUNTED) &&
		    l4lb_conn_outcome(new) != L4LB_TCP_PENDING)
			new |= L4LB_CS_COUNTED;
		if (new == old)
			break;
	} while (!try_cmpxchg(&c->state, &old, new));

	if (new != old) {
		if (p->active(old) != p->active(new)) {
			l4lb_conn_account(c, old, -1);
			l4lb_conn_account(c, new, 1);
		}
		l4lb_conn_stats(c, dir, old, new);
	}
	if (p->seen)
		p->seen(c, dir, pkt, old, new);

	/* Only a state change or a step of a fraction of a second writes. */
	expires = l4lb_now() + p->timeout(new, &c->backend->vip->timeouts);
	if (new != old ||
	    (s32)(expires - READ_ONCE(c->expires)) >= L4LB_EXPIRES_SLACK)
		WRITE_ONCE(c->expires, expires);
	return true;
}

void l4lb_conn_refresh(struct l4lb_conn *c)
{
	u32 expires = l4lb_now() + l4lb_conn_timeout(c->backend->vip,
						     READ_ONCE(c->state));
	s32 step = expires - READ_ONCE(c->expires);

	/* As for a busy flow; a timeout made shorter is taken at once. */
	if (step >= L4LB_EXPIRES_SLACK || step < 0)
		WRITE_ONCE(c->expires, expires);
}

/* GC */

static struct l4lb_conn *l4lb_conn_of_obj(void *obj, bool v6)
{
	return v6 ? l4lb_conn_of6(obj) : l4lb_conn_of4(obj);
}

struct l4lb_conn *l4lb_conn_of_walk(void *obj, bool v6, enum l4lb_dir *dir)
{
	*dir = v6 ? ((struct l4lb_hash6 *)obj)->key.dir :
		    ((struct l4lb_hash4 *)obj)->key.dir;
	return l4lb_conn_of_obj(obj, v6);
}

/*
 * Go on walking table @idx for at most *@budget entries. True when the walk
 * reached the end of the table. While the walk is stopped (between two
 * runs, or while it lets another task run), a resize rewinds it to the
 * start of the new table, and removals may make it skip entries of the
 * bucket it stopped in: a pass may take longer, or leave an expired flow to
 * the next, which costs nothing in correctness (lookups and a full table
 * reap on their own).
 */
static bool l4lb_conn_gc_table(struct l4lb_net *ln, int idx,
			       unsigned int *budget)
{
	struct l4lb_conn_table *t = &ln->tables[idx];
	enum l4lb_dir dir;
	bool done = false;
	void *obj;

	if (!t->gc_walking) {
		rhashtable_walk_enter(&t->ht, &t->gc_iter);
		t->gc_walking = true;
	}
	rhashtable_walk_start(&t->gc_iter);
	while (*budget) {
		struct l4lb_conn *c;

		obj = rhashtable_walk_next(&t->gc_iter);
		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN)
				continue;
			break;
		}
		if (!obj) {
			done = true;
			break;
		}
		(*budget)--;
		/* ORIG is hashed first and unlinked with REPLY (if that is
		 * hashed): look at a flow once a pass, by its ORIG node.
		 */
		c = l4lb_conn_of_walk(obj, idx, &dir);
		if (dir == L4LB_DIR_ORIG &&
		    !(READ_ONCE(c->state) & L4LB_CS_DEAD))
			l4lb_conn_reap(ln, c);
		/* The walk leaves its RCU section to let others run. */
		if (*budget && !(*budget % L4LB_RESCHED_EVERY) &&
		    need_resched()) {
			rhashtable_walk_stop(&t->gc_iter);
			cond_resched();
			rhashtable_walk_start(&t->gc_iter);
		}
	}
	rhashtable_walk_stop(&t->gc_iter);
	if (done) {
		rhashtable_walk_exit(&t->gc_iter);
		t->gc_walking = false;
	}
	return done;
}

/*
 * A bounded slice of a pass over both tables per run, so that a table of
 * millions of flows never holds a CPU; the next slice follows a jiffy later,
 * the next pass gc_interval after the end of this one.
 */
static void l4lb_conn_gc(struct work_struct *work)
{
	struct l4lb_net *ln = container_of(to_delayed_work(work),
					   struct l4lb_net, gc_work);
	unsigned int budget = L4LB_GC_BATCH;
	unsigned long delay = 1;

	/* Idle namespaces pay nothing; the first VIP starts it again. */
	if (!READ_ONCE(ln->hooked) && !atomic_read(&ln->conn_count))
		return;
	while (budget) {
		if (!l4lb_conn_gc_table(ln, ln->gc_table, &budget))
			break;
		ln->gc_table = (ln->gc_table + 1) % ARRAY_SIZE(ln->tables);
		if (!ln->gc_table) {
			delay = l4lb_params.gc_interval;
			break;
		}
	}
	queue_delayed_work(system_power_efficient_wq, &ln->gc_work, delay);
}

int l4lb_conn_net_init(struct l4lb_net *ln)
{
	unsigned int i;
	int cpu, err;

	for (i = 0; i < ARRAY_SIZE(ln->tables); i++) {
		struct l4lb_conn_table *t = &ln->tables[i];

		t->reap_at = alloc_percpu_gfp(u32, GFP_KERNEL_ACCOUNT);
		if (!t->reap_at) {
			err = -ENOMEM;
			goto err;
		}
		for_each_possible_cpu(cpu) {
			u32 *at = per_cpu_ptr(t->reap_at, cpu);

			*at = get_random_u32();
		}
		err = rhashtable_init(&t->ht, i ? &l4lb_conn6_params :
						  &l4lb_conn4_params);
		if (err) {
			free_percpu(t->reap_at);
			goto err;
		}
	}
	atomic_set(&ln->conn_count, 0);
	init_llist_head(&ln->free_list);
	INIT_WORK(&ln->free_work, l4lb_conn_free_work);
	INIT_DELAYED_WORK(&ln->gc_work, l4lb_conn_gc);
	return 0;

err:
	while (i--) {
		rhashtable_destroy(&ln->tables[i].ht);
		free_percpu(ln->tables[i].reap_at);
	}
	return err;
}

void l4lb_conn_gc_start(struct l4lb_net *ln)
{
	queue_delayed_work(system_power_efficient_wq, &ln->gc_work,
			   l4lb_params.gc_interval);
}

/* Unlink every flow of table @idx; from process context, with no lock. */
static void l4lb_conn_kill_table(struct l4lb_net *ln, int idx)
{
	struct rhashtable_iter iter;
	unsigned int n = 0;
	void *obj;

	rhashtable_walk_enter(&ln->tables[idx].ht, &iter);
	rhashtable_walk_start(&iter);
	while ((obj = rhashtable_walk_next(&iter))) {
		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN)
				continue;
			break;
		}
		__l4lb_conn_kill(ln, l4lb_conn_of_obj(obj, idx), 0);
		if (++n % L4LB_GC_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/*
 * The packet hooks are gone and a grace period has passed: nothing can find
 * or add entries any more. No lock is held, so whole-table walks are fine;
 * a walk may miss entries when the table shrinks under it, so walk again
 * until the count says every flow is gone.
 */
void l4lb_conn_net_exit(struct l4lb_net *ln)
{
	int i, pass;

	cancel_delayed_work_sync(&ln->gc_work);
	for (i = 0; i < ARRAY_SIZE(ln->tables); i++)
		if (ln->tables[i].gc_walking)
			rhashtable_walk_exit(&ln->tables[i].gc_iter);
	for (pass = 0; atomic_read(&ln->conn_count) && pass < 16; pass++)
		for (i = 0; i < ARRAY_SIZE(ln->tables); i++)
			l4lb_conn_kill_table(ln, i);
	WARN_ON(atomic_read(&ln->conn_count));
	flush_work(&ln->free_work);
	for (i = 0; i < ARRAY_SIZE(ln->tables); i++) {
		rhashtable_destroy(&ln->tables[i].ht);
		free_percpu(ln->tables[i].reap_at);
	}
}

int l4lb_conn_module_init(void)
{
	BUILD_BUG_ON(sizeof(struct l4lb_conn4) > 80);
	BUILD_BUG_ON(sizeof(struct l4lb_conn6) > 128);
	BUILD_BUG_ON(offsetofend(struct l4lb_conn4, c.state) > 64);

	l4lb_conn4_cache = KMEM_CACHE(l4lb_conn4, SLAB_ACCOUNT);
	l4lb_conn6_cache = KMEM_CACHE(l4lb_conn6, SLAB_ACCOUNT);
	if (!l4lb_conn4_cache || !l4lb_conn6_cache) {
		kmem_cache_destroy(l4lb_conn4_cache);
		kmem_cache_destroy(l4lb_conn6_cache);
		return -ENOMEM;
	}
	return 0;
}

/* Call after rcu_barrier(): every entry has been freed by then. */
void l4lb_conn_module_exit(void)
{
	kmem_cache_destroy(l4lb_conn4_cache);
	kmem_cache_destroy(l4lb_conn6_cache);
}
