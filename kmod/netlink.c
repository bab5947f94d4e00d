// SPDX-License-Identifier: GPL-2.0
/*
 * The "l4lb" generic netlink family: strict policies, an extack message on
 * every rejection, CAP_NET_ADMIN in the netns owner's user namespace. This
 * file only translates between attributes and the service layer.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/l4lb.h>
#include <linux/math64.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "hook.h"
#include "net.h"
#include "netlink.h"
#include "sched.h"
#include "service.h"
#include "xmit.h"

struct genl_family l4lb_genl_family;

/* Multicast groups, in the order of l4lb_mcgrps[]. */
enum l4lb_mcgrp {
	L4LB_MCGRP_EVENTS,
	L4LB_MCGRP_FLOWS,
};

/* Off while the family is not registered: no flow event is built then. */
static bool l4lb_flow_events_on __read_mostly;

/* Configuration events (defined with the dumps, whose attributes they use). */
static struct sk_buff *l4lb_event_new(struct l4lb_net *ln,
				      struct genl_info *info, u8 cmd,
				      void **hdr);
static struct sk_buff *l4lb_event(struct l4lb_net *ln, struct genl_info *info,
				  u8 cmd, const struct l4lb_vip *vip,
				  const struct l4lb_backend *be);
static void l4lb_event_send(struct l4lb_net *ln, struct sk_buff *msg);
static void l4lb_event_net(struct l4lb_net *ln, struct genl_info *info);

/* Not const: 6.1 declares the policy's range pointer non-const. */
static struct netlink_range_validation l4lb_weight_range = {
	.min = 0,
	.max = L4LB_WEIGHT_MAX,
};

/*
 * Timeouts in seconds; 0 is a VIP's "follow the namespace default" (refused
 * as a default). Not const, as the weight range.
 */
static struct netlink_range_validation l4lb_timeout_range = {
	.max = L4LB_TIMEOUT_MAX,
};

static struct netlink_range_validation l4lb_timeout_established_range = {
	.max = L4LB_TIMEOUT_ESTABLISHED_MAX,
};

static struct netlink_range_validation l4lb_timeout_close_range = {
	.max = L4LB_TIMEOUT_CLOSE_MAX,
};

/* Persistence, as long as the longest idle timeout. */
static struct netlink_range_validation l4lb_persist_range = {
	.max = L4LB_TIMEOUT_ESTABLISHED_MAX,
};

static struct netlink_range_validation l4lb_maglev_size_range = {
	.max = L4LB_MAGLEV_SIZE_MAX,
};

#define L4LB_TIMEOUT_POLICY(range) NLA_POLICY_FULL_RANGE(NLA_U32, range)

static const struct nla_policy
l4lb_timeouts_policy[L4LB_TIMEOUT_ATTR_MAX + 1] = {
	[L4LB_TIMEOUT_ATTR_TCP_UNREPLIED] =
		L4LB_TIMEOUT_POLICY(&l4lb_timeout_range),
	[L4LB_TIMEOUT_ATTR_TCP_SYN] = L4LB_TIMEOUT_POLICY(&l4lb_timeout_range),
	[L4LB_TIMEOUT_ATTR_TCP_ESTABLISHED] =
		L4LB_TIMEOUT_POLICY(&l4lb_timeout_established_range),
	[L4LB_TIMEOUT_ATTR_TCP_FIN] = L4LB_TIMEOUT_POLICY(&l4lb_timeout_range),
	[L4LB_TIMEOUT_ATTR_TCP_CLOSE] =
		L4LB_TIMEOUT_POLICY(&l4lb_timeout_close_range),
	[L4LB_TIMEOUT_ATTR_UDP_UNREPLIED] =
		L4LB_TIMEOUT_POLICY(&l4lb_timeout_range),
	[L4LB_TIMEOUT_ATTR_UDP] = L4LB_TIMEOUT_POLICY(&l4lb_timeout_range),
};

/*
 * Per-command policies, strictly validated: an attribute a command does not
 * take is refused, not ignored. The key of a VIP or backend is the same
 * everywhere; only the commands that create or change one take more.
 */
#define L4LB_VIP_KEY_POLICY						\
	[L4LB_VIP_ATTR_FAMILY] = { .type = NLA_U16 },			\
	[L4LB_VIP_ATTR_ADDR] = { .type = NLA_BINARY,			\
				 .len = sizeof(struct in6_addr) },	\
	[L4LB_VIP_ATTR_PORT] = NLA_POLICY_MIN(NLA_BE16, 1),		\
	[L4LB_VIP_ATTR_PROTO] = { .type = NLA_U8 }

#define L4LB_BACKEND_KEY_POLICY						\
	[L4LB_BACKEND_ATTR_FAMILY] = { .type = NLA_U16 },		\
	[L4LB_BACKEND_ATTR_ADDR] = { .type = NLA_BINARY,		\
				     .len = sizeof(struct in6_addr) },	\
	[L4LB_BACKEND_ATTR_PORT] = NLA_POLICY_MIN(NLA_BE16, 1)

const struct nla_policy l4lb_vip_key_policy[L4LB_VIP_ATTR_MAX + 1] = {
	L4LB_VIP_KEY_POLICY,
};

static const struct nla_policy l4lb_snat_policy[L4LB_SNAT_ATTR_MAX + 1] = {
	[L4LB_SNAT_ADDR] = { .type = NLA_BINARY,
			     .len = sizeof(struct in6_addr) },
};

