/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persistence (IPVS -p): a client address keeps the backend of its last new
 * flow to a VIP for the VIP's persist time after that flow started, while
 * that backend can take flows. Packet path only, under RCU.
 */
#ifndef _L4LB_PERSIST_H
#define _L4LB_PERSIST_H

struct l4lb_net;
struct l4lb_vip;
struct l4lb_backend;
struct l4lb_tuple;

/* The backend @t's client is bound to at @vip, if it may take a flow now. */
struct l4lb_backend *l4lb_persist_get(struct l4lb_net *ln,
				      struct l4lb_vip *vip,
				      const struct l4lb_tuple *t);
/*
 * Bind @t's client to @be (the scheduler's choice for its new flow).
 * Returns the backend the flow must use: @be, or the one another CPU bound
 * the client to meanwhile.
 */
struct l4lb_backend *l4lb_persist_note(struct l4lb_net *ln,
				       struct l4lb_vip *vip,
				       const struct l4lb_tuple *t,
				       struct l4lb_backend *be);

#endif /* _L4LB_PERSIST_H */
