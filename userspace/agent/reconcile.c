// SPDX-License-Identifier: GPL-2.0
/*
 * Reconcile decisions (see reconcile.h). Pure: unit tested on the host.
 */
#include <string.h>
#include <strings.h>

#include "reconcile.h"

const char *rc_sched_canonical(const char *name)
{
	/* the kernel's aliases (uapi/linux/l4lb.h): dumps show the names */
	static const struct { const char *alias, *name; } aliases[] = {
		{ "round-robin", "rr" },
		{ "least-connections", "lc" },
		{ "ip-hash", "sh" },
	};
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].alias))
			return aliases[i].name;
	return name;
}

bool rc_same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

size_t rc_vip_ops(const struct rc_vip *want, const struct rc_vip *have,
		  struct rc_op *op)
{
	const char *ws = want->sched[0] ? rc_sched_canonical(want->sched) : NULL;

	memset(op, 0, sizeof(*op));
	op->mode = -1;
	op->weight = op->state = -1;
	if (!have->present) {
		op->type = RC_VIP_NEW;
		op->sched = ws;
		op->mode = want->mode;
		return 1;
	}
	op->type = RC_VIP_SET;
	/* a value the kernel does not report cannot be compared: left alone */
	if (ws && have->sched[0] && strcmp(ws, have->sched) != 0)
		op->sched = ws;
	if (want->mode >= 0 && have->mode >= 0 && want->mode != have->mode)
		op->mode = want->mode;
	return op->sched || op->mode >= 0 ? 1 : 0;
}

static const struct rc_backend *find(const struct rc_backend *set, size_t n,
				     const struct endpoint *ep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rc_same_endpoint(&set[i].ep, ep))
			return &set[i];
	return NULL;
}

static struct rc_op *new_op(struct rc_op *ops, size_t *n, enum rc_op_type t,
			    const struct endpoint *ep)
{
	struct rc_op *op = &ops[(*n)++];

	memset(op, 0, sizeof(*op));
	op->type = t;
	op->mode = -1;
	op->ep = *ep;
	op->weight = op->state = -1;
	return op;
}

static bool listed(const struct endpoint *set, size_t n,
		   const struct endpoint *ep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rc_same_endpoint(&set[i], ep))
			return true;
	return false;
}

size_t rc_backend_ops(const struct rc_backend *want, size_t n_want,
		      const struct rc_backend *have, size_t n_have,
		      const struct endpoint *removed, size_t n_removed,
		      struct rc_op *ops)
{
	size_t i, n = 0;

	for (i = 0; i < n_want; i++) {
		const struct rc_backend *w = &want[i], *h;
		struct rc_op *op;

		/* the first of two entries for one endpoint decides */
		if (w->state < 0 || find(want, i, &w->ep))
			continue;
		h = find(have, n_have, &w->ep);
		if (!h) {
			op = new_op(ops, &n, RC_BACKEND_NEW, &w->ep);
			op->weight = w->weight;
			op->state = w->state;
			continue;
		}
		if (h->state == w->state && h->weight == w->weight)
			continue;
		op = new_op(ops, &n, RC_BACKEND_SET, &w->ep);
		if (h->state != w->state)
			op->state = w->state;
		if (h->weight != w->weight)
			op->weight = w->weight;
	}
	for (i = 0; i < n_have; i++) {
		const struct rc_backend *h = &have[i];
		const struct rc_backend *w = find(want, n_want, &h->ep);
		struct rc_op *op;

		if (find(have, i, &h->ep))
			continue;	/* a dump never repeats one, but still */
		if (w && w->state >= 0)
			continue;
		if (!w && !listed(removed, n_removed, &h->ep)) {
			/* not ours to cut: the model drains it first */
			op = new_op(ops, &n, RC_BACKEND_ADOPT, &h->ep);
			op->weight = h->weight;
			op->state = h->state;
			continue;
		}
		new_op(ops, &n, RC_BACKEND_DEL, &h->ep);
	}
	return n;
}