/* What VIP add and VIP set take beyond the key. */
static const struct nla_policy l4lb_vip_new_policy[L4LB_VIP_ATTR_MAX + 1] = {
	L4LB_VIP_KEY_POLICY,
	[L4LB_VIP_ATTR_SCHED] = { .type = NLA_NUL_STRING,
				  .len = L4LB_SCHED_ARG_MAX - 1 },
	[L4LB_VIP_ATTR_MODE] = NLA_POLICY_MAX(NLA_U8, L4LB_FWD_MAX),
	[L4LB_VIP_ATTR_SNAT_ADDRS] = NLA_POLICY_NESTED(l4lb_snat_policy),
	[L4LB_VIP_ATTR_SNAT_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[L4LB_VIP_ATTR_SNAT_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[L4LB_VIP_ATTR_ENCAP] = NLA_POLICY_MAX(NLA_U8, L4LB_ENCAP_MAX),
	[L4LB_VIP_ATTR_ENCAP_PORT] = NLA_POLICY_MIN(NLA_BE16, 1),
	[L4LB_VIP_ATTR_FLAGS] = NLA_POLICY_MASK(NLA_U32, L4LB_VIP_F_ALL),
	[L4LB_VIP_ATTR_TIMEOUTS] = NLA_POLICY_NESTED(l4lb_timeouts_policy),
	[L4LB_VIP_ATTR_MAGLEV_SIZE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &l4lb_maglev_size_range),
	[L4LB_VIP_ATTR_MAXCONN] = { .type = NLA_U32 },
	[L4LB_VIP_ATTR_RATE] = { .type = NLA_U32 },
	[L4LB_VIP_ATTR_BURST] = { .type = NLA_U32 },
	[L4LB_VIP_ATTR_PERSIST] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &l4lb_persist_range),
};

static const struct nla_policy l4lb_net_set_policy[L4LB_NET_ATTR_MAX + 1] = {
	[L4LB_NET_ATTR_TIMEOUTS] = NLA_POLICY_NESTED(l4lb_timeouts_policy),
};

static const struct nla_policy
l4lb_backend_key_policy[L4LB_BACKEND_ATTR_MAX + 1] = {
	L4LB_BACKEND_KEY_POLICY,
};

static const struct nla_policy
l4lb_backend_new_policy[L4LB_BACKEND_ATTR_MAX + 1] = {
	L4LB_BACKEND_KEY_POLICY,
	[L4LB_BACKEND_ATTR_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							   &l4lb_weight_range),
	[L4LB_BACKEND_ATTR_STATE] = NLA_POLICY_MAX(NLA_U8,
						   L4LB_BACKEND_STATE_MAX),
	[L4LB_BACKEND_ATTR_MAXCONN] = { .type = NLA_U32 },
	[L4LB_BACKEND_ATTR_FLAGS] = NLA_POLICY_MASK(NLA_U32,
						    L4LB_BACKEND_F_ALL),
};

/* Top level, per command. */
static const struct nla_policy l4lb_none_policy[L4LB_ATTR_MAX + 1] = {
};

static const struct nla_policy l4lb_vip_new_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_VIP] = NLA_POLICY_NESTED(l4lb_vip_new_policy),
};

static const struct nla_policy l4lb_vip_key_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_VIP] = NLA_POLICY_NESTED(l4lb_vip_key_policy),
};

static const struct nla_policy l4lb_net_set_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_NET] = NLA_POLICY_NESTED(l4lb_net_set_policy),
};

static const struct nla_policy
l4lb_backend_new_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_VIP] = NLA_POLICY_NESTED(l4lb_vip_key_policy),
	[L4LB_ATTR_BACKEND] = NLA_POLICY_NESTED(l4lb_backend_new_policy),
};

static const struct nla_policy
l4lb_backend_key_cmd_policy[L4LB_ATTR_MAX + 1] = {
	[L4LB_ATTR_VIP] = NLA_POLICY_NESTED(l4lb_vip_key_policy),
	[L4LB_ATTR_BACKEND] = NLA_POLICY_NESTED(l4lb_backend_key_policy),
};

/* Require attribute @type in @tb, else fail with @msg pointing at it. */
#define L4LB_REQUIRE(extack, nest, tb, type, msg) ({			\
	struct netlink_ext_ack *l4lb_ext_ = (extack);			\
	unsigned int l4lb_type_ = (type);					\
	bool l4lb_missing_ = !(tb)[l4lb_type_];					\
									\
	if (l4lb_missing_) {						\
		NL_SET_ERR_MSG(l4lb_ext_, msg);				\
		NL_SET_ERR_ATTR_MISS(l4lb_ext_, nest, l4lb_type_);		\
	}								\
	l4lb_missing_;							\
})

static int l4lb_get_addr(const struct nlattr *fam_attr,
			 const struct nlattr *addr_attr,
			 union nf_inet_addr *addr, u8 *family,
			 struct netlink_ext_ack *extack)
{
	u16 fam = nla_get_u16(fam_attr);
	int len = nla_len(addr_attr);

	if (fam != AF_INET && fam != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, fam_attr,
				    "address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (len != (fam == AF_INET ? sizeof(struct in_addr) :
				     sizeof(struct in6_addr))) {
		NL_SET_ERR_MSG_ATTR(extack, addr_attr,
				    "address length does not match its family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, nla_data(addr_attr), len);
	*family = fam;
	return 0;
}

/* Parse the VIP nest of a request into its attributes and its key. */
int l4lb_parse_vip(struct genl_info *info, struct nlattr **tb,
		   struct l4lb_vip_key *key)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[L4LB_ATTR_VIP];
	int err;

	if (L4LB_REQUIRE(extack, NULL, info->attrs, L4LB_ATTR_VIP,
			 "missing VIP"))
		return -EINVAL;
	/* Validated by the command's policy already; the superset policy
	 * only parses here.
	 */
	err = nla_parse_nested(tb, L4LB_VIP_ATTR_MAX, nest, l4lb_vip_new_policy,
			       extack);
	if (err)
		return err;
	if (L4LB_REQUIRE(extack, nest, tb, L4LB_VIP_ATTR_FAMILY,
			 "missing VIP address family") ||
	    L4LB_REQUIRE(extack, nest, tb, L4LB_VIP_ATTR_ADDR,
			 "missing VIP address") ||
	    L4LB_REQUIRE(extack, nest, tb, L4LB_VIP_ATTR_PORT,
			 "missing VIP port") ||
	    L4LB_REQUIRE(extack, nest, tb, L4LB_VIP_ATTR_PROTO,
			 "missing VIP protocol"))
		return -EINVAL;

	memset(key, 0, sizeof(*key));
	err = l4lb_get_addr(tb[L4LB_VIP_ATTR_FAMILY], tb[L4LB_VIP_ATTR_ADDR],
			    &key->addr, &key->family, extack);
	if (err)
		return err;
	key->port = nla_get_be16(tb[L4LB_VIP_ATTR_PORT]);
	key->proto = nla_get_u8(tb[L4LB_VIP_ATTR_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_PROTO],
				    "protocol must be TCP or UDP");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static int l4lb_parse_backend(struct genl_info *info, struct nlattr **tb,
			      struct l4lb_backend_key *key, u8 vip_family)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[L4LB_ATTR_BACKEND];
	u8 family;
	int err;

	if (L4LB_REQUIRE(extack, NULL, info->attrs, L4LB_ATTR_BACKEND,
			 "missing backend"))
		return -EINVAL;
	err = nla_parse_nested(tb, L4LB_BACKEND_ATTR_MAX, nest,
			       l4lb_backend_new_policy, extack);
	if (err)
		return err;
	if (L4LB_REQUIRE(extack, nest, tb, L4LB_BACKEND_ATTR_FAMILY,
			 "missing backend address family") ||
	    L4LB_REQUIRE(extack, nest, tb, L4LB_BACKEND_ATTR_ADDR,
			 "missing backend address") ||
	    L4LB_REQUIRE(extack, nest, tb, L4LB_BACKEND_ATTR_PORT,
			 "missing backend port"))
		return -EINVAL;

	memset(key, 0, sizeof(*key));
	err = l4lb_get_addr(tb[L4LB_BACKEND_ATTR_FAMILY],
			    tb[L4LB_BACKEND_ATTR_ADDR], &key->addr, &family,
			    extack);
	if (err)
		return err;
	if (family != vip_family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_BACKEND_ATTR_FAMILY],
				    "backend and VIP address families differ");
		return -EINVAL;
	}
	key->port = nla_get_be16(tb[L4LB_BACKEND_ATTR_PORT]);
	return 0;
}

