// SPDX-License-Identifier: GPL-2.0
/* L4LB_ATTR_CONN decoded: see conn_msg.h. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/l4lb.h>

#include "conn_msg.h"

static int parse_nest(const struct nlattr *nest, const struct nlattr **tb,
		      unsigned int max)
{
	const struct nlattr *a;
	unsigned int i;

	for (i = 0; i <= max; i++)
		tb[i] = NULL;
	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);

		if (type <= max)
			tb[type] = a;
	}
	return 0;
}

static int get_addr(const struct nlattr *a, uint16_t family,
		    struct endpoint *ep)
{
	size_t len = addr_len(family);

	if (!a || mnl_attr_get_payload_len(a) != len)
		return -1;
	ep->family = family;
	memcpy(ep->addr, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_port(const struct nlattr *a, uint16_t *port)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -1;
	*port = ntohs(mnl_attr_get_u16(a));
	return 0;
}

static int parse_tuple(const struct nlattr *nest, uint16_t family,
		       struct endpoint *src, struct endpoint *dst)
{
	const struct nlattr *tb[L4LB_TUPLE_ATTR_MAX + 1];

	if (!nest)
		return -1;
	parse_nest(nest, tb, L4LB_TUPLE_ATTR_MAX);
	if (get_addr(tb[L4LB_TUPLE_ATTR_SRC], family, src) ||
	    get_addr(tb[L4LB_TUPLE_ATTR_DST], family, dst) ||
	    get_port(tb[L4LB_TUPLE_ATTR_SPORT], &src->port) ||
	    get_port(tb[L4LB_TUPLE_ATTR_DPORT], &dst->port))
		return -1;
	return 0;
}

int msg_parse_conn(const struct nlattr *nest, struct conn *c)
{
	const struct nlattr *tb[L4LB_CONN_ATTR_MAX + 1];

	memset(c, 0, sizeof(*c));
	parse_nest(nest, tb, L4LB_CONN_ATTR_MAX);
	if (!tb[L4LB_CONN_ATTR_FAMILY] || !tb[L4LB_CONN_ATTR_PROTO] ||
	    mnl_attr_validate(tb[L4LB_CONN_ATTR_FAMILY], MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(tb[L4LB_CONN_ATTR_PROTO], MNL_TYPE_U8) < 0)
		return -1;
	c->family = mnl_attr_get_u16(tb[L4LB_CONN_ATTR_FAMILY]);
	c->proto = mnl_attr_get_u8(tb[L4LB_CONN_ATTR_PROTO]);
	if (!addr_len(c->family) ||
	    parse_tuple(tb[L4LB_CONN_ATTR_ORIG], c->family, &c->client,
			&c->vip) ||
	    parse_tuple(tb[L4LB_CONN_ATTR_REPLY], c->family, &c->rsrc,
			&c->rdst) ||
	    get_addr(tb[L4LB_CONN_ATTR_BACKEND_ADDR], c->family, &c->backend) ||
	    get_port(tb[L4LB_CONN_ATTR_BACKEND_PORT], &c->backend.port))
		return -1;
	if (tb[L4LB_CONN_ATTR_MODE] &&
	    !mnl_attr_validate(tb[L4LB_CONN_ATTR_MODE], MNL_TYPE_U8))
		c->mode = mnl_attr_get_u8(tb[L4LB_CONN_ATTR_MODE]);
	if (tb[L4LB_CONN_ATTR_STATE] &&
	    !mnl_attr_validate(tb[L4LB_CONN_ATTR_STATE], MNL_TYPE_U8))
		c->state = mnl_attr_get_u8(tb[L4LB_CONN_ATTR_STATE]);
	if (tb[L4LB_CONN_ATTR_FLAGS] &&
	    !mnl_attr_validate(tb[L4LB_CONN_ATTR_FLAGS], MNL_TYPE_U32))
		c->flags = mnl_attr_get_u32(tb[L4LB_CONN_ATTR_FLAGS]);
	if (tb[L4LB_CONN_ATTR_EXPIRES] &&
	    !mnl_attr_validate(tb[L4LB_CONN_ATTR_EXPIRES], MNL_TYPE_U32))
		c->expires = mnl_attr_get_u32(tb[L4LB_CONN_ATTR_EXPIRES]);
	return 0;
}
