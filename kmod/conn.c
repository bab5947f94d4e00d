// SPDX-License-Identifier: GPL-2.0
/*
 * Connection table: an rhashtable per netns (resizes under load, unlike a
 * fixed hash), each flow hashed under both of its tuples.
 *
 * Unlinking is claimed with the DEAD bit so that the packet path (an expired
 * entry met by a lookup), the GC and flushes can race without double frees.
 */
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "conn.h"
#include "net.h"
#include "params.h"
#include "service.h"
#include "tcp_state.h"

/* Entries visited between two rescheduling points of a table walk. */
#define L4LB_WALK_BATCH 1024

static struct kmem_cache *l4lb_conn_cache __read_mostly;

static const struct rhashtable_params l4lb_conn_params = {
	.head_offset = offsetof(struct l4lb_conn_hash, node),
	.key_offset = offsetof(struct l4lb_conn_hash, tuple),
	.key_len = L4LB_TUPLE_KEY_LEN,
	.automatic_shrinking = true,
};

static void l4lb_conn_free_rcu(struct rcu_head *head)
{
	struct l4lb_conn *conn = container_of(head, struct l4lb_conn, rcu);

	l4lb_backend_put(conn->backend);
	kmem_cache_free(l4lb_conn_cache, conn);
}

/* Add @delta to the active or inactive count a flow in @state is part of. */
static void l4lb_conn_account(const struct l4lb_conn *conn, u32 state,
			      int delta)
{
	struct l4lb_backend *be = conn->backend;
	bool active = conn->hash[L4LB_DIR_ORIG].tuple.proto != IPPROTO_TCP ||
		      state == L4LB_TCP_ESTABLISHED;

	if (active) {
		atomic_add(delta, &be->conns.active);
		atomic_add(delta, &be->vip->conns.active);
	} else {
		atomic_add(delta, &be->conns.inactive);
		atomic_add(delta, &be->vip->conns.inactive);
	}
}

static void l4lb_conn_kill(struct l4lb_net *ln, struct l4lb_conn *conn)
{
	if (test_and_set_bit(L4LB_CONN_DEAD, &conn->flags))
		return;

	rhashtable_remove_fast(&ln->conns, &conn->hash[L4LB_DIR_ORIG].node,
			       l4lb_conn_params);
	rhashtable_remove_fast(&ln->conns, &conn->hash[L4LB_DIR_REPLY].node,
			       l4lb_conn_params);
	atomic_dec(&ln->conn_count);
	/* Ends state transitions; the last state says what to uncount. */
	l4lb_conn_account(conn, xchg(&conn->tcp_state, L4LB_CONN_STATE_DEAD),
			  -1);
	call_rcu(&conn->rcu, l4lb_conn_free_rcu);
}

static bool l4lb_conn_expired(const struct l4lb_conn *conn)
{
	return time_after_eq(jiffies, READ_ONCE(conn->expires));
}

struct l4lb_conn_hash *l4lb_conn_lookup(struct l4lb_net *ln,
					const struct l4lb_tuple *tuple)
{
	struct l4lb_conn_hash *h;
	struct l4lb_conn *conn;

	h = rhashtable_lookup(&ln->conns, tuple, l4lb_conn_params);
	if (!h)
		return NULL;

	conn = l4lb_conn_of(h);
	if (unlikely(l4lb_conn_expired(conn) ||
		     test_bit(L4LB_CONN_DEAD, &conn->flags))) {
		/* Reclaim now rather than at the next GC: a new flow may be
		 * reusing this tuple (client port reuse).
		 */
		l4lb_conn_kill(ln, conn);
		return NULL;
	}
	return h;
}

static void l4lb_tuple_reply(struct l4lb_tuple *reply,
			     const struct l4lb_tuple *orig,
			     const struct l4lb_backend *be)
{
	memset(reply, 0, sizeof(*reply));
	reply->src = be->key.addr;
	reply->sport = be->key.port;
	reply->dst = orig->src;
	reply->dport = orig->sport;
	reply->proto = orig->proto;
	reply->family = orig->family;
	reply->dir = L4LB_DIR_REPLY;
}

static unsigned long l4lb_conn_timeout(const struct l4lb_conn *conn,
				       u32 state)
{
	if (conn->hash[L4LB_DIR_ORIG].tuple.proto != IPPROTO_TCP)
		return l4lb_params.udp_timeout;
	if (state >= L4LB_TCP_STATE_COUNT)	/* dead: no longer matters */
		state = L4LB_TCP_CLOSE;
	return l4lb_params.tcp_timeout[state];
}

/*
 * Create and hash a flow from @orig to @be. The entry takes its own reference
 * on @be. Returns ERR_PTR(-EEXIST) when another CPU hashed the same flow
 * first: the caller looks it up again.
 */
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_tuple *orig,
				   struct l4lb_backend *be)
{
	struct l4lb_conn *conn;
	int err;

	if (atomic_inc_return(&ln->conn_count) > l4lb_params.conn_max) {
		err = -ENOSPC;
		goto err_count;
	}

	conn = kmem_cache_zalloc(l4lb_conn_cache, GFP_ATOMIC);
	if (!conn) {
		err = -ENOMEM;
		goto err_count;
	}
	if (!l4lb_backend_tryget(be)) {
		err = -ENOENT;
		goto err_free;
	}

	conn->backend = be;
	conn->hash[L4LB_DIR_ORIG].tuple = *orig;
	conn->hash[L4LB_DIR_ORIG].tuple.dir = L4LB_DIR_ORIG;
	l4lb_tuple_reply(&conn->hash[L4LB_DIR_REPLY].tuple, orig, be);
	conn->tcp_state = L4LB_TCP_NONE;
	conn->expires = jiffies + l4lb_conn_timeout(conn, L4LB_TCP_NONE);

