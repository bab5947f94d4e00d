// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl save | flush | info, and the versions of l4ctl -V.
 *
 * save prints what 'l4ctl -b' needs to rebuild the configuration of the
 * namespace after a flush: the namespace timeouts that differ from the
 * module's, then each VIP with every option that is not the default and
 * its backends. Counters and flows are not configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "l4ctl.h"
#include "msg.h"
#include "nl.h"
#include "print.h"
#include "save.h"
#include "utils.h"

#ifndef L4CTL_VERSION
#define L4CTL_VERSION "unknown"
#endif

/* The module parameter of each timeout, in timeouts.h order. */
static const char *const timeout_params[TIMEOUTS_N] = {
	"tcp_timeout_unreplied", "tcp_timeout_syn", "tcp_timeout_established",
	"tcp_timeout_fin", "tcp_timeout_close", "udp_timeout_unreplied",
	"udp_timeout",
};

/* The first line of a small sysfs file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

void module_timeouts(struct timeouts *t)
{
	char path[256], buf[32];
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < TIMEOUTS_N; i++) {
		uint32_t v;

		snprintf(path, sizeof(path), L4LB_SYSFS "/parameters/%s",
			 timeout_params[i]);
		if (read_line(path, buf, sizeof(buf)) == 0 &&
		    parse_u32(buf, NULL, &v) == 0) {
			t->secs[i] = v;
			t->given |= 1u << i;
		}
	}
}

void save_timeouts(FILE *f, const struct timeouts *cur,
		   const struct timeouts *defaults)
{
	bool any = false;
	unsigned int i;

	for (i = 0; i < TIMEOUTS_N; i++) {
		if (!(cur->given & (1u << i)))
			continue;
		if ((defaults->given & (1u << i)) &&
		    defaults->secs[i] == cur->secs[i])
			continue;
		fprintf(f, "%s %s %" PRIu32, any ? "" : "timeouts set",
			timeout_name(i), cur->secs[i]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

static void save_key(FILE *f, const struct vip *v)
{
	char buf[ADDR_STRLEN];

	fputs(endpoint_format(&v->key.ep, buf, sizeof(buf)), f);
}

void save_vip(FILE *f, const struct vip *v)
{
	char buf[ADDR_STRLEN];
	unsigned int i;
	uint32_t fl = v->has_flags ? v->flags : 0;

	fputs("vip add ", f);
	save_key(f, v);
	fprintf(f, " proto %s", proto_name(v->key.proto, buf, sizeof(buf)));
	if (v->sched[0])
		fprintf(f, " sched %s", v->sched);
	if (v->has_mode)
		fprintf(f, " mode %s", mode_name(v->mode, buf, sizeof(buf)));
	if (v->has_encap)
		fprintf(f, " encap %s", encap_name(v->encap, buf, sizeof(buf)));
	if (v->has_encap_port && v->encap_port)
		fprintf(f, " encap-port %u", v->encap_port);
	if (v->has_snat_ports)
		fprintf(f, " snat-ports %u-%u", v->snat_port_min,
			v->snat_port_max);
	for (i = 0; i < v->n_snat; i++)
		fprintf(f, " snat-addr %s",
			addr_format(&v->snat[i], buf, sizeof(buf)));
	if (fl & L4LB_VIP_F_OPS)
		fputs(" ops", f);
	if (fl & L4LB_VIP_F_SH_PORT)
		fputs(" sh-port", f);
	if (fl & L4LB_VIP_F_HASH_SRC)
		fputs(" hash src", f);
	if (v->has_maglev_size && v->maglev_size)
		fprintf(f, " maglev-size %" PRIu32, v->maglev_size);
	if (fl & L4LB_VIP_F_SYN_ONLY)
		fputs(" syn-only", f);
	if (v->has_maxconn && v->maxconn)
		fprintf(f, " maxconn %" PRIu32, v->maxconn);
	if (v->has_rate && v->rate)
		fprintf(f, " rate %" PRIu32, v->rate);
	/* the kernel's burst follows the rate unless given */
	if (v->has_burst && v->burst && v->burst != v->rate)
		fprintf(f, " burst %" PRIu32, v->burst);
	if (v->has_persist && v->persist)
		fprintf(f, " persist %" PRIu32, v->persist);
	if (fl & L4LB_VIP_F_NO_REJECT)
		fputs(" no-reject", f);
	if (fl & L4LB_VIP_F_EXPIRE_DOWN)
		fputs(" expire-down", f);
	for (i = 0; i < TIMEOUTS_N; i++)
		if ((v->timeouts.given & (1u << i)) && v->timeouts.secs[i])
			fprintf(f, " timeout %s %" PRIu32, timeout_name(i),
				v->timeouts.secs[i]);
	fputc('\n', f);
}

