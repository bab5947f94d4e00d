/* SPDX-License-Identifier: GPL-2.0 */
/* Module parameters, validated once at load and read-only afterwards. */
#ifndef _L4LB_PARAMS_H
#define _L4LB_PARAMS_H

#include "tcp_state.h"

struct l4lb_params {
	unsigned int conn_max;		/* flows per netns */
	unsigned long gc_interval;	/* jiffies */
	unsigned long tcp_timeout[L4LB_TCP_STATE_COUNT];	/* jiffies */
	unsigned long udp_timeout;	/* jiffies */
};

extern struct l4lb_params l4lb_params;

int l4lb_params_init(void);

#endif /* _L4LB_PARAMS_H */
