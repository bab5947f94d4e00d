// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: passive health. After each stats read, the kernel's counters
 * of a backend tell how many flows it got since the last read and how many
 * of those the backend itself failed: reset by it (RSTS_BACKEND, seen in
 * the NAT modes) or left unanswered until the client sent its SYN again
 * (SYN_RETRANS). Not FAILED: that also counts clients that never finish
 * their handshake, so a spoofed SYN flood would take healthy backends down.
 * When enough flows came (PASSIVE_MIN_FLOWS) and too big a share failed
 * (PASSIVE_FAIL_PERCENT), an UP backend goes DOWN at once, without waiting
 * for its next active check, and needs `rise` active successes to come back.
 */
#include <stdio.h>

#include "agent.h"
#include "check.h"

static bool has(const struct stats *s, unsigned int attr)
{
	return s->present & (1u << attr);
}

/* The counter's growth since the last read; 0 if either read lacks it. */
static uint64_t delta(const struct abackend *b, unsigned int attr)
{
	if (!has(&b->kstats, attr) || !has(&b->kstats_prev, attr))
		return 0;
	/* a backend re-added in the kernel starts again from 0 */
	if (b->kstats.val[attr] < b->kstats_prev.val[attr])
		return 0;
	return b->kstats.val[attr] - b->kstats_prev.val[attr];
}

void passive_eval(struct avip *v)
{
	const struct passive_cfg *p = &v->cfg->passive;
	struct abackend *b;

	if (!p->enabled)
		return;
	for (b = v->backends; b; b = b->next) {
		uint64_t flows, failed;
		const char *what;
		char why[AGENT_ERR_MAX];

		if (b->hs.state != HEALTH_UP || !b->in_kernel)
			continue;
		if (!has(&b->kstats, L4LB_STATS_ATTR_CONNS))
			continue;
		flows = delta(b, L4LB_STATS_ATTR_CONNS);
		if (!has(&b->kstats, L4LB_STATS_ATTR_RSTS_BACKEND))
			continue;	/* a kernel without the counters */
		failed = delta(b, L4LB_STATS_ATTR_RSTS_BACKEND) +
			 delta(b, L4LB_STATS_ATTR_SYN_RETRANS);
		/* several retransmissions of one flow count once */
		if (failed > flows)
			failed = flows;
		what = "reset or left unanswered by it";
		if (flows < (p->min_flows ? p->min_flows : 1) ||
		    failed * 100 < (uint64_t)p->fail_pct * flows)
			continue;

		snprintf(why, sizeof(why),
			 "passive: %llu of %llu new flows %s (%llu%%, limit %u%%)",
			 (unsigned long long)failed, (unsigned long long)flows,
			 what, (unsigned long long)(failed * 100 / flows),
			 p->fail_pct);
		snprintf(b->hs.last_error, sizeof(b->hs.last_error), "%s", why);
		b->hs.passive_down = true;
		b->hs.ok_run = 0;
		b->hs.last_fail_usec = now_usec(CLOCK_MONOTONIC);
		v->agent->m.passive_downs++;
		/* health_set_state() clears passive_down only on the way up */
		health_set_state(b, HEALTH_DOWN, LOG_LVL_WARN, why);
	}
}
