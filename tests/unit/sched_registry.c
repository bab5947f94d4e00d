// SPDX-License-Identifier: GPL-2.0
/*
 * The module's scheduler registry (kmod/sched.c) for the host tests and
 * the bench, with a way to walk it that the module itself does not need.
 */
#include "../../kmod/sched.c"

#include "sched_fixture.h"

unsigned int fx_sched_count(void)
{
	return ARRAY_SIZE(l4lb_schedulers);
}

const struct l4lb_sched_ops *fx_sched_nth(unsigned int i)
{
	return i < ARRAY_SIZE(l4lb_schedulers) ? l4lb_schedulers[i] : NULL;
}
