// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's log: one line per message on stderr. Under systemd, stderr is
 * the journal, which adds the time and the unit; when it is (JOURNAL_STREAM
 * names our stderr), each line also gets the sd-daemon "<N>" prefix so that
 * journalctl -p filters and colours by level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

enum log_level log_level = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/* syslog priorities: err, warning, info, debug */
static const char level_prio[] = {
	[LOG_LVL_ERROR] = '3',
	[LOG_LVL_WARN] = '4',
	[LOG_LVL_INFO] = '6',
	[LOG_LVL_DEBUG] = '7',
};

/* Is stderr the journal's stream? Asked once: it does not change. */
static bool stderr_is_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	const char *js;
	struct stat st;

	if (known >= 0)
		return known;
	known = 0;
	js = getenv("JOURNAL_STREAM");
	if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		known = 1;
	return known;
}

void alog(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *p;
	int n;

	if (lvl > log_level)
		return;
	if ((unsigned int)lvl > LOG_LVL_DEBUG)
		lvl = LOG_LVL_DEBUG;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/*
	 * Messages carry text from outside (HTTP bodies, DNS names, curl's
	 * errors): a newline in them must not forge a second log line.
	 */
	for (p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (stderr_is_journal())
		fprintf(stderr, "<%c>%s: %s\n", level_prio[lvl],
			level_names[lvl], line);
	else
		fprintf(stderr, "%s: %s\n", level_names[lvl], line);
}
