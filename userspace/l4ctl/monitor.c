// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl monitor: join the l4lb "events" multicast group of this network
 * namespace and print each configuration change as the kernel reports it,
 * one line (or one JSON object) per change, until SIGINT or SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "args.h"
#include "monitor.h"
#include "msg.h"
#include "print.h"
#include "timeouts.h"
#include "utils.h"

/* Each event: its command, the words of its text line, its JSON name. */
static const struct {
	uint8_t cmd;
	const char *text;	/* "vip add" */
	const char *key;	/* "vip_add" */
} events[] = {
	{ L4LB_CMD_VIP_NEW,	"vip add",	"vip_add" },
	{ L4LB_CMD_VIP_SET,	"vip set",	"vip_set" },
	{ L4LB_CMD_VIP_DEL,	"vip del",	"vip_del" },
	{ L4LB_CMD_BACKEND_NEW,	"backend add",	"backend_add" },
	{ L4LB_CMD_BACKEND_SET,	"backend set",	"backend_set" },
	{ L4LB_CMD_BACKEND_DEL,	"backend del",	"backend_del" },
	{ L4LB_CMD_NET_SET,	"timeouts set",	"timeouts_set" },
};

void monitor_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl monitor [ timestamp ]\n"
		"       l4ctl monitor help\n"
		"Print each configuration change of this network namespace (VIPs,\n"
		"backends, default timeouts) as it happens, until interrupted.\n"
		"Needs CAP_NET_ADMIN.\n");
}

static const struct nlattr *event_attr(const struct nlmsghdr *nlh,
				       uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* "backend set 10.0.0.10:80 tcp 10.0.1.1:8080 weight 1 state drain" */
static int print_backend_event(const struct nlmsghdr *nlh, const char *text)
{
	const struct nlattr *vn = event_attr(nlh, L4LB_ATTR_VIP);
	const struct nlattr *bn = event_attr(nlh, L4LB_ATTR_BACKEND);
	char buf[ADDR_STRLEN], fmt[64];
	struct backend b;
	struct vip v;

	if (!vn || !bn || msg_parse_vip(vn, &v) < 0 ||
	    msg_parse_backend(bn, &b) < 0)
		return -1;
	print_open_object("vip");
	snprintf(fmt, sizeof(fmt), "%s %%s", text);
	print_string(PRINT_FP, NULL, fmt,
		     endpoint_format(&v.key.ep, buf, sizeof(buf)));
	print_string(PRINT_JSON, "address", NULL,
		     addr_format(&v.key.ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, v.key.ep.port);
	print_string(PRINT_ANY, "proto", " %s",
		     proto_name(v.key.proto, buf, sizeof(buf)));
	print_close_object();
	print_backend_fields(&b, " %s");
	return 0;
}

/* "timeouts set tcp-unreplied 30 ... udp 300": the defaults now. */
static int print_net_event(const struct nlmsghdr *nlh, const char *text)
{
	const struct nlattr *nest = event_attr(nlh, L4LB_ATTR_NET);
	struct net_info ni;
	unsigned int i;
	char fmt[48];

	if (!nest || msg_parse_net(nest, &ni) < 0)
		return -1;
	print_string(PRINT_FP, NULL, "%s", text);
	print_open_object("timeouts");
	for (i = 0; i < TIMEOUTS_N; i++) {
		if (!(ni.timeouts.given & (1u << i)))
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%u", timeout_name(i));
		print_uint(PRINT_FP, NULL, fmt, ni.timeouts.secs[i]);
		print_uint(PRINT_JSON, timeout_key(i), NULL,
			   ni.timeouts.secs[i]);
	}
	print_close_object();
	return 0;
}

int monitor_print_event(const struct nlmsghdr *nlh, const char *time)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const char *text = NULL, *key = NULL;
	char fmt[64];
	struct vip v;
	size_t i;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return -1;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].cmd == genl->cmd) {
			text = events[i].text;
			key = events[i].key;
		}
	if (!text)
		return 1;

	/* Parse before printing: nothing half-written on a bad message. */
	switch (genl->cmd) {
	case L4LB_CMD_VIP_NEW:
	case L4LB_CMD_VIP_SET:
	case L4LB_CMD_VIP_DEL:
		if (!event_attr(nlh, L4LB_ATTR_VIP) ||
		    msg_parse_vip(event_attr(nlh, L4LB_ATTR_VIP), &v) < 0)
			return -1;
		break;
	case L4LB_CMD_NET_SET:
		if (!event_attr(nlh, L4LB_ATTR_NET))
			return -1;
		break;
	default:
		if (!event_attr(nlh, L4LB_ATTR_VIP) ||
		    !event_attr(nlh, L4LB_ATTR_BACKEND))
			return -1;
		break;
	}

	print_open_object(NULL);
	if (time)
		print_string(PRINT_ANY, "time", "%s ", time);
	print_string(PRINT_JSON, "event", NULL, key);
	switch (genl->cmd) {
	case L4LB_CMD_VIP_NEW:
	case L4LB_CMD_VIP_SET:
	case L4LB_CMD_VIP_DEL:
		snprintf(fmt, sizeof(fmt), "%s %%s", text);
		print_vip_fields(&v, fmt);
		err = 0;
		break;
	case L4LB_CMD_NET_SET:
		err = print_net_event(nlh, text);
		break;
	default:
		err = print_backend_event(nlh, text);
		break;
	}
	print_nl();
	print_close_object();
	print_end();
	return err;
}

