// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl conn { list | get | flush | help }: the flow table, as
 * conntrack -L or ipvsadm -Lcn show it, one line per flow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <linux/genetlink.h>

#include "args.h"
#include "conn.h"
#include "l4ctl.h"
#include "msg.h"
#include "print.h"
#include "utils.h"

static const char *const tcp_states[] = {
	[L4LB_CONN_TCP_NONE] = "NONE",
	[L4LB_CONN_TCP_SYN_SENT] = "SYN_SENT",
	[L4LB_CONN_TCP_SYN_RECV] = "SYN_RECV",
	[L4LB_CONN_TCP_ESTABLISHED] = "ESTABLISHED",
	[L4LB_CONN_TCP_FIN_WAIT] = "FIN_WAIT",
	[L4LB_CONN_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[L4LB_CONN_TCP_TIME_WAIT] = "TIME_WAIT",
	[L4LB_CONN_TCP_CLOSE] = "CLOSE",
};

static const char *const udp_states[] = {
	[L4LB_CONN_UDP_UNREPLIED] = "UNREPLIED",
	[L4LB_CONN_UDP_ANSWERED] = "ANSWERED",
	[L4LB_CONN_UDP_CONVERSATION] = "CONVERSATION",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

void conn_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl conn list [ FILTER ]\n"
		"       l4ctl conn get CLIENT VIP [ proto PROTO ]\n"
		"       l4ctl conn flush [ FILTER ]\n"
		"       l4ctl conn help\n"
		"FILTER := [ vip VIP ] [ backend ADDR[:PORT] ] [ client ADDR[:PORT] ]\n"
		"          [ state STATE ] [ proto PROTO ]\n"
		"VIP, CLIENT := { IPV4:PORT | [IPV6]:PORT }\n"
		"PROTO  := { tcp | udp }  (vip: the VIP's protocol, default tcp)\n"
		"STATE  := TCP: { syn_sent | syn_recv | established | fin_wait |\n"
		"                 close_wait | time_wait | close }\n"
		"          UDP: { unreplied | answered | conversation }\n"
		"flush ends the flows that match (all without a filter): their\n"
		"next packet is one of no flow.\n");
}

/* A state name: the protocol it belongs to, and its number. */
int conn_state_parse(const char *s, uint8_t *proto, uint8_t *state)
{
	size_t i;

	for (i = 1; i < N_ELEMS(tcp_states); i++)
		if (!strcasecmp(s, tcp_states[i])) {
			*proto = IPPROTO_TCP;
			*state = i;
			return 0;
		}
	for (i = 0; i < N_ELEMS(udp_states); i++)
		if (!strcasecmp(s, udp_states[i])) {
			*proto = IPPROTO_UDP;
			*state = i;
			return 0;
		}
	return -1;
}

static const char *conn_state_name(uint8_t proto, uint8_t state, char *buf,
				   size_t len)
{
	if (proto == IPPROTO_TCP && state < N_ELEMS(tcp_states))
		return tcp_states[state];
	if (proto == IPPROTO_UDP && state < N_ELEMS(udp_states))
		return udp_states[state];
	snprintf(buf, len, "%u", state);
	return buf;
}

/* ADDR or ADDR:PORT (IPv6 with a port in brackets). */
static int parse_addr_port(const char *s, struct endpoint *ep,
			   const char *what)
{
	const char *why = NULL;

	if (!endpoint_parse(s, ep, NULL) || !addr_parse(s, ep, &why))
		return 0;
	pr_err("invalid %s '%s': %s", what, s, why ? why : "bad address");
	return -1;
}

int conn_filter_parse(int argc, char **argv, struct conn_filter *f)
{
	uint8_t sproto = 0;
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val;
		unsigned int bit;

		if (i + 1 >= argc) {
			pr_err("'%s' needs a value", kw);
			goto usage;
		}
		val = argv[i + 1];
		if (!strcmp(kw, "vip"))
			bit = CF_VIP;
		else if (!strcmp(kw, "backend"))
			bit = CF_BACKEND;
		else if (!strcmp(kw, "client"))
			bit = CF_CLIENT;
		else if (!strcmp(kw, "state"))
			bit = CF_STATE;
		else if (!strcmp(kw, "proto"))
			bit = CF_PROTO;
		else {
			pr_err("unknown filter '%s'", kw);
			goto usage;
		}
		if (f->given & bit) {
			pr_err("'%s' given twice", kw);
			goto usage;
		}
		f->given |= bit;
		switch (bit) {
		case CF_VIP:
			if (parse_endpoint_arg(val, &f->vip, "VIP address"))
				goto usage;
			break;
		case CF_BACKEND:
			if (parse_addr_port(val, &f->backend, "backend address"))
				goto usage;
			break;
		case CF_CLIENT:
			if (parse_addr_port(val, &f->client, "client address"))
				goto usage;
			break;
		case CF_STATE:
			if (conn_state_parse(val, &sproto, &f->state)) {
				pr_err("invalid state '%s'", val);
				goto usage;
			}
			break;
		case CF_PROTO:
			if (parse_proto(val, &f->proto)) {
				pr_err("invalid protocol '%s'", val);
				goto usage;
			}
			break;
		}
	}
	if (f->given & CF_STATE) {
		if ((f->given & CF_PROTO) && f->proto != sproto) {
			pr_err("state and protocol do not go together");
			goto usage;
		}
		f->proto = sproto;
		f->given |= CF_PROTO;
	}
	if ((f->given & CF_VIP) && !(f->given & CF_PROTO))
		f->proto = IPPROTO_TCP;
	{
		const struct endpoint *eps[] = {
			f->given & CF_VIP ? &f->vip : NULL,
			f->given & CF_BACKEND ? &f->backend : NULL,
			f->given & CF_CLIENT ? &f->client : NULL,
		};
		uint16_t fam = 0;
		size_t k;

		for (k = 0; k < N_ELEMS(eps); k++) {
			if (!eps[k])
				continue;
			if (fam && eps[k]->family != fam) {
				pr_err("addresses of different families");
				goto usage;
			}
			fam = eps[k]->family;
		}
	}
	return 0;