void save_backend(FILE *f, const struct vip *v, const struct backend *b)
{
	char buf[ADDR_STRLEN];

	fputs("backend add ", f);
	save_key(f, v);
	fprintf(f, " %s proto %s", endpoint_format(&b->ep, buf, sizeof(buf)),
		proto_name(v->key.proto, buf, sizeof(buf)));
	if (b->has_weight)
		fprintf(f, " weight %" PRIu32, b->weight);
	if (b->has_state && b->state != L4LB_BACKEND_UP)
		fprintf(f, " state %s", state_name(b->state, buf, sizeof(buf)));
	if (b->has_maxconn && b->maxconn)
		fprintf(f, " maxconn %" PRIu32, b->maxconn);
	if (b->has_flags && (b->flags & L4LB_BACKEND_F_BACKUP))
		fputs(" backup", f);
	fputc('\n', f);
}

void save_write(FILE *f, const struct timeouts *cur,
		const struct timeouts *defaults, const struct vip *vips,
		size_t n)
{
	size_t i, j;

	fprintf(f, "# l4ctl save (l4ctl %s); restore with: l4ctl -b FILE\n",
		L4CTL_VERSION);
	save_timeouts(f, cur, defaults);
	for (i = 0; i < n; i++) {
		save_vip(f, &vips[i]);
		for (j = 0; j < vips[i].n_backends; j++)
			save_backend(f, &vips[i], &vips[i].backends[j]);
	}
}

/* Every VIP with its backends, as 'l4ctl show' collects them. */
int cmd_save(int argc, char **argv)
{
	struct timeouts defaults;
	struct vip *vips = NULL;
	struct net_info ni;
	struct nl_ctx *ctx;
	size_t n = 0;
	int err;

	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = net_get(ctx, &ni);
	if (!err)
		err = dump_config(ctx, &vips, &n);
	if (err) {
		nl_report(ctx, err);
		free_vips(vips, n);
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	module_timeouts(&defaults);
	save_write(stdout, &ni.timeouts, &defaults, vips, n);
	fflush(stdout);
	free_vips(vips, n);
	nl_close(ctx);
	return EXIT_OK;
}

int cmd_flush(int argc, char **argv)
{
	struct vip *vips = NULL;
	struct nl_ctx *ctx;
	size_t n = 0, i;
	int err;

	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl help'.\n");
		return EXIT_USAGE;
	}
	ctx = nl_open();
	if (!ctx)
		return EXIT_KERNEL;
	err = dump_vips(ctx, &vips, &n);
	for (i = 0; !err && i < n; i++) {
		struct request r = { .cmd = L4LB_CMD_VIP_DEL,
				     .vip = &vips[i].key };

		err = request_run(ctx, &r);
		if (err == -ENOENT)	/* someone else deleted it */
			err = 0;
	}
	if (err)
		nl_report(ctx, err);
	free_vips(vips, n);
	nl_close(ctx);
	return err ? EXIT_KERNEL : EXIT_OK;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* /sys/module/l4lb/parameters/: "name value" pairs, by name. */
static void print_params(void)
{
	struct dirent **names;
	char path[512], buf[128];
	int i, n;

	n = scandir(L4LB_SYSFS "/parameters", &names, NULL, by_name);
	if (n < 0)
		return;
	print_open_object("parameters");
	print_string(PRINT_FP, NULL, "%s", "parameters");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), L4LB_SYSFS "/parameters/%s",
			 names[i]->d_name);
		if (names[i]->d_name[0] != '.' &&
		    read_line(path, buf, sizeof(buf)) == 0) {
			char fmt[300];

			snprintf(fmt, sizeof(fmt), " %s %%s", names[i]->d_name);
			print_string(PRINT_ANY, names[i]->d_name, fmt, buf);
		}
		free(names[i]);
	}
	free(names);
	print_nl();
	print_close_object();
}

