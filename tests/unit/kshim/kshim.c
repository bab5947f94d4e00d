// SPDX-License-Identifier: GPL-2.0
/* Unit-test shim: the state behind tests/unit/kshim/kshim.h. */
#include "kshim.h"

unsigned long kshim_warnings;
long kshim_fail_after = -1;
unsigned long kshim_allocs;
long kshim_live;
gfp_t kshim_last_gfp;
gfp_t kshim_expect_gfp;
unsigned long kshim_gfp_errors;
unsigned long jiffies;

/* xoshiro128** (Blackman, Vigna), seeded through splitmix64. */
static u32 kshim_rs[4] = { 0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x12345678 };

static u64 kshim_splitmix64(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void kshim_srandom(u64 seed)
{
	u64 a = kshim_splitmix64(&seed), b = kshim_splitmix64(&seed);

	kshim_rs[0] = (u32)a;
	kshim_rs[1] = (u32)(a >> 32);
	kshim_rs[2] = (u32)b;
	kshim_rs[3] = (u32)(b >> 32) | 1;
}

u32 get_random_u32(void)
{
	u32 *s = kshim_rs;
	u32 r = rol32(s[1] * 5, 7) * 9, t = s[1] << 9;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rol32(s[3], 11);
	return r;
}
