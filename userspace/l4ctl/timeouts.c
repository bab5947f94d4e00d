// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl timeouts { show | set NAME SECONDS... | help }: the namespace's
 * default idle timeouts; and the 'timeout NAME SECONDS' words of vip add /
 * vip set, a VIP's own. The names, ranges and attributes are
 * lib/timeouts_core.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l4ctl.h"
#include "msg.h"
#include "nl.h"
#include "print.h"
#include "timeouts.h"
#include "utils.h"

static void timeout_names_hint(void)
{
	unsigned int i;

	fprintf(stderr, "Timeouts:");
	for (i = 0; i < TIMEOUTS_N; i++)
		fprintf(stderr, " %s (1-%u s)", timeout_name(i),
			timeout_max(i));
	fputc('\n', stderr);
}

int timeout_parse_pair(const char *name, const char *val, bool vip,
		       struct timeouts *t)
{
	int i = timeout_index(name);
	uint64_t v = 0;
	const char *p;

	if (i < 0) {
		pr_err("unknown timeout '%s'", name);
		timeout_names_hint();
		return -1;
	}
	if (!val) {
		pr_err("timeout '%s' needs a value in seconds", name);
		return -1;
	}
	if (t->given & (1u << i)) {
		pr_err("timeout '%s' given twice", name);
		return -1;
	}
	if (vip && strcmp(val, "default") == 0) {
		t->secs[i] = 0;
		t->given |= 1u << i;
		return 0;
	}
	for (p = val; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (!*val || *p || v < 1 || v > timeout_max(i)) {
		pr_err("invalid timeout %s '%s': expected seconds from 1 to %u%s",
		       name, val, timeout_max(i),
		       vip ? ", or default" : "");
		return -1;
	}
	t->secs[i] = (uint32_t)v;
	t->given |= 1u << i;
	return 0;
}

int timeouts_extract(int *argc, char **argv, struct timeouts *t)
{
	int i = 0, out = 0;

	memset(t, 0, sizeof(*t));
	while (i < *argc) {
		if (strcmp(argv[i], "timeout") != 0) {
			argv[out++] = argv[i++];
			continue;
		}
		if (i + 1 >= *argc) {
			pr_err("'timeout' needs NAME SECONDS");
			timeout_names_hint();
			return -1;
		}
		if (timeout_index(argv[i + 1]) < 0)
			return timeout_parse_pair(argv[i + 1], NULL, true, t);
		i++;
		/* Pairs go on while the next word names a timeout. */
		while (i < *argc && timeout_index(argv[i]) >= 0) {
			if (timeout_parse_pair(argv[i],
					       i + 1 < *argc ? argv[i + 1] : NULL,
					       true, t))
				return -1;
			i += 2;
		}
	}
	*argc = out;
	return 0;
}

static struct timeouts defaults;

void timeouts_print_vip(const struct timeouts *own, uint8_t proto)
{
	uint32_t secs[TIMEOUTS_N];
	bool any = false;
	unsigned int i;
	char fmt[48];

	for (i = 0; i < TIMEOUTS_N; i++)
		if ((own->given & (1u << i)) && own->secs[i]) {
			snprintf(fmt, sizeof(fmt), " timeout %s %%u",
				 timeout_name(i));
			print_uint(PRINT_FP, NULL, fmt, own->secs[i]);
		}
	if (!print_is_json())
		return;
	for (i = 0; i < TIMEOUTS_N; i++) {
		secs[i] = 0;
		if (!timeout_of_proto(i, proto))
			continue;
		if ((own->given & (1u << i)) && own->secs[i])
			secs[i] = own->secs[i];
		else if (defaults.given & (1u << i))
			secs[i] = defaults.secs[i];
		any |= secs[i] != 0;
	}
	/* Neither its own nor the defaults known: nothing to say. */
	if (!any && !own->given)
		return;
	print_open_object("timeouts");
	for (i = 0; i < TIMEOUTS_N; i++)
		if (secs[i])
			print_uint(PRINT_JSON, timeout_key(i), NULL,
				   secs[i]);
	print_close_object();
	print_open_array("own_timeouts");
	for (i = 0; i < TIMEOUTS_N; i++)
		if ((own->given & (1u << i)) && own->secs[i])
			print_string(PRINT_JSON, NULL, NULL,
				     timeout_key(i));
	print_close_array();
}

void timeouts_load_defaults(struct nl_ctx *ctx)
{
	struct net_info ni;

	if (print_is_json() && !net_get(ctx, &ni))
		defaults = ni.timeouts;
}

void timeouts_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl timeouts [ show ]\n"
		"       l4ctl timeouts set NAME SECONDS [ NAME SECONDS ]...\n"
		"       l4ctl timeouts help\n"
		"NAME := { tcp-unreplied | tcp-syn | tcp-established | tcp-fin |\n"
		"          tcp-close | udp-unreplied | udp }\n"
		"The idle timeouts of this network namespace's flows, in seconds: the\n"
		"defaults of every VIP that has no value of its own ('timeout NAME\n"
		"SECONDS' in vip add / vip set; 'default' there follows these again).\n"
		"A change applies to each flow at its next packet.\n");
}