/* The family's id and the id of its events group, from the controller. */
struct resolve {
	uint16_t family;
	uint32_t group;
};

static void mcast_groups(const struct nlattr *nest, struct resolve *r)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, nest) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && strcmp(name, L4LB_GENL_MCGRP_EVENTS) == 0)
			r->group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct resolve *r = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			r->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mcast_groups(a, r);
	}
	return MNL_CB_OK;
}

static int resolve(struct mnl_socket *sock, char *buf, size_t size,
		   struct resolve *r)
{
	uint32_t portid = mnl_socket_get_portid(sock), seq = 1;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, L4LB_GENL_NAME);
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(sock, buf, size);

		if (n < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, family_cb, r);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EPROTO;
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct listener {
	uint16_t family;
	bool timestamp;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct listener *l = data;
	char time[48] = "";

	if (nlh->nlmsg_type != l->family)
		return MNL_CB_OK;
	if (l->timestamp) {
		char frac[16];
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(frac, sizeof(frac), ".%06ldZ", (long)tv.tv_usec);
		strncat(time, frac, sizeof(time) - strlen(time) - 1);
	}
	if (monitor_print_event(nlh, l->timestamp ? time : NULL) < 0)
		pr_warn("malformed event (command %u) skipped",
			((const struct genlmsghdr *)
			 mnl_nlmsg_get_payload(nlh))->cmd);
	return MNL_CB_OK;
}

/*
 * SIGINT and SIGTERM are blocked but while ppoll() waits: a signal can
 * neither be lost between the check of @stop and the wait, nor cut a line.
 */
static int listen_events(struct mnl_socket *sock, char *buf, size_t size,
			 const struct listener *l)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .fd = mnl_socket_get_fd(sock), .events = POLLIN };
	sigset_t block, orig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);

	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			return EXIT_KERNEL;
		}
		ssize_t n = recv(pfd.fd, buf, size, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				pr_warn("events lost: they came faster than they were read");
				continue;
			}
			pr_err("receive: %s", strerror(errno));
			return EXIT_KERNEL;
		}
		/* seq and port 0: events carry those of the change's request */
		mnl_cb_run(buf, (size_t)n, 0, 0, event_cb, (void *)l);
	}
	return EXIT_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct listener l = { .timestamp = false };
	struct resolve r = { 0 };
	struct mnl_socket *sock;
	int ret = EXIT_KERNEL, err;
	int group;
	char *buf;

	for (; argc > 0; argc--, argv++) {
		if (matches(argv[0], "timestamp")) {
			l.timestamp = true;
		} else if (matches(argv[0], "help")) {
			monitor_usage(stdout);
			return EXIT_OK;
		} else {
			pr_err("unknown argument '%s'", argv[0]);
			fprintf(stderr, "Try 'l4ctl monitor help'.\n");
			return EXIT_USAGE;
		}
	}
	buf = malloc(NL_RX_SIZE);
	if (!buf) {
		pr_err("%s", strerror(errno));
		return EXIT_KERNEL;
	}
	sock = mnl_socket_open(NETLINK_GENERIC);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		pr_err("cannot open a generic netlink socket: %s",
		       strerror(errno));
		goto out;
	}
	err = resolve(sock, buf, NL_RX_SIZE, &r);
	if (err == -ENOENT) {
		pr_err("the l4lb module is not loaded (modprobe l4lb)");
		goto out;
	}
	if (err || !r.family) {
		pr_err("cannot resolve the l4lb family: %s",
		       strerror(err ? -err : EPROTO));
		goto out;
	}
	if (!r.group) {
		pr_err("the loaded l4lb module sends no events");
		goto out;
	}
	group = (int)r.group;
	if (mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		pr_err("cannot join the l4lb events group: %s%s",
		       strerror(errno),
		       errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		goto out;
	}
	l.family = r.family;
	ret = listen_events(sock, buf, NL_RX_SIZE, &l);
out:
	if (sock)
		mnl_socket_close(sock);
	free(buf);
	return ret;
}
