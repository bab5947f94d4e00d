/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit-test shim: just enough of the kernel's API, in userspace C, for the
 * module's pure logic (kmod/sched*.c) to build unchanged on the host. Every
 * <linux/...> header under tests/unit/kshim includes this one file.
 *
 * Single-threaded semantics are all the tests need, but the atomics are
 * real (GCC __atomic builtins) so a threaded test or bench is not wrong.
 * Allocations go to malloc and can be made to fail (kshim_fail_after).
 */
#ifndef _KSHIM_H
#define _KSHIM_H

#include <linux/types.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* --- compiler.h ---------------------------------------------------------- */

#define __force
#define __rcu
#define __percpu
#define __iomem
#define __user
#define __bitwise
#define __must_check		__attribute__((warn_unused_result))
#define __maybe_unused		__attribute__((unused))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define __aligned(x)		__attribute__((aligned(x)))
#define __packed		__attribute__((packed))
#define __read_mostly
#define __cold			__attribute__((cold))
#define noinline		__attribute__((noinline))
#ifndef fallthrough
#define fallthrough		__attribute__((fallthrough))
#endif
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned	__aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned_in_smp ____cacheline_aligned

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile __typeof__(x) *)&(x) = (val))
#define barrier()		__asm__ __volatile__("" ::: "memory")
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)

#define DECLARE_FLEX_ARRAY(TYPE, NAME) \
	struct { struct { } __empty_##NAME; TYPE NAME[]; }
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#ifndef offsetof
#define offsetof(t, m)		__builtin_offsetof(t, m)
#endif
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* --- bits, limits, arithmetic -------------------------------------------- */

#ifndef BIT
#define BIT(n) (1U << (n))	/* as kmod/tcp_state.h has it outside the kernel */
#endif
#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK(h, l)		(((~0U) << (l)) & (~0U >> (31 - (h))))

#ifndef U8_MAX
#define U8_MAX			((u8)~0U)
#define U16_MAX			((u16)~0U)
#define S16_MAX			((s16)(U16_MAX >> 1))
#define U32_MAX			((u32)~0U)
#define S32_MAX			((s32)(U32_MAX >> 1))
#define U64_MAX			((u64)~0ULL)
#define S64_MAX			((s64)(U64_MAX >> 1))
#endif

#define min(a, b)		({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b); a_ < b_ ? a_ : b_; })
#define max(a, b)		({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b); a_ > b_ ? a_ : b_; })
#define min_t(t, a, b)		min((t)(a), (t)(b))
#define max_t(t, a, b)		max((t)(a), (t)(b))
#define clamp(v, lo, hi)	min(max(v, lo), hi)
#define clamp_t(t, v, lo, hi)	clamp((t)(v), (t)(lo), (t)(hi))
#define swap(a, b)		do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define roundup(x, y)		((((x) + ((y) - 1)) / (y)) * (y))
#define abs(x)			__builtin_abs(x)

#define NSEC_PER_USEC		1000L
#define NSEC_PER_MSEC		1000000L
#define NSEC_PER_SEC		1000000000L

static inline u64 div_u64(u64 a, u32 b) { return a / b; }
static inline u64 div64_u64(u64 a, u64 b) { return a / b; }
static inline s64 div_s64(s64 a, s32 b) { return a / b; }
static inline u64 mul_u64_u64_div_u64(u64 a, u64 mul, u64 div)
{
	return (u64)((unsigned __int128)a * mul / div);
}
static inline u64 div_u64_rem(u64 a, u32 b, u32 *rem)
{
	*rem = a % b;
	return a / b;
}

static inline u32 rol32(u32 w, unsigned int s)
{
	return (w << (s & 31)) | (w >> ((-s) & 31));
}

static inline u32 ror32(u32 w, unsigned int s)
{
	return (w >> (s & 31)) | (w << ((-s) & 31));
}

static inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
static inline int ilog2(u64 n) { return fls64(n) - 1; }
static inline bool is_power_of_2(unsigned long n) { return n && !(n & (n - 1)); }
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}
static inline unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (63 - __builtin_clzl(n));
}
#define hweight32(x)		__builtin_popcount(x)
#define hweight64(x)		__builtin_popcountll(x)

/* bitops.h, bitmap.h: non-atomic and atomic flavours alike. */
#define BITS_PER_LONG		64
#define BITS_PER_BYTE		8
#define BITS_TO_LONGS(n)	DIV_ROUND_UP(n, BITS_PER_LONG)
#define BIT_WORD(n)		((n) / BITS_PER_LONG)
#define BIT_MASK(n)		(1UL << ((n) % BITS_PER_LONG))
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[BIT_WORD(nr)] & BIT_MASK(nr);
}
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}
static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}
static inline bool __test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__set_bit(nr, addr);
	return old;
}
#define set_bit(nr, a)		__atomic_fetch_or(&(a)[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_RELAXED)
#define clear_bit(nr, a)	__atomic_fetch_and(&(a)[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_RELAXED)
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}
static inline unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t gfp);
static inline void bitmap_free(const unsigned long *bitmap);

