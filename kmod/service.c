// SPDX-License-Identifier: GPL-2.0
/*
 * VIP and backend lifecycle. Everything here runs in process context under
 * l4lb_net->lock, except the lookups and puts named as packet-path safe.
 * Nothing here walks the flow table or waits for a grace period: see the
 * lifetime rules in service.h.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/l4lb.h>
#include <linux/lockdep.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "net.h"
#include "route.h"
#include "sched.h"
#include "service.h"

/*
 * A VIP is in two hashes: by its whole key, for the lookup of every new
 * flow (many VIPs often share an address: one chain each would be walked
 * per packet), and by its address alone, so that "is this a VIP address?"
 * (for fragments and malformed packets, which have no ports) is one bucket
 * walk.
 */
static u32 l4lb_vip_addr_hash(const union nf_inet_addr *addr, u8 family)
{
	return family == AF_INET ? (__force u32)addr->ip :
		jhash2((const u32 *)addr->all, 4, 0);
}

static struct hlist_head *l4lb_vip_bucket(struct l4lb_net *ln,
					  const struct l4lb_vip_key *key)
{
	u32 h = l4lb_vip_addr_hash(&key->addr, key->family);

	h = jhash_2words(h, (__force u32)key->port << 16 | key->proto, 0);
	return &ln->vip_hash[hash_32(h, L4LB_VIP_HASH_BITS)];
}

static struct hlist_head *l4lb_vip_addr_bucket(struct l4lb_net *ln,
					       const union nf_inet_addr *addr,
					       u8 family)
{
	return &ln->vip_addr_hash[hash_32(l4lb_vip_addr_hash(addr, family),
					  L4LB_VIP_HASH_BITS)];
}

/* Packet path: under rcu_read_lock(). */
struct l4lb_vip *l4lb_vip_lookup(struct l4lb_net *ln,
				 const struct l4lb_vip_key *key)
{
	struct l4lb_vip *vip;

	hlist_for_each_entry_rcu(vip, l4lb_vip_bucket(ln, key), hnode)
		if (!memcmp(&vip->key, key, sizeof(*key)))
			return vip;
	return NULL;
}

/* Packet path: under rcu_read_lock(). */
bool l4lb_vip_addr_in_use(struct l4lb_net *ln, const union nf_inet_addr *addr,
			  u8 family)
{
	struct l4lb_vip *vip;

	hlist_for_each_entry_rcu(vip, l4lb_vip_addr_bucket(ln, addr, family),
				 anode)
		if (vip->key.family == family &&
		    nf_inet_addr_cmp(&vip->key.addr, addr))
			return true;
	return false;
}

struct l4lb_vip *l4lb_vip_find(struct l4lb_net *ln,
			       const struct l4lb_vip_key *key)
{
	struct l4lb_vip *vip;

	lockdep_assert_held(&ln->lock);
	hlist_for_each_entry(vip, l4lb_vip_bucket(ln, key), hnode)
		if (!memcmp(&vip->key, key, sizeof(*key)))
			return vip;
	return NULL;
}

static void l4lb_vip_free_rcu(struct rcu_head *head)
{
	struct l4lb_vip *vip = container_of(head, struct l4lb_vip, rcu);

	/* No reader left: the callback runs after their grace period. */
	kfree(rcu_dereference_protected(vip->snat, true));
	free_percpu(vip->stats);
	kfree(vip);
}

static void l4lb_vip_put(struct l4lb_vip *vip)
{
	if (refcount_dec_and_test(&vip->refcnt))
		call_rcu(&vip->rcu, l4lb_vip_free_rcu);
}

static void l4lb_backend_free_rcu(struct rcu_head *head)
{
	struct l4lb_backend *be = container_of(head, struct l4lb_backend, rcu);

	l4lb_route_free(be);
	l4lb_vip_put(be->vip);
	free_percpu(be->stats);
	kfree(be);
}

/* Any context. */
void l4lb_backend_put_many(struct l4lb_backend *be, unsigned int refs)
{
	if (refcount_sub_and_test(refs, &be->refcnt))
		call_rcu(&be->rcu, l4lb_backend_free_rcu);
}

void l4lb_backend_put(struct l4lb_backend *be)
{
	l4lb_backend_put_many(be, 1);
}

