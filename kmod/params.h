/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters, validated once at load and read-only afterwards, and
 * the timeouts they give each network namespace as its defaults (settable
 * at run time over netlink, per namespace and per VIP).
 */
#ifndef _L4LB_PARAMS_H
#define _L4LB_PARAMS_H

#include <linux/types.h>

#include "tcp_state.h"

/*
 * How long an idle flow is remembered, per protocol state, in jiffies. Every
 * VIP has its own copy (the netns defaults where it has no value of its
 * own), so the packet path reads one VIP field and no default; a change is
 * written field by field (WRITE_ONCE) while packets read them.
 */
struct l4lb_timeouts {
	u32 tcp[L4LB_TCP_STATE_COUNT];
	u32 udp_unreplied;	/* no reply yet, or a single exchange */
	u32 udp;		/* a conversation (replied, then more) */
};

/*
 * The timeouts one sets, in the order of enum l4lb_timeout_attr from
 * L4LB_TIMEOUT_ATTR_TCP_UNREPLIED on; each covers one or more states.
 */
enum l4lb_timeout {
	L4LB_TO_TCP_UNREPLIED,
	L4LB_TO_TCP_SYN,
	L4LB_TO_TCP_ESTABLISHED,
	L4LB_TO_TCP_FIN,
	L4LB_TO_TCP_CLOSE,
	L4LB_TO_UDP_UNREPLIED,
	L4LB_TO_UDP,

	L4LB_TO_COUNT
};

/* Bounds in seconds, for the module parameters and netlink alike. */
#define L4LB_TIMEOUT_MIN		1
#define L4LB_TIMEOUT_MAX		86400	/* a day */
#define L4LB_TIMEOUT_ESTABLISHED_MAX	604800	/* a week */
#define L4LB_TIMEOUT_CLOSE_MAX		3600

/* Timeout @i of @t in seconds. */
u32 l4lb_timeout_get(const struct l4lb_timeouts *t, enum l4lb_timeout i);
/* Set timeout @i of @t to @secs (in range); packets may read @t meanwhile. */
void l4lb_timeout_set(struct l4lb_timeouts *t, enum l4lb_timeout i, u32 secs);

/* Object limits of one network namespace. */
struct l4lb_limits {
	u32 conns;
	u32 vips;
	u32 backends;
};

struct l4lb_params {
	unsigned long gc_interval;	/* jiffies */
	struct l4lb_timeouts timeouts;
	struct l4lb_limits init_net;	/* the initial namespace */
	struct l4lb_limits other_net;	/* every other namespace */
	u32 flow_events_rate;		/* per second and namespace */
	u64 flow_event_ns;		/* 1 s / flow_events_rate */
};

extern struct l4lb_params l4lb_params;

int l4lb_params_init(void);

#endif /* _L4LB_PARAMS_H */