static int timeouts_show(int argc, char **argv)
{
	struct net_info ni;
	struct nl_ctx *ctx;
	unsigned int i;
	char fmt[48];
	int err;

	(void)argv;
	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl timeouts help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = net_get(ctx, &ni);
	if (err) {
		nl_report(ctx, err);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	nl_close(ctx);
	if (!ni.timeouts.given) {
		pr_err("the loaded l4lb module does not report its timeouts");
		return EXIT_KERNEL;
	}
	print_open_object(NULL);
	for (i = 0; i < TIMEOUTS_N; i++) {
		if (!(ni.timeouts.given & (1u << i)))
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s %%u", i ? " " : "",
			 timeout_name(i));
		print_uint(PRINT_FP, NULL, fmt, ni.timeouts.secs[i]);
		print_uint(PRINT_JSON, timeout_key(i), NULL,
			   ni.timeouts.secs[i]);
	}
	print_nl();
	print_close_object();
	print_end();
	return EXIT_OK;
}

static int timeouts_set(int argc, char **argv)
{
	struct timeouts t;
	struct nl_ctx *ctx;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int i, err;

	memset(&t, 0, sizeof(t));
	if (argc == 0) {
		pr_err("nothing to change: name at least one timeout");
		fprintf(stderr, "Try 'l4ctl timeouts help'.\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i += 2)
		if (timeout_parse_pair(argv[i], i + 1 < argc ? argv[i + 1] : NULL,
				       false, &t))
			return EXIT_USAGE;
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	nlh = nl_msg(ctx, L4LB_CMD_NET_SET, 0);
	nest = mnl_attr_nest_start(nlh, L4LB_ATTR_NET);
	timeouts_put(nlh, L4LB_NET_ATTR_TIMEOUTS, &t);
	mnl_attr_nest_end(nlh, nest);
	err = nl_request(ctx, nlh);
	if (err) {
		/* the genetlink core's answer to a command it does not know */
		if (err == -EOPNOTSUPP && !ctx->extack[0])
			snprintf(ctx->extack, sizeof(ctx->extack), "%s",
				 "the loaded l4lb module predates 'l4ctl timeouts set'");
		nl_report(ctx, err);
	}
	nl_close(ctx);
	return err ? EXIT_KERNEL : EXIT_OK;
}

static int timeouts_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	timeouts_usage(stdout);
	return EXIT_OK;
}

static const struct cmd timeouts_cmds[] = {
	{ "show",	timeouts_show },
	{ "list",	timeouts_show },
	{ "set",	timeouts_set },
	{ "change",	timeouts_set },
	{ "help",	timeouts_help },
	{ NULL,		NULL },
};

int cmd_timeouts(int argc, char **argv)
{
	const struct cmd *c;

	if (argc == 0)
		return timeouts_show(0, argv);
	c = cmd_lookup(timeouts_cmds, argv[0], "timeouts command",
		       "l4ctl timeouts help");
	return c ? c->fn(argc - 1, argv + 1) : EXIT_USAGE;
}