static const struct rhashtable_params l4lb_backend_params = {
	.head_offset = offsetof(struct l4lb_backend, hnode),
	.key_offset = offsetof(struct l4lb_backend, hkey),
	.key_len = offsetofend(struct l4lb_backend_hkey, key.port),
	.automatic_shrinking = true,
};

static void l4lb_backend_hkey(struct l4lb_backend_hkey *hkey,
			      const struct l4lb_vip *vip,
			      const struct l4lb_backend_key *key)
{
	memset(hkey, 0, sizeof(*hkey));
	hkey->vip = vip;
	hkey->key.addr = key->addr;
	hkey->key.port = key->port;
}

struct l4lb_backend *l4lb_backend_find(struct l4lb_net *ln,
				       struct l4lb_vip *vip,
				       const struct l4lb_backend_key *key)
{
	struct l4lb_backend_hkey hkey;

	lockdep_assert_held(&ln->lock);
	l4lb_backend_hkey(&hkey, vip, key);
	return rhashtable_lookup_fast(&ln->backends, &hkey,
				      l4lb_backend_params);
}

/* Dest sets */

static void l4lb_dests_free(struct l4lb_dest_set *set)
{
	int i;

	if (set->sched->free)
		for (i = 0; i < L4LB_GROUPS; i++)
			if (set->group[i].count)
				set->sched->free(&set->group[i]);
	kfree(set);
}

static void l4lb_dests_free_rcu(struct rcu_head *head)
{
	l4lb_dests_free(container_of(head, struct l4lb_dest_set, rcu));
}

/* Does a backend so configured take new flows, and in which group? */
static int l4lb_group_for(u32 weight, u8 state, u32 flags)
{
	if (!weight || state != L4LB_BACKEND_UP)
		return -1;
	return flags & L4LB_BACKEND_F_BACKUP ? L4LB_GROUP_BACKUP :
					       L4LB_GROUP_PRIMARY;
}

static int l4lb_dests_group_of(const struct l4lb_backend *be,
			       const struct l4lb_backend *skip)
{
	if (be == skip)
		return -1;
	return l4lb_group_for(be->weight, be->state, be->flags);
}

/*
 * Build the set of backends that take new flows, leaving out @skip (a
 * backend about to be deleted), with room for primaries to grow. Nothing
 * is published. A failure leaves nothing allocated.
 */
static int l4lb_dests_build(struct l4lb_vip *vip,
			    const struct l4lb_backend *skip,
			    const struct l4lb_sched_ops *sched, u32 flags,
			    u32 maglev_size, struct l4lb_dest_set **setp)
{
	unsigned int n[L4LB_GROUPS] = {}, cap;
	struct l4lb_dest_set *set;
	struct l4lb_backend *be;
	int i, g, err;

	*setp = NULL;
	list_for_each_entry(be, &vip->backends, list) {
		g = l4lb_dests_group_of(be, skip);
		if (g >= 0)
			n[g]++;
	}
	if (!n[L4LB_GROUP_PRIMARY] && !n[L4LB_GROUP_BACKUP])
		return 0;

	/* Doubling: appending backends one by one costs O(1) amortised. */
	cap = max(2 * n[L4LB_GROUP_PRIMARY], 8U);
	set = kzalloc(struct_size(set, backends, cap + n[L4LB_GROUP_BACKUP]),
		      GFP_KERNEL_ACCOUNT);
	if (!set)
		return -ENOMEM;
	set->sched = sched;
	set->flags = flags;
	set->maglev_size = maglev_size;
	set->cap = cap;
	set->group[L4LB_GROUP_PRIMARY].backends = set->backends;
	set->group[L4LB_GROUP_BACKUP].backends = set->backends + cap;
	list_for_each_entry(be, &vip->backends, list) {
		struct l4lb_dest_group *grp;

		g = l4lb_dests_group_of(be, skip);
		if (g < 0)
			continue;
		grp = &set->group[g];
		grp->backends[grp->count++] = be;
	}
	if (set->sched->build) {
		for (i = 0; i < L4LB_GROUPS; i++) {
			if (!set->group[i].count)
				continue;
			err = set->sched->build(set, &set->group[i],
						GFP_KERNEL_ACCOUNT);
			if (err) {
				while (--i >= 0)
					if (set->group[i].count &&
					    set->sched->free)
						set->sched->free(&set->group[i]);
				kfree(set);
				return err;
			}
		}
	}
	*setp = set;
	return 0;
}

