/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decisions of a reconcile, as a pure function: what the model wants
 * for one VIP and its backends, what the kernel has, and out come the
 * requests that make the kernel match. No netlink, no model: kernel.c
 * fills these from both sides and sends the result; the unit test
 * (tests/unit/test_agent_reconcile.c) checks the decisions alone.
 */
#ifndef L4LB_AGENT_RECONCILE_H
#define L4LB_AGENT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/l4lb.h>

#include "addr.h"

/* A VIP as wanted, or as the kernel has it. */
struct rc_vip {
	bool present;			/* have: the kernel has it (want: ignored) */
	char sched[L4LB_SCHED_ARG_MAX];	/* "": want: the kernel's default; have: not reported */
	int mode;			/* enum l4lb_fwd_mode; -1: as for sched */
};

/* A backend as wanted, or as the kernel has it. */
struct rc_backend {
	struct endpoint ep;
	int state;		/* L4LB_BACKEND_*; want: -1 = must not be there */
	uint32_t weight;
};

enum rc_op_type {
	RC_VIP_NEW,
	RC_VIP_SET,
	RC_BACKEND_NEW,
	RC_BACKEND_SET,
	RC_BACKEND_DEL,
	RC_BACKEND_ADOPT,	/* no request: the model takes it over */
};

struct rc_op {
	enum rc_op_type type;
	/* VIP ops: NULL / -1: not sent (the kernel's default, or unchanged) */
	const char *sched;
	int mode;
	/* backend ops: -1: not sent (ADOPT: the kernel's, always set) */
	struct endpoint ep;
	int64_t weight, state;
};

/*
 * The VIP: created when the kernel lacks it (with the wanted scheduler and
 * mode), or set when its scheduler or mode differs from a wanted one.
 * Scheduler aliases (round-robin...) compare as the names they stand for.
 * Returns the number of ops written to @op: 0 or 1.
 */
size_t rc_vip_ops(const struct rc_vip *want, const struct rc_vip *have,
		  struct rc_op *op);

/*
 * The backends. Each wanted one (state >= 0) the kernel lacks is added,
 * one whose state or weight differs is set (only what differs is sent),
 * one wanted gone (state -1) that the kernel has is deleted. A kernel
 * backend absent from @want is deleted only when it is in @removed (the
 * model drained it and dropped it after DRAIN_GRACE); any other (someone
 * else added it) is never cut at once: RC_BACKEND_ADOPT, with the
 * kernel's state and weight, hands it to the model, which drains it like
 * any backend no source lists. Adds and sets come before deletions and
 * adoptions, so the VIP keeps some backend throughout a swap. No
 * difference, no op. @ops has room for n_want + n_have; returns the count.
 */
size_t rc_backend_ops(const struct rc_backend *want, size_t n_want,
		      const struct rc_backend *have, size_t n_have,
		      const struct endpoint *removed, size_t n_removed,
		      struct rc_op *ops);

/* "round-robin" -> "rr" and the like; any other name as it is. */
const char *rc_sched_canonical(const char *name);

bool rc_same_endpoint(const struct endpoint *a, const struct endpoint *b);

#endif
