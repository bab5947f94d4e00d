// SPDX-License-Identifier: GPL-2.0
/*
 * Flows over netlink: L4LB_CMD_CONN_GET (a dump of the flow tables) and
 * L4LB_CMD_CONN_DEL (end the flows a filter matches).
 *
 * Neither takes the configuration mutex: they walk the rhashtables under
 * RCU, a bounded part at a time. A dump keeps its walker between two parts
 * in an iterator allocated by .start and freed by .done; an entry that did
 * not fit the last message is taken again with rhashtable_walk_peek(). A
 * table replaced under the walk (a resize) rewinds it: what follows may
 * repeat entries, so it is flagged NLM_F_DUMP_INTR.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/l4lb.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "net.h"
#include "netlink.h"
#include "proto.h"
#include "service.h"
#include "tcp_state.h"

/* Entries a flush looks at before it lets others run. */
#define L4LB_CONN_FLUSH_BATCH	1024
/* Walks of a table per flush at most (see l4lb_cmd_conn_del()). */
#define L4LB_CONN_FLUSH_PASSES	8

#define L4LB_CF_FAMILY	BIT(0)
#define L4LB_CF_PROTO	BIT(1)
#define L4LB_CF_STATE	BIT(2)
#define L4LB_CF_SRC	BIT(3)
#define L4LB_CF_DST	BIT(4)
#define L4LB_CF_SPORT	BIT(5)
#define L4LB_CF_DPORT	BIT(6)
#define L4LB_CF_BE_ADDR	BIT(7)
#define L4LB_CF_BE_PORT	BIT(8)

struct l4lb_conn_filter {
	u32 given;		/* L4LB_CF_* */
	u8 family;
	u8 proto;
	u8 state;
	union nf_inet_addr src, dst, be_addr;
	__be16 sport, dport, be_port;
};

struct l4lb_conn_dump {
	struct l4lb_conn_filter f;
	struct rhashtable_iter iter;
	int table;		/* the one walked; ARRAY_SIZE(tables): done */
	bool entered;		/* iter is entered in tables[table] */
	bool pending;		/* the walker's entry did not fit: again */
	bool intr;		/* a resize rewound the walk */
};

static const struct nla_policy l4lb_tuple_policy[L4LB_TUPLE_ATTR_MAX + 1] = {
	[L4LB_TUPLE_ATTR_SRC] = { .type = NLA_BINARY,
				  .len = sizeof(struct in6_addr) },
	[L4LB_TUPLE_ATTR_DST] = { .type = NLA_BINARY,
				  .len = sizeof(struct in6_addr) },
	[L4LB_TUPLE_ATTR_SPORT] = { .type = NLA_BE16 },
	[L4LB_TUPLE_ATTR_DPORT] = { .type = NLA_BE16 },
};

static const struct nla_policy
l4lb_conn_filter_policy[L4LB_CONN_ATTR_MAX + 1] = {
	[L4LB_CONN_ATTR_FAMILY] = { .type = NLA_U16 },
	[L4LB_CONN_ATTR_PROTO] = { .type = NLA_U8 },
	[L4LB_CONN_ATTR_ORIG] = NLA_POLICY_NESTED(l4lb_tuple_policy),
	[L4LB_CONN_ATTR_BACKEND_ADDR] = { .type = NLA_BINARY,
					  .len = sizeof(struct in6_addr) },
	[L4LB_CONN_ATTR_BACKEND_PORT] = { .type = NLA_BE16 },
	[L4LB_CONN_ATTR_STATE] = { .type = NLA_U8 },
};

const struct nla_policy l4lb_conn_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_VIP] = NLA_POLICY_NESTED(l4lb_vip_key_policy),
	[L4LB_ATTR_CONN] = NLA_POLICY_NESTED(l4lb_conn_filter_policy),
};

/* An address of the filter's family, into @addr. */
static int l4lb_conn_filter_addr(const struct l4lb_conn_filter *f,
				 const struct nlattr *a,
				 union nf_inet_addr *addr,
				 struct netlink_ext_ack *extack)
{
	int len = f->family == AF_INET ? sizeof(struct in_addr) :
					 sizeof(struct in6_addr);

