/* SPDX-License-Identifier: GPL-2.0 */
/* What the object files (main, vip, backend, show, stats) offer each other. */
#ifndef L4CTL_L4CTL_H
#define L4CTL_L4CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

struct vip;
struct backend;
struct net_info;

/* Object handlers: argv starts after the object name. Return exit status. */
int cmd_vip(int argc, char **argv);
int cmd_backend(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_conn(int argc, char **argv);

void vip_usage(FILE *f);
void backend_usage(FILE *f);
void stats_usage(FILE *f);
void conn_usage(FILE *f);

/*
 * 'show VIP [proto P]', 'vip show VIP [proto P]': VIP is ADDR:PORT or the
 * address alone (every port); without proto, both protocols.
 */
struct vip_filter {
	bool on;		/* a VIP was given */
	struct endpoint ep;	/* port 0: every port */
	bool has_proto;
	uint8_t proto;
	const char *text;	/* the VIP as typed, for messages */
};

/* Parse [VIP [proto P]]. Returns 0, or -1 after printing why. */
int vip_filter_parse(int argc, char **argv, struct vip_filter *f,
		     const char *object);
/*
 * Keep those of @vips (*@n of them) that match @f, freeing the others'
 * backends. Returns 0, or -1 after printing "no VIP ..." when none match.
 */
int vip_filter_apply(const struct vip_filter *f, struct vip *vips, size_t *n);
void show_usage(FILE *f);

/* show.c: the single place deciding how objects look. */
void print_vip(const struct vip *v, bool with_backends);
void print_backend(const struct backend *b, const char *indent);
void print_vips(const struct vip *vips, size_t n, bool with_backends);
void print_net(const struct net_info *ni);

/* batch.c: l4ctl -b FILE, and -n NETNS. */
#define BATCH_ARGS_MAX	128
#define NETNS_RUN_DIR	"/run/netns"
/*
 * Split @line in place into words (blanks separate them, '#' starts a
 * comment, a leading "l4ctl" is dropped). Returns the number of words, or
 * -1 when there are more than @max.
 */
int batch_split(char *line, char **argv, int max);
/*
 * Run each line of @in with @run, over one netlink socket. Errors name
 * their line ("l4ctl: line N: ..."). Stops at the first failing line unless
 * @force. Returns EXIT_OK, or the status of the first line that failed.
 */
int batch_run(FILE *in, bool force, int (*run)(int argc, char **argv));
/* batch_run() over the file @path, "-" for stdin. */
int batch_file(const char *path, bool force, int (*run)(int argc, char **argv));
/* setns() into /run/netns/@name. Returns 0, or -1 after printing why. */
int netns_enter(const char *name);

/* save.c: save, flush, info, version; ipvsadm.c: import-ipvsadm. */
int cmd_save(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_import_ipvsadm(int argc, char **argv);
int print_versions(void);
/*
 * The l4ctl commands of the 'ipvsadm -S -n' output @in, onto @out. Lines
 * it cannot read are reported on stderr. Returns the exit status.
 */
int ipvsadm_convert(FILE *in, FILE *out);

#endif