/* byteorder: the host is little-endian (x86-64, arm64). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host");
#define cpu_to_be16(x)		((__force __be16)__builtin_bswap16(x))
#define cpu_to_be32(x)		((__force __be32)__builtin_bswap32(x))
#define cpu_to_be64(x)		((__force __be64)__builtin_bswap64(x))
#define be16_to_cpu(x)		__builtin_bswap16((__force u16)(x))
#define be32_to_cpu(x)		__builtin_bswap32((__force u32)(x))
#define be64_to_cpu(x)		__builtin_bswap64((__force u64)(x))
#define cpu_to_le32(x)		((__force __le32)(u32)(x))
#define le32_to_cpu(x)		((__force u32)(x))

/* lib/math/gcd.c: the binary GCD, same results. */
static inline unsigned long gcd(unsigned long a, unsigned long b)
{
	while (b) {
		unsigned long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}
#define array_size(a, b)	size_mul(a, b)
#define struct_size(p, member, n) \
	size_add(sizeof(*(p)), size_mul(sizeof(*(p)->member), n))
#define flex_array_size(p, member, n) size_mul(sizeof(*(p)->member), n)

/* --- diagnostics ---------------------------------------------------------- */

/* Counted, so a test can assert that none fired. */
extern unsigned long kshim_warnings;

#define WARN_ON(c) ({							\
	bool w_ = !!(c);						\
	if (unlikely(w_)) {						\
		kshim_warnings++;					\
		fprintf(stderr, "WARNING: %s:%d: %s\n", __FILE__,	\
			__LINE__, #c);					\
	}								\
	w_;								\
})
#define WARN_ON_ONCE(c)		WARN_ON(c)
#define WARN(c, ...)		WARN_ON(c)
#define WARN_ONCE(c, ...)	WARN_ON(c)
#define BUG_ON(c)		do { if (c) abort(); } while (0)
#define BUG()			abort()
#define pr_fmt(fmt)		fmt
#define pr_err(...)		fprintf(stderr, __VA_ARGS__)
#define pr_warn(...)		fprintf(stderr, __VA_ARGS__)
#define pr_info(...)		do { } while (0)
#define pr_debug(...)		do { } while (0)
#define pr_warn_once(...)	pr_warn(__VA_ARGS__)
#define pr_warn_ratelimited(...) pr_warn(__VA_ARGS__)
#define net_warn_ratelimited(...) pr_warn(__VA_ARGS__)
#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define might_sleep()		do { } while (0)
#define cond_resched()		do { } while (0)

/* --- err.h ---------------------------------------------------------------- */

#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long e) { return (void *)e; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return IS_ERR_VALUE(p); }
static inline bool IS_ERR_OR_NULL(const void *p) { return !p || IS_ERR_VALUE(p); }

