// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utils.h"

unsigned int err_line;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	if (err_line)
		fprintf(stderr, "l4ctl: line %u: %s", err_line, prefix);
	else
		fprintf(stderr, "l4ctl: %s", prefix);
	/* clang-analyzer checks vmsg() without its callers' va_start() */
	vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

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
		fprintf(stderr, "l4ctl: ambiguous %s '%s', could be:", what, arg);
		for (c = tab; c->name; c++)
			if (matches(arg, c->name))
				fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
	} else
		pr_err("unknown %s '%s'", what, arg);
	fprintf(stderr, "Try '%s'.\n", help_hint);
	return NULL;
}
