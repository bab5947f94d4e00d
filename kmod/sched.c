// SPDX-License-Identifier: GPL-2.0
/* The scheduler registry: names as given by `l4ctl vip add ... sched NAME`. */
#include <linux/kernel.h>
#include <linux/string.h>

#include "sched.h"

static const struct l4lb_sched_ops *const l4lb_schedulers[] = {
	&l4lb_sched_rr,
	&l4lb_sched_wrr,
	&l4lb_sched_lc,
	&l4lb_sched_wlc,
	&l4lb_sched_sh,
	&l4lb_sched_maglev,
	&l4lb_sched_p2c,
};

/* The names users of simpler balancers know (LB_ALGORITHM). */
static const struct {
	const char *alias;
	const char *name;
} l4lb_sched_aliases[] = {
	{ "round-robin", "rr" },
	{ "least-connections", "lc" },
	{ "ip-hash", "sh" },
};

const struct l4lb_sched_ops *l4lb_sched_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(l4lb_sched_aliases); i++)
		if (!strcmp(l4lb_sched_aliases[i].alias, name)) {
			name = l4lb_sched_aliases[i].name;
			break;
		}
	for (i = 0; i < ARRAY_SIZE(l4lb_schedulers); i++)
		if (!strcmp(l4lb_schedulers[i]->name, name))
			return l4lb_schedulers[i];
	return NULL;
}
