// SPDX-License-Identifier: GPL-2.0
/*
 * Flow events: L4LB_CMD_CONN_EVENT to the "flows" group when a flow is
 * created or ends, from wherever that happens (the packet path, the GC, a
 * flush), so never sleeping and never taking the configuration mutex.
 *
 * The rate limit is per namespace: a GCRA (generic cell rate algorithm),
 * the token bucket written as one timestamp, moved forward with a cmpxchg
 * for each event sent. struct ratelimit_state would take a spinlock with
 * interrupts off on every flow and, when contended, drop the event without
 * counting it; a per-cpu bucket would split the rate between CPUs and give
 * one busy CPU a fraction of it. The cmpxchg is only reached while someone
 * listens, where the message allocated and multicast costs far more, and a
 * flood over the rate only reads the timestamp: its events are counted as
 * suppressed in a per-cpu counter (the namespace's FLOW_EVENTS_SUPPRESSED),
 * so suppressing writes nothing shared. The next event sent carries how
 * many were suppressed since the last one.
 */
#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/l4lb.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "conn.h"
#include "conn_event.h"
#include "net.h"
#include "netlink.h"
#include "params.h"
#include "stats.h"

/* What an event takes: the conn dump's attributes and the event's own. */
static size_t l4lb_conn_event_size(void)
{
	size_t addr = nla_total_size(sizeof(struct in6_addr));
	size_t tuple = nla_total_size(0) + 2 * addr + 2 * nla_total_size(2);

	return nla_total_size(0) +		/* L4LB_ATTR_CONN */
	       nla_total_size(2) +		/* FAMILY */
	       nla_total_size(1) +		/* PROTO */
	       2 * tuple +			/* ORIG, REPLY */
	       addr + nla_total_size(2) +	/* BACKEND_ADDR, _PORT */
	       3 * nla_total_size(1) +		/* MODE, STATE, EVENT */
	       2 * nla_total_size(4) +		/* FLAGS, EXPIRES */
	       nla_total_size(1) +		/* END_REASON */
	       nla_total_size_64bit(8);		/* SUPPRESSED */
}

/*
 * One more event of @ln now? At most flow_events_rate a second, in bursts
 * of up to as many: tat is when the bucket is full again if nothing more
 * is sent; an event may go when that is at most a second ahead of now
 * minus its own share.
 */
static bool l4lb_conn_event_allow(struct l4lb_flow_events *fe)
{
	u64 interval = l4lb_params.flow_event_ns;
	u64 depth = (u64)l4lb_params.flow_events_rate * interval;
	u64 now = ktime_get_mono_fast_ns();
	s64 tat = atomic64_read(&fe->tat);
	u64 next;

	do {
		next = max_t(u64, tat, now) + interval;
		if (next - now > depth)
			return false;
	} while (!atomic64_try_cmpxchg(&fe->tat, &tat, next));
	return true;
}

static void l4lb_conn_event_suppress(struct l4lb_net *ln)
{
	l4lb_net_count(ln->stats, L4LB_NET_FLOW_EVENTS_SUPPRESSED);
}

/* All CPUs' count of suppressed events. */
static u64 l4lb_conn_event_suppressed(struct l4lb_net *ln)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct l4lb_net_stats *s = per_cpu_ptr(ln->stats, cpu);
		const u64_stats_t *n = &s->count[L4LB_NET_FLOW_EVENTS_SUPPRESSED];
		unsigned int start;
		u64 v;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			v = u64_stats_read(n);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum += v;
	}
	return sum;
}

/*
 * Events suppressed that no event has told yet, now told by the caller's.
 * told only moves forward: two CPUs sending at once tell each suppressed
 * event once between them, whichever sums first.
 */
static u64 l4lb_conn_event_untold(struct l4lb_net *ln)
{
	struct l4lb_flow_events *fe = &ln->flow_events;
	u64 total = l4lb_conn_event_suppressed(ln);
	s64 told = atomic64_read(&fe->told);

	do {
		if ((u64)told >= total)
			return 0;
	} while (!atomic64_try_cmpxchg(&fe->told, &told, total));
	return total - told;
}

void __l4lb_conn_event(struct l4lb_net *ln, const struct l4lb_conn *c,
		       u8 event, u8 why, u32 state)
{
	struct l4lb_tuple orig;
	struct sk_buff *msg;
	struct nlattr *nest;
	u64 untold;
	s32 left;
	void *hdr;

	if (!l4lb_conn_event_allow(&ln->flow_events))
		goto suppress;
	msg = genlmsg_new(l4lb_conn_event_size(), GFP_ATOMIC | __GFP_NOWARN);
	if (!msg)
		goto suppress;
	hdr = genlmsg_put(msg, 0, 0, &l4lb_genl_family, 0,
			  L4LB_CMD_CONN_EVENT);
	if (!hdr)
		goto free;
	l4lb_conn_tuple(c, L4LB_DIR_ORIG, &orig);
	left = event == L4LB_CONN_EVENT_END ? 0 :
	       (s32)(READ_ONCE(c->expires) - (u32)jiffies);
	nest = l4lb_conn_put(msg, c, &orig, left, state);
	if (!nest ||
	    nla_put_u8(msg, L4LB_CONN_ATTR_EVENT, event) ||
	    (why && nla_put_u8(msg, L4LB_CONN_ATTR_END_REASON, why)))
		goto free;
	/* Last: what it reports is then sure to be sent. */
	untold = l4lb_conn_event_untold(ln);
	if (nla_put_u64_64bit(msg, L4LB_CONN_ATTR_SUPPRESSED, untold,
			      L4LB_CONN_ATTR_PAD)) {
		/* Cannot happen (sized above); leave them for the next. */
		WARN_ON_ONCE(1);
		atomic64_sub(untold, &ln->flow_events.told);
		goto free;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	l4lb_flow_event_send(ln->net, msg);
	return;

free:
	nlmsg_free(msg);
suppress:
	l4lb_conn_event_suppress(ln);
}
