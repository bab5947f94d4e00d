/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages of the shared netlink library and of its programs. The library
 * is linked into l4ctl and l4lb-agent: what it prints names the program
 * (prog_name), and a program with a logger of its own takes the messages
 * over with pr_hook.
 */
#ifndef L4LB_LIB_PR_H
#define L4LB_LIB_PR_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit statuses of l4ctl, documented in l4ctl(8); nl_report() returns one. */
#define EXIT_OK		0
#define EXIT_USAGE	1	/* bad command line, nothing was sent */
#define EXIT_KERNEL	2	/* netlink or kernel refused the request */

/* "l4ctl", "l4lb-agent": the prefix of every message on stderr. */
extern const char *prog_name;

/* Non-zero while a batch runs its line @err_line: messages name it. */
extern unsigned int err_line;

/*
 * When set, pr_err() and pr_warn() call this instead of printing, with the
 * message alone (no program name, no newline).
 */
extern void (*pr_hook)(bool warn, const char *fmt, va_list ap);

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
