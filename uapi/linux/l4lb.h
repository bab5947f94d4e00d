/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * l4lb generic netlink ABI.
 *
 * Shared by the kernel module and userspace. This is a stable ABI: values are
 * only ever appended, never renumbered or reused.
 *
 * Every request carries its objects as nested attributes: a VIP is identified
 * by (family, address, port, protocol) inside L4LB_ATTR_VIP; a backend of that
 * VIP by (family, address, port) inside L4LB_ATTR_BACKEND.
 *
 *   L4LB_CMD_VIP_NEW      L4LB_ATTR_VIP (key, optional SCHED, MODE)
 *   L4LB_CMD_VIP_DEL      L4LB_ATTR_VIP (key); its backends go with it
 *   L4LB_CMD_VIP_GET      dump only; one message per VIP, with STATS
 *   L4LB_CMD_BACKEND_NEW  L4LB_ATTR_VIP (key) + L4LB_ATTR_BACKEND (key,
 *                         optional WEIGHT, STATE, MAXCONN, FLAGS)
 *   L4LB_CMD_BACKEND_DEL  L4LB_ATTR_VIP (key) + L4LB_ATTR_BACKEND (key)
 *   L4LB_CMD_BACKEND_SET  L4LB_ATTR_VIP (key) + L4LB_ATTR_BACKEND (key + what
 *                         changes: WEIGHT, STATE, MAXCONN, FLAGS)
 *   L4LB_CMD_BACKEND_GET  dump only, L4LB_ATTR_VIP (key) selects the VIP; one
 *                         message per backend: L4LB_ATTR_VIP + L4LB_ATTR_BACKEND
 *   L4LB_CMD_NET_GET      no attributes; the reply carries L4LB_ATTR_NET: the
 *                         namespace's flow table, limits, drop counters and
 *                         default timeouts
 *   L4LB_CMD_VIP_SET      L4LB_ATTR_VIP (key + what changes: SCHED, MODE,
 *                         SNAT_*, ENCAP*, TIMEOUTS, FLAGS, MAGLEV_SIZE,
 *                         MAXCONN, RATE, BURST, PERSIST). A new mode or
 *                         scheduler applies to new flows; established ones
 *                         keep theirs and their backend.
 *   L4LB_CMD_NET_SET      L4LB_ATTR_NET (TIMEOUTS): the namespace's default
 *                         timeouts, which VIPs without their own follow
 *   L4LB_CMD_STATS_ZERO   zero counters (ipvsadm -Z): no attribute: the
 *                         namespace's (enum l4lb_net_stats_attr) and every
 *                         VIP's and backend's; L4LB_ATTR_VIP (key): that
 *                         VIP's and its backends'; with L4LB_ATTR_BACKEND
 *                         (key) too: that backend's alone. Gauges stay:
 *                         ACTIVE_CONNS, INACTIVE_CONNS, the table fill.
 *                         The handshake mean starts over. Dumps show the
 *                         counts since (the kernel keeps the sums it had
 *                         then and subtracts them: no packet's count lost)
 *
 * Timeouts (L4LB_VIP_ATTR_TIMEOUTS, L4LB_NET_ATTR_TIMEOUTS): only those
 * given change. In a VIP's, 0 means "none of its own": the VIP follows the
 * namespace default for it, also when that changes later (in VIP_SET, 0
 * removes the VIP's own value). A default cannot be 0. The VIP dump carries
 * the VIP's own values only, NET_GET every default: a VIP's timeout in force
 * is its own, else the default. A flow takes a new value at its next packet.
 *
 * Dumps are consistent: when the configuration changes between two parts of
 * a dump, the messages after the change carry NLM_F_DUMP_INTR and the caller
 * should start the dump again.
 *
 * All commands need CAP_NET_ADMIN in the user namespace owning the network
 * namespace; every rejection carries an extended ack message.
 */
#ifndef _UAPI_LINUX_L4LB_H
#define _UAPI_LINUX_L4LB_H

#define L4LB_GENL_NAME		"l4lb"
#define L4LB_GENL_VERSION	1

/*
 * Multicast group of configuration events, joinable with CAP_NET_ADMIN over
 * the network namespace. After each successful change the kernel sends, to
 * the namespace of the change, a message of the change's command with the
 * attributes a dump shows: VIP_NEW, VIP_SET, VIP_DEL carry L4LB_ATTR_VIP as
 * the VIP dump (VIP_DEL: its last counters; its backends go without events
 * of their own); BACKEND_NEW, BACKEND_SET, BACKEND_DEL carry L4LB_ATTR_VIP
 * (key) and L4LB_ATTR_BACKEND as the backend dump; NET_SET carries
 * L4LB_ATTR_NET as NET_GET; STATS_ZERO carries what VIP_SET (a VIP
 * zeroed) or BACKEND_SET (a backend zeroed) would, counters since zero,
 * and no attribute when the whole namespace was zeroed. The header's port
 * and sequence are those of the request that made the change. Events come
 * in the order of the changes; a listener too slow to keep up gets ENOBUFS
 * on its socket.
 */
#define L4LB_GENL_MCGRP_EVENTS	"events"

/*
 * Multicast group of flow events, joinable with CAP_NET_ADMIN over the
 * network namespace: L4LB_CMD_CONN_EVENT messages (port and sequence 0),
 * one when a flow is created and one when it ends, with L4LB_ATTR_CONN as
 * the conn dump has it (the state its last, EXPIRES 0 when it is over)
 * plus EVENT, END_REASON and SUPPRESSED. Persistence templates send none,
 * nor do the flows of a namespace going away. Events of a namespace are
 * rate limited (module parameter flow_events_rate, per second): those
 * over the rate, and those the kernel had no memory for, are dropped and
 * counted (L4LB_NET_STATS_ATTR_FLOW_EVENTS_SUPPRESSED); the next event
 * sent carries in SUPPRESSED how many were dropped since the one before.
 * New and end events of one flow come in that order; events of different
 * flows, built on different CPUs, in no guaranteed order.
 */
#define L4LB_GENL_MCGRP_FLOWS	"flows"

/*
 * Scheduler names (rr, wrr, lc, wlc, sh, maglev, p2c), as dumps show them,
 * are at most L4LB_SCHED_NAME_MAX long, including the terminating NUL. A
 * request may also name one by an alias: round-robin (rr),
 * least-connections (lc), ip-hash (sh), up to L4LB_SCHED_ARG_MAX long.
 */
#define L4LB_SCHED_NAME_MAX	16
#define L4LB_SCHED_ARG_MAX	32

/* Backend weights: 0 drains (no new flows), up to L4LB_WEIGHT_MAX. */
#define L4LB_WEIGHT_DEFAULT	1
#define L4LB_WEIGHT_MAX		65535

enum l4lb_cmd {
	L4LB_CMD_UNSPEC,
	L4LB_CMD_VIP_NEW,
	L4LB_CMD_VIP_DEL,
	L4LB_CMD_VIP_GET,
	L4LB_CMD_BACKEND_NEW,
	L4LB_CMD_BACKEND_DEL,
	L4LB_CMD_BACKEND_SET,
	L4LB_CMD_BACKEND_GET,
	L4LB_CMD_NET_GET,
	L4LB_CMD_VIP_SET,
	L4LB_CMD_NET_SET,
	L4LB_CMD_CONN_GET,
	L4LB_CMD_CONN_DEL,
	L4LB_CMD_STATS_ZERO,	/* zero counters (see stats_zero) */
	L4LB_CMD_CONN_EVENT,	/* flow events only (L4LB_GENL_MCGRP_FLOWS) */

	__L4LB_CMD_MAX
};

#define L4LB_CMD_MAX (__L4LB_CMD_MAX - 1)

enum l4lb_attr {
	L4LB_ATTR_UNSPEC,
	L4LB_ATTR_VIP,		/* nested: enum l4lb_vip_attr */
	L4LB_ATTR_BACKEND,	/* nested: enum l4lb_backend_attr */
	L4LB_ATTR_NET,		/* nested: enum l4lb_net_attr (replies only) */
	L4LB_ATTR_CONN,		/* nested: enum l4lb_conn_attr */

	__L4LB_ATTR_MAX
};

#define L4LB_ATTR_MAX (__L4LB_ATTR_MAX - 1)

/* How packets of a VIP reach the chosen backend. */
enum l4lb_fwd_mode {
	L4LB_FWD_DNAT,	/* rewrite dst to the backend; the LB is its gateway */
	L4LB_FWD_SNAT,	/* full NAT: src and dst rewritten */
	L4LB_FWD_DSR,	/* direct server return: MAC rewrite, VIP kept */
	L4LB_FWD_TUNNEL,	/* direct server return over IP: encapsulated */

	__L4LB_FWD_MAX
};

#define L4LB_FWD_MAX (__L4LB_FWD_MAX - 1)

/* Tunnel mode: how a packet is encapsulated toward its backend. */
enum l4lb_encap {
	L4LB_ENCAP_IPIP,	/* IPIP (IPv4 VIPs), IP6IP6 (IPv6 VIPs) */
	L4LB_ENCAP_FOU,		/* the IP packet in UDP (Linux "fou") */
	L4LB_ENCAP_GUE,		/* UDP + GUE header (Linux "fou ... gue") */

	__L4LB_ENCAP_MAX
};

#define L4LB_ENCAP_MAX (__L4LB_ENCAP_MAX - 1)

/* L4LB_VIP_ATTR_FLAGS */
#define L4LB_VIP_F_OPS		0x1U	/* UDP: one packet scheduling:
					 * a flow ends with its reply
					 */
#define L4LB_VIP_F_SH_PORT	0x2U	/* sh: hash the source port too */
#define L4LB_VIP_F_HASH_SRC	0x4U	/* maglev: hash the source address
					 * only (default: the 5-tuple)
					 */
#define L4LB_VIP_F_NO_REJECT	0x8U	/* a flow no backend can take is
					 * dropped silently (default: TCP
					 * RST, ICMP port unreachable)
					 */
#define L4LB_VIP_F_EXPIRE_DOWN	0x10U	/* flows of a backend set down end
					 * at their next packet (default:
					 * they go on), as IPVS
					 * expire_nodest_conn
					 */
#define L4LB_VIP_F_SYN_ONLY	0x20U	/* maglev: a TCP packet of an unknown
					 * flow opens one only if it is a SYN
					 * (default: any, to the backend the
					 * table names)
					 */
#define L4LB_VIP_F_ALL		(L4LB_VIP_F_OPS | L4LB_VIP_F_SH_PORT | \
				 L4LB_VIP_F_HASH_SRC | L4LB_VIP_F_NO_REJECT | \
				 L4LB_VIP_F_EXPIRE_DOWN | L4LB_VIP_F_SYN_ONLY)

/*
 * Maglev lookup table size per VIP: a prime in [MIN, MAX]. 0 (the default)
 * is 65537, or the smallest of 131071, 262139, 524287, 1048573 that is at
 * least 100 entries per backend.
 */
#define L4LB_MAGLEV_SIZE_MIN	251
#define L4LB_MAGLEV_SIZE_MAX	1048573
#define L4LB_MAGLEV_SIZE_DEFAULT 65537

/* Backend health as told by l4ctl or an agent (L4LB_BACKEND_ATTR_STATE). */
enum l4lb_backend_state {
	L4LB_BACKEND_UP,	/* takes new flows (if its weight > 0) */
	L4LB_BACKEND_DRAIN,	/* no new flows; its flows go on */
	L4LB_BACKEND_DOWN,	/* no new flows; its flows go on, or end if
				 * the VIP has L4LB_VIP_F_EXPIRE_DOWN
				 */

	__L4LB_BACKEND_STATE_MAX
};

#define L4LB_BACKEND_STATE_MAX (__L4LB_BACKEND_STATE_MAX - 1)

/* L4LB_BACKEND_ATTR_FLAGS */
#define L4LB_BACKEND_F_BACKUP	0x1U	/* new flows only when no primary
					 * backend can take them
					 */
#define L4LB_BACKEND_F_ALL	L4LB_BACKEND_F_BACKUP

/* SNAT: addresses per VIP, and the source port range (default 1024-65535). */
#define L4LB_SNAT_ADDRS_MAX	16
#define L4LB_SNAT_PORT_MIN	1024
#define L4LB_SNAT_PORT_MAX	65535

/*
 * Idle timeouts in seconds (L4LB_VIP_ATTR_TIMEOUTS, L4LB_NET_ATTR_TIMEOUTS),
 * all u32, named as the module parameters that give their first values.
 */
enum l4lb_timeout_attr {
	L4LB_TIMEOUT_ATTR_UNSPEC,
	L4LB_TIMEOUT_ATTR_PAD,
	L4LB_TIMEOUT_ATTR_TCP_UNREPLIED,	/* SYN not answered yet */
	L4LB_TIMEOUT_ATTR_TCP_SYN,		/* SYN-ACK seen, no ACK yet */
	L4LB_TIMEOUT_ATTR_TCP_ESTABLISHED,
	L4LB_TIMEOUT_ATTR_TCP_FIN,		/* closing: a FIN seen */
	L4LB_TIMEOUT_ATTR_TCP_CLOSE,		/* a RST seen */
	L4LB_TIMEOUT_ATTR_UDP_UNREPLIED,	/* no reply, or one exchange */
	L4LB_TIMEOUT_ATTR_UDP,			/* a conversation */

	__L4LB_TIMEOUT_ATTR_MAX
};

#define L4LB_TIMEOUT_ATTR_MAX (__L4LB_TIMEOUT_ATTR_MAX - 1)

enum l4lb_vip_attr {
	L4LB_VIP_ATTR_UNSPEC,
	L4LB_VIP_ATTR_PAD,
	L4LB_VIP_ATTR_FAMILY,	/* u16: AF_INET or AF_INET6 */
	L4LB_VIP_ATTR_ADDR,	/* binary: 4 or 16 bytes (per FAMILY), network order */
	L4LB_VIP_ATTR_PORT,	/* be16 */
	L4LB_VIP_ATTR_PROTO,	/* u8: IPPROTO_TCP or IPPROTO_UDP */
	L4LB_VIP_ATTR_SCHED,	/* string: scheduler name, default "rr" */
	L4LB_VIP_ATTR_MODE,	/* u8: enum l4lb_fwd_mode, default DNAT */
	L4LB_VIP_ATTR_STATS,	/* nested: enum l4lb_stats_attr (dump only) */
	/* nested: up to L4LB_SNAT_ADDRS_MAX L4LB_SNAT_ADDR (binary, of the VIP's
	 * family); none: the address of the interface toward the backend
	 */
	L4LB_VIP_ATTR_SNAT_ADDRS,
	L4LB_VIP_ATTR_SNAT_PORT_MIN,	/* u16, host order */
	L4LB_VIP_ATTR_SNAT_PORT_MAX,	/* u16, host order, >= PORT_MIN */
	L4LB_VIP_ATTR_ENCAP,	/* u8: enum l4lb_encap (tunnel mode) */
	L4LB_VIP_ATTR_ENCAP_PORT,	/* be16: the backends' FOU/GUE port */
	L4LB_VIP_ATTR_TIMEOUTS,	/* nested: enum l4lb_timeout_attr; the VIP's own */
	L4LB_VIP_ATTR_FLAGS,	/* u32: L4LB_VIP_F_* */
	L4LB_VIP_ATTR_MAGLEV_SIZE,	/* u32: a prime, 0: the default */
	L4LB_VIP_ATTR_MAXCONN,	/* u32: flows at once, 0: no limit */
	L4LB_VIP_ATTR_RATE,	/* u32: new flows per second, 0: no limit */
	L4LB_VIP_ATTR_BURST,	/* u32: new flows above RATE at once, 0: RATE */
	/* u32: seconds a client address stays with its backend after its
	 * last new flow (IPVS -p), 0: no persistence
	 */
	L4LB_VIP_ATTR_PERSIST,

	__L4LB_VIP_ATTR_MAX
};

#define L4LB_VIP_ATTR_MAX (__L4LB_VIP_ATTR_MAX - 1)

/* Inside L4LB_VIP_ATTR_SNAT_ADDRS. */
enum l4lb_snat_attr {
	L4LB_SNAT_ATTR_UNSPEC,
	L4LB_SNAT_ADDR,		/* binary: 4 or 16 bytes, network order */

	__L4LB_SNAT_ATTR_MAX
};

#define L4LB_SNAT_ATTR_MAX (__L4LB_SNAT_ATTR_MAX - 1)

enum l4lb_backend_attr {
	L4LB_BACKEND_ATTR_UNSPEC,
	L4LB_BACKEND_ATTR_PAD,
	L4LB_BACKEND_ATTR_FAMILY,	/* u16: must match the VIP's family */
	L4LB_BACKEND_ATTR_ADDR,		/* binary: 4 or 16 bytes, network order */
	L4LB_BACKEND_ATTR_PORT,		/* be16 */
	L4LB_BACKEND_ATTR_WEIGHT,	/* u32: 0 (drain) .. L4LB_WEIGHT_MAX */
	L4LB_BACKEND_ATTR_STATS,	/* nested: enum l4lb_stats_attr (dump only) */
	L4LB_BACKEND_ATTR_STATE,	/* u8: enum l4lb_backend_state, default UP */
	L4LB_BACKEND_ATTR_MAXCONN,	/* u32: flows at once, 0: no limit */
	L4LB_BACKEND_ATTR_FLAGS,	/* u32: L4LB_BACKEND_F_* */

	__L4LB_BACKEND_ATTR_MAX
};

#define L4LB_BACKEND_ATTR_MAX (__L4LB_BACKEND_ATTR_MAX - 1)

/*
 * Counters of a VIP or a backend. "in" is the client-to-backend direction,
 * "out" the replies. All u64.
 */
enum l4lb_stats_attr {
	L4LB_STATS_ATTR_UNSPEC,
	L4LB_STATS_ATTR_PAD,
	L4LB_STATS_ATTR_CONNS,		/* connections created */
	L4LB_STATS_ATTR_ACTIVE_CONNS,	/* now: TCP established, or UDP */
	L4LB_STATS_ATTR_PKTS_IN,
	L4LB_STATS_ATTR_PKTS_OUT,
	L4LB_STATS_ATTR_BYTES_IN,
	L4LB_STATS_ATTR_BYTES_OUT,
	L4LB_STATS_ATTR_DROPS,		/* the sum of the DROPS_* below */
	L4LB_STATS_ATTR_INACTIVE_CONNS,	/* now: TCP in handshake or closing */
	/*
	 * TCP flows that reached ESTABLISHED (NAT modes: the client
	 * acknowledged the backend's SYN-ACK; one-way modes: the client's
	 * ACK after its SYN): the connection success rate is
	 * ESTABLISHED / CONNS. Each TCP flow counted in CONNS counts once,
	 * in ESTABLISHED or in FAILED, when its outcome is known.
	 */
	L4LB_STATS_ATTR_ESTABLISHED,
	/*
	 * TCP flows that ended before ESTABLISHED: at a RST or FIN in the
	 * handshake, else when the flow goes (expired unanswered, evicted,
	 * flushed, its VIP or backend deleted)
	 */
	L4LB_STATS_ATTR_FAILED,
	/* RST segments of a flow, passed on (in its window or not) */
	L4LB_STATS_ATTR_RSTS_CLIENT,	/* from the client */
	L4LB_STATS_ATTR_RSTS_BACKEND,	/* from the backend (NAT modes) */
	/* client SYNs again on a flow the backend has not answered yet */
	L4LB_STATS_ATTR_SYN_RETRANS,
	/*
	 * Drops by reason (DROPS is their sum): of new flows, on the VIP and,
	 * once one was chosen, on the backend; XMIT also of packets of flows.
	 */
	L4LB_STATS_ATTR_DROPS_NO_BACKEND, /* none up with weight */
	L4LB_STATS_ATTR_DROPS_LIMIT,	/* VIP maxconn, or every backend's */
	L4LB_STATS_ATTR_DROPS_RATE,	/* the VIP's rate limit */
	L4LB_STATS_ATTR_DROPS_TABLE_FULL, /* of flows that may not go */
	L4LB_STATS_ATTR_DROPS_NOMEM,
	/* no NAT tuple: SNAT's ports all taken, a reply tuple in use */
	L4LB_STATS_ATTR_DROPS_NAT_PORTS,
	L4LB_STATS_ATTR_DROPS_XMIT,	/* no route, or the send failed */
	/*
	 * Backend only, NAT modes: handshake latency, from the client's first
	 * SYN forwarded to the backend's SYN-ACK, in microseconds: the mean
	 * over all HANDSHAKES measured (the kernel keeps their sum and count).
	 */
	L4LB_STATS_ATTR_HANDSHAKE_US,
	L4LB_STATS_ATTR_HANDSHAKES,

	__L4LB_STATS_ATTR_MAX
};

#define L4LB_STATS_ATTR_MAX (__L4LB_STATS_ATTR_MAX - 1)

/*
 * The network namespace's load balancer as a whole (L4LB_CMD_NET_GET). The
 * limits are the ones in force for this namespace: the module parameters,
 * capped by the netns_* parameters outside the initial namespace.
 */
enum l4lb_net_attr {
	L4LB_NET_ATTR_UNSPEC,
	L4LB_NET_ATTR_PAD,
	L4LB_NET_ATTR_CONNS,		/* u32: flows in the table now */
	L4LB_NET_ATTR_CONN_MAX,		/* u32 */
	L4LB_NET_ATTR_VIPS,		/* u32 */
	L4LB_NET_ATTR_VIP_MAX,		/* u32 */
	L4LB_NET_ATTR_BACKENDS,		/* u32: of all VIPs */
	L4LB_NET_ATTR_BACKEND_MAX,	/* u32 */
	L4LB_NET_ATTR_STATS,		/* nested: enum l4lb_net_stats_attr */
	L4LB_NET_ATTR_BUCKETS,		/* u32: hash buckets of the flow tables */
	L4LB_NET_ATTR_TIMEOUTS,		/* nested: enum l4lb_timeout_attr */

	__L4LB_NET_ATTR_MAX
};

#define L4LB_NET_ATTR_MAX (__L4LB_NET_ATTR_MAX - 1)

/*
 * Namespace-wide counters, all u64, since l4lb started in the namespace
 * (module load, namespace creation) or the last L4LB_CMD_STATS_ZERO.
 */
enum l4lb_net_stats_attr {
	L4LB_NET_STATS_ATTR_UNSPEC,
	L4LB_NET_STATS_ATTR_PAD,
	/* flows evicted to make room for a new one: expired, TCP that never
	 * completed its handshake, UDP that is not a conversation
	 */
	L4LB_NET_STATS_ATTR_EARLY_DROPS,
	/* new flows refused: the table is full of flows that may not go */
	L4LB_NET_STATS_ATTR_FULL_DROPS,
	/* packets to a VIP that belong to no flow and cannot open one
	 * (TCP without SYN, fragments), dropped
	 */
	L4LB_NET_STATS_ATTR_NOFLOW_DROPS,
	/* malformed packets of a flow or VIP, dropped: bad ICMP errors,
	 * IPv6 UDP without checksum, truncated headers
	 */
	L4LB_NET_STATS_ATTR_INVALID_DROPS,
	/* ICMP errors about a flow, translated and passed on */
	L4LB_NET_STATS_ATTR_ICMP_XLATED,
	/* flows ended because their VIP was deleted */
	L4LB_NET_STATS_ATTR_STALE_REAPED,
	/* SNAT: new flows refused, every source port toward the backend in
	 * use on every SNAT address
	 */
	L4LB_NET_STATS_ATTR_NAT_PORT_DROPS,
	/* packets that could not be sent on: no route or neighbour to the
	 * backend, a DSR backend not on a directly connected network, no
	 * room for the encapsulation
	 */
	L4LB_NET_STATS_ATTR_XMIT_DROPS,
	/* packets too big for the path to the backend, answered with an
	 * ICMP "fragmentation needed" / "packet too big" to the client
	 */
	L4LB_NET_STATS_ATTR_TOO_BIG,
	/* tunnel mode: routers' ICMP "fragmentation needed" / "packet too
	 * big" about the LB's own encapsulated packets, taken for the path
	 * MTU to the backend (not passed on)
	 */
	L4LB_NET_STATS_ATTR_TUNNEL_PMTU,
	/* new flows refused: no backend up with weight (primary or backup) */
	L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS,
	/* new flows refused by a VIP's maxconn, or because every backend
	 * that could take them is at its maxconn
	 */
	L4LB_NET_STATS_ATTR_VIP_LIMIT_DROPS,
	/* new flows refused by a VIP's rate limit */
	L4LB_NET_STATS_ATTR_RATE_LIMIT_DROPS,
	/* TCP RSTs and ICMP unreachables sent for refused new flows */
	L4LB_NET_STATS_ATTR_REJECTS,
	/* flows ended because their backend was set down */
	L4LB_NET_STATS_ATTR_DOWN_EXPIRED,
	/* maglev: TCP packets of unknown flows (not SYN) given a flow to the
	 * backend the table names
	 */
	L4LB_NET_STATS_ATTR_ADOPTED,
	/* maglev, one-way modes: packets forwarded without a flow entry
	 * because the table was full
	 */
	L4LB_NET_STATS_ATTR_STATELESS,
	/* new flows sent to their client address's backend (persistence) */
	L4LB_NET_STATS_ATTR_PERSIST_HITS,
	/* flow table lookups: every TCP and UDP packet the hooks see
	 * (PREROUTING and LOCAL_OUT, while the namespace has a VIP), to a
	 * VIP or not, client's and backend's, looked up once each: HITS +
	 * MISSES. Not counted: ICMP errors (their quoted flow is looked up
	 * too; ICMP_XLATED counts those that matched), and the second
	 * lookup of a packet whose new flow another CPU created first.
	 */
	L4LB_NET_STATS_ATTR_LOOKUPS,
	/* ... that found a flow (also when the packet then ends it: a new
	 * SYN on a finished connection's tuple, a flow of a down backend)
	 */
	L4LB_NET_STATS_ATTR_HITS,
	/* ... that found none: a packet that may open a flow, or is not
	 * the load balancer's
	 */
	L4LB_NET_STATS_ATTR_MISSES,
	/* flow events not sent: over flow_events_rate, or no memory */
	L4LB_NET_STATS_ATTR_FLOW_EVENTS_SUPPRESSED,
	/* new flows refused: no memory for the flow (or its NAT state) */
	L4LB_NET_STATS_ATTR_NOMEM_DROPS,

	__L4LB_NET_STATS_ATTR_MAX
};

#define L4LB_NET_STATS_ATTR_MAX (__L4LB_NET_STATS_ATTR_MAX - 1)

/*
 * Flows (L4LB_CMD_CONN_GET, L4LB_CMD_CONN_DEL).
 *
 *   L4LB_CMD_CONN_GET  dump only; one message per flow: L4LB_ATTR_CONN. Each
 *                      flow once, templates (persistence bindings) and
 *                      expired flows left out. Filters, all optional, all
 *                      of them must match: L4LB_ATTR_VIP (key: the flows
 *                      of that VIP address, port and protocol) and
 *                      L4LB_ATTR_CONN with FAMILY (needed with any
 *                      address), PROTO, STATE (needs PROTO), BACKEND_ADDR,
 *                      BACKEND_PORT, and ORIG holding any of SRC (the
 *                      client address), SPORT, DST, DPORT: all four and
 *                      PROTO name one flow. Flows come and go during a
 *                      dump: those there from its start to its end are
 *                      listed once, unless the table was resized under it,
 *                      which NLM_F_DUMP_INTR tells (dump again).
 *   L4LB_CMD_CONN_DEL  the same filters: the flows that match end now (their
 *                      next packet is one of no flow: a TCP one without SYN
 *                      is dropped). No filter: every flow.
 *
 * In a reply, L4LB_ATTR_CONN carries every attribute below. The ORIG tuple is the client's packets
 * (client -> VIP: DST and DPORT are the VIP), the REPLY tuple the backend's
 * (backend -> what the backend sees as its client: the client in DNAT, an
 * SNAT address and port in SNAT mode).
 */
enum l4lb_tuple_attr {
	L4LB_TUPLE_ATTR_UNSPEC,
	L4LB_TUPLE_ATTR_SRC,	/* binary: 4 or 16 bytes, network order */
	L4LB_TUPLE_ATTR_DST,	/* binary: 4 or 16 bytes, network order */
	L4LB_TUPLE_ATTR_SPORT,	/* be16 */
	L4LB_TUPLE_ATTR_DPORT,	/* be16 */

	__L4LB_TUPLE_ATTR_MAX
};

#define L4LB_TUPLE_ATTR_MAX (__L4LB_TUPLE_ATTR_MAX - 1)

/* L4LB_CONN_ATTR_STATE of a TCP flow */
enum l4lb_conn_tcp_state {
	L4LB_CONN_TCP_NONE,
	L4LB_CONN_TCP_SYN_SENT,		/* client SYN seen, no answer yet */
	L4LB_CONN_TCP_SYN_RECV,		/* backend SYN-ACK seen */
	L4LB_CONN_TCP_ESTABLISHED,
	L4LB_CONN_TCP_FIN_WAIT,		/* client sent FIN */
	L4LB_CONN_TCP_CLOSE_WAIT,	/* backend sent FIN */
	L4LB_CONN_TCP_TIME_WAIT,	/* both sides sent FIN */
	L4LB_CONN_TCP_CLOSE,		/* RST seen */

	__L4LB_CONN_TCP_MAX
};

#define L4LB_CONN_TCP_MAX (__L4LB_CONN_TCP_MAX - 1)

/* L4LB_CONN_ATTR_STATE of a UDP flow */
enum l4lb_conn_udp_state {
	L4LB_CONN_UDP_UNREPLIED,	/* no answer yet */
	L4LB_CONN_UDP_ANSWERED,		/* the backend answered */
	L4LB_CONN_UDP_CONVERSATION,	/* the client went on after an answer */

	__L4LB_CONN_UDP_MAX
};

#define L4LB_CONN_UDP_MAX (__L4LB_CONN_UDP_MAX - 1)

/* L4LB_CONN_ATTR_FLAGS */
#define L4LB_CONN_F_REPLIED	0x1U	/* a packet came back from the backend */
#define L4LB_CONN_F_ONEWAY	0x2U	/* replies bypass the LB (DSR, tunnel) */
#define L4LB_CONN_F_OPS		0x4U	/* one packet scheduling */
#define L4LB_CONN_F_ADOPTED	0x8U	/* TCP opened mid-stream (maglev) */

enum l4lb_conn_attr {
	L4LB_CONN_ATTR_UNSPEC,
	L4LB_CONN_ATTR_PAD,
	L4LB_CONN_ATTR_FAMILY,		/* u16: AF_INET or AF_INET6 */
	L4LB_CONN_ATTR_PROTO,		/* u8: IPPROTO_TCP or IPPROTO_UDP */
	L4LB_CONN_ATTR_ORIG,		/* nested: enum l4lb_tuple_attr */
	L4LB_CONN_ATTR_REPLY,		/* nested: enum l4lb_tuple_attr */
	L4LB_CONN_ATTR_BACKEND_ADDR,	/* binary: 4 or 16 bytes */
	L4LB_CONN_ATTR_BACKEND_PORT,	/* be16 */
	L4LB_CONN_ATTR_MODE,		/* u8: enum l4lb_fwd_mode */
	/* u8: enum l4lb_conn_tcp_state or enum l4lb_conn_udp_state */
	L4LB_CONN_ATTR_STATE,
	L4LB_CONN_ATTR_FLAGS,		/* u32: L4LB_CONN_F_* */
	L4LB_CONN_ATTR_EXPIRES,		/* u32: seconds until it expires idle */
	/* flow events (L4LB_CMD_CONN_EVENT) only: */
	L4LB_CONN_ATTR_EVENT,		/* u8: enum l4lb_conn_event */
	L4LB_CONN_ATTR_END_REASON,	/* u8: enum l4lb_conn_end (END events) */
	/* u64: events dropped (rate limit, no memory) since the last sent */
	L4LB_CONN_ATTR_SUPPRESSED,

	__L4LB_CONN_ATTR_MAX
};

#define L4LB_CONN_ATTR_MAX (__L4LB_CONN_ATTR_MAX - 1)

/* L4LB_CONN_ATTR_EVENT */
enum l4lb_conn_event {
	L4LB_CONN_EVENT_NEW = 1,	/* a flow was created */
	L4LB_CONN_EVENT_END,		/* a flow is over */
};

/* L4LB_CONN_ATTR_END_REASON: why a flow ended */
enum l4lb_conn_end {
	L4LB_CONN_END_EXPIRED = 1,	/* idle past its timeout */
	L4LB_CONN_END_FLUSHED,		/* L4LB_CMD_CONN_DEL (conn flush) */
	L4LB_CONN_END_EVICTED,		/* made room in a full table */
	L4LB_CONN_END_VIP_DELETED,	/* its VIP was deleted */
	L4LB_CONN_END_BACKEND_DOWN,	/* its backend down, VIP with
					 * L4LB_VIP_F_EXPIRE_DOWN
					 */
	L4LB_CONN_END_ONE_PACKET,	/* one packet scheduling: done */
	L4LB_CONN_END_REOPENED,		/* a new SYN on its finished tuple */

	__L4LB_CONN_END_MAX
};

#define L4LB_CONN_END_MAX (__L4LB_CONN_END_MAX - 1)

#endif /* _UAPI_LINUX_L4LB_H */
