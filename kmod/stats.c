// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>

#include "stats.h"

struct l4lb_pcpu_stats __percpu *l4lb_stats_alloc(void)
{
	struct l4lb_pcpu_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu_gfp(struct l4lb_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void l4lb_stats_sum(struct l4lb_pcpu_stats __percpu *stats,
		    const struct l4lb_stats_sum *base,
		    struct l4lb_stats_sum *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct l4lb_pcpu_stats *s = per_cpu_ptr(stats, cpu);
		u64 conns, pkts_in, pkts_out, bytes_in, bytes_out;
		u64 ev[L4LB_EV_COUNT];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			conns = u64_stats_read(&s->conns);
			pkts_in = u64_stats_read(&s->pkts_in);
			pkts_out = u64_stats_read(&s->pkts_out);
			bytes_in = u64_stats_read(&s->bytes_in);
			bytes_out = u64_stats_read(&s->bytes_out);
			for (i = 0; i < L4LB_EV_COUNT; i++)
				ev[i] = u64_stats_read(&s->ev[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		sum->conns += conns;
		sum->pkts_in += pkts_in;
		sum->pkts_out += pkts_out;
		sum->bytes_in += bytes_in;
		sum->bytes_out += bytes_out;
		for (i = 0; i < L4LB_EV_COUNT; i++)
			sum->ev[i] += ev[i];
	}
	if (base) {
		sum->conns -= base->conns;
		sum->pkts_in -= base->pkts_in;
		sum->pkts_out -= base->pkts_out;
		sum->bytes_in -= base->bytes_in;
		sum->bytes_out -= base->bytes_out;
		for (i = 0; i < L4LB_EV_COUNT; i++)
			sum->ev[i] -= base->ev[i];
	}
	for (i = L4LB_EV_DROP_FIRST; i <= L4LB_EV_DROP_LAST; i++)
		sum->drops += sum->ev[i];
}

struct l4lb_net_stats __percpu *l4lb_net_stats_alloc(void)
{
	struct l4lb_net_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu_gfp(struct l4lb_net_stats, GFP_KERNEL_ACCOUNT);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void l4lb_net_stats_sum(struct l4lb_net_stats __percpu *stats,
			const u64 *base, u64 sum[L4LB_NET_COUNTERS])
{
	int cpu, i;

	memset(sum, 0, sizeof(u64) * L4LB_NET_COUNTERS);
	for_each_possible_cpu(cpu) {
		const struct l4lb_net_stats *s = per_cpu_ptr(stats, cpu);
		u64 v[L4LB_NET_COUNTERS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < L4LB_NET_COUNTERS; i++)
				v[i] = u64_stats_read(&s->count[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < L4LB_NET_COUNTERS; i++)
			sum[i] += v[i];
	}
	sum[L4LB_NET_LOOKUPS] = sum[L4LB_NET_HITS] + sum[L4LB_NET_MISSES];
	if (base)
		for (i = 0; i < L4LB_NET_COUNTERS; i++)
			sum[i] -= base[i];
}