	if (!(f->given & L4LB_CF_FAMILY)) {
		NL_SET_ERR_MSG_ATTR(extack, a, "an address filter needs the family");
		return -EINVAL;
	}
	if (nla_len(a) != len) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "address length does not match its family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, nla_data(a), len);
	return 0;
}

static int l4lb_conn_filter_tuple(struct l4lb_conn_filter *f,
				  const struct nlattr *nest,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[L4LB_TUPLE_ATTR_MAX + 1];
	int err;

	err = nla_parse_nested(tb, L4LB_TUPLE_ATTR_MAX, nest, l4lb_tuple_policy,
			       extack);
	if (err)
		return err;
	if (tb[L4LB_TUPLE_ATTR_SRC]) {
		err = l4lb_conn_filter_addr(f, tb[L4LB_TUPLE_ATTR_SRC], &f->src,
					    extack);
		if (err)
			return err;
		f->given |= L4LB_CF_SRC;
	}
	if (tb[L4LB_TUPLE_ATTR_DST]) {
		err = l4lb_conn_filter_addr(f, tb[L4LB_TUPLE_ATTR_DST], &f->dst,
					    extack);
		if (err)
			return err;
		f->given |= L4LB_CF_DST;
	}
	if (tb[L4LB_TUPLE_ATTR_SPORT]) {
		f->sport = nla_get_be16(tb[L4LB_TUPLE_ATTR_SPORT]);
		f->given |= L4LB_CF_SPORT;
	}
	if (tb[L4LB_TUPLE_ATTR_DPORT]) {
		f->dport = nla_get_be16(tb[L4LB_TUPLE_ATTR_DPORT]);
		f->given |= L4LB_CF_DPORT;
	}
	return 0;
}

/* The filters of a CONN_GET or CONN_DEL request, from @attrs. */
static int l4lb_conn_filter_parse(struct nlattr **attrs,
				  struct l4lb_conn_filter *f,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[L4LB_CONN_ATTR_MAX + 1];
	struct genl_info info = { .attrs = attrs, .extack = extack };
	struct nlattr *vtb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_vip_key key;
	u8 family = 0;
	int err;

	memset(f, 0, sizeof(*f));
	if (attrs[L4LB_ATTR_VIP]) {
		err = l4lb_parse_vip(&info, vtb, &key);
		if (err)
			return err;
		f->given = L4LB_CF_FAMILY | L4LB_CF_PROTO | L4LB_CF_DST |
			   L4LB_CF_DPORT;
		f->family = key.family;
		f->proto = key.proto;
		f->dst = key.addr;
		f->dport = key.port;
	}
	if (!attrs[L4LB_ATTR_CONN])
		return 0;
	err = nla_parse_nested(tb, L4LB_CONN_ATTR_MAX, attrs[L4LB_ATTR_CONN],
			       l4lb_conn_filter_policy, extack);
	if (err)
		return err;
	if (tb[L4LB_CONN_ATTR_FAMILY]) {
		family = nla_get_u16(tb[L4LB_CONN_ATTR_FAMILY]);
		if (family != AF_INET && family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_FAMILY],
					    "address family must be AF_INET or AF_INET6");
			return -EAFNOSUPPORT;
		}
		if ((f->given & L4LB_CF_FAMILY) && family != f->family) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_FAMILY],
					    "flow and VIP address families differ");
			return -EINVAL;
		}
		f->family = family;
		f->given |= L4LB_CF_FAMILY;
	}
	if (tb[L4LB_CONN_ATTR_PROTO]) {
		u8 proto = nla_get_u8(tb[L4LB_CONN_ATTR_PROTO]);

		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_PROTO],
					    "protocol must be TCP or UDP");
			return -EPROTONOSUPPORT;
		}
		if ((f->given & L4LB_CF_PROTO) && proto != f->proto) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_PROTO],
					    "flow and VIP protocols differ");
			return -EINVAL;
		}
		f->proto = proto;
		f->given |= L4LB_CF_PROTO;
	}
	if (tb[L4LB_CONN_ATTR_STATE]) {
		f->state = nla_get_u8(tb[L4LB_CONN_ATTR_STATE]);
		if (!(f->given & L4LB_CF_PROTO)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_STATE],
					    "a state filter needs the protocol");
			return -EINVAL;
		}
		if (f->state > (f->proto == IPPROTO_TCP ? L4LB_CONN_TCP_MAX :
							   L4LB_CONN_UDP_MAX)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_CONN_ATTR_STATE],
					    "no such state of the protocol");
			return -EINVAL;
		}
		f->given |= L4LB_CF_STATE;
	}
	if (tb[L4LB_CONN_ATTR_ORIG]) {
		err = l4lb_conn_filter_tuple(f, tb[L4LB_CONN_ATTR_ORIG], extack);
		if (err)
			return err;
	}
	if (tb[L4LB_CONN_ATTR_BACKEND_ADDR]) {
		err = l4lb_conn_filter_addr(f, tb[L4LB_CONN_ATTR_BACKEND_ADDR],
					    &f->be_addr, extack);
		if (err)
			return err;
		f->given |= L4LB_CF_BE_ADDR;
	}
	if (tb[L4LB_CONN_ATTR_BACKEND_PORT]) {
		f->be_port = nla_get_be16(tb[L4LB_CONN_ATTR_BACKEND_PORT]);
		f->given |= L4LB_CF_BE_PORT;
	}
	return 0;
}

