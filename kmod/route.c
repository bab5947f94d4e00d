// SPDX-License-Identifier: GPL-2.0
/*
 * The cached route to a backend. A route is valid as long as dst_check()
 * says so: a routing change, an address or a device going away obsoletes
 * it (the route's generation, IPv6's cookie), and the next packet looks it
 * up again. Readers take no reference and write nothing; a new route
 * replaces the old one with xchg(), the old one released after a grace
 * period, so a packet that still holds it is safe.
 */
#include <linux/slab.h>
#include <net/dst.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/ip_fib.h>
#include <net/nexthop.h>
#include <net/route.h>

#include "route.h"
#include "service.h"

static struct dst_entry *l4lb_route_lookup6(struct net *net,
					    const struct in6_addr *addr,
					    u32 mark)
{
	struct flowi6 fl6 = {
		.daddr = *addr,
		.flowi6_mark = mark,
	};
	struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);
	int err = dst->error;

	if (err) {
		dst_release(dst);
		return ERR_PTR(err);
	}
	return dst;
}

struct dst_entry *l4lb_route_lookup(struct net *net,
				    const struct l4lb_backend *be, u32 mark)
{
	const union nf_inet_addr *addr = &be->hkey.key.addr;
	struct flowi4 fl4 = {
		.daddr = addr->ip,
		.flowi4_mark = mark,
	};
	struct rtable *rt;

	if (l4lb_backend_v6(be))
		return l4lb_route_lookup6(net, &addr->in6, mark);
	rt = ip_route_output_key(net, &fl4);
	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

/* Does the FIB give @daddr several next hops (ECMP, a nexthop group)? */
static bool l4lb_route_multipath4(struct net *net, __be32 daddr)
{
	struct flowi4 fl4 = { .daddr = daddr };
	struct fib_result res;

	return !fib_lookup(net, &fl4, &res, 0) && res.fi &&
	       fib_info_num_path(res.fi) > 1;
}

static void l4lb_route_free_rcu(struct rcu_head *head)
{
	struct l4lb_route *r = container_of(head, struct l4lb_route, rcu);

	dst_release(r->dst);
	kfree(r);
}

struct dst_entry *l4lb_route_refresh(struct net *net, struct l4lb_backend *be)
{
	bool v6 = l4lb_backend_v6(be), multipath;
	struct l4lb_route *r, *old;
	struct dst_entry *dst;

	dst = l4lb_route_lookup(net, be, 0);
	if (IS_ERR(dst))
		return NULL;
	r = kmalloc(sizeof(*r), GFP_ATOMIC);
	if (!r) {
		dst_release(dst);
		return NULL;
	}
	r->dst = dst;
	r->cookie = v6 ? rt6_get_cookie(dst_rt6_info(dst)) : 0;
	multipath = !v6 && l4lb_route_multipath4(net, be->hkey.key.addr.ip);
	r->multipath = multipath;
	/* Two CPUs may refresh it at once: each frees what it replaced. */
	old = unrcu_pointer(xchg(&be->route, RCU_INITIALIZER(r)));
	if (old)
		call_rcu(&old->rcu, l4lb_route_free_rcu);
	return multipath ? NULL : dst;
}

void l4lb_route_free(struct l4lb_backend *be)
{
	struct l4lb_route *r = rcu_dereference_protected(be->route, true);

	if (r) {
		dst_release(r->dst);
		kfree(r);
	}
}