usage:
	fprintf(stderr, "Try 'l4ctl conn help'.\n");
	return -1;
}

static void put_tuple_addr(struct nlmsghdr *nlh, uint16_t type,
			   const struct endpoint *ep)
{
	mnl_attr_put(nlh, type, addr_len(ep->family), ep->addr);
}

/* The filter as CONN_GET and CONN_DEL take it. */
void conn_filter_put(struct nlmsghdr *nlh, const struct conn_filter *f)
{
	const struct endpoint *any = NULL;
	struct nlattr *nest;

	if (f->given & CF_VIP) {
		struct vip_key key = { .ep = f->vip, .proto = f->proto };

		msg_put_vip(nlh, &key, NULL);
		any = &f->vip;
	}
	if (!(f->given & (CF_BACKEND | CF_CLIENT | CF_STATE | CF_PROTO)))
		return;
	if (f->given & CF_BACKEND)
		any = &f->backend;
	if (f->given & CF_CLIENT)
		any = &f->client;
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_CONN);
	if (any)
		mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_FAMILY, any->family);
	if (f->given & CF_PROTO)
		mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_PROTO, f->proto);
	if (f->given & CF_STATE)
		mnl_attr_put_u8(nlh, L4LB_CONN_ATTR_STATE, f->state);
	if (f->given & CF_CLIENT) {
		struct nlattr *orig = mnl_attr_nest_start(nlh, L4LB_CONN_ATTR_ORIG);
		put_tuple_addr(nlh, L4LB_TUPLE_ATTR_SRC, &f->client);
		if (f->client.port)
			mnl_attr_put_u16(nlh, L4LB_TUPLE_ATTR_SPORT,
					 htons(f->client.port));
		mnl_attr_nest_end(nlh, orig);
	}
	if (f->given & CF_BACKEND) {
		put_tuple_addr(nlh, L4LB_CONN_ATTR_BACKEND_ADDR, &f->backend);
		if (f->backend.port)
			mnl_attr_put_u16(nlh, L4LB_CONN_ATTR_BACKEND_PORT,
					 htons(f->backend.port));
	}
	mnl_attr_nest_end(nlh, nest);
}

struct conn_list {
	struct conn *items;
	size_t n, cap;
};

