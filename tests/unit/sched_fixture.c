// SPDX-License-Identifier: GPL-2.0
/* See sched_fixture.h. */
#include <math.h>
#include <stdarg.h>

#include "sched_fixture.h"

int fx_checks, fx_failures;

struct fx *fx_new(const char *sched, unsigned int n, const u32 *weights)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	if (!f)
		abort();
	f->ops = l4lb_sched_find(sched);
	if (!f->ops) {
		fprintf(stderr, "no scheduler %s\n", sched);
		abort();
	}
	f->n = n;
	f->be = calloc(n ?: 1, sizeof(*f->be));
	if (!f->be)
		abort();
	f->vip.key.family = AF_INET;
	f->vip.key.proto = IPPROTO_TCP;
	f->vip.key.addr.ip = htonl(0xc0000201);	/* 192.0.2.1 */
	f->vip.key.port = htons(80);
	for (i = 0; i < n; i++) {
		struct l4lb_backend *be = &f->be[i];

		be->vip = &f->vip;
		be->hkey.vip = &f->vip;
		be->hkey.key.addr.ip = htonl(0x0a000000 + i + 1);
		be->hkey.key.port = htons(8080);
		be->weight = weights ? weights[i] : 1;
		be->state = L4LB_BACKEND_UP;
		refcount_set(&be->refcnt, 1);
	}
	return f;
}

static void fx_set_free(struct l4lb_dest_set *set)
{
	int i;

	if (!set)
		return;
	if (set->sched->free)
		for (i = 0; i < L4LB_GROUPS; i++)
			if (set->group[i].count)
				set->sched->free(&set->group[i]);
	kfree(set);
}

void fx_free(struct fx *f)
{
	fx_set_free(f->vip.dests);
	free(f->be);
	free(f);
}

/* As l4lb_dests_build() and l4lb_dests_replace() in kmod/service.c. */
int fx_build(struct fx *f)
{
	unsigned int cnt[L4LB_GROUPS] = { 0 }, cap, i;
	struct l4lb_dest_set *set, *old = f->vip.dests;
	int g, err;

	for (i = 0; i < f->n; i++)
		if (f->be[i].weight && f->be[i].state == L4LB_BACKEND_UP)
			cnt[f->be[i].flags & L4LB_BACKEND_F_BACKUP ?
			    L4LB_GROUP_BACKUP : L4LB_GROUP_PRIMARY]++;
	set = NULL;
	if (cnt[0] || cnt[1]) {
		cap = max(2 * cnt[L4LB_GROUP_PRIMARY], 8U);
		set = kzalloc(struct_size(set, backends, cap + cnt[1]),
			      GFP_KERNEL_ACCOUNT);
		if (!set)
			return -ENOMEM;
		set->sched = f->ops;
		set->flags = f->flags;
		set->maglev_size = f->maglev_size;
		set->cap = cap;
		set->group[L4LB_GROUP_PRIMARY].backends = set->backends;
		set->group[L4LB_GROUP_BACKUP].backends = set->backends + cap;
		for (i = 0; i < f->n; i++) {
			struct l4lb_backend *be = &f->be[i];
			struct l4lb_dest_group *grp;

			if (!be->weight || be->state != L4LB_BACKEND_UP)
				continue;
			g = be->flags & L4LB_BACKEND_F_BACKUP ?
			    L4LB_GROUP_BACKUP : L4LB_GROUP_PRIMARY;
			grp = &set->group[g];
			grp->backends[grp->count++] = be;
		}
		for (g = 0; f->ops->build && g < L4LB_GROUPS; g++) {
			if (!set->group[g].count)
				continue;
			kshim_expect_gfp = GFP_KERNEL_ACCOUNT;
			err = f->ops->build(set, &set->group[g],
					    GFP_KERNEL_ACCOUNT);
			kshim_expect_gfp = 0;
			if (err) {
				while (--g >= 0)
					if (set->group[g].count &&
					    f->ops->free)
						f->ops->free(&set->group[g]);
				kfree(set);
				return err;
			}
		}
		if (old)
			for (g = 0; g < L4LB_GROUPS; g++)
				atomic_set(&set->group[g].pos,
					   atomic_read(&old->group[g].pos));
	}
	f->vip.sched = f->ops;
	f->vip.flags = f->flags;
	rcu_assign_pointer(f->vip.dests, set);
	fx_set_free(old);
	return 0;
}

