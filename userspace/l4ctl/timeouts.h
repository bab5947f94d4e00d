/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Idle timeouts: the namespace defaults ('l4ctl timeouts') and a VIP's own
 * ('timeout NAME SECONDS' in vip add / vip set). Parsing, the attributes on
 * the wire and printing; the parsers are pure and unit tested.
 */
#ifndef L4CTL_TIMEOUTS_H
#define L4CTL_TIMEOUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * One "NAME SECONDS" pair into @t: SECONDS within the kernel's range, or,
 * with @vip, "default" (0: the VIP follows the namespace default). Returns
 * 0, or -1 after printing why.
 */
int timeout_parse_pair(const char *name, const char *val, bool vip,
		       struct timeouts *t);

/*
 * Take every "timeout NAME SECONDS [NAME SECONDS]..." out of @argv (the
 * remaining words stay, in order, and *@argc shrinks). Returns 0, or -1
 * after printing why.
 */
int timeouts_extract(int *argc, char **argv, struct timeouts *t);

/* The given timeouts as nest @type; nothing when none is given. */
void timeouts_put(struct nlmsghdr *nlh, uint16_t type,
		  const struct timeouts *t);
/* A TIMEOUTS nest (may be NULL) into @t; values of a bad size skipped. */
void timeouts_parse(const struct nlattr *nest, struct timeouts *t);

/*
 * A VIP's timeouts. Text: its own only, as typed ("timeout udp 5 ..."), on
 * the VIP's line. JSON: "timeouts": those of its protocol in force, its own
 * or else the namespace default (see timeouts_load_defaults(); unknown:
 * its own only), and "own_timeouts": [ keys ].
 */
void timeouts_print_vip(const struct timeouts *own, uint8_t proto);

/* The defaults timeouts_print_vip() shows, from NET_GET (JSON output only). */
struct nl_ctx;
void timeouts_load_defaults(struct nl_ctx *ctx);

int cmd_timeouts(int argc, char **argv);
void timeouts_usage(FILE *f);

#endif
