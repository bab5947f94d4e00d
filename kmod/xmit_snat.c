// SPDX-License-Identifier: GPL-2.0
/*
 * SNAT (full NAT), one-armed: the client's packets leave from an address of
 * the LB and an allocated source port to the backend; the backend's replies
 * come back to the LB by plain routing, match the flow's reply key, and
 * leave as VIP -> client. The backend needs no route change and sees the
 * LB as its client.
 *
 * Source ports: a flow's reply tuple (backend, SNAT address and port) is
 * its reply key in the flow table, so a port is free exactly when that key
 * is; the insert itself is the final arbiter against a concurrent
 * allocation. Ports in the namespace's ephemeral range
 * (net.ipv4.ip_local_port_range) are never used: the LB host's own
 * connections to a backend (health checks) choose from there, and must not
 * meet a translated flow on the same tuple.
 */
#include <linux/random.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "compat.h"
#include "nat.h"
#include "net.h"
#include "packet.h"
#include "service.h"
#include "xmit.h"

/*
 * Probes per address when the range is large: as conntrack's NAT, a run
 * from a random port, then shorter runs from other random ports. A range of
 * up to L4LB_SNAT_EXHAUSTIVE ports is searched port by port, so that its
 * exhaustion is exact.
 */
#define L4LB_SNAT_FIRST_RUN	128
#define L4LB_SNAT_LAST_RUN	16
#define L4LB_SNAT_EXHAUSTIVE	1024

/* The ports a VIP may use: [min, max] without the ephemeral range. */
struct l4lb_snat_ports {
	u32 min;
	u32 count;
	u32 hole;		/* first port of the ephemeral range inside */
	u32 hole_len;
};

static void l4lb_snat_ports(struct net *net, const struct l4lb_vip *vip,
			    struct l4lb_snat_ports *p)
{
	u32 max = READ_ONCE(vip->snat_port_max);
	int low, high;

	p->min = READ_ONCE(vip->snat_port_min);
	p->count = max >= p->min ? max - p->min + 1 : 0;
	p->hole = 0;
	p->hole_len = 0;
	inet_get_local_port_range(net, &low, &high);
	if (low > high || high < p->min || low > max)
		return;
	p->hole = max_t(u32, low, p->min);
	p->hole_len = min_t(u32, high, max) - p->hole + 1;
	p->count -= p->hole_len;
}

static __be16 l4lb_snat_port(const struct l4lb_snat_ports *p, u32 idx)
{
	u32 port = p->min + idx;

	if (p->hole_len && port >= p->hole)
		port += p->hole_len;
	return htons(port);
}

/* The address the stack would use toward @daddr: "snat-addr auto". */
static int l4lb_snat_egress_addr(struct net *net, u8 family,
				 const union nf_inet_addr *daddr,
				 union nf_inet_addr *saddr)
{
	if (family == AF_INET) {
		struct flowi4 fl4 = { .daddr = daddr->ip };
		struct rtable *rt;

		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		ip_rt_put(rt);
		saddr->ip = fl4.saddr;
	} else {
		struct flowi6 fl6 = { .daddr = daddr->in6 };
		struct dst_entry *dst;
		int err;

		err = ip6_dst_lookup(net, NULL, &dst, &fl6);
		if (err)
			return err;
		dst_release(dst);
		saddr->in6 = fl6.saddr;
	}
	return 0;
}

/*
 * Try ports from @first on, @n of them, for reply tuple @reply. Returns
 * the flow, or ERR_PTR(-EADDRINUSE) when all were taken.
 */
static struct l4lb_conn *l4lb_snat_run(struct l4lb_net *ln,
				       const struct l4lb_pkt *pkt,
				       struct l4lb_backend *be, u32 cs,
				       const struct l4lb_snat_ports *ports,
				       struct l4lb_tuple *reply, u32 first,
				       u32 n)
{
	struct l4lb_conn *c;
	enum l4lb_dir dir;
	u32 i;

	for (i = 0; i < n; i++) {
		reply->dport = l4lb_snat_port(ports, (first + i) % ports->count);
		/* A cheap look first: a lookup also reaps an expired owner. */
		if (l4lb_conn_lookup(ln, reply, &dir))
			continue;
		c = l4lb_xmit_create(ln, pkt, reply, be, cs);
		/* Taken meanwhile by another CPU: go on. */
		if (PTR_ERR_OR_ZERO(c) != -EADDRINUSE)
			return c;
	}
	return ERR_PTR(-EADDRINUSE);
}

