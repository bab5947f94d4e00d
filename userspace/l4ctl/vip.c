// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl vip { add | del | show | help }
 */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "utils.h"

void vip_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl vip add VIP [ proto PROTO ] [ sched NAME ] [ mode MODE ]\n"
		"       l4ctl vip del VIP [ proto PROTO ]\n"
		"       l4ctl vip [ show | list ]\n"
		"       l4ctl vip help\n"
		"VIP   := { IPV4:PORT | [IPV6]:PORT }\n"
		"PROTO := { tcp | udp }          (default: tcp)\n"
		"MODE  := { dnat | snat | dsr }  (default: dnat; the module implements dnat only so far)\n"
		"NAME  := scheduler, e.g. rr     (default: rr)\n");
}

static int need_vip(int argc, char **argv, struct vip_key *key)
{
	if (argc < 1) {
		pr_err("missing VIP address");
		fprintf(stderr, "Try 'l4ctl vip help'.\n");
		return -1;
	}
	return parse_endpoint_arg(argv[0], &key->ep, "VIP address");
}

static int vip_add(int argc, char **argv)
{
	struct vip_key key;
	struct kw_opts o;
	struct request r = { .cmd = L4LB_CMD_VIP_NEW, .vip = &key };

	if (need_vip(argc, argv, &key) ||
	    parse_keywords(argc - 1, argv + 1, KW_PROTO | KW_SCHED | KW_MODE,
			   &o, "vip"))
		return EXIT_USAGE;
	key.proto = o.proto;
	r.sched = o.sched;
	r.mode = (o.seen & KW_MODE) ? o.mode : -1;
	r.weight = -1;
	return send_request(&r);
}

static int vip_del(int argc, char **argv)
{
	struct vip_key key;
	struct kw_opts o;
	struct request r = {
		.cmd = L4LB_CMD_VIP_DEL, .vip = &key, .mode = -1, .weight = -1,
	};

	if (need_vip(argc, argv, &key) ||
	    parse_keywords(argc - 1, argv + 1, KW_PROTO, &o, "vip"))
		return EXIT_USAGE;
	key.proto = o.proto;
	return send_request(&r);
}

static int vip_show(int argc, char **argv)
{
	struct vip *vips = NULL;
	struct nl_ctx *ctx;
	size_t n = 0;
	int err;

	if (argc > 0) {
		pr_err("unknown keyword '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl vip help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = dump_vips(ctx, &vips, &n);
	if (err) {
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	print_vips(vips, n, false);
	free_vips(vips, n);
	nl_close(ctx);
	return EXIT_OK;
}

static int vip_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	vip_usage(stdout);
	return EXIT_OK;
}

static const struct cmd vip_cmds[] = {
	{ "add",	vip_add },
	{ "del",	vip_del },
	{ "delete",	vip_del },
	{ "show",	vip_show },
	{ "list",	vip_show },
	{ "help",	vip_help },
	{ NULL,		NULL },
};

int cmd_vip(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0)
		return vip_show(0, argv);
	c = cmd_lookup(vip_cmds, argv[0], "vip command", "l4ctl vip help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
