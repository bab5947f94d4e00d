/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table: one entry per flow, found from either direction.
 *
 * Each entry is hashed twice in the netns' rhashtable: under the tuple of the
 * client's packets (ORIG) and under the tuple of the backend's replies (REPLY).
 * Lookups are RCU only. Entries have no timers: they carry an expiry time,
 * lookups treat expired entries as absent, and a periodic GC reclaims them.
 */
#ifndef _L4LB_CONN_H
#define _L4LB_CONN_H

#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct l4lb_net;
struct l4lb_backend;
struct l4lb_vip;

enum l4lb_dir {
	L4LB_DIR_ORIG,
	L4LB_DIR_REPLY,

	L4LB_DIR_COUNT
};

/*
 * A packet's identity as seen on the wire. Everything up to and including
 * @family is the hash key; @dir is not part of the key: it records which
 * direction a hashed tuple stands for.
 */
struct l4lb_tuple {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 family;
	u8 dir;
};

#define L4LB_TUPLE_KEY_LEN offsetofend(struct l4lb_tuple, family)

struct l4lb_conn_hash {
	struct rhash_head node;
	struct l4lb_tuple tuple;
};

struct l4lb_conn {
	struct l4lb_conn_hash hash[L4LB_DIR_COUNT];
	struct l4lb_backend *backend;	/* holds a reference */
	unsigned long expires;		/* jiffies */
	unsigned long flags;		/* L4LB_CONN_* bits */
	u32 tcp_state;			/* enum l4lb_tcp_state, or DEAD */
	struct rcu_head rcu;
};

enum {
	L4LB_CONN_DEAD,		/* unlinked or being unlinked */
};

/*
 * tcp_state once the flow is unlinked: no more transitions, so the
 * active/inactive accounting, done on transitions, stays exact.
 */
#define L4LB_CONN_STATE_DEAD 0xff

static inline struct l4lb_conn *
l4lb_conn_of(const struct l4lb_conn_hash *h)
{
	return container_of(h, struct l4lb_conn, hash[h->tuple.dir]);
}

int l4lb_conn_module_init(void);
void l4lb_conn_module_exit(void);

int l4lb_conn_net_init(struct l4lb_net *ln);
void l4lb_conn_net_exit(struct l4lb_net *ln);

struct l4lb_conn_hash *l4lb_conn_lookup(struct l4lb_net *ln,
					const struct l4lb_tuple *tuple);
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_tuple *orig,
				   struct l4lb_backend *be);
void l4lb_conn_refresh(struct l4lb_conn *conn, enum l4lb_dir dir,
		       u8 tcp_flags);

/* Unlink every entry for which @match returns true (process context). */
void l4lb_conn_flush(struct l4lb_net *ln,
		     bool (*match)(const struct l4lb_conn *conn,
				   const void *arg),
		     const void *arg);

#endif /* _L4LB_CONN_H */
