/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The route to each backend, kept with the backend (as IPVS keeps its
 * dest_dst): the modes that send a flow's packets themselves (DSR, DNAT's
 * forwarding in forward.c) find it without a FIB lookup per packet.
 */
#ifndef _L4LB_ROUTE_H
#define _L4LB_ROUTE_H

#include <linux/types.h>
#include <net/ip6_fib.h>
#include <net/ip_fib.h>

struct dst_entry;
struct l4lb_backend;

/*
 * The output route to @be, from its cache, else looked up and cached; for
 * use until the caller's RCU read section ends, without a reference
 * (skb_dst_set_noref()). NULL when no cached route serves: policy rules in
 * the namespace (l4lb_route_by_dst()), a multipath route (IPv4: one route
 * for every flow to a backend would pin them all to one path, where the
 * stack spreads them), no route, or no memory.
 */
struct dst_entry *l4lb_route_cached(struct net *net, struct l4lb_backend *be);

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

/* Once no reader is left: the backend's cached route released. */
void l4lb_route_free(struct l4lb_backend *be);

#endif /* _L4LB_ROUTE_H */