/* The state a flow shows: enum l4lb_conn_tcp_state or _udp_state. */
static u8 l4lb_conn_show_state(u32 state)
{
	u8 pstate = state & L4LB_CS_PSTATE;

	BUILD_BUG_ON((int)L4LB_CONN_TCP_CLOSE != (int)L4LB_TCP_CLOSE ||
		     (int)L4LB_CONN_TCP_ESTABLISHED !=
		     (int)L4LB_TCP_ESTABLISHED);
	if (((state >> L4LB_CS_PROTO_SHIFT) & 0xff) == IPPROTO_TCP)
		return pstate;
	if (state & L4LB_CS_OPS)
		return l4lb_udp_ops_answered(state) ? L4LB_CONN_UDP_ANSWERED :
						      L4LB_CONN_UDP_UNREPLIED;
	return min_t(u8, pstate, L4LB_CONN_UDP_CONVERSATION);
}

static u32 l4lb_conn_show_flags(u32 state)
{
	return (state & L4LB_CS_REPLIED ? L4LB_CONN_F_REPLIED : 0) |
	       (state & L4LB_CS_ONEWAY ? L4LB_CONN_F_ONEWAY : 0) |
	       (state & L4LB_CS_OPS ? L4LB_CONN_F_OPS : 0) |
	       (state & L4LB_CS_ADOPTED ? L4LB_CONN_F_ADOPTED : 0);
}

static bool l4lb_addr_eq(const union nf_inet_addr *a,
			 const union nf_inet_addr *b, u8 family)
{
	if (family == AF_INET)
		return a->ip == b->ip;
	return ipv6_addr_equal(&a->in6, &b->in6);
}

/*
 * The flow of a walked hash entry, if it is one to show: an ORIG entry of
 * a live flow (not a template, not dead or expired) that @f matches. The
 * ORIG tuple into @t, the jiffies it has left into @left. Under RCU.
 */
static struct l4lb_conn *l4lb_conn_walk_match(void *obj, bool v6,
					      const struct l4lb_conn_filter *f,
					      struct l4lb_tuple *t, s32 *left,
					      u32 *statep)
{
	const struct l4lb_backend *be;
	struct l4lb_conn *c;
	enum l4lb_dir dir;
	u32 state;

	c = l4lb_conn_of_walk(obj, v6, &dir);
	if (dir != L4LB_DIR_ORIG)
		return NULL;
	state = READ_ONCE(c->state);
	if (state & (L4LB_CS_DEAD | L4LB_CS_NEW | L4LB_CS_TEMPLATE))
		return NULL;
	*left = (s32)(READ_ONCE(c->expires) - (u32)jiffies);
	be = c->backend;
	if (*left <= 0 || l4lb_backend_dead(be))
		return NULL;
	l4lb_conn_tuple(c, L4LB_DIR_ORIG, t);
	if (((f->given & L4LB_CF_FAMILY) && t->family != f->family) ||
	    ((f->given & L4LB_CF_PROTO) && t->proto != f->proto) ||
	    ((f->given & L4LB_CF_STATE) &&
	     l4lb_conn_show_state(state) != f->state) ||
	    ((f->given & L4LB_CF_SRC) &&
	     !l4lb_addr_eq(&t->src, &f->src, t->family)) ||
	    ((f->given & L4LB_CF_DST) &&
	     !l4lb_addr_eq(&t->dst, &f->dst, t->family)) ||
	    ((f->given & L4LB_CF_SPORT) && t->sport != f->sport) ||
	    ((f->given & L4LB_CF_DPORT) && t->dport != f->dport) ||
	    ((f->given & L4LB_CF_BE_ADDR) &&
	     !l4lb_addr_eq(&be->hkey.key.addr, &f->be_addr, t->family)) ||
	    ((f->given & L4LB_CF_BE_PORT) && be->hkey.key.port != f->be_port))
		return NULL;
	*statep = state;
	return c;
}

