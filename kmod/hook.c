// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter entry points, for IPv4 and IPv6. PREROUTING, before
 * conntrack: every packet of a flow, whole (the hooks reassemble fragments:
 * defrag.c), and ICMP errors about flows. LOCAL_OUT, before conntrack: what
 * the LB host itself sends, as IPVS does it: a local client's packets to a
 * VIP (rewritten, then routed again, to the backend: the loopback path would
 * deliver them to the VIP, and the routing input path refuses a local
 * source), and the ICMP errors the LB emits about a packet it translated (a
 * Packet Too Big while forwarding to a backend), which must quote the packet
 * as the client sent it. Packets the load balancer handles are marked
 * untracked, so conntrack keeps no second copy of their state.
 */
#include <linux/l4lb.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "compat.h"
#include "conn.h"
#include "defrag.h"
#include "hook.h"
#include "nat.h"
#include "net.h"
#include "packet.h"
#include "persist.h"
#include "proto.h"
#include "reject.h"
#include "sched.h"
#include "service.h"
#include "tcp_state.h"
#include "xmit.h"

static unsigned int l4lb_drop(struct l4lb_net *ln, enum l4lb_net_counter why)
{
	l4lb_net_count(ln->stats, why);
	return NF_DROP;
}

static void l4lb_untrack(struct sk_buff *skb)
{
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
}

static __always_inline unsigned int
l4lb_xmit(struct l4lb_net *ln, struct sk_buff *skb, const struct l4lb_pkt *pkt,
	  struct l4lb_conn *c, enum l4lb_dir dir,
	  const struct nf_hook_state *state)
{
	struct l4lb_backend *be = c->backend;
	/* As it arrived; and a stolen skb may be gone once sent. */
	unsigned int verdict, len = skb->len;

	l4lb_untrack(skb);
	verdict = l4lb_xmit_find(l4lb_conn_mode(c))->xmit(ln, skb, pkt, c,
							  dir, state);
	/* NF_DROP_ERR() carries an errno above the verdict. */
	if ((verdict & NF_VERDICT_MASK) != NF_DROP) {
		l4lb_stats_packet(be->stats, dir == L4LB_DIR_REPLY, len);
		l4lb_stats_packet(be->vip->stats, dir == L4LB_DIR_REPLY, len);
	} else {
		l4lb_backend_event(be, L4LB_EV_DROP_XMIT);
	}
	return verdict;
}

/*
 * A flow the LB keeps no entry for (see l4lb_new_flow()): the packet goes
 * out as its flow's would.
 */
static unsigned int l4lb_xmit_stateless(struct l4lb_net *ln,
					struct sk_buff *skb,
					const struct l4lb_pkt *pkt,
					struct l4lb_backend *be, u32 cs,
					const struct nf_hook_state *state)
{
	struct l4lb_conn c = {
		.backend = be,
		.state = cs | (u32)pkt->tuple.proto << L4LB_CS_PROTO_SHIFT,
	};

	l4lb_net_count(ln->stats, L4LB_NET_STATELESS);
	return l4lb_xmit(ln, skb, pkt, &c, L4LB_DIR_ORIG, state);
}

/*
 * May a VIP go on with a flow it has no entry for, without its first
 * packet? Only where a hash names the backend the flow has been on (its
 * home, Maglev), and the backend would know the flow again (not SNAT's
 * new source), unless the VIP wants only SYNs.
 */
static bool l4lb_vip_resumes(const struct l4lb_vip *vip)
{
	return !(READ_ONCE(vip->flags) & L4LB_VIP_F_SYN_ONLY) &&
	       !l4lb_xmit_find(READ_ONCE(vip->mode))->new_source &&
	       l4lb_sched_has_home(vip);
}

/*
 * A TCP segment of a flow the table does not know, other than a SYN: after
 * an LB restart, a table loss or a failover between LBs behind one ECMP
 * route. A plain ACK (data, FIN) may be adopted by a VIP that resumes
 * flows; a RST or a SYN-ACK (backscatter) never opens anything.
 */
static bool l4lb_may_adopt(const struct l4lb_vip *vip,
			   const struct l4lb_pkt *pkt)
{
	return pkt->tuple.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (L4LB_TCPF_SYN | L4LB_TCPF_ACK |
				  L4LB_TCPF_RST)) == L4LB_TCPF_ACK &&
	       l4lb_vip_resumes(vip);
}

