/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOK_H
#define _L4LB_HOOK_H

#include <linux/types.h>

struct net;
struct nf_hook_state;

/*
 * The hooks (and defragmentation) are on in a netns only while it has VIPs:
 * namespaces that do not use l4lb pay nothing. After unregistering, wait for
 * a grace period before freeing anything the hook uses: CPUs already inside
 * it are not waited for.
 */
int l4lb_hook_register(struct net *net);
void l4lb_hook_unregister(struct net *net);

/*
 * Is the LB's the last hook at @state's point (PREROUTING) in its netns?
 * Only then may the LB send a packet on from there itself: the hooks after
 * it (mangle, filter, the user's nftables chains) would not see a packet
 * it stole. Under RCU, as a hook runs.
 */
bool l4lb_hook_last(const struct nf_hook_state *state);

#endif /* _L4LB_HOOK_H */
