/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOK_H
#define _L4LB_HOOK_H

#include <linux/netfilter.h>
#include <linux/types.h>

struct net;

/*
 * The hooks (and defragmentation) are on in a netns only while it has VIPs:
 * namespaces that do not use l4lb pay nothing. After unregistering, wait for
 * a grace period before freeing anything the hook uses: CPUs already inside
 * it are not waited for.
 */
int l4lb_hook_register(struct net *net);
void l4lb_hook_unregister(struct net *net);

/* PREROUTING's hook function, for l4lb_hook_last() to find. */
unsigned int l4lb_hook_in(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state);

/*
 * Is the LB's the last hook at @state's point (PREROUTING) in its netns?
 * Only then may the LB send a packet on from there itself: the hooks after
 * it (mangle, filter, the user's nftables chains) would not see a packet
 * it stole. Under RCU, as a hook runs. Inline: each forwarded packet asks.
 */
static inline bool l4lb_hook_last(const struct nf_hook_state *state)
{
	const struct nf_hook_entries *e = NULL;

	if (state->pf == NFPROTO_IPV4)
		e = rcu_dereference(state->net->nf.hooks_ipv4[state->hook]);
#if IS_ENABLED(CONFIG_IPV6)
	else if (state->pf == NFPROTO_IPV6)
		e = rcu_dereference(state->net->nf.hooks_ipv6[state->hook]);
#endif
	return e && e->hooks[e->num_hook_entries - 1].hook == l4lb_hook_in;
}

#endif /* _L4LB_HOOK_H */