/*
 * Is the VIP at its own limits? @why is what refused the flow. The rate
 * limit comes first: a flood it cuts is dropped silently, where a VIP at
 * its maxconn answers each refused flow.
 */
static bool l4lb_vip_limited(struct l4lb_vip *vip, enum l4lb_net_counter *why)
{
	u32 max = READ_ONCE(vip->maxconn);

	if (!l4lb_rate_allow(&vip->rate)) {
		*why = L4LB_NET_RATE_LIMIT_DROPS;
		return true;
	}
	if (max && (u32)(atomic_read(&vip->conns.active) +
			 atomic_read(&vip->conns.inactive)) >= max) {
		*why = L4LB_NET_VIP_LIMIT_DROPS;
		return true;
	}
	return false;
}

/*
 * No backend took a new flow: were there some, only all at their maxconn?
 * Then the VIP counts a drop for a limit, not for no backend. Only on the
 * way to refusing a flow: the backends eligible are scanned.
 */
static bool l4lb_vip_backends_full(struct l4lb_vip *vip)
{
	const struct l4lb_dest_set *ds = rcu_dereference(vip->dests);
	unsigned int g, i, n;

	if (!ds)
		return false;
	for (g = 0; g < ARRAY_SIZE(ds->group); g++) {
		n = READ_ONCE(ds->group[g].count);
		for (i = 0; i < n; i++)
			if (l4lb_backend_full(ds->group[g].backends[i]))
				return true;
	}
	return false;
}

/*
 * The backend of a new flow: the client's persistent one if it may take
 * the flow, else the scheduler's choice. A connection adopted mid-stream
 * goes where the consistent hash says it has been.
 */
static struct l4lb_backend *l4lb_choose(struct l4lb_net *ln,
					struct l4lb_vip *vip,
					const struct l4lb_tuple *t, bool adopt)
{
	struct l4lb_backend *be;

	if (adopt)
		return l4lb_sched_home(vip, t);
	if (!READ_ONCE(vip->persist))
		return l4lb_sched_pick(vip, t);
	be = l4lb_persist_get(ln, vip, t);
	if (be) {
		l4lb_net_count(ln->stats, L4LB_NET_PERSIST_HITS);
		return be;
	}
	be = l4lb_sched_pick(vip, t);
	/* Another CPU may have bound the client first: its choice wins. */
	if (be)
		be = l4lb_persist_note(ln, vip, t, be);
	return be;
}

/*
 * A refused new flow: counted, and answered (RST, port unreachable) unless
 * the VIP says not to, or it was a flood the rate limit cut.
 */
static unsigned int l4lb_refuse(struct l4lb_net *ln, struct l4lb_vip *vip,
				struct sk_buff *skb, const struct l4lb_pkt *pkt,
				const struct nf_hook_state *state,
				enum l4lb_net_counter why)
{
	enum l4lb_stats_event ev;

	switch (why) {
	case L4LB_NET_RATE_LIMIT_DROPS:
		ev = L4LB_EV_DROP_RATE;
		break;
	case L4LB_NET_VIP_LIMIT_DROPS:
		ev = L4LB_EV_DROP_LIMIT;
		break;
	default:
		/*
		 * Every backend at its maxconn is a limit, as the VIP's own:
		 * the namespace's counters stay the sums of the VIPs'.
		 */
		if (l4lb_vip_backends_full(vip)) {
			ev = L4LB_EV_DROP_LIMIT;
			why = L4LB_NET_VIP_LIMIT_DROPS;
		} else {
			ev = L4LB_EV_DROP_NO_BACKEND;
		}
		break;
	}
	l4lb_net_count(ln->stats, why);
	l4lb_stats_event(vip->stats, ev, 1);
	if (why != L4LB_NET_RATE_LIMIT_DROPS &&
	    !(READ_ONCE(vip->flags) & L4LB_VIP_F_NO_REJECT))
		l4lb_reject(ln, skb, pkt, state);
	return NF_DROP;
}

/*
 * A new flow to @be that could not be created (@err, as
 * l4lb_conn_create()): counted by its reason on the backend and the VIP.
 * The namespace has counted it where it has a counter for the reason
 * (a full table, SNAT's ports, SNAT's route), but for no memory, a reply
 * tuple taken and a backend being deleted, counted here.
 */
