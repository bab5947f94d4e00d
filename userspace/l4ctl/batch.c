// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl -b FILE [-force]: one command per line, as typed after "l4ctl";
 * and -n NETNS, which enters a named network namespace as ip -n does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l4ctl.h"
#include "nl.h"
#include "utils.h"

int batch_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			break;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	/* "l4ctl vip add ..." reads as "vip add ..." */
	if (argc > 0 && strcmp(argv[0], "l4ctl") == 0) {
		memmove(argv, argv + 1, (size_t)(argc - 1) * sizeof(*argv));
		argc--;
	}
	return argc;
}

int batch_run(FILE *in, bool force, int (*run)(int argc, char **argv))
{
	char *line = NULL, *argv[BATCH_ARGS_MAX];
	unsigned int lineno = 0;
	size_t cap = 0;
	int status = EXIT_OK;

	nl_batch_begin();
	while (getline(&line, &cap, in) >= 0) {
		int argc, rc;

		lineno++;
		argc = batch_split(line, argv, BATCH_ARGS_MAX);
		if (argc == 0)
			continue;
		err_line = lineno;
		if (argc < 0) {
			pr_err("more than %d words", BATCH_ARGS_MAX);
			rc = EXIT_USAGE;
		} else {
			rc = run(argc, argv);
		}
		err_line = 0;
		if (rc == EXIT_OK)
			continue;
		if (status == EXIT_OK)
			status = rc;
		if (!force)
			break;
	}
	if (ferror(in)) {
		pr_err("reading the batch: %s", strerror(errno));
		if (status == EXIT_OK)
			status = EXIT_USAGE;
	}
	free(line);
	nl_batch_end();
	return status;
}

int batch_file(const char *path, bool force, int (*run)(int argc, char **argv))
{
	FILE *in = stdin;
	int rc;

	if (strcmp(path, "-") != 0) {
		in = fopen(path, "r");
		if (!in) {
			pr_err("cannot open '%s': %s", path, strerror(errno));
			return EXIT_USAGE;
		}
	}
	rc = batch_run(in, force, run);
	if (in != stdin)
		fclose(in);
	return rc;
}

int netns_enter(const char *name)
{
	char path[4096];
	int fd;

	if (!*name || strchr(name, '/')) {
		pr_err("invalid network namespace name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		pr_err("network namespace \"%s\" does not exist (ip netns list shows those there are)",
		       name);
		return -1;
	}
	if (fd < 0) {
		pr_err("cannot open network namespace \"%s\": %s", name,
		       strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		pr_err("setting the network namespace \"%s\" failed: %s", name,
		       strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
