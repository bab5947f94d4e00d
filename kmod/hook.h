/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_HOOK_H
#define _L4LB_HOOK_H

struct net;

int l4lb_hook_net_init(struct net *net);
void l4lb_hook_net_exit(struct net *net);

#endif /* _L4LB_HOOK_H */
