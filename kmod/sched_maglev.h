/* SPDX-License-Identifier: GPL-2.0 */
/* The Maglev lookup table of a dest group (see sched_maglev.c). */
#ifndef _L4LB_SCHED_MAGLEV_H
#define _L4LB_SCHED_MAGLEV_H

#include <linux/types.h>

/* What a group's g->priv points to. */
struct l4lb_maglev {
	u32 size;		/* M, a prime */
	bool wide;		/* u32 entries: more than 65536 backends */
	union {			/* indices into g->backends[], after this */
		u16 *e16;
		u32 *e32;
	};
};

/* The backend index of entry @i (< m->size). */
static inline u32 l4lb_maglev_entry(const struct l4lb_maglev *m, u32 i)
{
	return m->wide ? m->e32[i] : m->e16[i];
}

#endif /* _L4LB_SCHED_MAGLEV_H */
