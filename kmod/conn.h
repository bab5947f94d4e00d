/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table: one entry per flow, found from either direction.
 *
 * A flow is hashed under the tuple of the client's packets (ORIG) and under
 * the tuple of the backend's replies (REPLY), in one rhashtable per address
 * family: an IPv4 entry has 4-byte keys and fits 80 bytes, an IPv6 one 128.
 * An entry no reply is looked up for is hashed under ORIG only
 * (L4LB_CS_ORIG_ONLY): a one-way flow's replies bypass the LB, and one
 * routed through it anyway finds no entry and is to no VIP, so it passes
 * as any packet; a template has no replies. What a lookup reads (the hash
 * keys, the backend, the expiry and the state) is in the first 64 bytes of
 * an IPv4 entry, what only the update side touches comes last. Entries are
 * packed, not cache-line aligned (that would cost 48 bytes each), so a
 * lookup touches one or two lines.
 *
 * Lookups are RCU only. Entries have no timers: they carry an expiry time,
 * lookups treat expired entries as absent and reclaim them, a table that is
 * full evicts flows that never completed a handshake, and a GC work item
 * walks the table a bounded slice at a time.
 *
 * Templates (L4LB_CS_TEMPLATE) are entries that are no flow: persistence
 * bindings (see persist.c), keyed with protocol 0, which no flow has. They
 * take room against the limit and expire like flows, but count as no flow
 * of their backend or VIP, flow lookups never return them, and a full
 * table gives them up first.
 */
#ifndef _L4LB_CONN_H
#define _L4LB_CONN_H

#include <linux/in6.h>
#include <linux/llist.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

struct l4lb_net;
struct l4lb_backend;

enum l4lb_dir {
	L4LB_DIR_ORIG,
	L4LB_DIR_REPLY,

	L4LB_DIR_COUNT
};

/* A packet's identity as seen on the wire, in either address family. */
struct l4lb_tuple {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 family;
};

/* The tuple the other side of @t sees: source and destination swapped. */
static inline void l4lb_tuple_reverse(struct l4lb_tuple *r,
				      const struct l4lb_tuple *t)
{
	r->src = t->dst;
	r->dst = t->src;
	r->sport = t->dport;
	r->dport = t->sport;
	r->proto = t->proto;
	r->family = t->family;
}

/* Hash keys: everything up to and including @proto; @dir says which one. */
struct l4lb_key4 {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 dir;
};

struct l4lb_key6 {
	struct in6_addr src;
	struct in6_addr dst;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 dir;
};

struct l4lb_hash4 {
	struct rhash_head node;
	struct l4lb_key4 key;
};

struct l4lb_hash6 {
	struct rhash_head node;
	struct l4lb_key6 key;
};

/* What every flow has, behind its family's hash entries. */
struct l4lb_conn {
	struct l4lb_backend *backend;	/* holds a reference */
	u32 expires;			/* jiffies, low 32 bits */
	u32 state;			/* L4LB_CS_* and the protocol state */
	/* TCP: the next sequence number each side sends (see tcp_state.h) */
	u32 seq[L4LB_DIR_COUNT];
	struct llist_node free_node;	/* freed after a grace period */
};

struct l4lb_conn4 {
	struct l4lb_hash4 hash[L4LB_DIR_COUNT];
	struct l4lb_conn c;
};

struct l4lb_conn6 {
	struct l4lb_hash6 hash[L4LB_DIR_COUNT];
	struct l4lb_conn c;
};

/*
 * conn->state: the protocol's own state in the low byte, flags, and the
 * protocol number, which never changes. Changed only with cmpxchg.
 */
#define L4LB_CS_PSTATE		0xffU
#define L4LB_CS_REPLIED		BIT(8)	/* a packet came back from the backend */
#define L4LB_CS_DEAD		BIT(9)	/* unlinked, or being unlinked */
#define L4LB_CS_IPV6		BIT(10)	/* an l4lb_conn6, else l4lb_conn4 */
#define L4LB_CS_NEW		BIT(11)	/* not fully hashed yet: no kill */
#define L4LB_CS_ONEWAY		BIT(12)	/* replies bypass the LB (DSR, tunnel) */
#define L4LB_CS_OPS		BIT(13)	/* one packet scheduling: ends with its
					 * reply (one-way: with its packet)
					 */
#define L4LB_CS_ADOPTED		BIT(14)	/* TCP opened mid-stream (see hook.c):
					 * the backend's answer establishes it
					 */