static void l4lb_dests_replace(struct l4lb_net *ln, struct l4lb_vip *vip,
			       struct l4lb_dest_set *set)
{
	struct l4lb_dest_set *old;
	int i;

	old = rcu_dereference_protected(vip->dests,
					lockdep_is_held(&ln->lock));
	/* The rotation goes on where it was. */
	if (old && set)
		for (i = 0; i < L4LB_GROUPS; i++)
			atomic_set(&set->group[i].pos,
				   atomic_read(&old->group[i].pos));
	rcu_assign_pointer(vip->dests, set);
	if (old)
		call_rcu(&old->rcu, l4lb_dests_free_rcu);
}

/* Rebuild and publish; on failure the old set stays in place. */
static int l4lb_dests_publish(struct l4lb_net *ln, struct l4lb_vip *vip,
			      const struct l4lb_backend *skip,
			      struct netlink_ext_ack *extack)
{
	struct l4lb_dest_set *set;
	int err;

	err = l4lb_dests_build(vip, skip, vip->sched, vip->flags,
			       vip->maglev_size, &set);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "out of memory building the VIP's backend set");
		return err;
	}
	l4lb_dests_replace(ln, vip, set);
	return 0;
}

/*
 * A new backend that takes flows: append it to the published set when it
 * is a primary, the scheduler keeps no state built from the set and there
 * is room. Readers see the entry before the count that covers it
 * (release/acquire).
 */
static int l4lb_dests_append(struct l4lb_net *ln, struct l4lb_vip *vip,
			     struct l4lb_backend *be,
			     struct netlink_ext_ack *extack)
{
	struct l4lb_dest_group *grp;
	struct l4lb_dest_set *set;

	set = rcu_dereference_protected(vip->dests,
					lockdep_is_held(&ln->lock));
	if (!set || set->sched->build ||
	    l4lb_dests_group_of(be, NULL) != L4LB_GROUP_PRIMARY)
		return l4lb_dests_publish(ln, vip, NULL, extack);
	grp = &set->group[L4LB_GROUP_PRIMARY];
	if (grp->count == set->cap)
		return l4lb_dests_publish(ln, vip, NULL, extack);
	grp->backends[grp->count] = be;
	/* Pairs with the acquire in l4lb_sched_pick(). */
	smp_store_release(&grp->count, grp->count + 1);
	return 0;
}

/* VIPs */

void l4lb_vip_cfg_init(struct l4lb_vip_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sched = L4LB_SCHED_DEFAULT;
	cfg->mode = L4LB_FWD_DNAT;
	cfg->encap = L4LB_ENCAP_IPIP;
	cfg->snat_port_min = L4LB_SNAT_PORT_MIN;
	cfg->snat_port_max = L4LB_SNAT_PORT_MAX;
}

/* The timeouts in force: the VIP's own, else the netns default. */
static void l4lb_vip_timeouts_update(struct l4lb_net *ln, struct l4lb_vip *vip)
{
	int i;

	for (i = 0; i < L4LB_TO_COUNT; i++)
		l4lb_timeout_set(&vip->timeouts, i, vip->timeouts_own[i] ?:
				 l4lb_timeout_get(&ln->timeouts, i));
}

/*
 * Walks the VIPs, never the flows: each flow takes the new value at its
 * next packet.
 */
void l4lb_net_set_timeouts(struct l4lb_net *ln, const u32 *secs)
{
	struct l4lb_vip *vip;
	int i;

	lockdep_assert_held(&ln->lock);
	for (i = 0; i < L4LB_TO_COUNT; i++)
		if (secs[i])
			l4lb_timeout_set(&ln->timeouts, i, secs[i]);
	list_for_each_entry(vip, &ln->vips, list)
		l4lb_vip_timeouts_update(ln, vip);
	l4lb_net_changed(ln);
}

/* The fields of @cfg a request gave; the packet path reads them unlocked. */
static void l4lb_vip_apply(struct l4lb_net *ln, struct l4lb_vip *vip,
			   struct l4lb_vip_cfg *cfg)
{
	struct l4lb_snat_addrs *old;
	int i;

