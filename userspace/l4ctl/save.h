/* SPDX-License-Identifier: GPL-2.0 */
/*
 * l4ctl save: the configuration as l4ctl commands. The writers are pure (the
 * dumped objects in, text out) and unit tested.
 */
#ifndef L4CTL_SAVE_H
#define L4CTL_SAVE_H

#include <stdio.h>

#include "msg.h"
#include "timeouts.h"

/* "vip add VIP proto P sched S mode M ..." with every non-default option. */
void save_vip(FILE *f, const struct vip *v);
/* "backend add VIP BACKEND proto P weight W [state S] [maxconn N] [backup]" */
void save_backend(FILE *f, const struct vip *v, const struct backend *b);
/*
 * "timeouts set NAME SECS..." for the timeouts in force (@cur) that differ
 * from the module's defaults (@defaults: those not given count as differing);
 * nothing when none does.
 */
void save_timeouts(FILE *f, const struct timeouts *cur,
		   const struct timeouts *defaults);
/* The whole file: a header comment, the timeouts, each VIP and its backends. */
void save_write(FILE *f, const struct timeouts *cur,
		const struct timeouts *defaults, const struct vip *vips,
		size_t n);

/* The module parameters' timeouts, the namespace defaults, from sysfs. */
void module_timeouts(struct timeouts *t);

#define L4LB_SYSFS	"/sys/module/l4lb"

#endif