/* --- atomics -------------------------------------------------------------- */

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define KSHIM_ATOMIC_OPS(pfx, at, t)					\
static inline t pfx##_read(const at *v)					\
{ return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }		\
static inline void pfx##_set(at *v, t i)				\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline t pfx##_read_acquire(const at *v)				\
{ return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); }		\
static inline void pfx##_set_release(at *v, t i)			\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); }			\
static inline void pfx##_add(t i, at *v)				\
{ __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_sub(t i, at *v)				\
{ __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_inc(at *v) { pfx##_add(1, v); }		\
static inline void pfx##_dec(at *v) { pfx##_sub(1, v); }		\
static inline t pfx##_add_return(t i, at *v)				\
{ return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline t pfx##_sub_return(t i, at *v)				\
{ return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline t pfx##_fetch_add(t i, at *v)				\
{ return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline t pfx##_inc_return(at *v) { return pfx##_add_return(1, v); } \
static inline t pfx##_dec_return(at *v) { return pfx##_sub_return(1, v); } \
static inline t pfx##_inc_return_relaxed(at *v)				\
{ return __atomic_add_fetch(&v->counter, 1, __ATOMIC_RELAXED); }	\
static inline t pfx##_fetch_inc(at *v) { return pfx##_fetch_add(1, v); } \
static inline bool pfx##_dec_and_test(at *v)				\
{ return pfx##_sub_return(1, v) == 0; }					\
static inline t pfx##_xchg(at *v, t n)					\
{ return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }	\
static inline t pfx##_cmpxchg(at *v, t o, t n)				\
{									\
	__atomic_compare_exchange_n(&v->counter, &o, n, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return o;							\
}									\
static inline bool pfx##_try_cmpxchg(at *v, t *o, t n)			\
{									\
	return __atomic_compare_exchange_n(&v->counter, o, n, false,	\
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_SEQ_CST);		\
}

KSHIM_ATOMIC_OPS(atomic, atomic_t, int)
KSHIM_ATOMIC_OPS(atomic64, atomic64_t, s64)
KSHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)

static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			return false;
	} while (!atomic_try_cmpxchg(v, &c, c + a));
	return true;
}
#define atomic_inc_not_zero(v)	atomic_add_unless((v), 1, 0)

typedef struct { atomic_t refs; } refcount_t;
#define REFCOUNT_INIT(n)	{ .refs = ATOMIC_INIT(n) }
static inline void refcount_set(refcount_t *r, int n) { atomic_set(&r->refs, n); }
static inline unsigned int refcount_read(const refcount_t *r) { return atomic_read(&r->refs); }
static inline void refcount_inc(refcount_t *r) { atomic_inc(&r->refs); }
static inline bool refcount_inc_not_zero(refcount_t *r) { return atomic_inc_not_zero(&r->refs); }
static inline bool refcount_dec_and_test(refcount_t *r) { return atomic_dec_and_test(&r->refs); }

/* --- RCU: the tests are single-threaded; grace periods are immediate ------ */

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

#define rcu_dereference(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_bh(p)		rcu_dereference(p)
#define rcu_dereference_raw(p)		rcu_dereference(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define rcu_read_lock()			do { } while (0)
#define rcu_read_unlock()		do { } while (0)
#define rcu_read_lock_bh()		do { } while (0)
#define rcu_read_unlock_bh()		do { } while (0)
#define synchronize_rcu()		do { } while (0)
#define local_bh_disable()		do { } while (0)
#define local_bh_enable()		do { } while (0)
static inline void call_rcu(struct rcu_head *h, void (*f)(struct rcu_head *))
{
	f(h);
}

/* --- lists (layout only: the scheduler code does not walk them) ---------- */

struct list_head {
	struct list_head *next, *prev;
};
struct hlist_node {
	struct hlist_node *next, **pprev;
};
struct hlist_head {
	struct hlist_node *first;
};
struct llist_node {
	struct llist_node *next;
};
struct llist_head {
	struct llist_node *first;
};
static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

/* rhashtable-types.h: the scheduler code never hashes. */
struct rhash_head {
	struct rhash_head *next;
};

/* --- memory ---------------------------------------------------------------- */

#define __GFP_ZERO		0x100u
#define __GFP_NOWARN		0x200u
#define __GFP_ACCOUNT		0x400u
#define __GFP_NORETRY		0x800u
#define GFP_ATOMIC		0x1u
#define GFP_NOWAIT		0x2u
#define GFP_KERNEL		0x4u
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)

/*
 * Allocation count and failure injection: with kshim_fail_after = n >= 0,
 * the allocation after n more succeed fails (and kshim_fail_after goes back
 * to -1). kshim_allocs counts calls; kshim_live counts blocks not freed.
 */
extern long kshim_fail_after;
extern unsigned long kshim_allocs;
extern long kshim_live;
/* gfp of the last allocation, to check that code passes the caller's. */
extern gfp_t kshim_last_gfp;
/* When set: allocations with other flags (but __GFP_ZERO) are counted. */
extern gfp_t kshim_expect_gfp;
extern unsigned long kshim_gfp_errors;

static inline void *kshim_alloc(size_t size, gfp_t gfp)
{
	void *p;

	kshim_allocs++;
	kshim_last_gfp = gfp;
	if (kshim_expect_gfp && (gfp & ~__GFP_ZERO) != kshim_expect_gfp)
		kshim_gfp_errors++;
	if (kshim_fail_after == 0) {
		kshim_fail_after = -1;
		return NULL;
	}
	if (kshim_fail_after > 0)
		kshim_fail_after--;
	if (size == SIZE_MAX)		/* overflowed size_mul() */
		return NULL;
	p = gfp & __GFP_ZERO ? calloc(1, size ?: 1) : malloc(size ?: 1);
	if (p)
		kshim_live++;
	return p;
}

static inline void kshim_free(const void *p)
{
	if (p)
		kshim_live--;
	free((void *)p);
}

#define ZERO_SIZE_PTR		NULL
#define kmalloc(s, g)		kshim_alloc(s, g)
#define kzalloc(s, g)		kshim_alloc(s, (g) | __GFP_ZERO)
#define kmalloc_array(n, s, g)	kshim_alloc(size_mul(n, s), g)
#define kcalloc(n, s, g)	kshim_alloc(size_mul(n, s), (g) | __GFP_ZERO)
#define kvmalloc(s, g)		kshim_alloc(s, g)
#define kvzalloc(s, g)		kshim_alloc(s, (g) | __GFP_ZERO)
#define kvmalloc_array(n, s, g)	kshim_alloc(size_mul(n, s), g)
#define kvcalloc(n, s, g)	kshim_alloc(size_mul(n, s), (g) | __GFP_ZERO)
#define vmalloc(s)		kshim_alloc(s, GFP_KERNEL)
#define vzalloc(s)		kshim_alloc(s, GFP_KERNEL | __GFP_ZERO)
#define kfree(p)		kshim_free(p)
#define kvfree(p)		kshim_free(p)
#define vfree(p)		kshim_free(p)
#define kfree_rcu(p, f)		kshim_free(p)

static inline unsigned long *bitmap_zalloc(unsigned int nbits, gfp_t gfp)
{
	return kshim_alloc(BITS_TO_LONGS(nbits) * sizeof(long),
			   gfp | __GFP_ZERO);
}
static inline void bitmap_free(const unsigned long *bitmap)
{
	kshim_free(bitmap);
}

/* lib/sort.c: the same contract (not a stable sort), over qsort. */
typedef int (*cmp_func_t)(const void *a, const void *b);
typedef void (*swap_func_t)(void *a, void *b, int size);
static inline void sort(void *base, size_t num, size_t size,
			cmp_func_t cmp, swap_func_t swap_func)
{
	(void)swap_func;
	qsort(base, num, size, cmp);
}

/* --- per-CPU: one CPU ------------------------------------------------------ */

#define this_cpu_ptr(p)		(p)
#define per_cpu_ptr(p, cpu)	(p)
#define raw_cpu_ptr(p)		(p)
#define smp_processor_id()	0
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)
#define DEFINE_PER_CPU(t, n)	t n
#define DECLARE_PER_CPU(t, n)	extern t n
#define this_cpu_read(v)	(v)
#define this_cpu_write(v, x)	((v) = (x))
#define this_cpu_inc(v)		((v)++)
#define this_cpu_add(v, x)	((v) += (x))

/* u64_stats_sync.h, 64-bit flavour. */
typedef struct { u64 v; } u64_stats_t;
struct u64_stats_sync { int unused; };
static inline u64 u64_stats_read(const u64_stats_t *p) { return READ_ONCE(p->v); }
static inline void u64_stats_set(u64_stats_t *p, u64 v) { p->v = v; }
static inline void u64_stats_inc(u64_stats_t *p) { p->v++; }
static inline void u64_stats_add(u64_stats_t *p, unsigned long v) { p->v += v; }
static inline void u64_stats_init(struct u64_stats_sync *s) { (void)s; }
static inline void u64_stats_update_begin(struct u64_stats_sync *s) { (void)s; }
static inline void u64_stats_update_end(struct u64_stats_sync *s) { (void)s; }
static inline unsigned int u64_stats_fetch_begin(const struct u64_stats_sync *s)
{
	(void)s;
	return 0;
}
static inline bool u64_stats_fetch_retry(const struct u64_stats_sync *s,
					 unsigned int start)
{
	(void)s;
	(void)start;
	return false;
}

/* --- time ------------------------------------------------------------------ */

#define HZ			1000
extern unsigned long jiffies;	/* tests set it */
static inline u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}
#define ktime_get_mono_fast_ns()	ktime_get_ns()
static inline unsigned long msecs_to_jiffies(unsigned int ms) { return ms; }
static inline unsigned int jiffies_to_msecs(unsigned long j) { return j; }

/* --- random: a seeded PRNG, so a test run is reproducible ------------------ */

/* xoshiro128** state; kshim_srandom() seeds it (default seed: 1). */
void kshim_srandom(u64 seed);
u32 get_random_u32(void);
static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}
static inline u64 get_random_u64(void)
{
	return (u64)get_random_u32() << 32 | get_random_u32();
}
#define prandom_u32_max(c)	get_random_u32_below(c)
static inline void get_random_bytes(void *buf, size_t n)
{
	u8 *b = buf;

	while (n--)
		*b++ = (u8)get_random_u32();
}

/* --- networking ------------------------------------------------------------ */

/* As include/uapi/linux/netfilter.h */
union nf_inet_addr {
	__u32		all[4];
	__be32		ip;
	__be32		ip6[4];
	struct in_addr	in;
	struct in6_addr	in6;
};

struct netlink_ext_ack;
#define NL_SET_ERR_MSG(e, m)		do { (void)(e); } while (0)
#define NL_SET_ERR_MSG_MOD(e, m)	NL_SET_ERR_MSG(e, m)

#endif /* _KSHIM_H */
