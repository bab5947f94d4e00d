// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "utils.h"

/* lib/pr.c: the prefix of every message */
const char *prog_name = "l4ctl";

bool matches(const char *arg, const char *full)
{
	size_t n = strlen(arg);

	return n > 0 && strncmp(arg, full, n) == 0;
}

const struct cmd *cmd_lookup(const struct cmd *tab, const char *arg,
			     const char *what, const char *help_hint)
{
	const struct cmd *c, *found = NULL;
	int hits = 0;

	for (c = tab; c->name; c++) {
		if (strcmp(arg, c->name) == 0)
			return c;
		/* aliases share a handler: not an ambiguity */
		if (matches(arg, c->name) && (!found || found->fn != c->fn)) {
			found = c;
			hits++;
		}
	}
	if (hits == 1)
		return found;
	if (hits > 1) {
		fprintf(stderr, "%s: ambiguous %s '%s', could be:",
			prog_name, what, arg);
		for (c = tab; c->name; c++)
			if (matches(arg, c->name))
				fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
	} else
		pr_err("unknown %s '%s'", what, arg);
	fprintf(stderr, "Try '%s'.\n", help_hint);
	return NULL;
}