	err = rhashtable_lookup_insert_fast(&ln->conns,
					    &conn->hash[L4LB_DIR_ORIG].node,
					    l4lb_conn_params);
	if (err)
		goto err_put;

	l4lb_conn_account(conn, L4LB_TCP_NONE, 1);

	err = rhashtable_lookup_insert_fast(&ln->conns,
					    &conn->hash[L4LB_DIR_REPLY].node,
					    l4lb_conn_params);
	if (err) {
		/* The reply tuple is taken by another flow (two VIPs sharing
		 * a backend, same client address and port): unusable.
		 */
		l4lb_conn_kill(ln, conn);
		return ERR_PTR(err == -EEXIST ? -EADDRINUSE : err);
	}
	return conn;

err_put:
	l4lb_backend_put(be);
err_free:
	kmem_cache_free(l4lb_conn_cache, conn);
err_count:
	atomic_dec(&ln->conn_count);
	return ERR_PTR(err);
}

/*
 * Lockless: the CPU whose cmpxchg makes a transition is the one that moves
 * the flow between the active and inactive counts; a lost race only means
 * computing the transition once more.
 */
static u32 l4lb_conn_tcp_update(struct l4lb_conn *conn, enum l4lb_dir dir,
				u8 tcp_flags)
{
	u32 old = READ_ONCE(conn->tcp_state), new;

	for (;;) {
		if (old == L4LB_CONN_STATE_DEAD)
			return old;
		new = l4lb_tcp_next_state(old, dir == L4LB_DIR_REPLY,
					  tcp_flags);
		if (new == old)
			return new;
		if (try_cmpxchg(&conn->tcp_state, &old, new))
			break;
	}
	/* Only entering or leaving ESTABLISHED changes the count. */
	if (old == L4LB_TCP_ESTABLISHED || new == L4LB_TCP_ESTABLISHED) {
		l4lb_conn_account(conn, old, -1);
		l4lb_conn_account(conn, new, 1);
	}
	return new;
}

void l4lb_conn_refresh(struct l4lb_conn *conn, enum l4lb_dir dir,
		       u8 tcp_flags)
{
	u32 state = L4LB_TCP_NONE;

	if (conn->hash[L4LB_DIR_ORIG].tuple.proto == IPPROTO_TCP)
		state = l4lb_conn_tcp_update(conn, dir, tcp_flags);
	WRITE_ONCE(conn->expires, jiffies + l4lb_conn_timeout(conn, state));
}

/* Visit each flow once (under its ORIG entry), from process context. */
static void l4lb_conn_walk(struct l4lb_net *ln,
			   bool (*match)(const struct l4lb_conn *conn,
					 const void *arg),
			   const void *arg)
{
	struct rhashtable_iter iter;
	struct l4lb_conn_hash *h;
	unsigned int n = 0;

	rhashtable_walk_enter(&ln->conns, &iter);
	rhashtable_walk_start(&iter);
	while ((h = rhashtable_walk_next(&iter))) {
		if (IS_ERR(h)) {
			if (PTR_ERR(h) == -EAGAIN)
				continue;	/* resized under us: go on */
			break;
		}
		if (h->tuple.dir == L4LB_DIR_ORIG && match(l4lb_conn_of(h), arg))
			l4lb_conn_kill(ln, l4lb_conn_of(h));
		if (++n % L4LB_WALK_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

static bool l4lb_conn_match_expired(const struct l4lb_conn *conn,
				    const void *arg)
{
	return l4lb_conn_expired(conn);
}

static bool l4lb_conn_match_all(const struct l4lb_conn *conn, const void *arg)
{
	return true;
}

void l4lb_conn_flush(struct l4lb_net *ln,
		     bool (*match)(const struct l4lb_conn *conn,
				   const void *arg),
		     const void *arg)
{
	l4lb_conn_walk(ln, match ? match : l4lb_conn_match_all, arg);
}

static void l4lb_conn_gc(struct work_struct *work)
{
	struct l4lb_net *ln = container_of(to_delayed_work(work),
					   struct l4lb_net, gc_work);

	if (atomic_read(&ln->conn_count))
		l4lb_conn_walk(ln, l4lb_conn_match_expired, NULL);
	queue_delayed_work(system_power_efficient_wq, &ln->gc_work,
			   l4lb_params.gc_interval);
}

int l4lb_conn_net_init(struct l4lb_net *ln)
{
	int err;

	err = rhashtable_init(&ln->conns, &l4lb_conn_params);
	if (err)
		return err;
	atomic_set(&ln->conn_count, 0);
	INIT_DELAYED_WORK(&ln->gc_work, l4lb_conn_gc);
	queue_delayed_work(system_power_efficient_wq, &ln->gc_work,
			   l4lb_params.gc_interval);
	return 0;
}

/* The packet hooks are gone: nothing can find or add entries any more. */
void l4lb_conn_net_exit(struct l4lb_net *ln)
{
	cancel_delayed_work_sync(&ln->gc_work);
	l4lb_conn_flush(ln, NULL, NULL);
	WARN_ON(atomic_read(&ln->conn_count));
	rhashtable_destroy(&ln->conns);
}

int l4lb_conn_module_init(void)
{
	l4lb_conn_cache = KMEM_CACHE(l4lb_conn, 0);
	return l4lb_conn_cache ? 0 : -ENOMEM;
}

/* Call after rcu_barrier(): every entry has been freed by then. */
void l4lb_conn_module_exit(void)
{
	kmem_cache_destroy(l4lb_conn_cache);
}