static struct l4lb_vip *l4lb_find_vip(struct l4lb_net *ln,
				      const struct l4lb_vip_key *key,
				      struct genl_info *info)
{
	struct l4lb_vip *vip = l4lb_vip_find(ln, key);

	if (!vip)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[L4LB_ATTR_VIP],
				    "VIP not found");
	return vip;
}

/* Hooks on with the netns' first VIP, off with its last. */
static int l4lb_hooks_get(struct l4lb_net *ln, struct netlink_ext_ack *extack)
{
	int err;

	if (ln->hooked)
		return 0;
	err = l4lb_hook_register(ln->net);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the netfilter hooks");
		return err;
	}
	WRITE_ONCE(ln->hooked, true);
	l4lb_conn_gc_start(ln);
	/* Flows made on the packet path are charged to the memory cgroup of
	 * whoever set this netns up.
	 */
	if (!ln->memcg)
		ln->memcg = l4lb_memcg_get_current();
	return 0;
}

static void l4lb_hooks_put(struct l4lb_net *ln)
{
	if (ln->hooked && !ln->vip_count) {
		l4lb_hook_unregister(ln->net);
		WRITE_ONCE(ln->hooked, false);
	}
}

/* The SNAT addresses of a request: of the VIP's family, no duplicates. */
static int l4lb_parse_snat(const struct nlattr *nest, u8 family,
			   struct l4lb_snat_addrs **snatp,
			   struct netlink_ext_ack *extack)
{
	int len = family == AF_INET ? sizeof(struct in_addr) :
				      sizeof(struct in6_addr);
	struct l4lb_snat_addrs *snat;
	const struct nlattr *a;
	unsigned int i;
	int rem;

	*snatp = NULL;
	snat = kzalloc(struct_size(snat, addr, L4LB_SNAT_ADDRS_MAX),
		       GFP_KERNEL_ACCOUNT);
	if (!snat) {
		NL_SET_ERR_MSG(extack, "out of memory for the SNAT addresses");
		return -ENOMEM;
	}
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != L4LB_SNAT_ADDR || nla_len(a) != len) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "SNAT address length does not match the VIP's family");
			goto err;
		}
		if (snat->count == L4LB_SNAT_ADDRS_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, a, "too many SNAT addresses");
			goto err;
		}
		memcpy(&snat->addr[snat->count], nla_data(a), len);
		for (i = 0; i < snat->count; i++)
			if (nf_inet_addr_cmp(&snat->addr[i],
					     &snat->addr[snat->count])) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "duplicate SNAT address");
				goto err;
			}
		snat->count++;
	}
	/* An empty list: back to the egress interface's address. */
	if (!snat->count) {
		kfree(snat);
		return 0;
	}
	*snatp = snat;
	return 0;

err:
	kfree(snat);
	return -EINVAL;
}

/*
 * The timeouts a nest gives: seconds into @secs, and which ones (attribute
 * present) into @given. Ranges: the policy's; 0 only where @zero_ok.
 */
static int l4lb_parse_timeouts(const struct nlattr *nest, bool zero_ok,
			       u32 *secs, u32 *given,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[L4LB_TIMEOUT_ATTR_MAX + 1];
	int err, i;

	BUILD_BUG_ON(L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + L4LB_TO_COUNT - 1 !=
		     L4LB_TIMEOUT_ATTR_MAX);
	err = nla_parse_nested(tb, L4LB_TIMEOUT_ATTR_MAX, nest,
			       l4lb_timeouts_policy, extack);
	if (err)
		return err;
	*given = 0;
	for (i = 0; i < L4LB_TO_COUNT; i++) {
		const struct nlattr *a = tb[L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + i];

		secs[i] = a ? nla_get_u32(a) : 0;
		if (!a)
			continue;
		if (!secs[i] && !zero_ok) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "a default timeout cannot be 0");
			return -ERANGE;
		}
		*given |= BIT(i);
	}
	return 0;
}

/* Trial division: sizes are at most L4LB_MAGLEV_SIZE_MAX. */
static bool l4lb_is_prime(u32 n)
{
	u32 d;

	if (n < 2)
		return false;
	for (d = 2; d * d <= n; d++)
		if (!(n % d))
			return false;
	return true;
}

/* What scheduling takes from a VIP add or set: size, limits, persistence. */
static int l4lb_parse_vip_sched(struct nlattr **tb, const struct l4lb_vip *vip,
				struct l4lb_vip_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	struct nlattr *a;

	a = tb[L4LB_VIP_ATTR_MAGLEV_SIZE];
	if (a) {
		cfg->maglev_size = nla_get_u32(a);
		if (cfg->maglev_size &&
		    (cfg->maglev_size < L4LB_MAGLEV_SIZE_MIN ||
		     !l4lb_is_prime(cfg->maglev_size))) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "Maglev table size must be a prime from 251 to 1048573, or 0 for the default");
			return -EINVAL;
		}
		cfg->given |= L4LB_VIP_CFG_MAGLEV_SIZE;
	}
	if (tb[L4LB_VIP_ATTR_MAXCONN]) {
		cfg->maxconn = nla_get_u32(tb[L4LB_VIP_ATTR_MAXCONN]);
		cfg->given |= L4LB_VIP_CFG_MAXCONN;
	}
	if (vip) {
		cfg->rate = vip->rate.rate;
		cfg->burst = vip->rate.burst;
	}
	if (tb[L4LB_VIP_ATTR_RATE]) {
		cfg->rate = nla_get_u32(tb[L4LB_VIP_ATTR_RATE]);
		cfg->given |= L4LB_VIP_CFG_RATE;
		/* A new rate without a burst: the burst follows it. */
		if (!tb[L4LB_VIP_ATTR_BURST])
			cfg->burst = 0;
	}
	if (tb[L4LB_VIP_ATTR_BURST]) {
		cfg->burst = nla_get_u32(tb[L4LB_VIP_ATTR_BURST]);
		cfg->given |= L4LB_VIP_CFG_RATE;
	}
	if (cfg->burst && !cfg->rate) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_BURST],
				    "a burst needs a rate limit");
		return -EINVAL;
	}
	if (tb[L4LB_VIP_ATTR_PERSIST]) {
		cfg->persist = nla_get_u32(tb[L4LB_VIP_ATTR_PERSIST]);
		cfg->given |= L4LB_VIP_CFG_PERSIST;
	}
	return 0;
}

/*
 * The VIP configuration a request gives, into @cfg (whose defaults the
 * caller set). Checked against the mode the VIP will have: @mode, unless the
 * request changes it.
 */
static int l4lb_parse_vip_cfg(struct nlattr **tb, const struct l4lb_vip_key *key,
			      const struct l4lb_vip *vip,
			      struct l4lb_vip_cfg *cfg,
			      struct netlink_ext_ack *extack)
{
	const struct l4lb_xmit_ops *ops;
	int err;

