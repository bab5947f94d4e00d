/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host tests of the module's schedulers (kmod/sched*.c built over the
 * kernel shim in tests/unit/kshim): a VIP with N backends, its dest set
 * built as kmod/service.c builds it (primaries, then backups; backends
 * up with a weight only; ->build() per non-empty group), picks, and
 * histograms of where flows went.
 *
 *	struct fx *f = fx_new("wrr", 3, (u32[]){ 5, 1, 1 });
 *	fx_build(f);			// 0 or the ->build() error
 *	int i = fx_pick(f, k);		// backend index, -1: none; k: tuple
 *	fx_hist(f, 7000, FX_SRC_SEQ, hist); // counts per backend (+ none)
 *	f->be[1].weight = 2; fx_build(f);  // rebuild: the old set is freed
 *	fx_free(f);
 *
 * Flow accounting is the caller's: fx_hist(..., FX_COUNT, ...) adds each
 * picked flow to its backend's active count (as the module does when a
 * flow is created), fx_end() removes one.
 */
#ifndef _L4LB_SCHED_FIXTURE_H
#define _L4LB_SCHED_FIXTURE_H

#include <linux/l4lb.h>

#include "sched.h"

struct fx {
	struct l4lb_vip vip;
	struct l4lb_backend *be;	/* [n] */
	unsigned int n;
	const struct l4lb_sched_ops *ops;
	u32 flags;			/* the VIP's L4LB_VIP_F_*, for builds */
	u32 maglev_size;
};

/* The registry (sched_registry.c: kmod/sched.c and a walk over it). */
unsigned int fx_sched_count(void);
const struct l4lb_sched_ops *fx_sched_nth(unsigned int i);

/* @weights: NULL for all 1. Backends are up, primaries, no maxconn. */
struct fx *fx_new(const char *sched, unsigned int n, const u32 *weights);
void fx_free(struct fx *f);
/* (Re)build and publish the dest set from the backends' configuration. */
int fx_build(struct fx *f);
static inline struct l4lb_dest_set *fx_set(struct fx *f)
{
	return f->vip.dests;
}

/* Tuple number @k: a client address and port derived from @k. */
#define FX_SRC_SEQ	0x0	/* client k: 10.0.0.0 + k, port 1024 + k % 60000 */
#define FX_SRC_RANDOM	0x1	/* random address and port per flow */
#define FX_V6		0x2	/* IPv6 clients */
#define FX_COUNT	0x4	/* picked flows count as active on their backend */
void fx_tuple(struct l4lb_tuple *t, unsigned long k, unsigned int how);

/* The backend index picked for tuple @t, -1 for none. */
int fx_pick_tuple(struct fx *f, const struct l4lb_tuple *t);
int fx_pick(struct fx *f, unsigned long k, unsigned int how);
static inline int fx_index(struct fx *f, const struct l4lb_backend *be)
{
	return be ? (int)(be - f->be) : -1;
}

/*
 * @m picks of tuples 0..m-1 (as @how says); hist[i] counts backend i,
 * hist[n] the picks that found none. Returns hist[n].
 */
unsigned long fx_hist(struct fx *f, unsigned long m, unsigned int how,
		      unsigned long *hist);

/* Load of backend @i: as l4lb_backend_load() counts it. */
void fx_set_conns(struct fx *f, unsigned int i, int active, int inactive);
/* End one active flow of backend @i. */
void fx_end(struct fx *f, unsigned int i);

/* Statistics over hist[0..n-1] against weights. */
/* Largest |observed/expected - 1| over backends with weight > 0. */
double fx_max_rel_err(const struct fx *f, const unsigned long *hist);
/* Pearson's chi-square statistic against the weights (df = backends - 1). */
double fx_chi2(const struct fx *f, const unsigned long *hist);
/*
 * The chi-square value that a fair sample exceeds with probability about
 * 1e-6, for @df degrees of freedom (Wilson-Hilferty), so that a test over
 * a fixed seed fails only when the scheduler is wrong.
 */
double fx_chi2_limit(unsigned int df);

/* TAP-like output, as the other unit tests print. */
extern int fx_checks, fx_failures;
__attribute__((format(printf, 2, 3)))
bool fx_ok(bool cond, const char *fmt, ...);
/* "# ..." diagnostics. */
__attribute__((format(printf, 1, 2)))
void fx_diag(const char *fmt, ...);
/* Checks for kernel warnings and leaks, summary; main()'s exit status. */
int fx_done(void);

#endif
