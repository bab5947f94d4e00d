// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the module's schedulers (kmod/sched*.c), built for
 * userspace over tests/unit/kshim. Every test uses a fixed PRNG seed, so a
 * run is reproducible; statistical bounds are stated where they are used.
 */
#include <math.h>

#include "sched_fixture.h"

/* The shim's jhash against values computed with the kernel's jhash.h. */
static void test_jhash(void)
{
	u32 k[4] = { 0x0100007f, 0x12345678, 0x9abcdef0, 0xdeadbeef };
	const char *s = "the quick brown fox jumps";

	fx_ok(jhash_1word(0x0100007f, 0x6c346c62) == 0xae627c6f &&
	      jhash_1word(0, 0) == 0x49396b8 &&
	      jhash_2words(1, 2, 3) == 0x252781b5 &&
	      jhash_3words(1, 2, 3, 4) == 0x8103143f &&
	      jhash2(k, 4, 0x6c346c62) == 0x3be705a8 &&
	      jhash2(k, 3, 0) == 0x7b38e60a &&
	      jhash(s, 25, 7) == 0xc316c6fb && jhash(s, 12, 0) == 0x782a7ef9,
	      "kshim jhash gives the kernel's values");
}

static void test_registry(void)
{
	unsigned int i;

	fx_ok(l4lb_sched_find("rr") == &l4lb_sched_rr &&
	      l4lb_sched_find("round-robin") == &l4lb_sched_rr &&
	      !l4lb_sched_find("nope"), "registry: rr and its alias found, an unknown name not");
	for (i = 0; i < fx_sched_count(); i++)
		fx_ok(l4lb_sched_find(fx_sched_nth(i)->name) == fx_sched_nth(i) &&
		      fx_sched_nth(i)->pick,
		      "registry: %s found by name, has a pick",
		      fx_sched_nth(i)->name);
}

static void test_rr(void)
{
	unsigned long hist[5];
	struct fx *f = fx_new("rr", 4, (u32[]){ 1, 5, 1, 1 });
	int i, seq[8];
	bool ok = true;

	fx_build(f);
	for (i = 0; i < 8; i++)
		seq[i] = fx_pick(f, i, FX_SRC_SEQ);
	for (i = 0; i < 8; i++)
		ok &= seq[i] == (seq[0] + i) % 4;
	fx_ok(ok, "rr: backends in turn, weights ignored");
	fx_hist(f, 4000, FX_SRC_SEQ, hist);
	fx_ok(hist[0] == 1000 && hist[1] == 1000 && hist[2] == 1000 &&
	      hist[3] == 1000, "rr: 4000 flows, 1000 each");

	f->be[2].maxconn = 3;
	fx_set_conns(f, 2, 2, 1);
	fx_hist(f, 3000, FX_SRC_SEQ, hist);
	fx_ok(hist[2] == 0 && hist[0] + hist[1] + hist[3] == 3000,
	      "rr: a full backend (maxconn) is skipped");
	for (i = 0; i < 4; i++) {
		f->be[i].maxconn = 1;
		fx_set_conns(f, i, 1, 0);
	}
	fx_ok(fx_pick(f, 0, 0) == -1, "rr: all full: none");
	fx_free(f);
}

int main(void)
{
	kshim_srandom(9);
	test_jhash();
	test_registry();
	test_rr();
	return fx_done();
}
