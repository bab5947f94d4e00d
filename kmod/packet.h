/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing a packet into the tuple the connection table and VIPs are keyed by,
 * and ICMP errors into the tuple of the flow they are about.
 */
#ifndef _L4LB_PACKET_H
#define _L4LB_PACKET_H

#include <linux/skbuff.h>

#include "conn.h"

struct l4lb_proto_ops;

enum l4lb_parse {
	L4LB_PKT_PASS,		/* not for the LB (other protocols): untouched */
	L4LB_PKT_FLOW,		/* TCP or UDP: @tuple is the packet's own */
	L4LB_PKT_ICMP,		/* an ICMP error: @tuple is the flow it is about,
				 * in the direction the error travels
				 */
	L4LB_PKT_FRAG,		/* a fragment (defrag did not reassemble it):
				 * @tuple has addresses only
				 */
	L4LB_PKT_INVALID,	/* malformed TCP/UDP/ICMP: addresses only */
};

/*
 * A packet as l4lb_parse() read it. It sets every member, but @mtu (only
 * with @too_big) and the inner offsets (only with @icmp): a caller may
 * leave it uninitialized.
 */
struct l4lb_pkt {
	struct l4lb_tuple tuple;
	const struct l4lb_proto_ops *proto;	/* of tuple.proto */
	unsigned int l4off;	/* L4 header offset from skb->data */
	u32 seq;		/* TCP: sequence number */
	u32 ack;		/* TCP: acknowledgment number */
	u32 end;		/* TCP: seq + payload + SYN + FIN */
	u8 tcp_flags;		/* L4LB_TCPF_* */
	bool icmp;		/* an ICMP error about the flow @tuple */
	/*
	 * An ICMP "fragmentation needed" / "packet too big", whatever it
	 * quotes (see l4lb_tunnel_icmp()); @mtu is the one it gives.
	 */
	bool too_big;
	u32 mtu;
	/* ICMP errors: where the quoted packet's headers are */
	unsigned int inner_l3off;
	unsigned int inner_l4off;
};

enum l4lb_parse l4lb_parse(struct sk_buff *skb, u8 pf, struct l4lb_pkt *pkt);

#endif /* _L4LB_PACKET_H */
