// SPDX-License-Identifier: GPL-2.0
/*
 * VIP and backend lifecycle. Everything here runs in process context under
 * l4lb_net->lock, except the lookups and puts named as packet-path safe.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include "conn.h"
#include "hook.h"
#include "net.h"
#include "sched.h"
#include "service.h"

static u32 l4lb_vip_hash(const struct l4lb_vip_key *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return hash_32(jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0),
		       L4LB_VIP_HASH_BITS);
}

/* Packet path: under rcu_read_lock(). */
struct l4lb_vip *l4lb_vip_lookup(struct l4lb_net *ln,
				 const struct l4lb_vip_key *key)
{
	struct l4lb_vip *vip;

	hlist_for_each_entry_rcu(vip, &ln->vip_hash[l4lb_vip_hash(key)], hnode)
		if (!memcmp(&vip->key, key, sizeof(*key)))
			return vip;
	return NULL;
}

struct l4lb_vip *l4lb_vip_find(struct l4lb_net *ln,
			       const struct l4lb_vip_key *key)
{
	struct l4lb_vip *vip;

	lockdep_assert_held(&ln->lock);
	hlist_for_each_entry(vip, &ln->vip_hash[l4lb_vip_hash(key)], hnode)
		if (!memcmp(&vip->key, key, sizeof(*key)))
			return vip;
	return NULL;
}

static void l4lb_vip_put(struct l4lb_vip *vip)
{
	if (!refcount_dec_and_test(&vip->refcnt))
		return;
	/* Unreachable: unhashed a grace period ago, no backends left. */
	free_percpu(vip->stats);
	kfree(vip);
}

/* May run from an RCU callback: see the lifetime rules in service.h. */
void l4lb_backend_put(struct l4lb_backend *be)
{
	struct l4lb_vip *vip = be->vip;

	if (!refcount_dec_and_test(&be->refcnt))
		return;
	free_percpu(be->stats);
	kfree(be);
	l4lb_vip_put(vip);
}

/*
 * Publish the set of backends that take new flows, leaving out @skip (a
 * backend about to be deleted). Allocation happens before anything changes,
 * so a failure leaves the old set in place.
 */
static int l4lb_dests_publish(struct l4lb_net *ln, struct l4lb_vip *vip,
			      const struct l4lb_backend *skip)
{
	struct l4lb_dest_set *set = NULL, *old;
	struct l4lb_backend *be;
	unsigned int n = 0;

	list_for_each_entry(be, &vip->backends, list)
		if (be != skip && be->weight)
			n++;

	if (n) {
		set = kmalloc(struct_size(set, backends, n), GFP_KERNEL);
		if (!set)
			return -ENOMEM;
		set->count = 0;
		list_for_each_entry(be, &vip->backends, list)
			if (be != skip && be->weight)
				set->backends[set->count++] = be;
	}

	old = rcu_replace_pointer(vip->dests, set, lockdep_is_held(&ln->lock));
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

int l4lb_vip_add(struct l4lb_net *ln, const struct l4lb_vip_key *key,
		 const struct l4lb_sched_ops *sched, u8 mode,
		 struct netlink_ext_ack *extack)
{
	struct l4lb_vip *vip;
	int err;

	if (l4lb_vip_find(ln, key)) {
		NL_SET_ERR_MSG(extack, "VIP already exists");
		return -EEXIST;
	}

	vip = kzalloc(sizeof(*vip), GFP_KERNEL);
	if (!vip)
		return -ENOMEM;
	vip->stats = l4lb_stats_alloc();
	if (!vip->stats) {
		err = -ENOMEM;
		goto err_free;
	}
	if (!ln->vip_count) {
		err = l4lb_hook_register(ln->net);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register the netfilter hooks");
			goto err_free;
		}
	}
	ln->vip_count++;
	vip->key = *key;
	vip->sched = sched;
	vip->mode = mode;
	INIT_LIST_HEAD(&vip->backends);
	refcount_set(&vip->refcnt, 1);

	list_add_tail(&vip->list, &ln->vips);
	hlist_add_head_rcu(&vip->hnode, &ln->vip_hash[l4lb_vip_hash(key)]);
	return 0;

err_free:
	free_percpu(vip->stats);
	kfree(vip);
	return err;
}

static bool l4lb_conn_match_vip(const struct l4lb_conn *conn, const void *vip)
{
	return conn->backend->vip == vip;
}