static int l4lb_put_tuple(struct sk_buff *skb, int type,
			  const struct l4lb_tuple *t)
{
	int len = t->family == AF_INET ? sizeof(struct in_addr) :
					 sizeof(struct in6_addr);
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, L4LB_TUPLE_ATTR_SRC, len, &t->src) ||
	    nla_put(skb, L4LB_TUPLE_ATTR_DST, len, &t->dst) ||
	    nla_put_be16(skb, L4LB_TUPLE_ATTR_SPORT, t->sport) ||
	    nla_put_be16(skb, L4LB_TUPLE_ATTR_DPORT, t->dport)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

struct nlattr *l4lb_conn_put(struct sk_buff *skb, const struct l4lb_conn *c,
			     const struct l4lb_tuple *orig, s32 left,
			     u32 state)
{
	const struct l4lb_backend *be = c->backend;
	int len = orig->family == AF_INET ? sizeof(struct in_addr) :
					    sizeof(struct in6_addr);
	struct l4lb_tuple reply;
	struct nlattr *nest;

	l4lb_conn_tuple(c, L4LB_DIR_REPLY, &reply);
	nest = nla_nest_start(skb, L4LB_ATTR_CONN);
	if (!nest)
		return NULL;
	if (nla_put_u16(skb, L4LB_CONN_ATTR_FAMILY, orig->family) ||
	    nla_put_u8(skb, L4LB_CONN_ATTR_PROTO, orig->proto) ||
	    l4lb_put_tuple(skb, L4LB_CONN_ATTR_ORIG, orig) ||
	    l4lb_put_tuple(skb, L4LB_CONN_ATTR_REPLY, &reply) ||
	    nla_put(skb, L4LB_CONN_ATTR_BACKEND_ADDR, len, &be->hkey.key.addr) ||
	    nla_put_be16(skb, L4LB_CONN_ATTR_BACKEND_PORT, be->hkey.key.port) ||
	    nla_put_u8(skb, L4LB_CONN_ATTR_MODE,
		       (state >> L4LB_CS_MODE_SHIFT) & L4LB_CS_MODE_MASK) ||
	    nla_put_u8(skb, L4LB_CONN_ATTR_STATE, l4lb_conn_show_state(state)) ||
	    nla_put_u32(skb, L4LB_CONN_ATTR_FLAGS,
			l4lb_conn_show_flags(state)) ||
	    nla_put_u32(skb, L4LB_CONN_ATTR_EXPIRES,
			DIV_ROUND_UP((u32)max(left, 0), HZ))) {
		nla_nest_cancel(skb, nest);
		return NULL;
	}
	return nest;
}

static int l4lb_conn_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			      const struct l4lb_conn *c,
			      const struct l4lb_tuple *orig, s32 left,
			      u32 state, bool intr)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &l4lb_genl_family, NLM_F_MULTI, L4LB_CMD_CONN_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (intr)
		genlmsg_nlhdr(hdr)->nlmsg_flags |= NLM_F_DUMP_INTR;
	nest = l4lb_conn_put(skb, c, orig, left, state);
	if (!nest) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

int l4lb_conn_dump_start(struct netlink_callback *cb)
{
	struct l4lb_conn_dump *d;
	int err;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		NL_SET_ERR_MSG(cb->extack, "out of memory for the dump");
		return -ENOMEM;
	}
	err = l4lb_conn_filter_parse(l4lb_dump_attrs(cb), &d->f, cb->extack);
	if (err) {
		kfree(d);
		return err;
	}
	cb->args[0] = (long)d;
	return 0;
}

