// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl import-ipvsadm: read 'ipvsadm -S -n' (ipvsadm-save) on stdin and
 * print the l4ctl commands of the same configuration, for 'l4ctl -b -'.
 *
 *	-A -t|-u VIP:PORT -s SCHED [-p SECS] [-o] [-b FLAGS]
 *	-a -t|-u VIP:PORT -r RIP[:PORT] -g|-m|-i -w WEIGHT [-x UPPER]
 *
 * IPVS picks the forwarding method per real server, l4lb per VIP: a VIP
 * takes the method of its first real server. What has no l4lb equivalent
 * is said in a comment line ("# ipvsadm: ..."), never silently dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l4ctl.h"
#include "utils.h"

#define IPVS_WORDS_MAX	64

struct ipvs_rs {
	char addr[80];
	char mode[8];		/* dnat, dsr, tunnel */
	char weight[16];
	char maxconn[16];
	char notes[256];	/* comment lines, each ending in '\n' */
};

struct ipvs_svc {
	char proto[4];		/* tcp, udp */
	char addr[80];
	char sched[16];
	char persist[16];
	bool ops;
	char flags[64];		/* l4ctl words from -b */
	char notes[512];
	struct ipvs_rs *rs;
	size_t n_rs;
	struct ipvs_svc *next;
};

/* Append "# ipvsadm: ...\n" to @notes. */
static void note(char *notes, size_t len, const char *fmt, const char *a,
		 const char *b)
{
	size_t used = strlen(notes);

	if (used >= len)
		return;
	snprintf(notes + used, len - used, "# ipvsadm: ");
	used = strlen(notes);
	snprintf(notes + used, len - used, fmt, a, b);
	used = strlen(notes);
	snprintf(notes + used, len - used, "\n");
}

static const char *map_sched(const char *s)
{
	static const char *const same[] = { "rr", "wrr", "lc", "wlc", "sh" };
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (strcmp(s, same[i]) == 0)
			return same[i];
	if (strcmp(s, "mh") == 0)
		return "maglev";
	return NULL;
}

static struct ipvs_svc *find_svc(struct ipvs_svc *list, const char *proto,
				 const char *addr)
{
	for (; list; list = list->next)
		if (strcmp(list->proto, proto) == 0 &&
		    strcmp(list->addr, addr) == 0)
			return list;
	return NULL;
}

/* The port of "A:P" / "[A]:P", or NULL. */
static const char *port_of(const char *addr)
{
	const char *c = strrchr(addr, ':');

	if (!c)
		return NULL;
	if (addr[0] == '[' && c[-1] != ']')
		return NULL;
	if (addr[0] != '[' && strchr(addr, ':') != c)
		return NULL;	/* a bare IPv6 address */
	return c + 1;
}

/* -b FLAGS: sh-port, mh-port and the fallbacks. */
static void svc_flags(struct ipvs_svc *s, char *flags, bool *mh_port)
{
	char *f, *save = NULL;

	for (f = strtok_r(flags, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (strcmp(f, "sh-port") == 0)
			strncat(s->flags, " sh-port",
				sizeof(s->flags) - strlen(s->flags) - 1);
		else if (strcmp(f, "mh-port") == 0)
			*mh_port = true;
		else
			note(s->notes, sizeof(s->notes),
			     "scheduler flag '%s' of %s has no l4lb equivalent: left out",
			     f, s->addr);
	}
}

/* One line's words; returns 0, or -1 when it is not understood. */
static int ipvs_line(struct ipvs_svc **list, int argc, char **argv,
		     char *unmapped, size_t unmapped_len)
{
	const char *proto = NULL, *addr = NULL, *sched = NULL, *persist = NULL;
	const char *rip = NULL, *mode = NULL, *weight = NULL, *upper = NULL;
	char *flags = NULL;
	bool add_svc, ops = false, mh_port = false;
	char extra[256] = "";
	struct ipvs_svc *s;
	int i;

	if (strcmp(argv[0], "-A") != 0 && strcmp(argv[0], "-a") != 0)
		return -1;
	add_svc = argv[0][1] == 'A';
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!o)
			return -1;
		if ((!strcmp(o, "-t") || !strcmp(o, "-u")) && v) {
			proto = o[1] == 't' ? "tcp" : "udp";
			addr = v;
			i++;
		} else if (!strcmp(o, "-f") && v) {
			snprintf(extra, sizeof(extra),
				 "firewall-mark service %s has no l4lb equivalent: left out",
				 v);
			note(unmapped, unmapped_len, "%s%s", extra, "");
			return 0;
		} else if (!strcmp(o, "-s") && v) {
			sched = argv[++i];
		} else if (!strcmp(o, "-p") && v && v[0] != '-') {
			persist = argv[++i];
		} else if (!strcmp(o, "-p")) {
			persist = "300";	/* ipvsadm's default */
		} else if (!strcmp(o, "-o")) {
			ops = true;
		} else if (!strcmp(o, "-b") && v) {
			flags = argv[++i];
		} else if (!strcmp(o, "-r") && v) {
			rip = argv[++i];
		} else if (!strcmp(o, "-g")) {
			mode = "dsr";
		} else if (!strcmp(o, "-m")) {
			mode = "dnat";
		} else if (!strcmp(o, "-i")) {
			mode = "tunnel";
		} else if (!strcmp(o, "-w") && v) {
			weight = argv[++i];
		} else if (!strcmp(o, "-x") && v) {
			upper = argv[++i];
		} else {
			size_t used = strlen(extra);

			snprintf(extra + used, sizeof(extra) - used, "%s%s",
				 used ? " " : "", o);
			if (v && v[0] != '-') {
				used = strlen(extra);
				snprintf(extra + used, sizeof(extra) - used,
					 " %s", v);
				i++;
			}
		}
	}
	if (!proto || !addr || !port_of(addr))
		return -1;
	s = find_svc(*list, proto, addr);
	if (add_svc) {
		if (s)
			return -1;
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		snprintf(s->proto, sizeof(s->proto), "%s", proto);
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		if (sched && !map_sched(sched))
			note(s->notes, sizeof(s->notes),
			     "scheduler '%s' of %s has no l4lb equivalent: the default (rr) is used",
			     sched, addr);
		else if (sched)
			snprintf(s->sched, sizeof(s->sched), "%s",
				 map_sched(sched));
		if (persist)
			snprintf(s->persist, sizeof(s->persist), "%s", persist);
		s->ops = ops;
		if (flags)
			svc_flags(s, flags, &mh_port);
		/* IPVS mh hashes the source address unless mh-port */
		if (sched && !strcmp(sched, "mh") && !mh_port)
			strncat(s->flags, " hash src",
				sizeof(s->flags) - strlen(s->flags) - 1);
		if (extra[0])
			note(s->notes, sizeof(s->notes),
			     "'%s' of %s has no l4lb equivalent: left out",
			     extra, addr);
		s->next = NULL;
		while (*list)
			list = &(*list)->next;
		*list = s;
		return 0;
	} else {
		struct ipvs_rs *r, *rs;

		if (!s || !rip)
			return -1;
		rs = realloc(s->rs, (s->n_rs + 1) * sizeof(*rs));
		if (!rs)
			return -1;
		s->rs = rs;
		r = &rs[s->n_rs++];
		memset(r, 0, sizeof(*r));
		/* DR real servers may be written without the VIP's port */
		if (port_of(rip))
			snprintf(r->addr, sizeof(r->addr), "%s", rip);
		else if (strchr(rip, ':'))
			snprintf(r->addr, sizeof(r->addr), "[%s]:%s", rip,
				 port_of(addr));
		else
			snprintf(r->addr, sizeof(r->addr), "%s:%s", rip,
				 port_of(addr));
		snprintf(r->mode, sizeof(r->mode), "%s", mode ? mode : "dsr");
		if (weight)
			snprintf(r->weight, sizeof(r->weight), "%s", weight);
		if (upper && strcmp(upper, "0") != 0)
			snprintf(r->maxconn, sizeof(r->maxconn), "%s", upper);
		if (extra[0])
			note(r->notes, sizeof(r->notes),
			     "'%s' of real server %s has no l4lb equivalent: left out",
			     extra, rip);
		return 0;
	}
}

