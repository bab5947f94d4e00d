// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl - configure the l4lb in-kernel load balancer.
 *
 * main.c: global options, object dispatch and help. Each object lives in
 * its own file (vip.c, backend.c, show.c, stats.c), modelled on ip(8).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/l4lb.h>

#include "l4ctl.h"
#include "print.h"
#include "timeouts.h"
#include "utils.h"

#ifndef L4CTL_VERSION
#define L4CTL_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       l4ctl [ OPTIONS ] show\n"
		"       l4ctl [ OPTIONS ] stats\n"
		"       l4ctl help\n"
		"OBJECT  := { vip | backend | stats | timeouts }\n"
		"OPTIONS := { -j|--json | -p|--pretty | -V|--version | -h|--help }\n"
		"\n");
	vip_usage(f);
	fputc('\n', f);
	backend_usage(f);
	fputc('\n', f);
	stats_usage(f);
	fputc('\n', f);
	timeouts_usage(f);
	fprintf(f,
		"\n'l4ctl show' lists every VIP followed by its backends.\n"
		"Objects and commands may be abbreviated (l4ctl b a ...).\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

static const struct cmd objects[] = {
	{ "vip",	cmd_vip },
	{ "backend",	cmd_backend },
	{ "show",	cmd_show },
	{ "stats",	cmd_stats },
	{ "timeouts",	cmd_timeouts },
	{ "help",	cmd_help },
	{ NULL,		NULL },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "version",	no_argument,	NULL, 'V' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	bool json = false, pretty = false;
	const struct cmd *c;
	int opt;

	/* '+': options end at the object, as for ip(8) */
	while ((opt = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'V':
			printf("l4ctl %s (l4lb netlink family version %d)\n",
			       L4CTL_VERSION, L4LB_GENL_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	print_init(stdout, json, pretty);

	c = cmd_lookup(objects, argv[0], "object", "l4ctl help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