	if (cfg->given & L4LB_VIP_CFG_MODE)
		WRITE_ONCE(vip->mode, cfg->mode);
	if (cfg->given & L4LB_VIP_CFG_ENCAP)
		WRITE_ONCE(vip->encap, cfg->encap);
	if (cfg->given & L4LB_VIP_CFG_ENCAP_PORT)
		WRITE_ONCE(vip->encap_port, cfg->encap_port);
	if (cfg->given & L4LB_VIP_CFG_SNAT_PORTS) {
		WRITE_ONCE(vip->snat_port_min, cfg->snat_port_min);
		WRITE_ONCE(vip->snat_port_max, cfg->snat_port_max);
	}
	if (cfg->given & L4LB_VIP_CFG_FLAGS)
		WRITE_ONCE(vip->flags, cfg->flags);
	if (cfg->given & L4LB_VIP_CFG_MAGLEV_SIZE)
		vip->maglev_size = cfg->maglev_size;
	if (cfg->given & L4LB_VIP_CFG_MAXCONN)
		WRITE_ONCE(vip->maxconn, cfg->maxconn);
	if (cfg->given & L4LB_VIP_CFG_RATE)
		l4lb_rate_set(&vip->rate, cfg->rate, cfg->burst);
	if (cfg->given & L4LB_VIP_CFG_PERSIST)
		WRITE_ONCE(vip->persist, cfg->persist * HZ);
	if (cfg->given & L4LB_VIP_CFG_TIMEOUTS) {
		for (i = 0; i < L4LB_TO_COUNT; i++)
			if (cfg->timeouts_given & BIT(i))
				vip->timeouts_own[i] = cfg->timeouts[i];
		l4lb_vip_timeouts_update(ln, vip);
	}
	if (cfg->given & L4LB_VIP_CFG_SNAT_ADDRS) {
		old = rcu_replace_pointer(vip->snat, cfg->snat,
					  lockdep_is_held(&ln->lock));
		cfg->snat = NULL;
		if (old)
			kfree_rcu(old, rcu);
	}
}

int l4lb_vip_add(struct l4lb_net *ln, const struct l4lb_vip_key *key,
		 struct l4lb_vip_cfg *cfg, struct netlink_ext_ack *extack)
{
	struct l4lb_vip *vip;
	int err;

	err = -EEXIST;
	if (l4lb_vip_find(ln, key)) {
		NL_SET_ERR_MSG(extack, "VIP already exists");
		goto err_cfg;
	}
	err = -ENOSPC;
	if (ln->vip_count >= ln->limits.vips) {
		NL_SET_ERR_MSG(extack,
			       "VIP limit of this network namespace reached (see l4ctl stats)");
		goto err_cfg;
	}

	vip = kzalloc(sizeof(*vip), GFP_KERNEL_ACCOUNT);
	if (!vip)
		goto err_nomem;
	vip->stats = l4lb_stats_alloc();
	if (!vip->stats) {
		kfree(vip);
		goto err_nomem;
	}
	vip->key = *key;
	vip->sched = cfg->sched;
	cfg->given |= L4LB_VIP_CFG_MODE | L4LB_VIP_CFG_ENCAP |
		      L4LB_VIP_CFG_ENCAP_PORT | L4LB_VIP_CFG_SNAT_PORTS |
		      L4LB_VIP_CFG_FLAGS | L4LB_VIP_CFG_SNAT_ADDRS |
		      L4LB_VIP_CFG_TIMEOUTS | L4LB_VIP_CFG_MAGLEV_SIZE |
		      L4LB_VIP_CFG_MAXCONN | L4LB_VIP_CFG_RATE |
		      L4LB_VIP_CFG_PERSIST;
	l4lb_vip_apply(ln, vip, cfg);
	INIT_LIST_HEAD(&vip->backends);
	refcount_set(&vip->refcnt, 1);

	ln->vip_count++;
	l4lb_net_changed(ln);
	list_add_tail(&vip->list, &ln->vips);
	hlist_add_head_rcu(&vip->hnode, l4lb_vip_bucket(ln, key));
	hlist_add_head_rcu(&vip->anode, l4lb_vip_addr_bucket(ln, &key->addr,
							     key->family));
	return 0;

err_nomem:
	err = -ENOMEM;
	NL_SET_ERR_MSG(extack, "out of memory allocating the VIP");
err_cfg:
	kfree(cfg->snat);
	cfg->snat = NULL;
	return err;
}

