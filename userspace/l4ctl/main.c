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
#include <string.h>

#include <linux/l4lb.h>

#include "l4ctl.h"
#include "monitor.h"
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
		"       l4ctl [ OPTIONS ] show [ VIP [ proto PROTO ] ]\n"
		"       l4ctl [ OPTIONS ] stats\n"
		"       l4ctl [ OPTIONS ] monitor [ timestamp ]\n"
		"       l4ctl help\n"
		"       l4ctl [ OPTIONS ] { save | flush | info }\n"
		"       l4ctl import-ipvsadm < ipvsadm-save-output\n"
		"       l4ctl [ OPTIONS ] -b FILE [ -force ]   (FILE - : stdin)\n"
		"OBJECT  := { vip | backend | stats | timeouts | conn }\n"
		"OPTIONS := { -j|--json | -p|--pretty | -V|--version | -h|--help |\n"
		"             -n|--netns NETNS }\n"
		"\n");
	vip_usage(f);
	fputc('\n', f);
	backend_usage(f);
	fputc('\n', f);
	stats_usage(f);
	fputc('\n', f);
	conn_usage(f);
	fputc('\n', f);
	timeouts_usage(f);
	fputc('\n', f);
	monitor_usage(f);
	fprintf(f,
		"\n'l4ctl show' lists every VIP followed by its backends; 'l4ctl show\n"
		"VIP' those of VIP (ADDR:PORT, or ADDR for all its ports; both\n"
		"protocols unless proto is given), an error if there is none.\n"
		"'l4ctl save' prints the configuration as commands for 'l4ctl -b';\n"
		"'l4ctl flush' deletes every VIP; 'l4ctl info' shows the module.\n"
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
	{ "conn",	cmd_conn },
	{ "timeouts",	cmd_timeouts },
	{ "monitor",	cmd_monitor },
	{ "help",	cmd_help },
	{ "save",	cmd_save },
	{ "flush",	cmd_flush },
	{ "info",	cmd_info },
	{ "import-ipvsadm", cmd_import_ipvsadm },
	{ NULL,		NULL },
};

/* One command: an object and its arguments (a batch line, or argv). */
static int run_cmd(int argc, char **argv)
{
	const struct cmd *c;

	c = cmd_lookup(objects, argv[0], "object", "l4ctl help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "version",	no_argument,	NULL, 'V' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "batch",	required_argument, NULL, 'b' },
		{ "force",	no_argument,	NULL, 'F' },
		{ "netns",	required_argument, NULL, 'n' },
		{ NULL,		0,		NULL, 0 },
	};
	bool json = false, pretty = false, force = false, version = false;
	const char *batch = NULL;
	int opt, i;

	/* ip(8) spells them -force, -batch, -netns */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-force") == 0)
			argv[i] = "--force";
		else if (strcmp(argv[i], "-batch") == 0)
			argv[i] = "--batch";
		else if (strcmp(argv[i], "-netns") == 0)
			argv[i] = "--netns";
	}

	/* '+': options end at the object, as for ip(8) */
	while ((opt = getopt_long(argc, argv, "+jpVhb:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'V':
			version = true;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'n':
			if (netns_enter(optarg))
				return EXIT_USAGE;
			break;
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
	if (version)
		return print_versions();
	print_init(stdout, json, pretty);
	if (batch) {
		if (argc > 0) {
			pr_err("-b takes no command: '%s'", argv[0]);
			return EXIT_USAGE;
		}
		return batch_file(batch, force, run_cmd);
	}
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return run_cmd(argc, argv);
}