/*
 * Make @vip unreachable for new packets, and unhook when it was the last
 * one; the caller waits a grace period.
 */
static void l4lb_vip_unpublish(struct l4lb_net *ln, struct l4lb_vip *vip)
{
	struct l4lb_dest_set *old;

	hlist_del_rcu(&vip->hnode);
	list_del(&vip->list);
	old = rcu_replace_pointer(vip->dests, NULL, lockdep_is_held(&ln->lock));
	if (old)
		kfree_rcu(old, rcu);
	if (!--ln->vip_count)
		l4lb_hook_unregister(ln->net);
}

/* After the grace period: no packet can reach @vip or create flows for it. */
static void l4lb_vip_release(struct l4lb_net *ln, struct l4lb_vip *vip)
{
	struct l4lb_backend *be, *tmp;

	/* Existing flows stop too: deleting a VIP ends its service. */
	l4lb_conn_flush(ln, l4lb_conn_match_vip, vip);
	list_for_each_entry_safe(be, tmp, &vip->backends, list) {
		list_del(&be->list);
		l4lb_backend_put(be);
	}
	l4lb_vip_put(vip);
}

void l4lb_vip_del(struct l4lb_net *ln, struct l4lb_vip *vip)
{
	l4lb_vip_unpublish(ln, vip);
	synchronize_rcu();
	l4lb_vip_release(ln, vip);
}

/* Netns exit: everything goes, with a single grace period. */
void l4lb_vip_flush_all(struct l4lb_net *ln)
{
	struct l4lb_vip *vip, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&ln->lock);
	if (list_empty(&ln->vips))
		goto out;
	list_for_each_entry_safe(vip, tmp, &ln->vips, list) {
		l4lb_vip_unpublish(ln, vip);
		list_add_tail(&vip->list, &dead);
	}
	/* No CPU is in the hook after this: nothing adds flows any more. */
	synchronize_rcu();
	l4lb_conn_flush(ln, NULL, NULL);
	list_for_each_entry_safe(vip, tmp, &dead, list) {
		list_del(&vip->list);
		l4lb_vip_release(ln, vip);
	}
out:
	mutex_unlock(&ln->lock);
}

struct l4lb_backend *l4lb_backend_find(struct l4lb_vip *vip,
				       const struct l4lb_backend_key *key)
{
	struct l4lb_backend *be;

	list_for_each_entry(be, &vip->backends, list)
		if (!memcmp(&be->key, key, sizeof(*key)))
			return be;
	return NULL;
}

int l4lb_backend_add(struct l4lb_net *ln, struct l4lb_vip *vip,
		     const struct l4lb_backend_key *key, u32 weight,
		     struct netlink_ext_ack *extack)
{
	struct l4lb_backend *be;
	int err;

	if (l4lb_backend_find(vip, key)) {
		NL_SET_ERR_MSG(extack, "backend already exists for this VIP");
		return -EEXIST;
	}

	be = kzalloc(sizeof(*be), GFP_KERNEL);
	if (!be)
		return -ENOMEM;
	be->stats = l4lb_stats_alloc();
	if (!be->stats) {
		kfree(be);
		return -ENOMEM;
	}
	be->key = *key;
	be->weight = weight;
	be->vip = vip;
	refcount_set(&be->refcnt, 1);
	refcount_inc(&vip->refcnt);

	list_add_tail(&be->list, &vip->backends);
	err = l4lb_dests_publish(ln, vip, NULL);
	if (err) {
		list_del(&be->list);
		l4lb_backend_put(be);
	}
	return err;
}

int l4lb_backend_set_weight(struct l4lb_net *ln, struct l4lb_backend *be,
			    u32 weight, struct netlink_ext_ack *extack)
{
	u32 old = be->weight;
	int err;

	WRITE_ONCE(be->weight, weight);
	err = l4lb_dests_publish(ln, be->vip, NULL);
	if (err)
		WRITE_ONCE(be->weight, old);
	return err;
}

/*
 * Existing flows keep their backend until they end (drain); only new flows
 * stop coming. If the dest set cannot be rebuilt, nothing changes.
 */
int l4lb_backend_del(struct l4lb_net *ln, struct l4lb_backend *be)
{
	int err;

	err = l4lb_dests_publish(ln, be->vip, be);
	if (err)
		return err;
	list_del(&be->list);
	/* The packet path may still be picking @be from the old dest set. */
	synchronize_rcu();
	l4lb_backend_put(be);
	return 0;
}