	if (tb[L4LB_VIP_ATTR_SCHED]) {
		cfg->sched = l4lb_sched_find(nla_data(tb[L4LB_VIP_ATTR_SCHED]));
		if (!cfg->sched) {
			NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_SCHED],
					    "unknown scheduler");
			return -ENOENT;
		}
		cfg->given |= L4LB_VIP_CFG_SCHED;
	}
	if (tb[L4LB_VIP_ATTR_MODE]) {
		cfg->mode = nla_get_u8(tb[L4LB_VIP_ATTR_MODE]);
		cfg->given |= L4LB_VIP_CFG_MODE;
	} else if (vip) {
		cfg->mode = vip->mode;
	}
	ops = l4lb_xmit_find(cfg->mode);
	if (!ops) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_MODE],
				    "forwarding mode not supported by this module");
		return -EOPNOTSUPP;
	}
	if (tb[L4LB_VIP_ATTR_ENCAP]) {
		cfg->encap = nla_get_u8(tb[L4LB_VIP_ATTR_ENCAP]);
		cfg->given |= L4LB_VIP_CFG_ENCAP;
	} else if (vip) {
		cfg->encap = vip->encap;
	}
	if (tb[L4LB_VIP_ATTR_ENCAP_PORT]) {
		cfg->encap_port = nla_get_be16(tb[L4LB_VIP_ATTR_ENCAP_PORT]);
		cfg->given |= L4LB_VIP_CFG_ENCAP_PORT;
	} else if (vip) {
		cfg->encap_port = vip->encap_port;
	}
	if (vip) {
		cfg->snat_port_min = vip->snat_port_min;
		cfg->snat_port_max = vip->snat_port_max;
		cfg->flags = vip->flags;
	}
	if (tb[L4LB_VIP_ATTR_SNAT_PORT_MIN]) {
		cfg->snat_port_min = nla_get_u16(tb[L4LB_VIP_ATTR_SNAT_PORT_MIN]);
		cfg->given |= L4LB_VIP_CFG_SNAT_PORTS;
	}
	if (tb[L4LB_VIP_ATTR_SNAT_PORT_MAX]) {
		cfg->snat_port_max = nla_get_u16(tb[L4LB_VIP_ATTR_SNAT_PORT_MAX]);
		cfg->given |= L4LB_VIP_CFG_SNAT_PORTS;
	}
	if (cfg->snat_port_min > cfg->snat_port_max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_SNAT_PORT_MIN],
				    "SNAT port range is empty (min above max)");
		return -EINVAL;
	}
	if (tb[L4LB_VIP_ATTR_FLAGS]) {
		cfg->flags = nla_get_u32(tb[L4LB_VIP_ATTR_FLAGS]);
		cfg->given |= L4LB_VIP_CFG_FLAGS;
	}
	if ((cfg->flags & L4LB_VIP_F_OPS) && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_VIP_ATTR_FLAGS],
				    "one packet scheduling (ops) is for UDP VIPs only");
		return -EINVAL;
	}
	/* 0: no value of its own, the VIP follows the namespace default. */
	if (tb[L4LB_VIP_ATTR_TIMEOUTS]) {
		err = l4lb_parse_timeouts(tb[L4LB_VIP_ATTR_TIMEOUTS], true,
					  cfg->timeouts, &cfg->timeouts_given,
					  extack);
		if (err)
			return err;
		cfg->given |= L4LB_VIP_CFG_TIMEOUTS;
	}
	err = l4lb_parse_vip_sched(tb, vip, cfg, extack);
	if (err)
		return err;
	if (ops->check) {
		err = ops->check(key, cfg, extack);
		if (err)
			return err;
	}
	/* Last: the only part that allocates. */
	if (tb[L4LB_VIP_ATTR_SNAT_ADDRS]) {
		err = l4lb_parse_snat(tb[L4LB_VIP_ATTR_SNAT_ADDRS], key->family,
				      &cfg->snat, extack);
		if (err)
			return err;
		cfg->given |= L4LB_VIP_CFG_SNAT_ADDRS;
	}
	return 0;
}

static int l4lb_cmd_vip_new(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_vip_cfg cfg;
	struct l4lb_vip_key key;
	int err;

	err = l4lb_parse_vip(info, tb, &key);
	if (err)
		return err;
	l4lb_vip_cfg_init(&cfg);
	err = l4lb_parse_vip_cfg(tb, &key, NULL, &cfg, info->extack);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	err = l4lb_hooks_get(ln, info->extack);
	if (!err) {
		err = l4lb_vip_add(ln, &key, &cfg, info->extack);
		if (err)
			l4lb_hooks_put(ln);
		else
			l4lb_event_send(ln, l4lb_event(ln, info,
						       L4LB_CMD_VIP_NEW,
						       l4lb_vip_find(ln, &key),
						       NULL));
	} else {
		kfree(cfg.snat);
	}
	mutex_unlock(&ln->lock);
	return err;
}

static int l4lb_cmd_vip_set(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_vip_cfg cfg;
	struct l4lb_vip_key key;
	struct l4lb_vip *vip;
	int err;

	err = l4lb_parse_vip(info, tb, &key);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	vip = l4lb_find_vip(ln, &key, info);
	if (!vip) {
		err = -ENOENT;
		goto out;
	}
	l4lb_vip_cfg_init(&cfg);
	cfg.sched = vip->sched;
	err = l4lb_parse_vip_cfg(tb, &key, vip, &cfg, info->extack);
	if (!err)
		err = l4lb_vip_set(ln, vip, &cfg, info->extack);
	if (!err)
		l4lb_event_send(ln, l4lb_event(ln, info, L4LB_CMD_VIP_SET, vip,
					       NULL));
out:
	mutex_unlock(&ln->lock);
	return err;
}

static int l4lb_cmd_vip_del(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_vip_key key;
	struct l4lb_vip *vip;
	int err;

	err = l4lb_parse_vip(info, tb, &key);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	vip = l4lb_find_vip(ln, &key, info);
	if (vip) {
		/* Built first: the VIP and its last counters go with it. */
		struct sk_buff *ev = l4lb_event(ln, info, L4LB_CMD_VIP_DEL,
						vip, NULL);

		l4lb_vip_del(ln, vip);
		l4lb_hooks_put(ln);
		l4lb_event_send(ln, ev);
	}
	mutex_unlock(&ln->lock);
	return vip ? 0 : -ENOENT;
}

/* Backend commands: find the VIP and backend named by the request. */
struct l4lb_backend_req {
	struct l4lb_net *ln;
	struct nlattr *tb[L4LB_BACKEND_ATTR_MAX + 1];
	struct l4lb_backend_key key;
	struct l4lb_vip *vip;
};

static int l4lb_backend_req(struct l4lb_net *ln, struct genl_info *info,
			    struct l4lb_backend_req *req)
{
	struct nlattr *vtb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_vip_key vkey;
	int err;

