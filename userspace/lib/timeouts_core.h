/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Idle timeouts on the wire: the namespace defaults and a VIP's own, their
 * names and ranges. Shared by l4ctl (whose command line and printing of
 * them is l4ctl/timeouts.c) and the agent.
 */
#ifndef L4LB_LIB_TIMEOUTS_CORE_H
#define L4LB_LIB_TIMEOUTS_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/l4lb.h>

/* Index i is attribute L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + i. */
#define TIMEOUTS_N (L4LB_TIMEOUT_ATTR_MAX - L4LB_TIMEOUT_ATTR_TCP_UNREPLIED + 1)

struct timeouts {
	uint32_t secs[TIMEOUTS_N];	/* 0: "default" (a VIP's, follow it) */
	uint32_t given;			/* bit i: secs[i] given / sent */
};

/* "tcp-established" style for the command line and text, "tcp_established" for JSON. */
const char *timeout_name(unsigned int i);
const char *timeout_key(unsigned int i);
/* Index of a name (either spelling), or -1. */
int timeout_index(const char *name);
/* Whether timeout @i applies to a VIP of protocol @proto. */
bool timeout_of_proto(unsigned int i, uint8_t proto);
/* The kernel's upper bound for timeout @i, in seconds (the lower is 1). */
uint32_t timeout_max(unsigned int i);

/* The given timeouts as nest @type; nothing when none is given. */
void timeouts_put(struct nlmsghdr *nlh, uint16_t type,
		  const struct timeouts *t);
/* A TIMEOUTS nest (may be NULL) into @t; values of a bad size skipped. */
void timeouts_parse(const struct nlattr *nest, struct timeouts *t);

#endif
