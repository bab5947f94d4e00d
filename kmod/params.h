/* SPDX-License-Identifier: GPL-2.0 */
/* Module parameters, validated once at load and read-only afterwards. */
#ifndef _L4LB_PARAMS_H
#define _L4LB_PARAMS_H

#include <linux/types.h>

#include "tcp_state.h"

/*
 * How long an idle flow is remembered, per protocol state, in jiffies. Every
 * VIP has its own copy (the module parameters are the defaults), so that a
 * VIP can be given its own timeouts without touching the packet path.
 */
struct l4lb_timeouts {
	u32 tcp[L4LB_TCP_STATE_COUNT];
	u32 udp_unreplied;	/* no reply yet, or a single exchange */
	u32 udp;		/* a conversation (replied, then more) */
};

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
};

extern struct l4lb_params l4lb_params;

int l4lb_params_init(void);

#endif /* _L4LB_PARAMS_H */