static void ipvs_print(FILE *out, const struct ipvs_svc *s)
{
	const char *mode = s->n_rs ? s->rs[0].mode : "dnat";
	size_t i;

	fputs(s->notes, out);
	if (!s->n_rs)
		fprintf(out, "# ipvsadm: %s has no real server: mode dnat assumed\n",
			s->addr);
	fprintf(out, "vip add %s proto %s", s->addr, s->proto);
	if (s->sched[0])
		fprintf(out, " sched %s", s->sched);
	fprintf(out, " mode %s%s", mode, s->flags);
	if (s->persist[0] && strcmp(s->persist, "0") != 0)
		fprintf(out, " persist %s", s->persist);
	if (s->ops)
		fputs(" ops", out);
	fputc('\n', out);
	for (i = 0; i < s->n_rs; i++) {
		const struct ipvs_rs *r = &s->rs[i];

		fputs(r->notes, out);
		if (strcmp(r->mode, mode) != 0)
			fprintf(out, "# ipvsadm: real server %s forwards in mode %s, but l4lb has one mode per VIP: %s\n",
				r->addr, r->mode, mode);
		fprintf(out, "backend add %s %s proto %s", s->addr, r->addr,
			s->proto);
		if (r->weight[0])
			fprintf(out, " weight %s", r->weight);
		if (r->maxconn[0])
			fprintf(out, " maxconn %s", r->maxconn);
		fputc('\n', out);
	}
}

int ipvsadm_convert(FILE *in, FILE *out)
{
	char *line = NULL, *argv[IPVS_WORDS_MAX], unmapped[2048] = "";
	struct ipvs_svc *list = NULL, *s;
	unsigned int lineno = 0;
	size_t cap = 0;
	int bad = 0;

	while (getline(&line, &cap, in) >= 0) {
		int argc;

		lineno++;
		argc = batch_split(line, argv, IPVS_WORDS_MAX);
		if (argc == 0)
			continue;
		if (argc < 0 ||
		    ipvs_line(&list, argc, argv, unmapped, sizeof(unmapped))) {
			err_line = lineno;
			pr_err("not an 'ipvsadm -S -n' line: %s%s",
			       argc > 0 ? argv[0] : "", argc > 1 ? " ..." : "");
			err_line = 0;
			bad++;
		}
	}
	free(line);
	fputs(unmapped, out);
	while (list) {
		s = list;
		ipvs_print(out, s);
		list = s->next;
		free(s->rs);
		free(s);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

int cmd_import_ipvsadm(int argc, char **argv)
{
	if (argc > 0) {
		pr_err("unknown argument '%s': import-ipvsadm reads stdin",
		       argv[0]);
		return EXIT_USAGE;
	}
	return ipvsadm_convert(stdin, stdout);
}
