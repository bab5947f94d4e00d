/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETLINK_H
#define _L4LB_NETLINK_H

#include <linux/l4lb.h>

int l4lb_genl_init(void);
void l4lb_genl_exit(void);

/* For conn_nl.c: the family, and the VIP key as every command takes it. */
struct genl_info;
struct l4lb_conn;
struct l4lb_tuple;
struct l4lb_vip_key;
struct net;
struct netlink_callback;
struct nla_policy;
struct nlattr;
struct sk_buff;

extern struct genl_family l4lb_genl_family;
extern const struct nla_policy l4lb_vip_key_policy[L4LB_VIP_ATTR_MAX + 1];
int l4lb_parse_vip(struct genl_info *info, struct nlattr **tb,
		   struct l4lb_vip_key *key);

/* conn_nl.c: L4LB_CMD_CONN_GET and L4LB_CMD_CONN_DEL */
extern const struct nla_policy l4lb_conn_cmd_policy[L4LB_ATTR_MAX + 1];
int l4lb_conn_dump_start(struct netlink_callback *cb);
int l4lb_conn_dump(struct sk_buff *skb, struct netlink_callback *cb);
int l4lb_conn_dump_done(struct netlink_callback *cb);
int l4lb_cmd_conn_del(struct sk_buff *skb, struct genl_info *info);
/*
 * L4LB_ATTR_CONN of flow @c (ORIG tuple @orig, state word @state, @left
 * jiffies to live) as the dump shows it, left open for the caller to add
 * to and close (nla_nest_end()). NULL when it did not fit (nothing added).
 */
struct nlattr *l4lb_conn_put(struct sk_buff *skb, const struct l4lb_conn *c,
			     const struct l4lb_tuple *orig, s32 left,
			     u32 state);

/* Flow events: someone may listen in @net; send @msg to them. */
bool l4lb_flow_events_wanted(struct net *net);
void l4lb_flow_event_send(struct net *net, struct sk_buff *msg);

#endif /* _L4LB_NETLINK_H */
