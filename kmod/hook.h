/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOK_H
#define _L4LB_HOOK_H

struct net;

/*
 * The hooks (and defragmentation) are on in a netns only while it has VIPs:
 * namespaces that do not use l4lb pay nothing. After unregistering, wait for
 * a grace period before freeing anything the hook uses: CPUs already inside
 * it are not waited for.
 */
int l4lb_hook_register(struct net *net);
void l4lb_hook_unregister(struct net *net);

#endif /* _L4LB_HOOK_H */
