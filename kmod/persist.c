// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence, as IPVS -p: a client address that opened a flow to a VIP
 * goes to the same backend for its next new flows, from any port, while
 * that backend can take flows; else the scheduler picks anew and the
 * binding moves. A binding lasts the VIP's persist time after the client's
 * last new flow.
 *
 * Bindings are template entries of the connection table, as IPVS keeps
 * them: they take room against the namespace's conn limit, are charged to
 * the same memory cgroup, expire and are reaped like flows (also when
 * their VIP is deleted), are given up first when the table is full, and go
 * with the table. An entry holds a reference on its backend but counts as
 * none of its flows (see conn.h). It is hashed under one key, of protocol
 * 0, no flow's (one binding per client and VIP):
 *
 *   client -> VIP address, sport VIP protocol, dport VIP port
 *
 * IPVS also keeps a template alive while connections it controls are open;
 * here only a new flow refreshes it (which spares every flow a pointer to
 * its template): a client whose one connection outlives the persist time
 * may be scheduled anew for its next.
 */
#include <linux/l4lb.h>

#include "conn.h"
#include "persist.h"
#include "sched.h"
#include "service.h"

static void l4lb_persist_key(struct l4lb_tuple *k, const struct l4lb_vip *vip,
			     const struct l4lb_tuple *t)
{
	memset(k, 0, sizeof(*k));
	k->family = vip->key.family;
	k->src = t->src;
	k->dst = vip->key.addr;
	k->sport = htons(vip->key.proto);
	k->dport = vip->key.port;
}

/*
 * May @be, bound to at @vip, take a new flow? As the scheduler would
 * have it: configured, up, weighted, not full; a backup only while the VIP
 * has no primary that takes flows.
 */
static bool l4lb_persist_usable(struct l4lb_vip *vip,
				const struct l4lb_backend *be)
{
	struct l4lb_dest_set *set;

	if (READ_ONCE(be->deleted) ||
	    READ_ONCE(be->state) != L4LB_BACKEND_UP ||
	    !READ_ONCE(be->weight) || l4lb_backend_full(be))
		return false;
	if (likely(!(READ_ONCE(be->flags) & L4LB_BACKEND_F_BACKUP)))
		return true;
	set = rcu_dereference(vip->dests);
	return set && !READ_ONCE(set->group[L4LB_GROUP_PRIMARY].count);
}

struct l4lb_backend *l4lb_persist_get(struct l4lb_net *ln,
				      struct l4lb_vip *vip,
				      const struct l4lb_tuple *t)
{
	struct l4lb_backend *be;
	struct l4lb_tuple k;
	struct l4lb_conn *c;

	l4lb_persist_key(&k, vip, t);
	c = l4lb_conn_lookup_template(ln, &k);
	if (!c)
		return NULL;
	/* Dead VIPs' bindings were reaped by the lookup. */
	be = c->backend;
	if (!l4lb_persist_usable(vip, be)) {
		/* The scheduler's choice makes the new binding. */
		l4lb_conn_kill(ln, c, 0);	/* a template: no event */
		return NULL;
	}
	l4lb_conn_refresh(c);
	return be;
}

struct l4lb_backend *l4lb_persist_note(struct l4lb_net *ln,
				       struct l4lb_vip *vip,
				       const struct l4lb_tuple *t,
				       struct l4lb_backend *be)
{
	struct l4lb_tuple orig;
	struct l4lb_conn *c;

	l4lb_persist_key(&orig, vip, t);
	c = l4lb_conn_create(ln, &orig, NULL, be, L4LB_CS_TEMPLATE, 0);
	if (!IS_ERR(c) || PTR_ERR(c) != -EEXIST)
		/* No room (a binding takes no flow's place), no memory, or a
		 * backend being deleted: the flow goes on unbound.
		 */
		return be;

	/* Another CPU bound the client first: its choice holds. */
	c = l4lb_conn_lookup_template(ln, &orig);
	if (!c || !l4lb_persist_usable(vip, c->backend))
		return be;
	l4lb_conn_refresh(c);
	return c->backend;
}
