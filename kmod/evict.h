/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which flows a full table gives up first. Pure definitions: also built in
 * userspace for the unit tests.
 */
#ifndef _L4LB_EVICT_H
#define _L4LB_EVICT_H

/* The higher, the sooner; within a class, the flow idle longest goes. */
enum l4lb_evict {
	L4LB_EVICT_NEVER,	/* an established TCP connection */
	L4LB_EVICT_LAST,	/* a UDP conversation: liveness is recent use */
	L4LB_EVICT_UNPROVEN,	/* handshake never completed, UDP no conversation */
	L4LB_EVICT_ENDED,	/* TIME_WAIT, CLOSE: only late packets are left */
	L4LB_EVICT_TEMPLATE,	/* a persistence binding: worth less than any flow */
	L4LB_EVICT_DEAD,	/* expired, or its VIP is gone */
};

#endif /* _L4LB_EVICT_H */