	lockdep_assert_held(&ln->lock);
	req->ln = ln;
	err = l4lb_parse_vip(info, vtb, &vkey);
	if (err)
		return err;
	err = l4lb_parse_backend(info, req->tb, &req->key, vkey.family);
	if (err)
		return err;
	req->vip = l4lb_find_vip(ln, &vkey, info);
	return req->vip ? 0 : -ENOENT;
}

static struct l4lb_backend *l4lb_find_backend(struct l4lb_backend_req *req,
					      struct genl_info *info)
{
	struct l4lb_backend *be = l4lb_backend_find(req->ln, req->vip,
						    &req->key);

	if (!be)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[L4LB_ATTR_BACKEND],
				    "backend not found");
	return be;
}

/* Ranges are the policy's. */
static void l4lb_parse_backend_cfg(struct nlattr **tb,
				   struct l4lb_backend_cfg *cfg)
{
	if (tb[L4LB_BACKEND_ATTR_WEIGHT]) {
		cfg->weight = nla_get_u32(tb[L4LB_BACKEND_ATTR_WEIGHT]);
		cfg->given |= L4LB_BE_CFG_WEIGHT;
	}
	if (tb[L4LB_BACKEND_ATTR_STATE]) {
		cfg->state = nla_get_u8(tb[L4LB_BACKEND_ATTR_STATE]);
		cfg->given |= L4LB_BE_CFG_STATE;
	}
	if (tb[L4LB_BACKEND_ATTR_MAXCONN]) {
		cfg->maxconn = nla_get_u32(tb[L4LB_BACKEND_ATTR_MAXCONN]);
		cfg->given |= L4LB_BE_CFG_MAXCONN;
	}
	if (tb[L4LB_BACKEND_ATTR_FLAGS]) {
		cfg->flags = nla_get_u32(tb[L4LB_BACKEND_ATTR_FLAGS]);
		cfg->given |= L4LB_BE_CFG_FLAGS;
	}
}

static int l4lb_cmd_backend_new(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct l4lb_backend_cfg cfg;
	struct l4lb_backend_req req;
	struct l4lb_backend *be;
	int err;

	mutex_lock(&ln->lock);
	err = l4lb_backend_req(ln, info, &req);
	if (!err) {
		l4lb_backend_cfg_init(&cfg);
		l4lb_parse_backend_cfg(req.tb, &cfg);
		err = l4lb_backend_add(ln, req.vip, &req.key, &cfg,
				       info->extack);
		if (!err) {
			be = l4lb_backend_find(ln, req.vip, &req.key);
			l4lb_event_send(ln, l4lb_event(ln, info,
						       L4LB_CMD_BACKEND_NEW,
						       req.vip, be));
		}
	}
	mutex_unlock(&ln->lock);
	return err;
}

static int l4lb_cmd_backend_del(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct l4lb_backend_req req;
	struct l4lb_backend *be;
	struct sk_buff *ev;
	int err;

	mutex_lock(&ln->lock);
	err = l4lb_backend_req(ln, info, &req);
	if (!err) {
		be = l4lb_find_backend(&req, info);
		err = -ENOENT;
		if (be) {
			/* Built first, as the backend goes. */
			ev = l4lb_event(ln, info, L4LB_CMD_BACKEND_DEL,
					req.vip, be);
			err = l4lb_backend_del(ln, be, info->extack);
			if (err)
				nlmsg_free(ev);
			else
				l4lb_event_send(ln, ev);
		}
	}
	mutex_unlock(&ln->lock);
	return err;
}

static int l4lb_cmd_backend_set(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct l4lb_backend_cfg cfg = {};
	struct l4lb_backend_req req;
	struct l4lb_backend *be;
	int err;

	mutex_lock(&ln->lock);
	err = l4lb_backend_req(ln, info, &req);
	if (err)
		goto out;
	l4lb_parse_backend_cfg(req.tb, &cfg);
	if (!cfg.given) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[L4LB_ATTR_BACKEND],
				    "nothing to change: give a weight, state, maxconn or flags");
		err = -EINVAL;
		goto out;
	}
	be = l4lb_find_backend(&req, info);
	err = be ? l4lb_backend_set(ln, be, &cfg, info->extack) : -ENOENT;
	if (!err)
		l4lb_event_send(ln, l4lb_event(ln, info, L4LB_CMD_BACKEND_SET,
					       req.vip, be));
out:
	mutex_unlock(&ln->lock);
	return err;
}

/* Dumps */

static int l4lb_put_addr(struct sk_buff *skb, int fam_type, int addr_type,
			 u8 family, const union nf_inet_addr *addr)
{
	int len = family == AF_INET ? sizeof(struct in_addr) :
				      sizeof(struct in6_addr);

	if (nla_put_u16(skb, fam_type, family) ||
	    nla_put(skb, addr_type, len, addr))
		return -EMSGSIZE;
	return 0;
}

