/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every command: messages, exit codes, dispatch. */
#ifndef L4CTL_UTILS_H
#define L4CTL_UTILS_H

#include <stdbool.h>

/* Exit statuses, documented in l4ctl(8). */
#define EXIT_OK		0
#define EXIT_USAGE	1	/* bad command line, nothing was sent */
#define EXIT_KERNEL	2	/* netlink or kernel refused the request */

/* Non-zero while a batch runs its line @err_line: messages name it. */
extern unsigned int err_line;

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ip(8)-style: is @arg a non-empty prefix of @full? */
bool matches(const char *arg, const char *full);

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/*
 * Find @arg in a NULL-terminated table: an exact name wins, otherwise a
 * unique prefix. Prints the error and returns NULL when unknown or
 * ambiguous; @what names the table in that message ("object", "vip verb").
 */
const struct cmd *cmd_lookup(const struct cmd *tab, const char *arg,
			     const char *what, const char *help_hint);

#endif