static void l4lb_create_failed(struct l4lb_net *ln, struct l4lb_backend *be,
			       long err)
{
	enum l4lb_stats_event ev;

	switch (err) {
	case -ENOSPC:
		ev = L4LB_EV_DROP_TABLE_FULL;
		break;
	case -ENOMEM:
		l4lb_net_count(ln->stats, L4LB_NET_NOMEM_DROPS);
		ev = L4LB_EV_DROP_NOMEM;
		break;
	case -EADDRNOTAVAIL:
		ev = L4LB_EV_DROP_NAT_PORTS;
		break;
	case -EADDRINUSE:
	case -EEXIST:
		l4lb_net_count(ln->stats, L4LB_NET_NAT_PORT_DROPS);
		ev = L4LB_EV_DROP_NAT_PORTS;
		break;
	case -ENOENT:
		l4lb_net_count(ln->stats, L4LB_NET_NO_BACKEND_DROPS);
		ev = L4LB_EV_DROP_NO_BACKEND;
		break;
	default:	/* -EHOSTUNREACH: SNAT found no route */
		ev = L4LB_EV_DROP_XMIT;
		break;
	}
	l4lb_backend_event(be, ev);
}

/*
 * A flow the table has no entry for. Returns its new entry, or NULL with
 * *verdict set when the packet is not ours, is refused, or was forwarded
 * without an entry (NF_STOLEN and the like).
 */
static noinline struct l4lb_conn *
l4lb_new_flow(struct l4lb_net *ln, struct sk_buff *skb,
	      const struct l4lb_pkt *pkt, const struct nf_hook_state *state,
	      unsigned int *verdict)
{
	const struct l4lb_tuple *t = &pkt->tuple;
	struct l4lb_vip_key key = {
		.addr = t->dst,
		.port = t->dport,
		.proto = t->proto,
		.family = t->family,
	};
	const struct l4lb_xmit_ops *ops;
	enum l4lb_net_counter why;
	struct l4lb_backend *be;
	struct l4lb_conn *c;
	struct l4lb_vip *vip;
	bool adopt = false;
	enum l4lb_dir dir;
	u32 cs;
	u8 mode;

	*verdict = NF_ACCEPT;
	vip = l4lb_vip_lookup(ln, &key);
	if (!vip)
		return NULL;
	/*
	 * Mid-stream TCP with no entry (table loss, expiry, a scan): no
	 * backend ever saw its SYN, and forwarding it unchanged to the VIP
	 * would leak it past the LB. Dropped and counted, unless a
	 * consistent scheduler knows where it belongs.
	 */
	if (!pkt->proto->may_open(pkt)) {
		if (!l4lb_may_adopt(vip, pkt)) {
			*verdict = l4lb_drop(ln, L4LB_NET_NOFLOW_DROPS);
			return NULL;
		}
		adopt = true;
	}

	if (l4lb_vip_limited(vip, &why)) {
		*verdict = l4lb_refuse(ln, vip, skb, pkt, state, why);
		return NULL;
	}
	be = l4lb_choose(ln, vip, t, adopt);
	if (!be) {
		*verdict = l4lb_refuse(ln, vip, skb, pkt, state,
				       L4LB_NET_NO_BACKEND_DROPS);
		return NULL;
	}
	mode = READ_ONCE(vip->mode);
	ops = l4lb_xmit_find(mode);
	cs = L4LB_CS_MODE(mode) | (ops->oneway ? L4LB_CS_ONEWAY : 0) |
	     (READ_ONCE(vip->flags) & L4LB_VIP_F_OPS ? L4LB_CS_OPS : 0) |
	     (adopt ? L4LB_CS_ADOPTED : 0);
	c = ops->create(ln, pkt, be, cs);
	if (IS_ERR(c)) {
		long err = PTR_ERR(c);

		/* Another CPU created this flow first: use its entry. */
		if (err == -EEXIST) {
			c = l4lb_conn_lookup(ln, t, &dir);
			if (c && dir == L4LB_DIR_ORIG)
				return c;
		}
		/*
		 * A full table: where the LB sees no replies and the hash
		 * names a home, a flow needs no entry (Maglev's answer to a
		 * SYN flood): each of its packets goes to its home, where
		 * adoption sends the ones after this one. No maxconn holds
		 * for flows the LB does not count.
		 */
		if (err == -ENOSPC && ops->oneway &&
		    l4lb_vip_resumes(vip)) {
			be = l4lb_sched_home(vip, t) ?: be;
			*verdict = l4lb_xmit_stateless(ln, skb, pkt, be, cs,
						       state);
			return NULL;
		}
		l4lb_create_failed(ln, be, err);
		*verdict = NF_DROP;
		return NULL;
	}
	if (adopt)
		l4lb_net_count(ln->stats, L4LB_NET_ADOPTED);
	else if (t->proto == IPPROTO_TCP && !ops->oneway)
		l4lb_conn_start_handshake(c);
	l4lb_stats_conn(vip->stats);
	l4lb_stats_conn(be->stats);
	return c;
}

