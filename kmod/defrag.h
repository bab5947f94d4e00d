/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_DEFRAG_H
#define _L4LB_DEFRAG_H

struct nf_hook_state;
struct sk_buff;

/*
 * A fragment, in one of the LB's hooks (BHs off): NF_ACCEPT when @skb is
 * now the whole datagram (parse it again), NF_STOLEN when it was queued
 * (or dropped, counted by defrag), NF_DROP when it is to be dropped.
 */
unsigned int l4lb_defrag(struct sk_buff *skb, const struct nf_hook_state *state);

#endif /* _L4LB_DEFRAG_H */
