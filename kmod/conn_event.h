/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow events: a message to the "flows" multicast group when a flow is
 * created or ends, rate limited per namespace. Nothing is built unless
 * someone listens to the group, in any namespace (see
 * l4lb_flow_events_wanted()).
 */
#ifndef _L4LB_CONN_EVENT_H
#define _L4LB_CONN_EVENT_H

#include <linux/compiler.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "net.h"
#include "netlink.h"

struct l4lb_conn;

void __l4lb_conn_event(struct l4lb_net *ln, const struct l4lb_conn *c,
		       u8 event, u8 why, u32 state);

/*
 * Flow @c, whose state word is @state, was created (@event NEW) or ends
 * (END, for reason @why). Any context. Without a listener this costs a
 * flag and a bit test; the check and the send are one RCU read section,
 * which module unload waits for (see l4lb_genl_exit()). A namespace going
 * away sends none (see l4lb_net_pre_exit()).
 */
static inline void l4lb_conn_event(struct l4lb_net *ln,
				   const struct l4lb_conn *c, u8 event, u8 why,
				   u32 state)
{
	rcu_read_lock();
	if (unlikely(l4lb_flow_events_wanted(ln->net)) &&
	    !READ_ONCE(ln->flow_events.dying))
		__l4lb_conn_event(ln, c, event, why, state);
	rcu_read_unlock();
}

#endif /* _L4LB_CONN_EVENT_H */
