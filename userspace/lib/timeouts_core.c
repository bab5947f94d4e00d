// SPDX-License-Identifier: GPL-2.0
/*
 * The idle timeouts' names, ranges (the kernel's module parameters) and
 * attributes.
 */
#include <netinet/in.h>
#include <string.h>

#include "timeouts_core.h"

static const struct {
	const char *name;	/* command line, text */
	const char *key;	/* JSON, and accepted on the command line */
	uint8_t proto;
	uint32_t max;
} timeout_info[TIMEOUTS_N] = {
	{ "tcp-unreplied", "tcp_unreplied", IPPROTO_TCP, 86400 },
	{ "tcp-syn", "tcp_syn", IPPROTO_TCP, 86400 },
	{ "tcp-established", "tcp_established", IPPROTO_TCP, 604800 },
	{ "tcp-fin", "tcp_fin", IPPROTO_TCP, 86400 },
	{ "tcp-close", "tcp_close", IPPROTO_TCP, 3600 },
	{ "udp-unreplied", "udp_unreplied", IPPROTO_UDP, 86400 },
	{ "udp", "udp", IPPROTO_UDP, 86400 },
};

const char *timeout_name(unsigned int i)
{
	return i < TIMEOUTS_N ? timeout_info[i].name : "?";
}

const char *timeout_key(unsigned int i)
{
	return i < TIMEOUTS_N ? timeout_info[i].key : "?";
}

uint32_t timeout_max(unsigned int i)
{
	return i < TIMEOUTS_N ? timeout_info[i].max : 0;
}

int timeout_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < TIMEOUTS_N; i++)
		if (strcmp(name, timeout_info[i].name) == 0 ||
		    strcmp(name, timeout_info[i].key) == 0)
			return (int)i;
	return -1;
}

bool timeout_of_proto(unsigned int i, uint8_t proto)
{
	return i < TIMEOUTS_N && timeout_info[i].proto == proto;
}

void timeouts_put(struct nlmsghdr *nlh, uint16_t type,
		  const struct timeouts *t)
{
	struct nlattr *nest;
	unsigned int i;

	if (!t || !t->given)
		return;
	nest = mnl_attr_nest_start(nlh, type);
	for (i = 0; i < TIMEOUTS_N; i++)
		if (t->given & (1u << i))
			mnl_attr_put_u32(nlh, L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + i,
					 t->secs[i]);
	mnl_attr_nest_end(nlh, nest);
}

void timeouts_parse(const struct nlattr *nest, struct timeouts *t)
{
	const struct nlattr *a;

	memset(t, 0, sizeof(*t));
	if (!nest)
		return;
	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);
		unsigned int i = type - L4LB_TIMEOUT_ATTR_TCP_UNREPLIED;

		if (type < L4LB_TIMEOUT_ATTR_TCP_UNREPLIED || i >= TIMEOUTS_N ||
		    mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		t->secs[i] = mnl_attr_get_u32(a);
		t->given |= 1u << i;
	}
}
