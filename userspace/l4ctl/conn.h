/* SPDX-License-Identifier: GPL-2.0 */
/* conn.c: flows as the kernel lists them; parsers and printer unit tested. */
#ifndef L4CTL_CONN_H
#define L4CTL_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "addr.h"
#include "conn_msg.h"

/* What list, get and flush select; a field counts when its bit is set. */
enum {
	CF_VIP		= 1 << 0,
	CF_BACKEND	= 1 << 1,	/* address, and port if non-zero */
	CF_CLIENT	= 1 << 2,	/* address, and port if non-zero */
	CF_STATE	= 1 << 3,
	CF_PROTO	= 1 << 4,
};

struct conn_filter {
	unsigned int given;
	struct endpoint vip, backend, client;
	uint8_t proto, state;
};

int conn_state_parse(const char *s, uint8_t *proto, uint8_t *state);
/* The FILTER words of list and flush; prints why and returns -1 if bad. */
int conn_filter_parse(int argc, char **argv, struct conn_filter *f);
void conn_filter_put(struct nlmsghdr *nlh, const struct conn_filter *f);
/* One flow: an object, a line. */
void print_conn(const struct conn *c);
/* What print_conn() prints of it, inside an object the caller opened. */
void print_conn_fields(const struct conn *c, bool event);

#endif
