/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The l4lb "events" multicast group: the kernel sends one message per
 * configuration change (VIP, backend, default timeouts), with the object
 * as it is after the change. 'l4ctl monitor' prints them; the agent
 * reconciles on them. The "flows" group: a message when a flow is created
 * or ends (L4LB_CMD_CONN_EVENT), rate limited by the kernel.
 */
#ifndef L4LB_LIB_EVENTS_H
#define L4LB_LIB_EVENTS_H

#include <stdint.h>

#include <libmnl/libmnl.h>

#include "conn_msg.h"
#include "msg.h"
#include "nl.h"

/* One event, parsed. Which members are filled depends on @cmd. */
struct l4lb_event {
	uint8_t cmd;		/* L4LB_CMD_VIP_NEW ... L4LB_CMD_STATS_ZERO */
	/*
	 * VIP and backend events: the VIP (key at least); STATS_ZERO: the VIP
	 * and backend zeroed, family 0 in their key where none was.
	 */
	struct vip vip;
	struct backend backend;	/* backend events */
	struct net_info net;	/* L4LB_CMD_NET_SET: the defaults now */
	/* L4LB_CMD_CONN_EVENT: */
	struct conn conn;	/* the flow, its state the last one */
	uint8_t flow_event;	/* enum l4lb_conn_event */
	uint8_t end_reason;	/* enum l4lb_conn_end, 0: not sent */
	uint64_t suppressed;	/* events the kernel dropped before this one */
};

/*
 * Open a netlink socket joined to the "events" group of this network
 * namespace. Prints nothing: NULL with *@err = -errno (-ENOENT: no l4lb
 * family; -EOPNOTSUPP: a module that sends no events; -EPERM: joining needs
 * CAP_NET_ADMIN). Close it with nl_close().
 */
struct nl_ctx *events_open(int *err);

/*
 * Join the "flows" group too on @ctx (from events_open()). Returns 0 or
 * -errno: -EOPNOTSUPP, a module without flow events; -EPERM as above.
 */
int events_join_flows(struct nl_ctx *ctx);

/*
 * One message of the l4lb family (genl header included) into @e. Returns 0,
 * 1 when it is no event (another command), -1 when malformed.
 */
int event_parse(const struct nlmsghdr *nlh, struct l4lb_event *e);

/*
 * Read every message waiting on @ctx without blocking and call @cb (as
 * mnl_cb_run() would) for each one of the l4lb family. Returns 0 when the
 * socket is drained, -ENOBUFS when events were lost because they came
 * faster than they were read (the caller should resynchronise; reading
 * again goes on), or another -errno.
 */
int events_read(struct nl_ctx *ctx, mnl_cb_t cb, void *data);

#endif
