// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl vip { add | set | del | show | help }
 */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "timeouts.h"
#include "utils.h"

void vip_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl vip add VIP [ proto PROTO ] [ OPTIONS ]\n"
		"       l4ctl vip set VIP [ proto PROTO ] OPTIONS\n"
		"       l4ctl vip replace VIP [ proto PROTO ] [ OPTIONS ]\n"
		"       l4ctl vip del VIP [ proto PROTO ]\n"
		"       l4ctl vip [ show | list ] [ VIP [ proto PROTO ] ]\n"
		"       l4ctl vip help\n"
		"VIP     := { IPV4:PORT | [IPV6]:PORT }  (show: or ADDR, every port)\n"
		"PROTO   := { tcp | udp }                 (default: tcp)\n"
		"OPTIONS := [ sched SCHED ] [ mode MODE ] [ ops | no-ops ]\n"
		"           [ snat-addr { ADDR | auto } ]... [ snat-ports MIN-MAX ]\n"
		"           [ encap ENCAP ] [ encap-port PORT ]\n"
		"           [ timeout TIMEOUT { SECONDS | default } ]...\n"
		"           [ sh-port | no-sh-port ] [ hash { 5tuple | src } ]\n"
		"           [ maglev-size { N | default } ] [ syn-only | no-syn-only ]\n"
		"           [ maxconn { N | none } ] [ rate { N | none } ]\n"
		"           [ burst { N | default } ] [ persist { SECONDS | none } ]\n"
		"           [ reject | no-reject ] [ expire-down | no-expire-down ]\n"
		"SCHED   := { rr | wrr | lc | wlc | sh | maglev | p2c } (default: rr; also\n"
		"           round-robin = rr, least-connections = lc, ip-hash = sh)\n"
		"MODE    := { dnat | snat | dsr | tunnel } (default: dnat)\n"
		"ENCAP   := { ipip | fou | gue }           (tunnel mode; default: ipip,\n"
		"           which is IP6IP6 for IPv6; fou and gue need encap-port)\n"
		"snat-addr: source addresses of SNAT mode (up to 16; default auto: the\n"
		"           address of the interface toward the backend)\n"
		"snat-ports: their source port range (default 1024-65535)\n"
		"ops:       UDP, one packet scheduling: a flow ends with its reply\n"
		"TIMEOUT := { tcp-unreplied | tcp-syn | tcp-established | tcp-fin |\n"
		"             tcp-close | udp-unreplied | udp }: the VIP's own idle\n"
		"           timeout (default: the namespace's, see l4ctl timeouts)\n"
		"sh-port:   sh hashes the source port too (default: the address only)\n"
		"hash:      what maglev hashes (default: 5tuple)\n"
		"maglev-size: maglev's table, a prime from %d to %d (default %d,\n"
		"           more with many backends)\n"
		"syn-only:  maglev: only a SYN opens a TCP flow (default: a packet of an\n"
		"           unknown flow goes to the backend the table names)\n"
		"maxconn:   the VIP's flows at once (default: none)\n"
		"rate:      new flows per second (default: none), burst: how many at\n"
		"           once above it (default: the rate)\n"
		"persist:   a client address keeps its backend for SECONDS after its\n"
		"           last new flow (default: none)\n"
		"reject:    a flow no backend can take gets a TCP RST or ICMP port\n"
		"           unreachable (the default); no-reject drops it silently\n"
		"expire-down: flows of a backend set down end (default: they go on)\n"
		"vip set changes only what it names; a new mode or scheduler applies to\n"
		"new flows. vip replace adds the VIP, or sets what it names if it exists.\n",
		L4LB_MAGLEV_SIZE_MIN, L4LB_MAGLEV_SIZE_MAX,
		L4LB_MAGLEV_SIZE_DEFAULT);
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

