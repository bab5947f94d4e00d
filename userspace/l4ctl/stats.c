// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl stats [ show | help ]: the network namespace's load balancer as a
 * whole, from L4LB_CMD_NET_GET: flow table fill, limits, drop counters.
 */
#include <errno.h>
#include <stdio.h>

#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "utils.h"

void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl stats [ show ]\n"
		"       l4ctl stats help\n"
		"Flows, VIPs and backends of this network namespace against their limits,\n"
		"and its drop counters.\n");
}

static int stats_show(int argc, char **argv)
{
	struct net_info ni;
	struct nl_ctx *ctx;
	int err;

	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl stats help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = net_get(ctx, &ni);
	if (err) {
		/* the genetlink core's answer to a command it does not know */
		if (err == -EOPNOTSUPP && !ctx->extack[0])
			snprintf(ctx->extack, sizeof(ctx->extack), "%s",
				 "the loaded l4lb module predates 'l4ctl stats' (no L4LB_CMD_NET_GET)");
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	print_net(&ni);
	nl_close(ctx);
	return EXIT_OK;
}

static int stats_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	stats_usage(stdout);
	return EXIT_OK;
}

static const struct cmd stats_cmds[] = {
	{ "show",	stats_show },
	{ "list",	stats_show },
	{ "help",	stats_help },
	{ NULL,		NULL },
};

int cmd_stats(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0)
		return stats_show(0, argv);
	c = cmd_lookup(stats_cmds, argv[0], "stats command", "l4ctl stats help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