static int conn_cb(const struct nlmsghdr *nlh, void *data)
{
	struct conn_list *l = data;
	const struct nlattr *a;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct conn *p = realloc(l->items, cap * sizeof(*p));

		if (!p) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		l->items = p;
		l->cap = cap;
	}
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != L4LB_ATTR_CONN)
			continue;
		if (msg_parse_conn(a, &l->items[l->n]) < 0) {
			errno = EPROTO;	/* a kernel bug, not a user error */
			return MNL_CB_ERROR;
		}
		l->n++;
		return MNL_CB_OK;
	}
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static bool ep_eq(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

static void print_ep(const char *key, const char *fmt,
		     const struct endpoint *ep)
{
	char buf[ADDR_STRLEN];

	print_string(PRINT_FP, NULL, fmt, endpoint_format(ep, buf, sizeof(buf)));
	print_open_object(key);
	print_string(PRINT_JSON, "address", NULL,
		     addr_format(ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, ep->port);
	print_close_object();
}

/*
 * proto state expires client -> vip backend B [reply SRC -> DST] [flags]:
 * the reply tuple in text only when it is not plain DNAT's. An event's
 * text leaves out the state and expiry columns (its JSON has them).
 */
void print_conn_fields(const struct conn *c, bool event)
{
	enum output_type col = event ? PRINT_JSON : PRINT_ANY;
	struct endpoint plain_dst = c->client;
	char buf[32];
	bool plain;

	print_string(PRINT_ANY, "proto", "%-3s",
		     proto_name(c->proto, buf, sizeof(buf)));
	print_string(col, "state", " %-11s",
		     conn_state_name(c->proto, c->state, buf, sizeof(buf)));
	print_uint(col, "expires", " %6u", c->expires);
	print_ep("client", " %s", &c->client);
	print_ep("vip", " -> %s", &c->vip);
	print_ep("backend", " backend %s", &c->backend);
	print_string(PRINT_ANY, "mode", " %s",
		     mode_name(c->mode, buf, sizeof(buf)));
	plain = ep_eq(&c->rsrc, &c->backend) && ep_eq(&c->rdst, &plain_dst);
	print_open_object("reply");
	if (!plain || print_is_json()) {
		print_ep("src", " reply %s", &c->rsrc);
		print_ep("dst", " -> %s", &c->rdst);
	}
	print_close_object();
	print_bool(PRINT_ANY, "replied", " replied",
		   c->flags & L4LB_CONN_F_REPLIED);
	print_bool(PRINT_ANY, "oneway", " oneway",
		   c->flags & L4LB_CONN_F_ONEWAY);
	print_bool(PRINT_ANY, "ops", " ops", c->flags & L4LB_CONN_F_OPS);
	print_bool(PRINT_ANY, "adopted", " adopted",
		   c->flags & L4LB_CONN_F_ADOPTED);
}

void print_conn(const struct conn *c)
{
	print_open_object(NULL);
	print_conn_fields(c, false);
	print_nl();
	print_close_object();
}

/* The flows @f selects, a consistent dump of them. */
static int conn_dump(struct nl_ctx *ctx, const struct conn_filter *f,
		     struct conn_list *l)
{
	int err, tries = 0;

	do {
		struct nlmsghdr *nlh = nl_msg(ctx, L4LB_CMD_CONN_GET, 0);

		conn_filter_put(nlh, f);
		l->n = 0;
		err = nl_dump(ctx, nlh, conn_cb, l);
	} while (err == -NL_DUMP_INTR && ++tries < NL_DUMP_TRIES);
	return err;
}

static int conn_show(const struct conn_filter *f, bool one)
{
	struct conn_list l = { 0 };
	struct nl_ctx *ctx;
	int err;

	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = conn_dump(ctx, f, &l);
	if (err) {
		nl_report(ctx, err);
		free(l.items);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	nl_close(ctx);
	if (one && !l.n) {
		free(l.items);
		pr_err("no such flow");
		return EXIT_KERNEL;
	}
	if (one) {
		print_conn(&l.items[0]);
	} else {
		size_t i;

		print_open_array(NULL);
		for (i = 0; i < l.n; i++)
			print_conn(&l.items[i]);
		print_close_array();
	}
	print_end();
	free(l.items);
	return EXIT_OK;
}

static int conn_list(int argc, char **argv)
{
	struct conn_filter f;

	if (conn_filter_parse(argc, argv, &f))
		return EXIT_USAGE;
	return conn_show(&f, false);
}

/* conn get CLIENT VIP [proto P]: the flow whose ORIG tuple that is. */
static int conn_get(int argc, char **argv)
{
	struct conn_filter f;

	if (argc < 2) {
		pr_err("missing %s address", argc ? "VIP" : "client");
		fprintf(stderr, "Try 'l4ctl conn help'.\n");
		return EXIT_USAGE;
	}
	memset(&f, 0, sizeof(f));
	if (parse_endpoint_arg(argv[0], &f.client, "client address") ||
	    parse_endpoint_arg(argv[1], &f.vip, "VIP address"))
		return EXIT_USAGE;
	f.proto = IPPROTO_TCP;
	if (argc == 4 && !strcmp(argv[2], "proto")) {
		if (parse_proto(argv[3], &f.proto)) {
			pr_err("invalid protocol '%s'", argv[3]);
			return EXIT_USAGE;
		}
	} else if (argc != 2) {
		pr_err("unexpected '%s'", argv[2]);
		fprintf(stderr, "Try 'l4ctl conn help'.\n");
		return EXIT_USAGE;
	}
	if (f.client.family != f.vip.family) {
		pr_err("client and VIP addresses of different families");
		return EXIT_USAGE;
	}
	f.given = CF_VIP | CF_CLIENT | CF_PROTO;
	return conn_show(&f, true);
}

static int conn_flush(int argc, char **argv)
{
	struct conn_filter f;
	struct nl_ctx *ctx;
	struct nlmsghdr *nlh;
	int err;

	if (conn_filter_parse(argc, argv, &f))
		return EXIT_USAGE;
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	nlh = nl_msg(ctx, L4LB_CMD_CONN_DEL, 0);
	conn_filter_put(nlh, &f);
	err = nl_request(ctx, nlh);
	if (err) {
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	nl_close(ctx);
	return EXIT_OK;
}

static int conn_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	conn_usage(stdout);
	return EXIT_OK;
}

static const struct cmd conn_cmds[] = {
	{ "list",	conn_list },
	{ "show",	conn_list },
	{ "get",	conn_get },
	{ "flush",	conn_flush },
	{ "help",	conn_help },
	{ NULL,		NULL },
};

int cmd_conn(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0)
		return conn_list(0, argv);
	c = cmd_lookup(conn_cmds, argv[0], "conn command", "l4ctl conn help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
