// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "pr.h"

/* Each program sets its own name; l4ctl defines it (utils.c), overriding this. */
__attribute__((weak)) const char *prog_name = "l4lb";
unsigned int err_line;
void (*pr_hook)(bool warn, const char *fmt, va_list ap);

static void vmsg(bool warn, const char *fmt, va_list ap)
{
	const char *prefix = warn ? "warning: " : "";

	if (pr_hook) {
		pr_hook(warn, fmt, ap);
		return;
	}
	if (err_line)
		fprintf(stderr, "%s: line %u: %s", prog_name, err_line, prefix);
	else
		fprintf(stderr, "%s: %s", prog_name, prefix);
	/* clang-analyzer checks vmsg() without its callers' va_start() */
	vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(false, fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(true, fmt, ap);
	va_end(ap);
}
