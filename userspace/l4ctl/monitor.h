/* SPDX-License-Identifier: GPL-2.0 */
/* monitor.c: 'l4ctl monitor', and what it borrows from show.c. */
#ifndef L4CTL_MONITOR_H
#define L4CTL_MONITOR_H

#include <stdio.h>

#include <libmnl/libmnl.h>

struct vip;
struct backend;

int cmd_monitor(int argc, char **argv);
void monitor_usage(FILE *f);

/*
 * Print one event message of the l4lb family (genl header included), with
 * @time ("2026-01-02T03:04:05.678901Z") or NULL. Returns 0 when printed, 1
 * when it is no event (another command), -1 when malformed.
 */
int monitor_print_event(const struct nlmsghdr *nlh, const char *time);

/*
 * show.c: the values of a VIP or backend as 'vip show' / 'backend show'
 * print them, without the object around them, its counters or the end of
 * the line; @label is the text format of the address ("vip %s").
 */
void print_vip_fields(const struct vip *v, const char *label);
void print_backend_fields(const struct backend *b, const char *label);

#endif