/*
 * One packet scheduling: the flow ends once its packet @dir went through,
 * in a one-way mode (it sees nothing more) or when that was the answer to
 * the last query (see proto_udp.c), so the next query is scheduled afresh.
 * An ICMP error about the flow (port unreachable) does not end it: it
 * expires as unanswered.
 */
static void l4lb_ops_end(struct l4lb_net *ln, struct l4lb_conn *c,
			 enum l4lb_dir dir)
{
	u32 state = READ_ONCE(c->state);

	if (likely(!(state & L4LB_CS_OPS)))
		return;
	if ((state & L4LB_CS_ONEWAY) ||
	    (dir == L4LB_DIR_REPLY && l4lb_udp_ops_answered(state)))
		l4lb_conn_kill(ln, c, L4LB_CONN_END_ONE_PACKET);
}

/*
 * A flow whose backend was set down, of a VIP that ends such flows (IPVS
 * expire_nodest_conn): ended here, at its next packet.
 */
static bool l4lb_expire_down(struct l4lb_net *ln, struct l4lb_conn *c)
{
	const struct l4lb_backend *be = c->backend;

	if (likely(READ_ONCE(be->state) != L4LB_BACKEND_DOWN) ||
	    !(READ_ONCE(be->vip->flags) & L4LB_VIP_F_EXPIRE_DOWN))
		return false;
	l4lb_conn_kill(ln, c, L4LB_CONN_END_BACKEND_DOWN);
	l4lb_net_count(ln->stats, L4LB_NET_DOWN_EXPIRED);
	return true;
}

/*
 * What a TCP segment of flow @c says, before it changes the flow: a RST
 * (every one going on, in or out of the window: the endpoint judges), a
 * client's SYN again while the backend has not answered.
 */
static void l4lb_tcp_events(struct l4lb_conn *c, enum l4lb_dir dir,
			    const struct l4lb_pkt *pkt)
{
	u32 state;

	if (pkt->tcp_flags & L4LB_TCPF_RST) {
		l4lb_backend_event(c->backend, dir == L4LB_DIR_REPLY ?
				   L4LB_EV_RST_BACKEND : L4LB_EV_RST_CLIENT);
		return;
	}
	if (dir != L4LB_DIR_ORIG || !l4lb_tcp_is_opening(pkt->tcp_flags))
		return;
	state = READ_ONCE(c->state);
	if (!(state & (L4LB_CS_REPLIED | L4LB_CS_DEAD)) &&
	    (state & L4LB_CS_PSTATE) == L4LB_TCP_SYN_SENT)
		l4lb_backend_event(c->backend, L4LB_EV_SYN_RETRANS);
}

/*
 * A TCP or UDP packet: of a flow, or opening one to a VIP. The flow's
 * direction comes back in *@dir.
 */
static __always_inline struct l4lb_conn *
l4lb_flow_of(struct l4lb_net *ln, struct sk_buff *skb,
	     const struct l4lb_pkt *pkt, const struct nf_hook_state *state,
	     enum l4lb_dir *dir, unsigned int *verdict)
{
	struct l4lb_conn *c;

	c = l4lb_conn_lookup(ln, &pkt->tuple, dir);
	l4lb_net_lookup(ln->stats, c);
	/* A new SYN on the tuple of a finished connection: start over. */
	if (c && *dir == L4LB_DIR_ORIG &&
	    pkt->proto->reopens(READ_ONCE(c->state), pkt)) {
		l4lb_conn_kill(ln, c, L4LB_CONN_END_REOPENED);
		c = NULL;
	}
	if (c && unlikely(l4lb_expire_down(ln, c))) {
		/* A client's new flow goes elsewhere; what cannot open one
		 * is answered so that the client starts over now.
		 */
		if (*dir == L4LB_DIR_REPLY || !pkt->proto->may_open(pkt)) {
			if (*dir == L4LB_DIR_ORIG &&
			    !(READ_ONCE(c->backend->vip->flags) &
			      L4LB_VIP_F_NO_REJECT))
				l4lb_reject(ln, skb, pkt, state);
			*verdict = NF_DROP;
			return NULL;
		}
		c = NULL;
	}
	if (!c) {
		*dir = L4LB_DIR_ORIG;
		return l4lb_new_flow(ln, skb, pkt, state, verdict);
	}
	if (pkt->tuple.proto == IPPROTO_TCP)
		l4lb_tcp_events(c, *dir, pkt);
	/* An out-of-window RST still goes on: its receiver checks it
	 * exactly. It only must not change the flow.
	 */
	l4lb_conn_update(c, *dir, pkt);
	return c;
}