/* Counters since the last zeroing (@base), gauges as they are. */
static int l4lb_put_stats(struct sk_buff *skb, int type,
			  struct l4lb_pcpu_stats __percpu *stats,
			  const struct l4lb_stats_sum *base,
			  const struct l4lb_conn_counts *conns)
{
	struct l4lb_stats_sum sum;
	struct nlattr *nest;
	int ev;

	BUILD_BUG_ON(L4LB_STATS_ATTR_ESTABLISHED + L4LB_EV_COUNT - 1 !=
		     L4LB_STATS_ATTR_MAX);
	BUILD_BUG_ON(L4LB_STATS_ATTR_ESTABLISHED + L4LB_EV_DROP_FIRST !=
		     L4LB_STATS_ATTR_DROPS_NO_BACKEND);
	BUILD_BUG_ON(L4LB_STATS_ATTR_ESTABLISHED + L4LB_EV_HANDSHAKE_US !=
		     L4LB_STATS_ATTR_HANDSHAKE_US);
	l4lb_stats_sum(stats, base, &sum);
	sum.active_conns = atomic_read(&conns->active);
	sum.inactive_conns = atomic_read(&conns->inactive);

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, L4LB_STATS_ATTR_CONNS, sum.conns,
			      L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_ACTIVE_CONNS,
			      sum.active_conns, L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_INACTIVE_CONNS,
			      sum.inactive_conns, L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_PKTS_IN, sum.pkts_in,
			      L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_PKTS_OUT, sum.pkts_out,
			      L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_BYTES_IN, sum.bytes_in,
			      L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_BYTES_OUT, sum.bytes_out,
			      L4LB_STATS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, L4LB_STATS_ATTR_DROPS, sum.drops,
			      L4LB_STATS_ATTR_PAD))
		goto cancel;
	/* The handshakes' mean latency: the sum of them, divided here. */
	if (sum.ev[L4LB_EV_HANDSHAKES])
		sum.ev[L4LB_EV_HANDSHAKE_US] =
			div64_u64(sum.ev[L4LB_EV_HANDSHAKE_US],
				  sum.ev[L4LB_EV_HANDSHAKES]);
	/* enum l4lb_stats_event follows enum l4lb_stats_attr from here. */
	for (ev = 0; ev < L4LB_EV_COUNT; ev++)
		if (nla_put_u64_64bit(skb, L4LB_STATS_ATTR_ESTABLISHED + ev,
				      sum.ev[ev], L4LB_STATS_ATTR_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* What only SNAT and tunnel VIPs use, for those. Under the mutex. */
static int l4lb_put_vip_mode(struct sk_buff *skb, const struct l4lb_vip *vip)
{
	const struct l4lb_snat_addrs *snat = rcu_dereference_raw(vip->snat);
	int len = vip->key.family == AF_INET ? sizeof(struct in_addr) :
					       sizeof(struct in6_addr);
	struct nlattr *nest;
	unsigned int i;

	if (vip->mode == L4LB_FWD_TUNNEL)
		return nla_put_u8(skb, L4LB_VIP_ATTR_ENCAP, vip->encap) ||
		       (vip->encap != L4LB_ENCAP_IPIP &&
			nla_put_be16(skb, L4LB_VIP_ATTR_ENCAP_PORT,
				     vip->encap_port));
	if (vip->mode != L4LB_FWD_SNAT)
		return 0;
	if (nla_put_u16(skb, L4LB_VIP_ATTR_SNAT_PORT_MIN, vip->snat_port_min) ||
	    nla_put_u16(skb, L4LB_VIP_ATTR_SNAT_PORT_MAX, vip->snat_port_max))
		return -EMSGSIZE;
	if (!snat)
		return 0;
	nest = nla_nest_start(skb, L4LB_VIP_ATTR_SNAT_ADDRS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < snat->count; i++)
		if (nla_put(skb, L4LB_SNAT_ADDR, len, &snat->addr[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	nla_nest_end(skb, nest);
	return 0;
}

/* Timeouts in seconds; those at 0 (a VIP's "none of its own") left out. */
static int l4lb_put_timeouts(struct sk_buff *skb, int type, const u32 *secs)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < L4LB_TO_COUNT; i++)
		if (secs[i] &&
		    nla_put_u32(skb, L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + i,
				secs[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	nla_nest_end(skb, nest);
	return 0;
}

/* The VIP nest; @full adds what only a VIP dump shows. */
static int l4lb_put_vip(struct sk_buff *skb, const struct l4lb_vip *vip,
			bool full)
{
	const struct l4lb_vip_key *key = &vip->key;
	struct nlattr *nest;

	nest = nla_nest_start(skb, L4LB_ATTR_VIP);
	if (!nest)
		return -EMSGSIZE;
	if (l4lb_put_addr(skb, L4LB_VIP_ATTR_FAMILY, L4LB_VIP_ATTR_ADDR,
			  key->family, &key->addr) ||
	    nla_put_be16(skb, L4LB_VIP_ATTR_PORT, key->port) ||
	    nla_put_u8(skb, L4LB_VIP_ATTR_PROTO, key->proto))
		goto cancel;
	if (full &&
	    (nla_put_string(skb, L4LB_VIP_ATTR_SCHED, vip->sched->name) ||
	     nla_put_u8(skb, L4LB_VIP_ATTR_MODE, vip->mode) ||
	     l4lb_put_vip_mode(skb, vip) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_FLAGS, vip->flags) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_MAGLEV_SIZE, vip->maglev_size) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_MAXCONN, vip->maxconn) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_RATE, vip->rate.rate) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_BURST, vip->rate.burst) ||
	     nla_put_u32(skb, L4LB_VIP_ATTR_PERSIST, vip->persist / HZ) ||
	     l4lb_put_timeouts(skb, L4LB_VIP_ATTR_TIMEOUTS,
			       vip->timeouts_own) ||
	     l4lb_put_stats(skb, L4LB_VIP_ATTR_STATS, vip->stats,
			    &vip->stats_zero, &vip->conns)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int l4lb_put_backend(struct sk_buff *skb, const struct l4lb_backend *be)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, L4LB_ATTR_BACKEND);
	if (!nest)
		return -EMSGSIZE;
	if (l4lb_put_addr(skb, L4LB_BACKEND_ATTR_FAMILY, L4LB_BACKEND_ATTR_ADDR,
			  be->vip->key.family, &be->hkey.key.addr) ||
	    nla_put_be16(skb, L4LB_BACKEND_ATTR_PORT, be->hkey.key.port) ||
	    nla_put_u32(skb, L4LB_BACKEND_ATTR_WEIGHT, be->weight) ||
	    nla_put_u8(skb, L4LB_BACKEND_ATTR_STATE, be->state) ||
	    nla_put_u32(skb, L4LB_BACKEND_ATTR_MAXCONN, be->maxconn) ||
	    nla_put_u32(skb, L4LB_BACKEND_ATTR_FLAGS, be->flags) ||
	    l4lb_put_stats(skb, L4LB_BACKEND_ATTR_STATS, be->stats,
			   &be->stats_zero, &be->conns)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int l4lb_dump_vip_one(struct sk_buff *skb, struct netlink_callback *cb,
			     const struct l4lb_vip *vip)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &l4lb_genl_family, NLM_F_MULTI, L4LB_CMD_VIP_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (l4lb_put_vip(skb, vip, true)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[0]: how many entries earlier parts of the dump sent. A change
 * between two parts shifts positions: cb->seq makes the core flag the
 * messages after it with NLM_F_DUMP_INTR, and the caller dumps again.
 */
static int l4lb_dump_vips(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct l4lb_net *ln = l4lb_pernet(sock_net(skb->sk));
	unsigned long idx = 0;
	struct l4lb_vip *vip;

	mutex_lock(&ln->lock);
	cb->seq = ln->gen;
	list_for_each_entry(vip, &ln->vips, list) {
		if (idx >= cb->args[0] && l4lb_dump_vip_one(skb, cb, vip))
			break;
		idx++;
	}
	mutex_unlock(&ln->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int l4lb_dump_backend_one(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 const struct l4lb_backend *be)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &l4lb_genl_family, NLM_F_MULTI,
			  L4LB_CMD_BACKEND_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (l4lb_put_vip(skb, be->vip, false) || l4lb_put_backend(skb, be)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int l4lb_dump_backends(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct l4lb_net *ln = l4lb_pernet(sock_net(skb->sk));
	struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	struct genl_info info = {
		.attrs = l4lb_dump_attrs(cb),
		.extack = cb->extack,
	};
	struct l4lb_backend *be;
	struct l4lb_vip_key key;
	struct l4lb_vip *vip;
	unsigned long idx = 0;
	int err;

	err = l4lb_parse_vip(&info, tb, &key);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	cb->seq = ln->gen;
	vip = l4lb_find_vip(ln, &key, &info);
	if (!vip) {
		mutex_unlock(&ln->lock);
		return -ENOENT;
	}
	list_for_each_entry(be, &vip->backends, list) {
		if (idx >= cb->args[0] && l4lb_dump_backend_one(skb, cb, be))
			break;
		idx++;
	}
	mutex_unlock(&ln->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int l4lb_put_net(struct sk_buff *skb, struct l4lb_net *ln)
{
	u32 secs[L4LB_TO_COUNT];
	u64 sum[L4LB_NET_COUNTERS];
	struct nlattr *nest, *stats;
	int i;

	lockdep_assert_held(&ln->lock);
	for (i = 0; i < L4LB_TO_COUNT; i++)
		secs[i] = l4lb_timeout_get(&ln->timeouts, i);
	nest = nla_nest_start(skb, L4LB_ATTR_NET);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, L4LB_NET_ATTR_CONNS, l4lb_conn_count(ln)) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_CONN_MAX, ln->limits.conns) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_VIPS, ln->vip_count) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_VIP_MAX, ln->limits.vips) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_BACKENDS, ln->backend_count) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_BACKEND_MAX, ln->limits.backends) ||
	    nla_put_u32(skb, L4LB_NET_ATTR_BUCKETS, l4lb_conn_buckets(ln)) ||
	    l4lb_put_timeouts(skb, L4LB_NET_ATTR_TIMEOUTS, secs))
		goto cancel;
	stats = nla_nest_start(skb, L4LB_NET_ATTR_STATS);
	if (!stats)
		goto cancel;
	/* enum l4lb_net_counter follows enum l4lb_net_stats_attr. */
	BUILD_BUG_ON(L4LB_NET_STATS_ATTR_EARLY_DROPS + L4LB_NET_COUNTERS - 1 !=
		     L4LB_NET_STATS_ATTR_MAX);
	l4lb_net_stats_sum(ln->stats, ln->stats_zero, sum);
	for (i = 0; i < L4LB_NET_COUNTERS; i++)
		if (nla_put_u64_64bit(skb, L4LB_NET_STATS_ATTR_EARLY_DROPS + i,
				      sum[i], L4LB_NET_STATS_ATTR_PAD))
			goto cancel;
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int l4lb_cmd_net_get(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "out of memory for the reply");
		return -ENOMEM;
	}
	hdr = genlmsg_put_reply(msg, info, &l4lb_genl_family, 0,
				L4LB_CMD_NET_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&ln->lock);
	err = l4lb_put_net(msg, ln);
	mutex_unlock(&ln->lock);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "reply does not fit a message");
	return err;
}

/*
 * The namespace's default timeouts: VIPs follow each one they have no value
 * of their own for, from now on (flows at their next packet).
 */
static int l4lb_cmd_net_set(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[L4LB_NET_ATTR_MAX + 1];
	struct nlattr *nest = info->attrs[L4LB_ATTR_NET];
	u32 secs[L4LB_TO_COUNT], given;
	int err;

	if (L4LB_REQUIRE(extack, NULL, info->attrs, L4LB_ATTR_NET,
			 "missing network namespace settings"))
		return -EINVAL;
	err = nla_parse_nested(tb, L4LB_NET_ATTR_MAX, nest,
			       l4lb_net_set_policy, extack);
	if (err)
		return err;
	if (L4LB_REQUIRE(extack, nest, tb, L4LB_NET_ATTR_TIMEOUTS,
			 "missing timeouts"))
		return -EINVAL;
	err = l4lb_parse_timeouts(tb[L4LB_NET_ATTR_TIMEOUTS], false, secs,
				  &given, extack);
	if (err)
		return err;
	if (!given) {
		NL_SET_ERR_MSG_ATTR(extack, tb[L4LB_NET_ATTR_TIMEOUTS],
				    "no timeout given");
		return -EINVAL;
	}

	mutex_lock(&ln->lock);
	l4lb_net_set_timeouts(ln, secs);
	l4lb_event_net(ln, info);
	mutex_unlock(&ln->lock);
	return 0;
}

/* A VIP's counters and its backends' start again from 0. */
static void l4lb_zero_vip(struct l4lb_vip *vip)
{
	struct l4lb_backend *be;

	l4lb_stats_sum(vip->stats, NULL, &vip->stats_zero);
	list_for_each_entry(be, &vip->backends, list) {
		l4lb_stats_sum(be->stats, NULL, &be->stats_zero);
		/* each sum reads every possible CPU: a big namespace is long */
		cond_resched();
	}
}

/*
 * Zeroing, as IPVS does it (ip_vs_zero_stats()): the sums of now become
 * the base that dumps subtract. Nothing writes another CPU's counters
 * under the packet path, and a packet counted meanwhile is not lost.
 */
static int l4lb_cmd_stats_zero(struct sk_buff *skb, struct genl_info *info)
{
	struct l4lb_net *ln = l4lb_pernet(genl_info_net(info));
	struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	struct l4lb_backend *be = NULL;
	struct l4lb_backend_req req;
	struct l4lb_vip *vip = NULL;
	struct l4lb_vip_key key;
	struct sk_buff *ev;
	void *hdr;
	int err = 0;

	if (info->attrs[L4LB_ATTR_BACKEND] && !info->attrs[L4LB_ATTR_VIP]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[L4LB_ATTR_BACKEND],
				    "a backend is named with its VIP");
		return -EINVAL;
	}

	mutex_lock(&ln->lock);
	if (info->attrs[L4LB_ATTR_BACKEND]) {
		err = l4lb_backend_req(ln, info, &req);
		if (err)
			goto out;
		vip = req.vip;
		be = l4lb_find_backend(&req, info);
		if (!be) {
			err = -ENOENT;
			goto out;
		}
		l4lb_stats_sum(be->stats, NULL, &be->stats_zero);
	} else if (info->attrs[L4LB_ATTR_VIP]) {
		err = l4lb_parse_vip(info, tb, &key);
		if (err)
			goto out;
		vip = l4lb_find_vip(ln, &key, info);
		if (!vip) {
			err = -ENOENT;
			goto out;
		}
		l4lb_zero_vip(vip);
	} else {
		l4lb_net_stats_sum(ln->stats, NULL, ln->stats_zero);
		list_for_each_entry(vip, &ln->vips, list)
			l4lb_zero_vip(vip);
		vip = NULL;
	}

	if (vip) {
		ev = l4lb_event(ln, info, L4LB_CMD_STATS_ZERO, vip, be);
	} else {
		/* The whole namespace: the command alone says it. */
		ev = l4lb_event_new(ln, info, L4LB_CMD_STATS_ZERO, &hdr);
		if (ev)
			genlmsg_end(ev, hdr);
	}
	l4lb_event_send(ln, ev);
out:
	mutex_unlock(&ln->lock);
	return err;
}

