// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl backend { add | del | set | drain | down | up | show | help }
 */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "utils.h"

void backend_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl backend add VIP BACKEND [ proto PROTO ] [ OPTIONS ]\n"
		"       l4ctl backend set VIP BACKEND [ proto PROTO ] OPTIONS\n"
		"       l4ctl backend replace VIP BACKEND [ proto PROTO ] [ OPTIONS ]\n"
		"       l4ctl backend { drain | down | up } VIP BACKEND [ proto PROTO ]\n"
		"       l4ctl backend del VIP BACKEND [ proto PROTO ]\n"
		"       l4ctl backend show VIP [ proto PROTO ]\n"
		"       l4ctl backend help\n"
		"VIP, BACKEND := { IPV4:PORT | [IPV6]:PORT }\n"
		"PROTO   := { tcp | udp }  (default: tcp; the VIP's protocol)\n"
		"OPTIONS := [ weight WEIGHT ] [ state STATE ] [ maxconn { N | none } ]\n"
		"           [ backup | primary ]\n"
		"WEIGHT  := 0..65535       (default: 1; 0: no new flows)\n"
		"STATE   := { up | drain | down } (default: up)\n"
		"           drain: no new flows, its flows go on; down: no new flows,\n"
		"           its flows go on, or end if the VIP has expire-down\n"
		"maxconn: flows at once, beyond which it is skipped (default: none)\n"
		"backup:  new flows only when no primary backend can take them\n"
		"backend drain|down|up: 'backend set ... state drain|down|up'\n"
		"backend replace: add it, or set what is named if it exists\n");
}

/* VIP BACKEND [keywords]: the positional part shared by add/del/set. */
static int parse_pair(int argc, char **argv, unsigned int allowed,
		      struct vip_key *vip, struct endpoint *be,
		      struct kw_opts *o)
{
	if (argc < 2) {
		pr_err("missing %s address", argc ? "backend" : "VIP");
		fprintf(stderr, "Try 'l4ctl backend help'.\n");
		return -1;
	}
	if (parse_endpoint_arg(argv[0], &vip->ep, "VIP address") ||
	    parse_endpoint_arg(argv[1], be, "backend address") ||
	    parse_keywords(argc - 2, argv + 2, allowed, o, "backend"))
		return -1;
	vip->proto = o->proto;
	return 0;
}

static void backend_opts_from(const struct kw_opts *o, struct backend_opts *b)
{
	backend_opts_init(b);
	if (o->seen & KW_WEIGHT)
		b->weight = o->weight;
	if (o->seen & KW_STATE)
		b->state = o->state;
	if (o->seen & KW_MAXCONN)
		b->maxconn = o->maxconn;
	/* the flags: see struct request */
}

/*
 * backend add and set: the kernel has the defaults, send what was typed.
 * @cmd 0: replace (add, or set what is named if it exists).
 */
static int backend_add_set(int argc, char **argv, uint8_t cmd)
{
	struct backend_opts bo;
	struct vip_key vip;
	struct endpoint be;
	struct kw_opts o;
	struct request r = {
		.cmd = cmd, .vip = &vip, .backend = &be, .backend_opts = &bo,
	};

	if (parse_pair(argc, argv, KW_PROTO | KW_BACKEND_CFG, &vip, &be, &o))
		return EXIT_USAGE;
	if (cmd == L4LB_CMD_BACKEND_SET && !(o.seen & KW_BACKEND_CFG)) {
		pr_err("nothing to change: name a weight, state, maxconn, backup or primary");
		fprintf(stderr, "Try 'l4ctl backend help'.\n");
		return EXIT_USAGE;
	}
	backend_opts_from(&o, &bo);
	r.flags_named = o.flags_named;
	r.flags_on = o.flags_on;
	if (!cmd) {
		r.cmd = L4LB_CMD_BACKEND_NEW;
		return send_replace(&r, L4LB_CMD_BACKEND_SET,
				    o.seen & KW_BACKEND_CFG);
	}
	return send_request(&r);
}

static int backend_replace(int argc, char **argv)
{
	return backend_add_set(argc, argv, 0);
}

static int backend_add(int argc, char **argv)
{
	return backend_add_set(argc, argv, L4LB_CMD_BACKEND_NEW);
}

static int backend_set(int argc, char **argv)
{
	return backend_add_set(argc, argv, L4LB_CMD_BACKEND_SET);
}

static int backend_del(int argc, char **argv)
{
	struct vip_key vip;
	struct endpoint be;
	struct kw_opts o;
	struct request r = {
		.cmd = L4LB_CMD_BACKEND_DEL, .vip = &vip, .backend = &be,
	};

	if (parse_pair(argc, argv, KW_PROTO, &vip, &be, &o))
		return EXIT_USAGE;
	return send_request(&r);
}

/* backend drain|down|up VIP BACKEND: its state, and nothing else. */
static int backend_state(int argc, char **argv, uint8_t state)
{
	struct backend_opts bo;
	struct vip_key vip;
	struct endpoint be;
	struct kw_opts o;
	struct request r = {
		.cmd = L4LB_CMD_BACKEND_SET, .vip = &vip, .backend = &be,
		.backend_opts = &bo,
	};

	if (parse_pair(argc, argv, KW_PROTO, &vip, &be, &o))
		return EXIT_USAGE;
	backend_opts_init(&bo);
	bo.state = state;
	return send_request(&r);
}

static int backend_drain(int argc, char **argv)
{
	return backend_state(argc, argv, L4LB_BACKEND_DRAIN);
}

static int backend_down(int argc, char **argv)
{
	return backend_state(argc, argv, L4LB_BACKEND_DOWN);
}

static int backend_up(int argc, char **argv)
{
	return backend_state(argc, argv, L4LB_BACKEND_UP);
}

static int backend_show(int argc, char **argv)
{
	struct backend *bs = NULL;
	struct vip_key vip;
	struct nl_ctx *ctx;
	struct kw_opts o;
	size_t n = 0, i;
	int err;

	if (argc < 1) {
		pr_err("missing VIP address");
		fprintf(stderr, "Try 'l4ctl backend help'.\n");
		return EXIT_USAGE;
	}
	if (parse_endpoint_arg(argv[0], &vip.ep, "VIP address") ||
	    parse_keywords(argc - 1, argv + 1, KW_PROTO, &o, "backend"))
		return EXIT_USAGE;
	vip.proto = o.proto;

	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = dump_backends(ctx, &vip, &bs, &n);
	if (err) {
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	print_open_array(NULL);
	for (i = 0; i < n; i++)
		print_backend(&bs[i], "");
	print_close_array();
	print_end();
	free(bs);
	nl_close(ctx);
	return EXIT_OK;
}

static int backend_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	backend_usage(stdout);
	return EXIT_OK;
}

static const struct cmd backend_cmds[] = {
	{ "add",	backend_add },
	{ "del",	backend_del },
	{ "delete",	backend_del },
	{ "set",	backend_set },
	{ "replace",	backend_replace },
	{ "drain",	backend_drain },
	{ "down",	backend_down },
	{ "up",		backend_up },
	{ "show",	backend_show },
	{ "list",	backend_show },
	{ "help",	backend_help },
	{ NULL,		NULL },
};

int cmd_backend(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0) {
		backend_usage(stderr);
		return EXIT_USAGE;
	}
	c = cmd_lookup(backend_cmds, argv[0], "backend command",
		       "l4ctl backend help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