/* An ICMP error about a flow, arriving from outside. */
static unsigned int l4lb_icmp_in(struct l4lb_net *ln, struct sk_buff *skb,
				 const struct l4lb_pkt *pkt,
				 const struct nf_hook_state *state)
{
	struct l4lb_conn *c;
	enum l4lb_dir dir;

	c = l4lb_conn_lookup(ln, &pkt->tuple, &dir);
	if (!c)
		return NF_ACCEPT;
	/* Rewriting recomputes its checksum: a corrupt one must not
	 * come out looking valid.
	 */
	if (!l4lb_nat_icmp_csum_ok(skb, pkt, state->hook))
		return l4lb_drop(ln, L4LB_NET_INVALID_DROPS);
	l4lb_net_count(ln->stats, L4LB_NET_ICMP_XLATED);
	return l4lb_xmit(ln, skb, pkt, c, dir, state);
}

/*
 * Parse @skb into @pkt; a fragment is reassembled first. Anything but
 * NF_ACCEPT is the hook's verdict (a fragment queued, or dropped).
 */
static __always_inline unsigned int
l4lb_parse_whole(struct sk_buff *skb, const struct nf_hook_state *state,
		 struct l4lb_pkt *pkt, enum l4lb_parse *what)
{
	unsigned int verdict;

	*what = l4lb_parse(skb, state->pf, pkt);
	if (likely(*what != L4LB_PKT_FRAG))
		return NF_ACCEPT;
	verdict = l4lb_defrag(skb, state);
	if (verdict == NF_ACCEPT)
		*what = l4lb_parse(skb, state->pf, pkt);
	return verdict;
}

static unsigned int l4lb_in(struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_pernet_rcu(state->net);
	enum l4lb_parse what;
	unsigned int verdict;
	struct l4lb_conn *c;
	/* l4lb_parse() fills it (see packet.h). */
	struct l4lb_pkt pkt __uninitialized;
	enum l4lb_dir dir;

	verdict = l4lb_parse_whole(skb, state, &pkt, &what);
	if (verdict != NF_ACCEPT)
		return verdict;
	/* About the LB's own packet, not a client's: see xmit_tunnel.c. */
	if (unlikely(pkt.too_big) && l4lb_tunnel_icmp(ln, skb, &pkt, state))
		return NF_STOLEN;
	switch (what) {
	case L4LB_PKT_PASS:
		return NF_ACCEPT;
	case L4LB_PKT_FRAG:
		/*
		 * Datagrams go on whole: defrag holds fragments until it
		 * has them all, and the stack fragments the translated
		 * datagram again on output (DNAT, SNAT: IPCB/IP6CB
		 * frag_max_size). What is still a fragment defrag would not
		 * reassemble; with no ports it belongs to no flow: the rule
		 * of mid-stream TCP.
		 */
		if (l4lb_vip_addr_in_use(ln, &pkt.tuple.dst, pkt.tuple.family))
			return l4lb_drop(ln, L4LB_NET_NOFLOW_DROPS);
		return NF_ACCEPT;
	case L4LB_PKT_INVALID:
		if (l4lb_vip_addr_in_use(ln, &pkt.tuple.dst, pkt.tuple.family))
			return l4lb_drop(ln, L4LB_NET_INVALID_DROPS);
		return NF_ACCEPT;
	case L4LB_PKT_ICMP:
		return l4lb_icmp_in(ln, skb, &pkt, state);
	case L4LB_PKT_FLOW:
		break;
	}

	c = l4lb_flow_of(ln, skb, &pkt, state, &dir, &verdict);
	if (!c)
		return verdict;
	verdict = l4lb_xmit(ln, skb, &pkt, c, dir, state);
	l4lb_ops_end(ln, c, dir);
	return verdict;
}

