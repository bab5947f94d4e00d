/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every command: messages, exit codes, dispatch. */
#ifndef L4CTL_UTILS_H
#define L4CTL_UTILS_H

#include <stdbool.h>

#include "pr.h"	/* pr_err, pr_warn, err_line, EXIT_* (userspace/lib) */

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
