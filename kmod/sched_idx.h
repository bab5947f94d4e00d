/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of positions in a dest group, as the table-driven schedulers (wrr,
 * sh) build it: u16 entries while positions fit, so that more of the table
 * stays in cache, u32 beyond. Built in process context, read-only once the
 * set is published.
 */
#ifndef _L4LB_SCHED_IDX_H
#define _L4LB_SCHED_IDX_H

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/types.h>

struct l4lb_idx_table {
	u32 len;
	bool wide;			/* u32 entries */
	union {
		DECLARE_FLEX_ARRAY(u16, e16);
		DECLARE_FLEX_ARRAY(u32, e32);
	};
};

/* @len entries naming positions below @count; kvfree() it. */
static inline struct l4lb_idx_table *l4lb_idx_alloc(u32 len,
						    unsigned int count,
						    gfp_t gfp)
{
	bool wide = count > U16_MAX + 1;
	struct l4lb_idx_table *t;

	t = kvmalloc(size_add(sizeof(*t),
			      size_mul(len, wide ? sizeof(u32) : sizeof(u16))),
		     gfp);
	if (t) {
		t->len = len;
		t->wide = wide;
	}
	return t;
}

static inline u32 l4lb_idx_get(const struct l4lb_idx_table *t, u32 i)
{
	return t->wide ? t->e32[i] : t->e16[i];
}

static inline void l4lb_idx_set(struct l4lb_idx_table *t, u32 i, u32 pos)
{
	if (t->wide)
		t->e32[i] = pos;
	else
		t->e16[i] = pos;
}

#endif /* _L4LB_SCHED_IDX_H */