/*
 * The packet path's per-CPU state (counters, the DSR neighbour) wants BHs
 * off, as PREROUTING has them in the receive softirq. A packet NFQUEUE
 * gives back to a hook before the LB's (nf_reinject()) comes in process
 * context, BHs on.
 */
unsigned int l4lb_hook_in(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	bool bh_on = unlikely(!in_softirq());
	unsigned int verdict;

	if (bh_on)
		local_bh_disable();
	verdict = l4lb_in(skb, state);
	if (bh_on)
		local_bh_enable();
	return verdict;
}

/* A packet of flow @c that could not be sent on, after all. */
static unsigned int l4lb_xmit_drop(struct l4lb_net *ln, struct l4lb_conn *c)
{
	l4lb_net_count(ln->stats, L4LB_NET_XMIT_DROPS);
	l4lb_backend_event(c->backend, L4LB_EV_DROP_XMIT);
	return NF_DROP;
}

/* After a rewrite of the destination, a local packet needs a new route. */
static int l4lb_reroute_local(struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	if (state->pf == NFPROTO_IPV4)
		return ip_route_me_harder(state->net, state->sk, skb,
					  RTN_UNSPEC);
	return ip6_route_me_harder(state->net, state->sk, skb);
}

/* An ICMP error the LB host emits about a flow. */
static unsigned int l4lb_icmp_local(struct l4lb_net *ln, struct sk_buff *skb,
				    const struct l4lb_pkt *pkt,
				    const struct nf_hook_state *state)
{
	struct l4lb_conn *c;
	enum l4lb_dir dir;

	c = l4lb_conn_lookup(ln, &pkt->tuple, &dir);
	/* One-way modes rewrite nothing: the error is right as it is. */
	if (!c || l4lb_xmit_find(l4lb_conn_mode(c))->oneway)
		return NF_ACCEPT;
	l4lb_untrack(skb);
	/* Its destination may have changed: SNAT's address to the client. */
	if (l4lb_nat(skb, pkt, c, dir, true) ||
	    l4lb_reroute_local(skb, state))
		return l4lb_xmit_drop(ln, c);
	l4lb_net_count(ln->stats, L4LB_NET_ICMP_XLATED);
	return NF_ACCEPT;
}

static unsigned int l4lb_local_out(struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_pernet_rcu(state->net);
	enum l4lb_parse what;
	unsigned int verdict;
	struct l4lb_conn *c;
	/* l4lb_parse() fills it (see packet.h). */
	struct l4lb_pkt pkt __uninitialized;
	enum l4lb_dir dir;

	verdict = l4lb_parse_whole(skb, state, &pkt, &what);
	if (verdict != NF_ACCEPT)
		return verdict;
	switch (what) {
	case L4LB_PKT_FLOW:
		break;
	case L4LB_PKT_ICMP:
		return l4lb_icmp_local(ln, skb, &pkt, state);
	default:
		/* The host's own packets: not the LB's to judge. */
		return NF_ACCEPT;
	}

	c = l4lb_flow_of(ln, skb, &pkt, state, &dir, &verdict);
	if (!c)
		return verdict;
	verdict = l4lb_xmit(ln, skb, &pkt, c, dir, state);
	l4lb_ops_end(ln, c, dir);
	/* A client's packet now goes to the backend: route it there. */
	if (verdict == NF_ACCEPT && dir == L4LB_DIR_ORIG &&
	    l4lb_reroute_local(skb, state))
		return l4lb_xmit_drop(ln, c);
	return verdict;
}

/*
 * A local sender may be in process context, preemptible: BHs off, as in
 * l4lb_hook_in().
 */
static unsigned int l4lb_hook_local(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = l4lb_local_out(skb, state);
	local_bh_enable();
	return verdict;
}

static const struct nf_hook_ops l4lb_nf_ops[] = {
	{
		.hook = l4lb_hook_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = l4lb_hook_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
	{
		.hook = l4lb_hook_local,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = l4lb_hook_local,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
};

int l4lb_hook_register(struct net *net)
{
	return nf_register_net_hooks(net, l4lb_nf_ops, ARRAY_SIZE(l4lb_nf_ops));
}

void l4lb_hook_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, l4lb_nf_ops, ARRAY_SIZE(l4lb_nf_ops));
}