/*
 * Events: after each successful change, a message of the change's command
 * with what a dump shows of the object, to the "events" group of the
 * change's netns. Built and sent under the netns lock, so listeners see the
 * changes in the order they were made; nothing when nobody listens. A
 * failure to notify (no memory, a listener's full queue) does not fail the
 * change: listeners learn of lost messages from ENOBUFS on their socket.
 */
static struct sk_buff *l4lb_event_new(struct l4lb_net *ln,
				      struct genl_info *info, u8 cmd,
				      void **hdr)
{
	struct sk_buff *msg;

	lockdep_assert_held(&ln->lock);
	if (!genl_has_listeners(&l4lb_genl_family, ln->net, L4LB_MCGRP_EVENTS))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	/* The requester's port and sequence: it can tell its own changes. */
	*hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			   &l4lb_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A VIP event carries the VIP as its dump does; a backend event both keys. */
static struct sk_buff *l4lb_event(struct l4lb_net *ln, struct genl_info *info,
				  u8 cmd, const struct l4lb_vip *vip,
				  const struct l4lb_backend *be)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vip)
		return NULL;
	msg = l4lb_event_new(ln, info, cmd, &hdr);
	if (!msg)
		return NULL;
	if (l4lb_put_vip(msg, vip, !be) || (be && l4lb_put_backend(msg, be))) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

