/* SPDX-License-Identifier: GPL-2.0 */
/* Per-cpu counters: of a VIP or a backend, and of a network namespace. */
#ifndef _L4LB_STATS_H
#define _L4LB_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

struct l4lb_pcpu_stats {
	u64_stats_t conns;
	u64_stats_t pkts_in;
	u64_stats_t pkts_out;
	u64_stats_t bytes_in;
	u64_stats_t bytes_out;
	u64_stats_t drops;
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
	u64 drops;
};

struct l4lb_pcpu_stats __percpu *l4lb_stats_alloc(void);
void l4lb_stats_sum(struct l4lb_pcpu_stats __percpu *stats,
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

static inline void l4lb_stats_drop(struct l4lb_pcpu_stats __percpu *stats)
{
	struct l4lb_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drops);
	u64_stats_update_end(&s->syncp);
}

/* Namespace-wide events, indexed like enum l4lb_net_stats_attr. */
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

	L4LB_NET_COUNTERS
};

struct l4lb_net_stats {
	u64_stats_t count[L4LB_NET_COUNTERS];
	struct u64_stats_sync syncp;
};

struct l4lb_net_stats __percpu *l4lb_net_stats_alloc(void);
void l4lb_net_stats_sum(struct l4lb_net_stats __percpu *stats,
			u64 sum[L4LB_NET_COUNTERS]);

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

#endif /* _L4LB_STATS_H */