int l4lb_conn_dump_done(struct netlink_callback *cb)
{
	struct l4lb_conn_dump *d = (struct l4lb_conn_dump *)cb->args[0];

	if (d && d->entered)
		rhashtable_walk_exit(&d->iter);
	kfree(d);
	return 0;
}

/*
 * Walk on from where the last part stopped, until the message is full
 * (the entry that did not fit is the walker's current one: peek it next
 * time) or both tables are done.
 */
int l4lb_conn_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct l4lb_net *ln = l4lb_pernet(sock_net(skb->sk));
	struct l4lb_conn_dump *d = (struct l4lb_conn_dump *)cb->args[0];
	bool full = false;

	while (!full && d->table < ARRAY_SIZE(ln->tables)) {
		bool v6 = d->table;
		void *obj;

		if (!d->entered) {
			rhashtable_walk_enter(&ln->tables[d->table].ht,
					      &d->iter);
			d->entered = true;
			d->pending = false;
		}
		if (rhashtable_walk_start_check(&d->iter) == -EAGAIN) {
			d->intr = true;
			d->pending = false;
		}
		for (;;) {
			struct l4lb_tuple t;
			struct l4lb_conn *c;
			u32 state;
			s32 left;

			obj = d->pending ? rhashtable_walk_peek(&d->iter) :
					   rhashtable_walk_next(&d->iter);
			d->pending = false;
			if (IS_ERR(obj)) {
				if (PTR_ERR(obj) == -EAGAIN) {
					d->intr = true;
					continue;
				}
				obj = NULL;
			}
			if (!obj)
				break;
			c = l4lb_conn_walk_match(obj, v6, &d->f, &t, &left,
						 &state);
			if (!c)
				continue;
			if (l4lb_conn_dump_one(skb, cb, c, &t, left, state,
					       d->intr)) {
				d->pending = true;
				full = true;
				break;
			}
		}
		rhashtable_walk_stop(&d->iter);
		if (!full) {
			rhashtable_walk_exit(&d->iter);
			d->entered = false;
			d->table++;
		}
	}
	/* The core flags NLMSG_DONE too when the sequence moved. */
	if (d->intr) {
		cb->prev_seq = 1;
		cb->seq = 2;
	}
	return skb->len;
}

/*
 * End the flows of table @idx that @f matches, a batch at a time; returns
 * how many it ended.
 */
static unsigned int l4lb_conn_flush_table(struct l4lb_net *ln, int idx,
					  const struct l4lb_conn_filter *f)
{
	struct rhashtable_iter iter;
	unsigned int n = 0, killed = 0;
	void *obj;

	rhashtable_walk_enter(&ln->tables[idx].ht, &iter);
	rhashtable_walk_start(&iter);
	while ((obj = rhashtable_walk_next(&iter))) {
		struct l4lb_tuple t;
		struct l4lb_conn *c;
		u32 state;
		s32 left;

		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN)
				continue;
			break;
		}
		c = l4lb_conn_walk_match(obj, idx, f, &t, &left, &state);
		if (c) {
			l4lb_conn_kill(ln, c, L4LB_CONN_END_FLUSHED);
			killed++;
		}
		if (++n % L4LB_CONN_FLUSH_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return killed;
}

/*
 * A walk that resumes after a batch finds its place again by the entry it
 * stood on: when that entry was just killed, it counts its way into the
 * bucket and may step over one entry. So walk again while a pass ended
 * flows (a bounded number of times): the next pass has little to kill.
 */
int l4lb_cmd_conn_del(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct l4lb_conn_filter f;
	int err, i, v6, pass;

	err = l4lb_conn_filter_parse(info->attrs, &f, info->extack);
	if (err)
		return err;
	v6 = f.family == AF_INET6;
	for (i = 0; i < ARRAY_SIZE(ln->tables); i++)
		if (!(f.given & L4LB_CF_FAMILY) || i == v6)
			for (pass = 0; pass < L4LB_CONN_FLUSH_PASSES; pass++)
				if (!l4lb_conn_flush_table(ln, i, &f))
					break;
	return 0;
}
