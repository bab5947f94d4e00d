/* SPDX-License-Identifier: GPL-2.0 */
/* Per-cpu counters: of a VIP or a backend, and of a network namespace. */
#ifndef _L4LB_STATS_H
#define _L4LB_STATS_H

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

/*
 * Events of a VIP or a backend counted one at a time, off the per-packet
 * path (each flow has a few at most): the outcome of TCP flows, RSTs, SYN
 * retransmissions, drops by reason, handshake latency. The drops follow
 * enum l4lb_stats_attr, from L4LB_STATS_ATTR_DROPS_NO_BACKEND on.
 */
enum l4lb_stats_event {
	L4LB_EV_ESTABLISHED,	/* a TCP flow reached ESTABLISHED */
	L4LB_EV_FAILED,		/* a TCP flow ended before it did */
	L4LB_EV_RST_CLIENT,	/* a RST segment of a flow, from the client */
	L4LB_EV_RST_BACKEND,	/* ... from the backend */
	L4LB_EV_SYN_RETRANS,	/* a client SYN again on an unreplied flow */
	L4LB_EV_DROP_NO_BACKEND,
	L4LB_EV_DROP_LIMIT,
	L4LB_EV_DROP_RATE,
	L4LB_EV_DROP_TABLE_FULL,
	L4LB_EV_DROP_NOMEM,
	L4LB_EV_DROP_NAT_PORTS,
	L4LB_EV_DROP_XMIT,
	L4LB_EV_HANDSHAKE_US,	/* the sum of the handshakes' latencies */
	L4LB_EV_HANDSHAKES,	/* how many handshakes that sum has */

	L4LB_EV_COUNT
};

#define L4LB_EV_DROP_FIRST	L4LB_EV_DROP_NO_BACKEND
#define L4LB_EV_DROP_LAST	L4LB_EV_DROP_XMIT

struct l4lb_pcpu_stats {
	u64_stats_t conns;
	u64_stats_t pkts_in;
	u64_stats_t pkts_out;
	u64_stats_t bytes_in;
	u64_stats_t bytes_out;
	u64_stats_t ev[L4LB_EV_COUNT];
	struct u64_stats_sync syncp;
};

/*
 * Flows in the table now, as IPVS counts them: active are established TCP
 * connections and UDP flows, inactive are TCP in handshake or closing.
 */
struct l4lb_conn_counts {
	atomic_t active;
	atomic_t inactive;
};

/* A consistent sum over all CPUs, for dumps. */
struct l4lb_stats_sum {
	u64 conns;
	u64 active_conns;
	u64 inactive_conns;
	u64 pkts_in;
	u64 pkts_out;
	u64 bytes_in;
	u64 bytes_out;
	u64 drops;		/* the sum of the drops by reason */
	u64 ev[L4LB_EV_COUNT];
};

struct l4lb_pcpu_stats __percpu *l4lb_stats_alloc(void);
/*
 * The sum over all CPUs, less @base (NULL: nothing): the sums at the last
 * zeroing. Zeroing writes no CPU's counters, which only their CPU may do
 * without a lock, and no count is lost; each per-cpu counter only grows, so
 * a later sum is never below the base. The gauges (active, inactive) are
 * not summed here.
 */
void l4lb_stats_sum(struct l4lb_pcpu_stats __percpu *stats,
		    const struct l4lb_stats_sum *base,
		    struct l4lb_stats_sum *sum);

static inline void l4lb_stats_packet(struct l4lb_pcpu_stats __percpu *stats,
				     bool reply, unsigned int len)
{
	struct l4lb_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	if (reply) {
		u64_stats_inc(&s->pkts_out);
		u64_stats_add(&s->bytes_out, len);
	} else {
		u64_stats_inc(&s->pkts_in);
		u64_stats_add(&s->bytes_in, len);
	}
	u64_stats_update_end(&s->syncp);
}

static inline void l4lb_stats_conn(struct l4lb_pcpu_stats __percpu *stats)
{
	struct l4lb_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->conns);
	u64_stats_update_end(&s->syncp);
}

/*
 * Add @n to event @ev, from any context (the GC and netlink end flows too):
 * events are rare enough to afford turning BHs off around them.
 */
static inline void l4lb_stats_event(struct l4lb_pcpu_stats __percpu *stats,
				    enum l4lb_stats_event ev, u64 n)
{
	struct l4lb_pcpu_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->ev[ev], n);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

/* A microsecond clock for handshake latencies; wraps after 71 minutes. */
static inline u32 l4lb_now_us(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* A handshake of @us microseconds: the dump reports their mean. */
static inline void l4lb_stats_handshake(struct l4lb_pcpu_stats __percpu *stats,
					u32 us)
{
	struct l4lb_pcpu_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->ev[L4LB_EV_HANDSHAKE_US], us);
	u64_stats_inc(&s->ev[L4LB_EV_HANDSHAKES]);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

/*
 * Namespace-wide events, indexed like enum l4lb_net_stats_attr (see
 * l4lb_put_net()).
 */
enum l4lb_net_counter {
	L4LB_NET_EARLY_DROPS,
	L4LB_NET_FULL_DROPS,
	L4LB_NET_NOFLOW_DROPS,
	L4LB_NET_INVALID_DROPS,
	L4LB_NET_ICMP_XLATED,
	L4LB_NET_STALE_REAPED,
	L4LB_NET_NAT_PORT_DROPS,
	L4LB_NET_XMIT_DROPS,
	L4LB_NET_TOO_BIG,
	L4LB_NET_TUNNEL_PMTU,
	L4LB_NET_NO_BACKEND_DROPS,
	L4LB_NET_VIP_LIMIT_DROPS,
	L4LB_NET_RATE_LIMIT_DROPS,
	L4LB_NET_REJECTS,
	L4LB_NET_DOWN_EXPIRED,
	L4LB_NET_ADOPTED,
	L4LB_NET_STATELESS,
	L4LB_NET_PERSIST_HITS,
	/* Never counted: the dump sums hits and misses (one write a packet). */
	L4LB_NET_LOOKUPS,
	L4LB_NET_HITS,
	L4LB_NET_MISSES,
	/* counted by conn_event.c */
	L4LB_NET_FLOW_EVENTS_SUPPRESSED,
	L4LB_NET_NOMEM_DROPS,

	L4LB_NET_COUNTERS
};

struct l4lb_net_stats {
	u64_stats_t count[L4LB_NET_COUNTERS];
	struct u64_stats_sync syncp;
};

struct l4lb_net_stats __percpu *l4lb_net_stats_alloc(void);
/* The sum over all CPUs less @base (NULL: nothing), as l4lb_stats_sum(). */
void l4lb_net_stats_sum(struct l4lb_net_stats __percpu *stats,
			const u64 *base, u64 sum[L4LB_NET_COUNTERS]);

/* From any context: the GC work item counts too. */
static inline void l4lb_net_count(struct l4lb_net_stats __percpu *stats,
				  enum l4lb_net_counter what)
{
	struct l4lb_net_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->count[what]);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

/* On the packet path, BHs off: a flow table lookup that did or did not hit. */
static inline void l4lb_net_lookup(struct l4lb_net_stats __percpu *stats,
				   bool hit)
{
	struct l4lb_net_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->count[hit ? L4LB_NET_HITS : L4LB_NET_MISSES]);
	u64_stats_update_end(&s->syncp);
}

#endif /* _L4LB_STATS_H */
