/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The route to each backend, kept with the backend (as IPVS keeps its
 * dest_dst): the modes that send a flow's packets themselves (DSR, DNAT's
 * forwarding in forward.c) find it without a FIB lookup per packet.
 */
#ifndef _L4LB_ROUTE_H
#define _L4LB_ROUTE_H

#include <linux/types.h>
#include <net/dst.h>
#include <net/ip6_fib.h>
#include <net/ip_fib.h>

#include "service.h"

struct l4lb_route {
	struct dst_entry *dst;		/* a reference */
	u32 cookie;			/* IPv6: the route's serial number */
	bool multipath;			/* valid, but not to be used */
	struct rcu_head rcu;
};

static inline bool l4lb_backend_v6(const struct l4lb_backend *be)
{
	return be->vip->key.family == AF_INET6;
}

/*
 * The route to @be for a packet marked @mark, looked up now: a reference
 * the caller releases, or an ERR_PTR.
 */
struct dst_entry *l4lb_route_lookup(struct net *net,
				    const struct l4lb_backend *be, u32 mark);

/*
 * Without policy rules in @net, routes depend on the destination alone, not
 * on a packet's source, mark or input interface. (The kernel keeps a netns
 * as having rules once any was added, even after it is deleted.) Inline:
 * each forwarded packet asks.
 */
static inline bool l4lb_route_by_dst(const struct net *net, bool v6)
{
	return v6 ? !fib6_has_custom_rules(net) : !fib4_has_custom_rules(net);
}

/* l4lb_route_cached() without a valid route cached: looked up, cached. */
struct dst_entry *l4lb_route_refresh(struct net *net, struct l4lb_backend *be);

/*
 * The output route to @be, from its cache, else looked up and cached; for
 * use until the caller's RCU read section ends, without a reference
 * (skb_dst_set_noref()). NULL when no cached route serves: policy rules in
 * the namespace (l4lb_route_by_dst()), a multipath route (IPv4: one route
 * for every flow to a backend would pin them all to one path, where the
 * stack spreads them), no route, or no memory. Inline: each packet DNAT
 * forwards or DSR sends asks.
 */
static inline struct dst_entry *l4lb_route_cached(struct net *net,
						  struct l4lb_backend *be)
{
	const struct l4lb_route *r = rcu_dereference(be->route);

	if (unlikely(!l4lb_route_by_dst(net, l4lb_backend_v6(be))))
		return NULL;
	if (likely(r) && likely(dst_check(r->dst, r->cookie)))
		return unlikely(r->multipath) ? NULL : r->dst;
	return l4lb_route_refresh(net, be);
}

/* Once no reader is left: the backend's cached route released. */
void l4lb_route_free(struct l4lb_backend *be);

#endif /* _L4LB_ROUTE_H */
