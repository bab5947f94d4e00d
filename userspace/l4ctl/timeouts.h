/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Idle timeouts: the namespace defaults ('l4ctl timeouts') and a VIP's own
 * ('timeout NAME SECONDS' in vip add / vip set): the command line and
 * printing; the parsers are pure and unit tested.
 */
#ifndef L4CTL_TIMEOUTS_H
#define L4CTL_TIMEOUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "timeouts_core.h"	/* struct timeouts, names, attributes (lib) */

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