#define L4LB_CS_TEMPLATE	BIT(15)	/* a persistence binding, no flow */
#define L4LB_CS_PROTO_SHIFT	16
#define L4LB_CS_MODE_SHIFT	24	/* enum l4lb_fwd_mode, set at creation */
#define L4LB_CS_MODE_MASK	0x3fU
#define L4LB_CS_MODE(mode)	((u32)(mode) << L4LB_CS_MODE_SHIFT)
#define L4LB_CS_ROUTED		BIT(30)	/* DNAT: its first packet was routed
					 * by the stack's rules (forward.c)
					 */
/*
 * TCP: the flow's outcome is counted (established or failed, once per
 * flow: see l4lb_conn_update()), or is not to be (a flow never used).
 */
#define L4LB_CS_COUNTED		BIT(31)

/* Hashed under ORIG only: its REPLY key is never looked up. */
#define L4LB_CS_ORIG_ONLY	(L4LB_CS_ONEWAY | L4LB_CS_TEMPLATE)

static inline u8 l4lb_conn_proto(const struct l4lb_conn *c)
{
	return (c->state >> L4LB_CS_PROTO_SHIFT) & 0xff;
}

/* A flow keeps the forwarding mode it was created with. */
static inline u8 l4lb_conn_mode(const struct l4lb_conn *c)
{
	return (c->state >> L4LB_CS_MODE_SHIFT) & L4LB_CS_MODE_MASK;
}

static inline bool l4lb_conn_is_v6(const struct l4lb_conn *c)
{
	return c->state & L4LB_CS_IPV6;
}

void l4lb_conn_tuple(const struct l4lb_conn *c, enum l4lb_dir dir,
		     struct l4lb_tuple *t);

/* An IPv4 flow's key of @dir, read in place (no tuple built). */
static inline const struct l4lb_key4 *
l4lb_conn_key4(const struct l4lb_conn *c, enum l4lb_dir dir)
{
	return &container_of(c, struct l4lb_conn4, c)->hash[dir].key;
}

/* The flow of an entry an rhashtable walk of table @v6 returned, and which
 * of its two hash entries that is.
 */
struct l4lb_conn *l4lb_conn_of_walk(void *obj, bool v6, enum l4lb_dir *dir);

int l4lb_conn_module_init(void);
void l4lb_conn_module_exit(void);

int l4lb_conn_net_init(struct l4lb_net *ln);
void l4lb_conn_net_exit(struct l4lb_net *ln);
/* The GC runs while a netns has VIPs or flows: start it with the first VIP. */
void l4lb_conn_gc_start(struct l4lb_net *ln);

/* Flows only, never templates. */
struct l4lb_conn *l4lb_conn_lookup(struct l4lb_net *ln,
				   const struct l4lb_tuple *tuple,
				   enum l4lb_dir *dir);
/* The template whose ORIG tuple is @tuple. */
struct l4lb_conn *l4lb_conn_lookup_template(struct l4lb_net *ln,
					    const struct l4lb_tuple *tuple);
/*
 * @cs: the protocol state and the L4LB_CS_MODE/ONEWAY/OPS bits, or
 * L4LB_CS_TEMPLATE (a template may evict only templates and dead entries).
 * @reply: the tuple replies have (shown, and hashed but for
 * L4LB_CS_ORIG_ONLY); NULL for a template.
 */
struct l4lb_conn *l4lb_conn_create(struct l4lb_net *ln,
				   const struct l4lb_tuple *orig,
				   const struct l4lb_tuple *reply,
				   struct l4lb_backend *be, u32 cs, u32 seq);
/* @why: enum l4lb_conn_end, for the flow's end event (0: none). */
void l4lb_conn_kill(struct l4lb_net *ln, struct l4lb_conn *c, u8 why);
/*
 * A new TCP flow of a NAT mode: its client's SYN is forwarded now. Until
 * the backend answers, seq[REPLY] holds the time, for the handshake's
 * latency (see l4lb_conn_update()).
 */
void l4lb_conn_start_handshake(struct l4lb_conn *c);
/* A template was used: it lives its whole timeout from now. */
void l4lb_conn_refresh(struct l4lb_conn *c);

/* Clear @clear and set @set in @c's state, atomically with other updates. */
void l4lb_conn_change(struct l4lb_conn *c, u32 clear, u32 set);

/*
 * Account a packet of the flow going in @dir: protocol state, expiry.
 * Returns false when the packet must not change the flow (an out-of-window
 * RST): it is passed on, but the flow's state and timers stay as they were.
 */
struct l4lb_pkt;
bool l4lb_conn_update(struct l4lb_conn *c, enum l4lb_dir dir,
		      const struct l4lb_pkt *pkt);

/* Entries in the table now (templates too), and hash buckets holding them. */
unsigned int l4lb_conn_count(const struct l4lb_net *ln);
unsigned int l4lb_conn_buckets(struct l4lb_net *ln);

#endif /* _L4LB_CONN_H */