/*
 * Change a VIP in place. What the scheduler was built from (scheduler,
 * flags, Maglev size) gets a new dest set first, so a failure changes
 * nothing; flows keep their backend and their mode.
 */
int l4lb_vip_set(struct l4lb_net *ln, struct l4lb_vip *vip,
		 struct l4lb_vip_cfg *cfg, struct netlink_ext_ack *extack)
{
	const struct l4lb_sched_ops *sched = vip->sched;
	u32 maglev_size = vip->maglev_size, flags = vip->flags;
	struct l4lb_dest_set *set;
	int err;

	if (cfg->given & L4LB_VIP_CFG_SCHED)
		sched = cfg->sched;
	if (cfg->given & L4LB_VIP_CFG_FLAGS)
		flags = cfg->flags;
	if (cfg->given & L4LB_VIP_CFG_MAGLEV_SIZE)
		maglev_size = cfg->maglev_size;
	if (sched != vip->sched || flags != vip->flags ||
	    maglev_size != vip->maglev_size) {
		err = l4lb_dests_build(vip, NULL, sched, flags, maglev_size,
				       &set);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "out of memory building the VIP's backend set");
			kfree(cfg->snat);
			cfg->snat = NULL;
			return err;
		}
		vip->sched = sched;
		l4lb_dests_replace(ln, vip, set);
	}
	l4lb_vip_apply(ln, vip, cfg);
	l4lb_net_changed(ln);
	return 0;
}

static void l4lb_backend_unlink(struct l4lb_net *ln, struct l4lb_backend *be)
{
	/* Persistence bindings still hold it: see persist.c. */
	WRITE_ONCE(be->deleted, 1);
	rhashtable_remove_fast(&ln->backends, &be->hnode, l4lb_backend_params);
	list_del(&be->list);
	be->vip->backend_count--;
	ln->backend_count--;
	l4lb_net_changed(ln);
}

/*
 * The VIP stops taking packets at once; its flows are not walked here: they
 * point at backends of a dead VIP, and whoever meets them next (a lookup,
 * a new flow's sweep, the GC) reclaims them. No grace period is waited
 * for: the VIP and its backends are freed by RCU callbacks once their last
 * flow is gone.
 */
void l4lb_vip_del(struct l4lb_net *ln, struct l4lb_vip *vip)
{
	struct l4lb_backend *be, *tmp;

	WRITE_ONCE(vip->dead, 1);
	hlist_del_rcu(&vip->hnode);
	hlist_del_rcu(&vip->anode);
	list_del(&vip->list);
	ln->vip_count--;
	l4lb_net_changed(ln);
	l4lb_dests_replace(ln, vip, NULL);
	list_for_each_entry_safe(be, tmp, &vip->backends, list) {
		l4lb_backend_unlink(ln, be);
		l4lb_backend_put(be);
	}
	l4lb_vip_put(vip);
}

/* Netns exit, with the hooks already gone. */
void l4lb_vip_flush_all(struct l4lb_net *ln)
{
	struct l4lb_vip *vip, *tmp;

	mutex_lock(&ln->lock);
	list_for_each_entry_safe(vip, tmp, &ln->vips, list)
		l4lb_vip_del(ln, vip);
	mutex_unlock(&ln->lock);
}

/* Backends */

void l4lb_backend_cfg_init(struct l4lb_backend_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->weight = L4LB_WEIGHT_DEFAULT;
	cfg->state = L4LB_BACKEND_UP;
}

static void l4lb_backend_apply(struct l4lb_backend *be,
			       const struct l4lb_backend_cfg *cfg)
{
	if (cfg->given & L4LB_BE_CFG_WEIGHT)
		WRITE_ONCE(be->weight, cfg->weight);
	if (cfg->given & L4LB_BE_CFG_STATE)
		WRITE_ONCE(be->state, cfg->state);
	if (cfg->given & L4LB_BE_CFG_MAXCONN)
		WRITE_ONCE(be->maxconn, cfg->maxconn);
	if (cfg->given & L4LB_BE_CFG_FLAGS)
		WRITE_ONCE(be->flags, cfg->flags);
}

int l4lb_backend_add(struct l4lb_net *ln, struct l4lb_vip *vip,
		     const struct l4lb_backend_key *key,
		     const struct l4lb_backend_cfg *cfg,
		     struct netlink_ext_ack *extack)
{
	struct l4lb_backend_cfg all = *cfg;
	struct l4lb_backend *be;
	int err;

