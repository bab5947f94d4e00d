/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VIP's new-flow rate limit: GCRA (the generic cell rate algorithm), a
 * token bucket kept as one timestamp, so that CPUs share it with a cmpxchg
 * and no lock. Only new flows touch it.
 */
#ifndef _L4LB_LIMIT_H
#define _L4LB_LIMIT_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>

struct l4lb_rate {
	u64 interval;		/* ns between flows at the rate; 0: no limit */
	u64 tolerance;		/* ns: how far ahead a burst may run */
	atomic64_t tat;		/* theoretical arrival time of the next flow */
	u32 rate;		/* as configured: flows per second */
	u32 burst;
};

/* Under the VIP's config lock; the packet path may run meanwhile. */
static inline void l4lb_rate_set(struct l4lb_rate *r, u32 rate, u32 burst)
{
	u64 interval = rate ? div_u64(NSEC_PER_SEC, rate) ?: 1 : 0;

	r->rate = rate;
	r->burst = burst;
	WRITE_ONCE(r->tolerance, interval * ((burst ?: rate) - 1));
	WRITE_ONCE(r->interval, interval);
	atomic64_set(&r->tat, 0);
}

/* May one more flow start now? */
static inline bool l4lb_rate_allow(struct l4lb_rate *r)
{
	s64 interval = READ_ONCE(r->interval);
	s64 now, tat, next;

	if (!interval)
		return true;
	now = ktime_get_ns();
	tat = atomic64_read(&r->tat);
	do {
		next = max(tat, now);
		if (next - now > (s64)READ_ONCE(r->tolerance))
			return false;
	} while (!atomic64_try_cmpxchg(&r->tat, &tat, next + interval));
	return true;
}

#endif /* _L4LB_LIMIT_H */
