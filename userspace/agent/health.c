// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: active health checking. One timer per backend on the agent's
 * sd-event loop starts a check (check_*.c) every interval ± jitter; each
 * check ends in health_result(), which runs the state machine:
 *
 *   UNKNOWN: the first result decides (no waiting for rise/fall: a new
 *            backend should not stay out for rise intervals, a dead one
 *            should not get traffic).
 *   UP:      `fall` consecutive failures take it DOWN.
 *   DOWN:    `rise` consecutive successes bring it UP, unless flap damping
 *            holds it: a backend that changed state flap_changes times
 *            within flap_window stays DOWN until flap_hold after its last
 *            failure (successes meanwhile still count towards rise).
 *
 * passive.c can also take an UP backend DOWN (passive_down); it comes back
 * like any DOWN one, after `rise` active successes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

const double check_lat_bounds_ms[CHECK_LAT_BUCKETS] = {
	1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000,
};

/*
 * How late a check may start: sd-event wakes once for all timers due
 * within this window. Batching the wake-ups of 1 000 backends costs a
 * third less CPU than 1 ms (tests/unit/agent_check_bench), and 20 ms
 * is nothing next to an interval of seconds.
 */
#define CHECK_TIMER_ACCURACY_USEC	20000

/* The wait before a check: cheap, good enough to spread timers. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	if (!rnd_state) {
		if (getrandom(&rnd_state, sizeof(rnd_state), GRND_NONBLOCK) !=
		    sizeof(rnd_state))
			rnd_state = now_usec(CLOCK_MONOTONIC) ^ (uint64_t)getpid();
		rnd_state |= 1;
	}
	/* xorshift64 */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* 0..max inclusive */
static uint64_t rnd_upto(uint64_t max)
{
	return max ? rnd() % (max + 1) : 0;
}