	if (l4lb_backend_find(ln, vip, key)) {
		NL_SET_ERR_MSG(extack, "backend already exists for this VIP");
		return -EEXIST;
	}
	if (ln->backend_count >= ln->limits.backends) {
		NL_SET_ERR_MSG(extack,
			       "backend limit of this network namespace reached (see l4ctl stats)");
		return -ENOSPC;
	}

	be = kzalloc(sizeof(*be), GFP_KERNEL_ACCOUNT);
	if (!be)
		goto err_nomem;
	be->stats = l4lb_stats_alloc();
	if (!be->stats) {
		kfree(be);
		goto err_nomem;
	}
	l4lb_backend_hkey(&be->hkey, vip, key);
	all.given = L4LB_BE_CFG_WEIGHT | L4LB_BE_CFG_STATE |
		    L4LB_BE_CFG_MAXCONN | L4LB_BE_CFG_FLAGS;
	l4lb_backend_apply(be, &all);
	be->vip = vip;
	refcount_set(&be->refcnt, 1);
	refcount_inc(&vip->refcnt);

	err = rhashtable_lookup_insert_fast(&ln->backends, &be->hnode,
					    l4lb_backend_params);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory indexing the backend");
		goto err_put;
	}
	list_add_tail(&be->list, &vip->backends);
	vip->backend_count++;
	ln->backend_count++;
	l4lb_net_changed(ln);
	if (l4lb_dests_group_of(be, NULL) >= 0) {
		err = l4lb_dests_append(ln, vip, be, extack);
		if (err) {
			l4lb_backend_unlink(ln, be);
			goto err_put;
		}
	}
	return 0;

err_nomem:
	NL_SET_ERR_MSG(extack, "out of memory allocating the backend");
	return -ENOMEM;
err_put:
	l4lb_backend_put(be);
	return err;
}

/*
 * What decides whether and where a backend takes new flows (weight, state,
 * backup) rebuilds the dest set, which schedulers build from the backends'
 * fields: those are written first, and put back if the set cannot be built
 * (out of memory). Meanwhile the packet path may see the new values on the
 * old set (a down backend's flows may already end). A maxconn is read at
 * pick time.
 */
int l4lb_backend_set(struct l4lb_net *ln, struct l4lb_backend *be,
		     const struct l4lb_backend_cfg *cfg,
		     struct netlink_ext_ack *extack)
{
	struct l4lb_backend_cfg old = {
		.given = cfg->given,
		.weight = be->weight,
		.state = be->state,
		.maxconn = be->maxconn,
		.flags = be->flags,
	};
	int err;

	l4lb_backend_apply(be, cfg);
	/* Weights are in the state of schedulers that build one. */
	if (l4lb_dests_group_of(be, NULL) !=
	    l4lb_group_for(old.weight, old.state, old.flags) ||
	    (be->weight != old.weight && be->vip->sched->build)) {
		err = l4lb_dests_publish(ln, be->vip, NULL, extack);
		if (err) {
			l4lb_backend_apply(be, &old);
			return err;
		}
	}
	l4lb_net_changed(ln);
	return 0;
}

/*
 * Existing flows keep their backend until they end (drain); only new flows
 * stop coming. If the dest set cannot be rebuilt, nothing changes.
 */
int l4lb_backend_del(struct l4lb_net *ln, struct l4lb_backend *be,
		     struct netlink_ext_ack *extack)
{
	int err = 0;

	if (l4lb_dests_group_of(be, NULL) >= 0)
		err = l4lb_dests_publish(ln, be->vip, be, extack);
	if (err)
		return err;
	l4lb_backend_unlink(ln, be);
	/* The packet path may still pick @be from the old set: it then
	 * fails l4lb_backend_tryget() or holds a reference of its own.
	 */
	l4lb_backend_put(be);
	return 0;
}

int l4lb_service_net_init(struct l4lb_net *ln)
{
	ln->timeouts = l4lb_params.timeouts;
	return rhashtable_init(&ln->backends, &l4lb_backend_params);
}

void l4lb_service_net_exit(struct l4lb_net *ln)
{
	rhashtable_destroy(&ln->backends);
}
