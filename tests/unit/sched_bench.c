// SPDX-License-Identifier: GPL-2.0
/*
 * make bench (issue 9): what scheduling costs per new flow, for every
 * scheduler of the module's registry, at 10, 100 and 1000 backends, and
 * what building a group's state costs (->build()), among them the Maglev
 * table for M = 65537 and 1000 backends (the paper: 1.8 ms on its
 * hardware).
 *
 * A userspace build of the module's scheduler code (kmod/sched*.c over
 * tests/unit/kshim), -O2, one thread: no contention on the group's shared
 * position (rr, wrr, lc, wlc), no cache misses from other CPUs' flow
 * counts. It measures the selection logic, not the kernel around it.
 *
 * Output: a table (lines starting with #) and, for tests/bench/analyze.py,
 * one "L4LB-BENCH {json}" line per figure (system "sched").
 *
 *	sched_bench [-q]	-q: a quick run (the smoke test's)
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "sched_fixture.h"

#define TUPLES		4096		/* distinct clients, cycled */
#define REPS		5		/* median of */

static const unsigned int sizes[] = { 10, 100, 1000 };
static struct l4lb_tuple tuples[TUPLES];
static double min_ms = 20;		/* per timed run */
static volatile uintptr_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* A VIP of @n backends, weights 1..10, loads as on a busy service. */
static struct fx *bench_fx(const char *name, unsigned int n)
{
	u32 *w = calloc(n, sizeof(*w));
	struct fx *f;
	unsigned int i;

	for (i = 0; i < n; i++)
		w[i] = 1 + get_random_u32() % 10;
	f = fx_new(name, n, w);
	free(w);
	for (i = 0; i < n; i++)
		fx_set_conns(f, i, 20 + get_random_u32() % 50,
			     get_random_u32() % 10);
	if (fx_build(f)) {
		fprintf(stderr, "sched_bench: %s: build failed\n", name);
		exit(1);
	}
	return f;
}

static double ns_per_pick(struct fx *f)
{
	double t0, t, v[REPS];
	unsigned long iters = 1000, k;
	uintptr_t x = 0;
	int r;

	/* Long enough a run to time: min_ms at least. */
	for (;;) {
		t0 = now_ns();
		for (k = 0; k < iters; k++)
			x ^= (uintptr_t)l4lb_sched_pick(&f->vip,
							&tuples[k % TUPLES]);
		t = now_ns() - t0;
		if (t >= min_ms * 1e6)
			break;
		iters = t > 1e5 ? iters * (min_ms * 1.2e6 / t) : iters * 10;
	}
	for (r = 0; r < REPS; r++) {
		t0 = now_ns();
		for (k = 0; k < iters; k++)
			x ^= (uintptr_t)l4lb_sched_pick(&f->vip,
							&tuples[k % TUPLES]);
		v[r] = (now_ns() - t0) / iters;
	}
	sink = x;
	return median(v, REPS);
}

/* ->build() of the primary group alone, in microseconds. */
static double build_us(struct fx *f)
{
	struct l4lb_dest_set *set = fx_set(f);
	double v[REPS], t0;
	int r;

	for (r = 0; r < REPS; r++) {
		struct l4lb_dest_group g = {
			.backends = set->group[0].backends,
			.count = set->group[0].count,
		};

		t0 = now_ns();
		if (f->ops->build(set, &g, GFP_KERNEL_ACCOUNT))
			exit(1);
		v[r] = (now_ns() - t0) / 1e3;
		if (f->ops->free)
			f->ops->free(&g);
	}
	return median(v, REPS);
}

static void record(const char *metric, const char *sched, unsigned int n,
		   double value, const char *extra)
{
	printf("L4LB-BENCH {\"system\": \"sched\", \"metric\": \"%s\", "
	       "\"round\": 0, \"sched\": \"%s\", \"backends\": %u, "
	       "\"value\": %.4g%s}\n", metric, sched, n, value, extra ?: "");
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *p;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && (p = strchr(line, ':'))) {
			snprintf(buf, len, "%s", p + 2);
			buf[strcspn(buf, "\n\"\\")] = 0;
			break;
		}
	fclose(f);
}

int main(int argc, char **argv)
{
	const struct l4lb_sched_ops *ops;
	double pick[3], build[3];
	unsigned int i, s;
	char cpu[128], extra[320];
	struct fx *f;

	if (argc > 1 && !strcmp(argv[1], "-q"))
		min_ms = 2;
	kshim_srandom(12);
	for (i = 0; i < TUPLES; i++)
		fx_tuple(&tuples[i], i, FX_SRC_RANDOM);
	cpu_model(cpu, sizeof(cpu));
	snprintf(extra, sizeof(extra),
		 ", \"cpu\": \"%s\", \"cpus\": %ld, \"note\": \"userspace build of the module's scheduler code\"",
		 cpu, sysconf(_SC_NPROCESSORS_ONLN));
	printf("L4LB-BENCH {\"system\": \"sched\", \"metric\": \"sched_info\", \"round\": 0, \"value\": 0%s}\n",
	       extra);
	printf("# scheduling cost per new flow: userspace build of the module's scheduler code\n"
	       "# (-O2, one thread, weights 1-10, loads 20-70 active), host CPU: %s\n", cpu);
	printf("# %-8s %9s %9s %9s   %12s %12s %12s\n", "sched", "ns/pick", "", "",
	       "build us", "", "");
	printf("# %-8s %9u %9u %9u   %12u %12u %12u\n", "backends", sizes[0],
	       sizes[1], sizes[2], sizes[0], sizes[1], sizes[2]);
	for (i = 0; i < fx_sched_count(); i++) {
		ops = fx_sched_nth(i);
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			f = bench_fx(ops->name, sizes[s]);
			pick[s] = ns_per_pick(f);
			build[s] = ops->build ? build_us(f) : NAN;
			fx_free(f);
			record("sched_pick_ns", ops->name, sizes[s], pick[s], NULL);
			if (ops->build)
				record("sched_build_us", ops->name, sizes[s],
				       build[s], NULL);
		}
		printf("# %-8s %9.1f %9.1f %9.1f   ", ops->name, pick[0], pick[1],
		       pick[2]);
		if (ops->build)
			printf("%12.1f %12.1f %12.1f\n", build[0], build[1],
			       build[2]);
		else
			printf("%12s %12s %12s\n", "-", "-", "-");
	}

	/* Maglev, as the paper measured it: M = 65537, 1000 backends. */
	if (l4lb_sched_find("maglev")) {
		double us;

		f = bench_fx("maglev", 1000);
		f->maglev_size = 65537;
		fx_build(f);
		us = build_us(f);
		fx_free(f);
		record("maglev_build_ms", "maglev", 1000, us / 1e3,
		       ", \"size\": 65537");
		printf("# maglev table build, M = 65537, 1000 backends: %.2f ms (the paper: 1.8 ms on its hardware)\n",
		       us / 1e3);
	}
	return 0;
}
