/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETLINK_H
#define _L4LB_NETLINK_H

#include <linux/l4lb.h>

int l4lb_genl_init(void);
void l4lb_genl_exit(void);

/* For conn_nl.c: the family, and the VIP key as every command takes it. */
struct genl_info;
struct l4lb_vip_key;
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

#endif /* _L4LB_NETLINK_H */
