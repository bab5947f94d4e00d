/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels l4lb supports, and optional
 * kernel features, in one place. The rest of the module calls these
 * wrappers and never tests versions or configs.
 */
#ifndef _L4LB_COMPAT_H
#define _L4LB_COMPAT_H

#include <linux/ip.h>
#include <linux/memcontrol.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sched/mm.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/route.h>

/* 6.5 moved the GSO helpers (skb_gso_validate_network_len()) out of skbuff.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

/* 6.12 moved get_unaligned() from asm/unaligned.h to linux/unaligned.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Route @skb as if it came in on @dev from @saddr to @daddr. 6.13 passes the
 * DSCP instead of the TOS and returns a drop reason.
 */
static inline int l4lb_route_input4_to(struct sk_buff *skb, __be32 daddr,
				       __be32 saddr, u8 tos,
				       struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	return ip_route_input_noref(skb, daddr, saddr,
				    inet_dsfield_to_dscp(tos), dev) ?
	       -EINVAL : 0;
#else
	return ip_route_input_noref(skb, daddr, saddr, tos, dev);
#endif
}

static inline int l4lb_route_input4(struct sk_buff *skb,
				    const struct iphdr *iph,
				    struct net_device *dev)
{
	return l4lb_route_input4_to(skb, iph->daddr, iph->saddr, iph->tos,
				    dev);
}

/*
 * A local its code fills before any read, kept out of the kernel's stack
 * clearing (INIT_STACK_ALL_ZERO): the packet path's parsed packet. The
 * headers of Debian's 6.1 and 6.12 define the macro; older releases do not.
 */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized __attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

/* IP_NODEFRAG on @sk (6.6 moved it into the socket's inet_flags). */
static inline bool l4lb_sk_nodefrag(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return inet_test_bit(NODEFRAG, sk);
#else
	return inet_sk(sk)->nodefrag;
#endif
}

/*
 * Fragment an IPv6 packet with @output: before ip6_fragment() was exported,
 * netfilter's IPv6 ops reached it (see Kbuild).
 */
static inline int l4lb_ip6_fragment(struct net *net, struct sk_buff *skb,
				    int (*output)(struct net *, struct sock *,
						  struct sk_buff *))
{
#ifdef L4LB_HAVE_NF_IPV6_OPS
	const struct nf_ipv6_ops *v6ops = nf_get_ipv6_ops();

	if (unlikely(!v6ops)) {
		kfree_skb(skb);
		return -EHOSTUNREACH;
	}
	return v6ops->fragment(net, NULL, skb, output);
#else
	return ip6_fragment(net, NULL, skb, output);
#endif
}

/* The parsed request attributes of a dump; 6.5 moved them into a genl_info. */
static inline struct nlattr **l4lb_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Memory cgroup of the calling task, to charge what the packet path
 * allocates for its netns (softirq allocations are charged to no one unless
 * told). NULL without memory cgroups.
 */
static inline struct mem_cgroup *l4lb_memcg_get_current(void)
{
#ifdef CONFIG_MEMCG
	return get_mem_cgroup_from_mm(current->mm);
#else
	return NULL;
#endif
}

static inline void l4lb_memcg_put(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	mem_cgroup_put(memcg);
#endif
}

static inline struct mem_cgroup *l4lb_set_active_memcg(struct mem_cgroup *m)
{
#ifdef CONFIG_MEMCG
	return set_active_memcg(m);
#else
	return NULL;
#endif
}

#endif /* _L4LB_COMPAT_H */
