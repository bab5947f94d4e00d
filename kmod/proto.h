/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-protocol behaviour (TCP, UDP): header checks, which packets may open a
 * flow, the state machine, timeouts, and which flows count as active or may
 * be evicted. One ops table per protocol, in proto_tcp.c and proto_udp.c.
 */
#ifndef _L4LB_PROTO_H
#define _L4LB_PROTO_H

#include <linux/in.h>
#include <linux/skbuff.h>

#include "conn.h"
#include "evict.h"
#include "packet.h"
#include "params.h"

struct l4lb_proto_ops {
	u8 proto;
	u8 csum_off;		/* of the checksum field in the L4 header */
	u8 hdr_len;		/* the fixed header fill() reads */
	/*
	 * Fill the ports (and TCP fields) of @pkt from @hdr, the header at
	 * pkt->l4off; false when it is truncated or inconsistent.
	 */
	bool (*fill)(const struct sk_buff *skb, struct l4lb_pkt *pkt,
		     const void *hdr);
	/* May this packet of an unknown tuple open a flow? */
	bool (*may_open)(const struct l4lb_pkt *pkt);
	/* The state of a flow opened by @pkt. */
	u32 (*initial)(const struct l4lb_pkt *pkt);
	/*
	 * The protocol state (L4LB_CS_PSTATE) after @pkt went in @dir through
	 * @c, whose state word is @state; negative: the packet must not
	 * change the flow. No side effects (it may be retried).
	 */
	int (*next)(const struct l4lb_conn *c, u32 state, enum l4lb_dir dir,
		    const struct l4lb_pkt *pkt);
	/* Once the state moved from @old to @new because of @pkt (optional). */
	void (*seen)(struct l4lb_conn *c, enum l4lb_dir dir,
		     const struct l4lb_pkt *pkt, u32 old, u32 new);
	/* Does @pkt, of a flow in @state, start a new flow on that tuple? */
	bool (*reopens)(u32 state, const struct l4lb_pkt *pkt);
	u32 (*timeout)(u32 state, const struct l4lb_timeouts *t);
	bool (*active)(u32 state);	/* counted as an active connection */
	/* Whether and how soon it may go when the table is full. */
	enum l4lb_evict (*evict)(u32 state);
};

extern const struct l4lb_proto_ops l4lb_proto_tcp;
extern const struct l4lb_proto_ops l4lb_proto_udp;

/* UDP, one packet scheduling: every datagram of the flow was answered. */
bool l4lb_udp_ops_answered(u32 state);

static inline const struct l4lb_proto_ops *l4lb_proto_find(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return &l4lb_proto_tcp;
	case IPPROTO_UDP:
		return &l4lb_proto_udp;
	default:
		return NULL;
	}
}

#endif /* _L4LB_PROTO_H */