static struct l4lb_conn *l4lb_snat_create(struct l4lb_net *ln,
					  const struct l4lb_pkt *pkt,
					  struct l4lb_backend *be, u32 cs)
{
	const struct l4lb_tuple *orig = &pkt->tuple;
	const struct l4lb_snat_addrs *snat;
	struct l4lb_snat_ports ports;
	unsigned int naddr, a, first;
	struct l4lb_tuple reply;
	struct l4lb_conn *c;
	u32 run;

	l4lb_snat_ports(ln->net, be->vip, &ports);
	if (!ports.count)
		goto exhausted;

	memset(&reply, 0, sizeof(reply));
	reply.src = be->hkey.key.addr;
	reply.sport = be->hkey.key.port;
	reply.proto = orig->proto;
	reply.family = orig->family;

	snat = rcu_dereference(be->vip->snat);
	naddr = snat ? snat->count : 1;
	first = naddr > 1 ? get_random_u32_below(naddr) : 0;
	for (a = 0; a < naddr; a++) {
		if (snat) {
			reply.dst = snat->addr[(first + a) % naddr];
		} else if (l4lb_snat_egress_addr(ln->net, orig->family,
						 &reply.src, &reply.dst)) {
			l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
			return ERR_PTR(-EHOSTUNREACH);
		}

		if (ports.count <= L4LB_SNAT_EXHAUSTIVE) {
			c = l4lb_snat_run(ln, pkt, be, cs, &ports, &reply,
					  get_random_u32_below(ports.count),
					  ports.count);
			if (PTR_ERR_OR_ZERO(c) != -EADDRINUSE)
				return c;
			continue;
		}
		for (run = L4LB_SNAT_FIRST_RUN; run >= L4LB_SNAT_LAST_RUN;
		     run /= 2) {
			c = l4lb_snat_run(ln, pkt, be, cs, &ports, &reply,
					  get_random_u32_below(ports.count),
					  run);
			if (PTR_ERR_OR_ZERO(c) != -EADDRINUSE)
				return c;
		}
	}
exhausted:
	l4lb_net_count(ln->stats, L4LB_NET_NAT_PORT_DROPS);
	return ERR_PTR(-EADDRNOTAVAIL);
}

/*
 * Route an IPv4 packet toward where it goes after translation, by its
 * source as it arrived: the translated source is local (the SNAT address,
 * or the VIP) and would be a martian to the input route lookup. IPv6 has no
 * such rule: the stack routes the translated packet itself.
 */
static int l4lb_snat_route4(struct sk_buff *skb, const struct l4lb_conn *c,
			    enum l4lb_dir dir,
			    const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct l4lb_tuple other;

	/* Where the packet goes: the other direction's source. */
	l4lb_conn_tuple(c, dir == L4LB_DIR_ORIG ? L4LB_DIR_REPLY :
						  L4LB_DIR_ORIG, &other);
	skb_dst_drop(skb);
	return l4lb_route_input4_to(skb, other.src.ip, iph->saddr, iph->tos,
				    state->in);
}

static unsigned int l4lb_snat_xmit(struct l4lb_net *ln, struct sk_buff *skb,
				   const struct l4lb_pkt *pkt,
				   struct l4lb_conn *c, enum l4lb_dir dir,
				   const struct nf_hook_state *state)
{
	if (state->hook == NF_INET_PRE_ROUTING) {
		if (state->pf == NFPROTO_IPV4) {
			if (l4lb_snat_route4(skb, c, dir, state)) {
				l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
				return NF_DROP;
			}
		} else {
			/* Routed afresh by the stack after the rewrite. */
			skb_dst_drop(skb);
		}
	}
	/* At LOCAL_OUT the hook reroutes the rewritten packet. */
	if (l4lb_nat(skb, pkt, c, dir, false)) {
		l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

const struct l4lb_xmit_ops l4lb_xmit_snat = {
	.new_source = true,
	.create = l4lb_snat_create,
	.xmit = l4lb_snat_xmit,
};