static const struct {
	unsigned int count, max;
	const char *key, *max_key;
} info_fill[] = {
	{ L4LB_NET_ATTR_CONNS, L4LB_NET_ATTR_CONN_MAX, "conns", "conn_max" },
	{ L4LB_NET_ATTR_VIPS, L4LB_NET_ATTR_VIP_MAX, "vips", "vip_max" },
	{ L4LB_NET_ATTR_BACKENDS, L4LB_NET_ATTR_BACKEND_MAX, "backends",
	  "backend_max" },
	{ L4LB_NET_ATTR_BUCKETS, 0, "buckets", NULL },
};

int cmd_info(int argc, char **argv)
{
	char version[64], fmt[64];
	struct net_info ni;
	struct nl_ctx *ctx;
	bool first = true;
	unsigned int i;
	int err;

	if (argc > 0) {
		pr_err("unknown argument '%s'", argv[0]);
		fprintf(stderr, "Try 'l4ctl help'.\n");
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
	if (read_line(L4LB_SYSFS "/version", version, sizeof(version)))
		snprintf(version, sizeof(version), "unknown");

	print_open_object(NULL);
	print_string(PRINT_ANY, "module_version", "module l4lb %s", version);
	print_uint(PRINT_ANY, "family_version", " netlink family version %u",
		   ctx->family_version);
	print_nl();
	for (i = 0; i < sizeof(info_fill) / sizeof(info_fill[0]); i++) {
		bool has = ni.present & (1u << info_fill[i].count);
		bool has_max = info_fill[i].max_key &&
			       (ni.present & (1u << info_fill[i].max));

		if (has) {
			snprintf(fmt, sizeof(fmt), "%s%s %%" PRIu64,
				 first ? "" : " ", info_fill[i].key);
			print_u64(PRINT_ANY, info_fill[i].key, fmt,
				  ni.val[info_fill[i].count]);
			first = false;
		}
		if (has_max) {
			if (has)
				snprintf(fmt, sizeof(fmt), "/%%" PRIu64);
			else
				snprintf(fmt, sizeof(fmt), "%s%s %%" PRIu64,
					 first ? "" : " ",
					 info_fill[i].max_key);
			print_u64(PRINT_ANY, info_fill[i].max_key, fmt,
				  ni.val[info_fill[i].max]);
			first = false;
		}
	}
	if (!first)
		print_nl();
	print_open_object("timeouts");
	print_string(PRINT_FP, NULL, "%s", "timeouts");
	for (i = 0; i < TIMEOUTS_N; i++) {
		if (!(ni.timeouts.given & (1u << i)))
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%u", timeout_name(i));
		print_uint(PRINT_ANY, timeout_key(i), fmt,
			   ni.timeouts.secs[i]);
	}
	print_nl();
	print_close_object();
	print_params();
	print_close_object();
	print_end();
	nl_close(ctx);
	return EXIT_OK;
}

int print_versions(void)
{
	char version[64];

	printf("l4ctl %s (l4lb netlink family version %d)\n", L4CTL_VERSION,
	       L4LB_GENL_VERSION);
	if (read_line(L4LB_SYSFS "/version", version, sizeof(version))) {
		printf("l4lb module: not loaded\n");
		return EXIT_OK;
	}
	printf("l4lb module %s: %s\n", version,
	       strcmp(version, L4CTL_VERSION) == 0 ?
	       "matches l4ctl" : "differs from l4ctl");
	return EXIT_OK;
}