/* NET_SET: the namespace as NET_GET shows it, new defaults included. */
static void l4lb_event_net(struct l4lb_net *ln, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = l4lb_event_new(ln, info, L4LB_CMD_NET_SET, &hdr);
	if (!msg)
		return;
	if (l4lb_put_net(msg, ln)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	l4lb_event_send(ln, msg);
}

static void l4lb_event_send(struct l4lb_net *ln, struct sk_buff *msg)
{
	if (msg)
		genlmsg_multicast_netns(&l4lb_genl_family, ln->net, msg, 0,
					L4LB_MCGRP_EVENTS, GFP_KERNEL);
}

/*
 * Flow events (conn_event.c). The kernel keeps multicast listeners per
 * protocol, not per namespace: a listener in one namespace makes the others
 * build their events too, which their rate limit bounds and the multicast
 * then drops for want of a receiver there.
 */
bool l4lb_flow_events_wanted(struct net *net)
{
	return READ_ONCE(l4lb_flow_events_on) &&
	       genl_has_listeners(&l4lb_genl_family, net, L4LB_MCGRP_FLOWS);
}

/* From any context; a listener's full queue loses it (it sees ENOBUFS). */
void l4lb_flow_event_send(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&l4lb_genl_family, net, msg, 0,
				L4LB_MCGRP_FLOWS, GFP_ATOMIC);
}

/* GET commands are dumps; say so rather than the core's bare EOPNOTSUPP. */
static int l4lb_cmd_dump_only(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack,
		       "this command lists objects: send it as a dump (NLM_F_DUMP)");
	return -EOPNOTSUPP;
}

#define L4LB_OP(c, fn, dump, pol) {				\
	.cmd = (c),							\
	.doit = (fn),							\
	.dumpit = (dump),						\
	.policy = (pol),						\
	.maxattr = L4LB_ATTR_MAX,					\
	.flags = GENL_UNS_ADMIN_PERM,					\
}

static const struct genl_ops l4lb_genl_ops[] = {
	L4LB_OP(L4LB_CMD_VIP_NEW, l4lb_cmd_vip_new, NULL,
		l4lb_vip_new_cmd_policy),
	L4LB_OP(L4LB_CMD_VIP_DEL, l4lb_cmd_vip_del, NULL,
		l4lb_vip_key_cmd_policy),
	L4LB_OP(L4LB_CMD_VIP_GET, l4lb_cmd_dump_only, l4lb_dump_vips,
		l4lb_none_policy),
	L4LB_OP(L4LB_CMD_BACKEND_NEW, l4lb_cmd_backend_new, NULL,
		l4lb_backend_new_cmd_policy),
	L4LB_OP(L4LB_CMD_BACKEND_DEL, l4lb_cmd_backend_del, NULL,
		l4lb_backend_key_cmd_policy),
	L4LB_OP(L4LB_CMD_BACKEND_SET, l4lb_cmd_backend_set, NULL,
		l4lb_backend_new_cmd_policy),
	L4LB_OP(L4LB_CMD_BACKEND_GET, l4lb_cmd_dump_only, l4lb_dump_backends,
		l4lb_vip_key_cmd_policy),
	L4LB_OP(L4LB_CMD_NET_GET, l4lb_cmd_net_get, NULL, l4lb_none_policy),
	L4LB_OP(L4LB_CMD_VIP_SET, l4lb_cmd_vip_set, NULL,
		l4lb_vip_new_cmd_policy),
	L4LB_OP(L4LB_CMD_NET_SET, l4lb_cmd_net_set, NULL,
		l4lb_net_set_cmd_policy),
	{
		.cmd = L4LB_CMD_CONN_GET,
		.doit = l4lb_cmd_dump_only,
		.start = l4lb_conn_dump_start,
		.dumpit = l4lb_conn_dump,
		.done = l4lb_conn_dump_done,
		.policy = l4lb_conn_cmd_policy,
		.maxattr = L4LB_ATTR_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	L4LB_OP(L4LB_CMD_CONN_DEL, l4lb_cmd_conn_del, NULL,
		l4lb_conn_cmd_policy),
	L4LB_OP(L4LB_CMD_STATS_ZERO, l4lb_cmd_stats_zero, NULL,
		l4lb_backend_key_cmd_policy),
};

/* Joining needs CAP_NET_ADMIN over the netns, as changing it does. */
static const struct genl_multicast_group l4lb_mcgrps[] = {
	[L4LB_MCGRP_EVENTS] = {
		.name = L4LB_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
	[L4LB_MCGRP_FLOWS] = {
		.name = L4LB_GENL_MCGRP_FLOWS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

struct genl_family l4lb_genl_family __ro_after_init = {
	.name = L4LB_GENL_NAME,
	.version = L4LB_GENL_VERSION,
	.maxattr = L4LB_ATTR_MAX,
	.netnsok = true,
	/* Each netns has its own lock: no need for the global genl mutex. */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = l4lb_genl_ops,
	.n_ops = ARRAY_SIZE(l4lb_genl_ops),
	.mcgrps = l4lb_mcgrps,
	.n_mcgrps = ARRAY_SIZE(l4lb_mcgrps),
};

int __init l4lb_genl_init(void)
{
	int err = genl_register_family(&l4lb_genl_family);

	if (!err)
		WRITE_ONCE(l4lb_flow_events_on, true);
	return err;
}

/*
 * The packet path and the GC go on until the namespaces' exit, after this:
 * their flow events stop first, and whoever is sending one (in an RCU read
 * section, see l4lb_conn_event()) is done before the family and its groups
 * go, whose numbers another family may take next.
 */
void l4lb_genl_exit(void)
{
	WRITE_ONCE(l4lb_flow_events_on, false);
	synchronize_rcu();
	genl_unregister_family(&l4lb_genl_family);
}
