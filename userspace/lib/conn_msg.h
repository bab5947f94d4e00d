/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flow as the kernel describes it (L4LB_ATTR_CONN): in the conn dump
 * ('l4ctl conn list') and in flow events ('l4ctl monitor flows').
 */
#ifndef L4LB_LIB_CONN_MSG_H
#define L4LB_LIB_CONN_MSG_H

#include <stdint.h>

#include <libmnl/libmnl.h>

#include "addr.h"

struct conn {
	uint16_t family;
	uint8_t proto, mode, state;
	uint32_t flags, expires;
	struct endpoint client, vip;	/* the ORIG tuple */
	struct endpoint rsrc, rdst;	/* the REPLY tuple */
	struct endpoint backend;
};

/* One L4LB_ATTR_CONN nest; -1 when something is missing. */
int msg_parse_conn(const struct nlattr *nest, struct conn *c);

#endif