void fx_tuple(struct l4lb_tuple *t, unsigned long k, unsigned int how)
{
	u32 a = (u32)k, p = 1024 + (u32)(k % 60000);

	memset(t, 0, sizeof(*t));
	if (how & FX_SRC_RANDOM) {
		a = get_random_u32();
		p = 1024 + get_random_u32() % 60000;
	}
	t->proto = IPPROTO_TCP;
	t->sport = htons(p);
	t->dport = htons(80);
	if (how & FX_V6) {
		t->family = AF_INET6;
		t->src.ip6[0] = htonl(0x20010db8);
		t->src.ip6[3] = htonl(a);
		t->dst.ip6[0] = htonl(0x20010db8);
		t->dst.ip6[3] = htonl(1);
	} else {
		t->family = AF_INET;
		t->src.ip = how & FX_SRC_RANDOM ? htonl(a) :
			    htonl(0x0a000000 + (a & 0xffffff));
		t->dst.ip = htonl(0xc0000201);
	}
}

int fx_pick_tuple(struct fx *f, const struct l4lb_tuple *t)
{
	return fx_index(f, l4lb_sched_pick(&f->vip, t));
}

int fx_pick(struct fx *f, unsigned long k, unsigned int how)
{
	struct l4lb_tuple t;

	fx_tuple(&t, k, how);
	return fx_pick_tuple(f, &t);
}

unsigned long fx_hist(struct fx *f, unsigned long m, unsigned int how,
		      unsigned long *hist)
{
	unsigned long k;
	int i;

	memset(hist, 0, (f->n + 1) * sizeof(*hist));
	for (k = 0; k < m; k++) {
		i = fx_pick(f, k, how);
		if (i < 0) {
			hist[f->n]++;
			continue;
		}
		hist[i]++;
		if (how & FX_COUNT)
			atomic_inc(&f->be[i].conns.active);
	}
	return hist[f->n];
}

void fx_set_conns(struct fx *f, unsigned int i, int active, int inactive)
{
	atomic_set(&f->be[i].conns.active, active);
	atomic_set(&f->be[i].conns.inactive, inactive);
}

void fx_end(struct fx *f, unsigned int i)
{
	atomic_dec(&f->be[i].conns.active);
}

static double fx_total_weight(const struct fx *f)
{
	double w = 0;
	unsigned int i;

	for (i = 0; i < f->n; i++)
		w += f->be[i].weight;
	return w;
}

static unsigned long fx_total(const struct fx *f, const unsigned long *hist)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < f->n; i++)
		s += hist[i];
	return s;
}

double fx_max_rel_err(const struct fx *f, const unsigned long *hist)
{
	double tw = fx_total_weight(f), m = 0, e, exp;
	unsigned long tot = fx_total(f, hist);
	unsigned int i;

	for (i = 0; i < f->n; i++) {
		if (!f->be[i].weight)
			continue;
		exp = tot * f->be[i].weight / tw;
		e = fabs(hist[i] / exp - 1);
		if (e > m)
			m = e;
	}
	return m;
}

double fx_chi2(const struct fx *f, const unsigned long *hist)
{
	double tw = fx_total_weight(f), x = 0, exp, d;
	unsigned long tot = fx_total(f, hist);
	unsigned int i;

	for (i = 0; i < f->n; i++) {
		if (!f->be[i].weight)
			continue;
		exp = tot * f->be[i].weight / tw;
		d = hist[i] - exp;
		x += d * d / exp;
	}
	return x;
}

double fx_chi2_limit(unsigned int df)
{
	/* Wilson-Hilferty: (X/k)^(1/3) ~ N(1 - 2/9k, 2/9k); z(1e-6) = 4.75 */
	double k = df ?: 1, v = 2.0 / (9 * k), z = 4.75;
	double c = 1 - v + z * sqrt(v);

	return k * c * c * c;
}

bool fx_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	fx_checks++;
	if (!cond)
		fx_failures++;
	printf("%s %d - ", cond ? "ok" : "not ok", fx_checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

void fx_diag(const char *fmt, ...)
{
	va_list ap;

	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int fx_done(void)
{
	fx_ok(!kshim_warnings, "no kernel warnings (WARN_ON) fired");
	fx_ok(!kshim_live, "every allocation freed (%ld left)", kshim_live);
	fx_ok(!kshim_gfp_errors,
	      "->build() allocates with the gfp it is given (%lu did not)",
	      kshim_gfp_errors);
	printf("# %d checks, %d failed\n", fx_checks, fx_failures);
	return fx_failures ? 1 : 0;
}