/* The options the user typed, and only those, into what is sent. */
static void vip_opts_from(const struct kw_opts *o, struct vip_opts *v)
{
	vip_opts_init(v);
	v->sched = o->sched;
	if (o->seen & KW_MODE)
		v->mode = o->mode;
	if (o->seen & KW_ENCAP)
		v->encap = o->encap;
	if (o->seen & KW_ENCAP_PORT)
		v->encap_port = o->encap_port;
	if (o->seen & KW_SNAT_PORTS) {
		v->snat_port_min = o->snat_port_min;
		v->snat_port_max = o->snat_port_max;
	}
	if (o->seen & KW_SNAT_ADDR) {
		unsigned int i;

		v->n_snat = (int)o->n_snat;
		for (i = 0; i < o->n_snat; i++)
			v->snat[i] = o->snat[i];
	}
	/* the flags: see struct request */
	if (o->seen & KW_MAGLEV_SIZE)
		v->maglev_size = o->maglev_size;
	if (o->seen & KW_MAXCONN)
		v->maxconn = o->maxconn;
	if (o->seen & KW_RATE)
		v->rate = o->rate;
	if (o->seen & KW_BURST)
		v->burst = o->burst;
	if (o->seen & KW_PERSIST)
		v->persist = o->persist;
}

/* @cmd: L4LB_CMD_VIP_NEW, L4LB_CMD_VIP_SET, or 0 for replace */
static int vip_add_set(int argc, char **argv, uint8_t cmd)
{
	struct timeouts to;
	struct vip_opts vo;
	struct vip_key key;
	struct kw_opts o;
	struct request r = { .cmd = cmd, .vip = &key, .vip_opts = &vo };
	int n = argc - 1;

	if (need_vip(argc, argv, &key) || timeouts_extract(&n, argv + 1, &to) ||
	    parse_keywords(n, argv + 1, KW_PROTO | KW_VIP_CFG, &o, "vip"))
		return EXIT_USAGE;
	if (cmd == L4LB_CMD_VIP_SET && !(o.seen & KW_VIP_CFG) && !to.given) {
		pr_err("nothing to change: name at least one option");
		fprintf(stderr, "Try 'l4ctl vip help'.\n");
		return EXIT_USAGE;
	}
	key.proto = o.proto;
	vip_opts_from(&o, &vo);
	vo.timeouts = &to;
	r.flags_named = o.flags_named;
	r.flags_on = o.flags_on;
	if (!cmd) {
		r.cmd = L4LB_CMD_VIP_NEW;
		return send_replace(&r, L4LB_CMD_VIP_SET,
				    (o.seen & KW_VIP_CFG) || to.given);
	}
	return send_request(&r);
}

static int vip_replace(int argc, char **argv)
{
	return vip_add_set(argc, argv, 0);
}

static int vip_add(int argc, char **argv)
{
	return vip_add_set(argc, argv, L4LB_CMD_VIP_NEW);
}

static int vip_set(int argc, char **argv)
{
	return vip_add_set(argc, argv, L4LB_CMD_VIP_SET);
}

static int vip_del(int argc, char **argv)
{
	struct vip_key key;
	struct kw_opts o;
	struct request r = {
		.cmd = L4LB_CMD_VIP_DEL, .vip = &key,
	};

	if (need_vip(argc, argv, &key) ||
	    parse_keywords(argc - 1, argv + 1, KW_PROTO, &o, "vip"))
		return EXIT_USAGE;
	key.proto = o.proto;
	return send_request(&r);
}

static int vip_show(int argc, char **argv)
{
	struct vip_filter filter;
	struct vip *vips = NULL;
	struct nl_ctx *ctx;
	size_t n = 0;
	int err;

	if (vip_filter_parse(argc, argv, &filter, "vip"))
		return EXIT_USAGE;
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = dump_vips(ctx, &vips, &n);
	if (err) {
		nl_report(ctx, err);
		free_vips(vips, n);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	if (vip_filter_apply(&filter, vips, &n)) {
		free_vips(vips, n);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	timeouts_load_defaults(ctx);
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
	{ "set",	vip_set },
	{ "change",	vip_set },
	{ "replace",	vip_replace },
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