static const char *health_name(enum health h)
{
	switch (h) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

static void log_backend(enum log_level lvl, const struct abackend *b,
			const char *what)
{
	char ep[ADDR_STRLEN];

	if (lvl > log_level)
		return;
	endpoint_format(&b->ep, ep, sizeof(ep));
	alog(lvl, "backend %s (vip %s) %s", ep, b->vip->cfg->name, what);
}

/* Changes between UP and DOWN within the flap window up to @now. */
static unsigned int flap_count(const struct health_state *hs,
			       const struct check_cfg *c, uint64_t now)
{
	uint64_t win = (uint64_t)c->flap_window_ms * 1000;
	unsigned int i, n = 0, max = sizeof(hs->changes_usec) /
				      sizeof(hs->changes_usec[0]);

	for (i = 0; i < hs->n_changes && i < max; i++)
		if (now - hs->changes_usec[i] < win)
			n++;
	return n;
}

static void flap_record(struct health_state *hs, uint64_t now)
{
	unsigned int max = sizeof(hs->changes_usec) /
			   sizeof(hs->changes_usec[0]);

	/* newest first; the oldest falls off */
	memmove(&hs->changes_usec[1], &hs->changes_usec[0],
		(max - 1) * sizeof(hs->changes_usec[0]));
	hs->changes_usec[0] = now;
	if (hs->n_changes < max)
		hs->n_changes++;
}

/* flap_changes larger than the history we keep: the history's size. */
static unsigned int flap_limit(const struct check_cfg *c,
			       const struct health_state *hs)
{
	unsigned int max = sizeof(hs->changes_usec) /
			   sizeof(hs->changes_usec[0]);

	return c->flap_changes > max ? max : c->flap_changes;
}

void health_set_state(struct abackend *b, enum health state,
		      enum log_level lvl, const char *why)
{
	struct health_state *hs = &b->hs;
	enum health old = hs->state;
	char line[AGENT_ERR_MAX + 96];

	if (old == state)
		return;
	hs->state = state;
	/*
	 * The first verdict is no flap, nor is a passive down and its
	 * recovery: the traffic's verdict must not hold a backend down for
	 * FLAP_HOLD on top.
	 */
	if (old != HEALTH_UNKNOWN && state != HEALTH_UNKNOWN && !hs->passive_down)
		flap_record(hs, now_usec(CLOCK_MONOTONIC));
	if (state != HEALTH_DOWN)
		hs->passive_down = false;
	b->vip->agent->m.state_changes++;
	snprintf(line, sizeof(line), "%s%s%s", health_name(state),
		 why && *why ? ": " : "", why ? why : "");
	log_backend(lvl, b, line);
	backend_health_changed(b, old);
}

static void lat_account(struct agent_metrics *m, uint32_t latency_us)
{
	double ms = latency_us / 1000.0;
	unsigned int i;

	for (i = 0; i < CHECK_LAT_BUCKETS; i++)
		if (ms <= check_lat_bounds_ms[i])
			break;
	m->check_lat_bucket[i]++;
	m->check_lat_sum_s += latency_us / 1e6;
}

void health_result(struct abackend *b, bool ok, uint32_t latency_us,
		   const char *why)
{
	const struct check_cfg *c = check_cfg_of(b);
	struct health_state *hs = &b->hs;
	struct agent_metrics *m = &b->vip->agent->m;
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	unsigned int rise = c->rise ? c->rise : 1, fall = c->fall ? c->fall : 1;
	unsigned int limit = flap_limit(c, hs);
	char msg[AGENT_ERR_MAX + 48];

	hs->last_check_usec = now_usec(CLOCK_REALTIME);
	hs->last_latency_us = latency_us;
	lat_account(m, latency_us);
	if (ok) {
		hs->last_error[0] = '\0';
		hs->checks_ok++;
		m->checks_ok++;
		hs->ok_run++;
		hs->fail_run = 0;
	} else {
		snprintf(hs->last_error, sizeof(hs->last_error), "%s",
			 why && *why ? why : "failed");
		hs->checks_failed++;
		m->checks_failed++;
		hs->fail_run++;
		hs->ok_run = 0;
		hs->last_fail_usec = now;
		/* still flapping: every failure pushes the hold further */
		if (limit && flap_count(hs, c, now) >= limit)
			hs->held_until_usec = now + (uint64_t)c->flap_hold_ms * 1000;
	}

	switch (hs->state) {
	case HEALTH_UNKNOWN:
		if (ok) {
			health_set_state(b, HEALTH_UP, LOG_LVL_INFO,
					 "first check passed");
		} else {
			snprintf(msg, sizeof(msg), "%s, first check",
				 hs->last_error);
			health_set_state(b, HEALTH_DOWN, LOG_LVL_INFO, msg);
		}
		break;
	case HEALTH_UP:
		if (ok || hs->fail_run < fall)
			break;
		snprintf(msg, sizeof(msg), "%s, %u failure%s", hs->last_error,
			 hs->fail_run, hs->fail_run == 1 ? "" : "s");
		health_set_state(b, HEALTH_DOWN, LOG_LVL_INFO, msg);
		/* this change may be the one that makes it a flapper */
		if (limit && flap_count(hs, c, now) >= limit)
			hs->held_until_usec = now + (uint64_t)c->flap_hold_ms * 1000;
		break;
	case HEALTH_DOWN:
		if (!ok || hs->ok_run < rise)
			break;
		/* going up would be one more change: is that a flap? */
		if (limit && flap_count(hs, c, now) + 1 >= limit) {
			uint64_t until = hs->last_fail_usec +
					 (uint64_t)c->flap_hold_ms * 1000;

			if (until > hs->held_until_usec) {
				hs->held_until_usec = until;
				snprintf(msg, sizeof(msg),
					 "flapping (%u changes in %us): held down for %.1fs",
					 flap_count(hs, c, now),
					 c->flap_window_ms / 1000,
					 (until - now) / 1e6);
				if (until > now)
					log_backend(LOG_LVL_INFO, b, msg);
			}
		}
		if (now < hs->held_until_usec)
			break;
		snprintf(msg, sizeof(msg), "%u success%s", hs->ok_run,
			 hs->ok_run == 1 ? "" : "es");
		health_set_state(b, HEALTH_UP, LOG_LVL_INFO, msg);
		break;
	}
}

/* The next wait: interval ± jitter, at least a millisecond. */
static uint64_t next_wait_usec(const struct check_cfg *c)
{
	int64_t ms = c->interval_ms ? c->interval_ms : 1000;
	uint64_t j = c->jitter_ms;

	if (j)
		ms += (int64_t)rnd_upto(2 * j) - (int64_t)j;
	if (ms < 1)
		ms = 1;
	return (uint64_t)ms * 1000;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct abackend *b = arg;
	const struct check_cfg *c = check_cfg_of(b);
	const struct check_ops *ops = check_ops_get(c->type);
	int r;

	(void)usec;
	/* the next one first: its cadence does not depend on this one */
	if (sd_event_source_set_time_relative(s, next_wait_usec(c)) < 0 ||
	    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
		log_backend(LOG_LVL_ERROR, b, "check timer: cannot re-arm");
	if (!ops || !ops->start)
		return 0;
	if (b->check) {
		/* a timeout longer than the interval: let the old one end */
		log_backend(LOG_LVL_DEBUG, b, "check still running, skipped");
		return 0;
	}
	r = ops->start(b);
	if (r < 0) {
		char why[96];

		/* a check that cannot even start is a failed one */
		snprintf(why, sizeof(why), "%s check: %s", ops->name,
			 strerror(-r));
		health_result(b, false, 0, why);
	}
	return 0;
}

void health_start(struct abackend *b)
{
	const struct check_cfg *c = check_cfg_of(b);
	uint64_t first;
	int r;

	health_stop(b);
	if (c->type == CHECK_NONE) {
		/* no checks: healthy as soon as discovered */
		health_set_state(b, HEALTH_UP, LOG_LVL_INFO, "no health check");
		return;
	}
	/* spread the first checks: 1 000 backends must not fire at once */
	first = c->interval_ms < 1000 ? c->interval_ms : 1000;
	first = rnd_upto(first * 1000);
	r = sd_event_add_time_relative(check_event_of(b), &b->timer,
				       CLOCK_MONOTONIC, first,
				       CHECK_TIMER_ACCURACY_USEC, on_timer,
				       b);
	if (r < 0) {
		char why[96];

		snprintf(why, sizeof(why), "cannot start checks: %s",
			 strerror(-r));
		log_backend(LOG_LVL_ERROR, b, why);
		return;
	}
	sd_event_source_set_description(b->timer, "health-check");
}

void health_stop(struct abackend *b)
{
	if (b->check) {
		const struct check_ops *ops = check_ops_get(check_cfg_of(b)->type);

		if (ops && ops->cancel)
			ops->cancel(b);
		else
			check_run_free(b->check);
		b->check = NULL;
	}
	b->timer = sd_event_source_disable_unref(b->timer);
}
