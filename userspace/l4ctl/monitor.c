// SPDX-License-Identifier: GPL-2.0
/*
 * l4ctl monitor: join the l4lb "events" multicast group of this network
 * namespace and print each configuration change as the kernel reports it,
 * one line (or one JSON object) per change, until SIGINT or SIGTERM. With
 * "flows", the "flows" group too: a line per flow created or ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
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
#include "conn.h"
#include "events.h"
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
	{ L4LB_CMD_STATS_ZERO,	"stats zero",	"stats_zero" },
	{ L4LB_CMD_CONN_EVENT,	"flow",		"flow" },	/* + new, end */
};

/* enum l4lb_conn_end, as the text and JSON name it */
static const char *const end_reasons[] = {
	[L4LB_CONN_END_EXPIRED] = "expired",
	[L4LB_CONN_END_FLUSHED] = "flushed",
	[L4LB_CONN_END_EVICTED] = "evicted",
	[L4LB_CONN_END_VIP_DELETED] = "vip_deleted",
	[L4LB_CONN_END_BACKEND_DOWN] = "backend_down",
	[L4LB_CONN_END_ONE_PACKET] = "one_packet",
	[L4LB_CONN_END_REOPENED] = "reopened",
};

void monitor_usage(FILE *f)
{
	fprintf(f,
		"Usage: l4ctl monitor [ timestamp ] [ flows ]\n"
		"       l4ctl monitor help\n"
		"Print each configuration change of this network namespace (VIPs,\n"
		"backends, default timeouts, counters zeroed) as it happens, until\n"
		"interrupted; with flows, also each flow created and ended (rate\n"
		"limited by the module: '(N suppressed)' tells the events it dropped\n"
		"before one).\n"
		"Needs CAP_NET_ADMIN.\n");
}

/* "backend set 10.0.0.10:80 tcp 10.0.1.1:8080 weight 1 state drain" */
/*
 * The "vip" object of a backend or stats zero event: address, port, proto
 * in JSON; the VIP as @fmt (one %s) and its protocol in text.
 */
static void print_event_vip(const struct vip_key *key, const char *fmt)
{
	char buf[ADDR_STRLEN];

	print_open_object("vip");
	print_string(PRINT_FP, NULL, fmt,
		     endpoint_format(&key->ep, buf, sizeof(buf)));
	print_string(PRINT_JSON, "address", NULL,
		     addr_format(&key->ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, key->ep.port);
	print_string(PRINT_ANY, "proto", " %s",
		     proto_name(key->proto, buf, sizeof(buf)));
	print_close_object();
}

static void print_backend_event(const struct l4lb_event *e, const char *text)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%s %%s", text);
	print_event_vip(&e->vip.key, fmt);
	print_backend_fields(&e->backend, " %s");
}

/* "timeouts set tcp-unreplied 30 ... udp 300": the defaults now. */
static void print_net_event(const struct l4lb_event *e, const char *text)
{
	const struct timeouts *t = &e->net.timeouts;
	unsigned int i;
	char fmt[48];

	print_string(PRINT_FP, NULL, "%s", text);
	print_open_object("timeouts");
	for (i = 0; i < TIMEOUTS_N; i++) {
		if (!(t->given & (1u << i)))
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%u", timeout_name(i));
		print_uint(PRINT_FP, NULL, fmt, t->secs[i]);
		print_uint(PRINT_JSON, timeout_key(i), NULL, t->secs[i]);
	}
	print_close_object();
}

/* "stats zero [vip 10.0.0.10:80 tcp [backend 10.0.1.1:8080]]" */
static void print_zero_event(const struct l4lb_event *e, const char *text)
{
	char buf[ADDR_STRLEN];

	print_string(PRINT_FP, NULL, "%s", text);
	if (!e->vip.key.ep.family)
		return;
	print_event_vip(&e->vip.key, " vip %s");
	if (!e->backend.ep.family)
		return;
	print_open_object("backend");
	print_string(PRINT_FP, NULL, " backend %s",
		     endpoint_format(&e->backend.ep, buf, sizeof(buf)));
	print_string(PRINT_JSON, "address", NULL,
		     addr_format(&e->backend.ep, buf, sizeof(buf)));
	print_uint(PRINT_JSON, "port", NULL, e->backend.ep.port);
	print_close_object();
}

/*
 * "flow new tcp 10.0.0.2:40000 -> 10.0.0.10:80 backend 10.0.1.1:8080 dnat"
 * and "flow end ... (expired)", then "(N suppressed)" when events were
 * dropped before this one. JSON: conn list's keys, event, reason and
 * suppressed.
 */
static void print_flow_event(const struct l4lb_event *e)
{
	bool end = e->flow_event == L4LB_CONN_EVENT_END;
	const char *why = NULL;
	char buf[16];

	print_string(PRINT_JSON, "event", NULL, end ? "flow_end" : "flow_new");
	print_string(PRINT_FP, NULL, "%s ", end ? "flow end" : "flow new");
	print_conn_fields(&e->conn, true);
	if (end && e->end_reason) {
		if (e->end_reason < sizeof(end_reasons) / sizeof(end_reasons[0]))
			why = end_reasons[e->end_reason];
		if (!why) {
			snprintf(buf, sizeof(buf), "%u", e->end_reason);
			why = buf;
		}
		print_string(PRINT_ANY, "reason", " (%s)", why);
	}
	print_u64(PRINT_JSON, "suppressed", NULL, e->suppressed);
	if (e->suppressed)
		print_u64(PRINT_FP, NULL, " (%" PRIu64 " suppressed)",
			  e->suppressed);
}

int monitor_print_event(const struct nlmsghdr *nlh, const char *time)
{
	const char *text = NULL, *key = NULL;
	struct l4lb_event *e;
	char fmt[64];
	size_t i;
	int ret;

	/* big (a VIP, a backend, the net counters): not on the stack */
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	/* Parse before printing: nothing half-written on a bad message. */
	ret = event_parse(nlh, e);
	for (i = 0; ret == 0 && i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].cmd == e->cmd) {
			text = events[i].text;
			key = events[i].key;
		}
	if (ret == 0 && !text)
		ret = 1;
	if (ret) {
		free(e);
		return ret;
	}

	print_open_object(NULL);
	if (time)
		print_string(PRINT_ANY, "time", "%s ", time);
	if (e->cmd != L4LB_CMD_CONN_EVENT)
		print_string(PRINT_JSON, "event", NULL, key);
	switch (e->cmd) {
	case L4LB_CMD_CONN_EVENT:
		print_flow_event(e);
		break;
	case L4LB_CMD_VIP_NEW:
	case L4LB_CMD_VIP_SET:
	case L4LB_CMD_VIP_DEL:
		snprintf(fmt, sizeof(fmt), "%s %%s", text);
		print_vip_fields(&e->vip, fmt);
		break;
	case L4LB_CMD_NET_SET:
		print_net_event(e, text);
		break;
	case L4LB_CMD_STATS_ZERO:
		print_zero_event(e, text);
		break;
	default:
		print_backend_event(e, text);
		break;
	}
	print_nl();
	print_close_object();
	print_end();
	free(e);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const bool *timestamp = data;
	char time[48] = "";

	if (*timestamp) {
		char frac[16];
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(frac, sizeof(frac), ".%06ldZ", (long)tv.tv_usec);
		strncat(time, frac, sizeof(time) - strlen(time) - 1);
	}
	if (monitor_print_event(nlh, *timestamp ? time : NULL) < 0)
		pr_warn("malformed event (command %u) skipped",
			((const struct genlmsghdr *)
			 mnl_nlmsg_get_payload(nlh))->cmd);
	return MNL_CB_OK;
}

/*
 * SIGINT and SIGTERM are blocked but while ppoll() waits: a signal can
 * neither be lost between the check of @stop and the wait, nor cut a line.
 */
static int listen_events(struct nl_ctx *ctx, bool timestamp)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ctx->sock),
			      .events = POLLIN };
	sigset_t block, orig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);

	while (!stop) {
		int err;

		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			return EXIT_KERNEL;
		}
		err = events_read(ctx, event_cb, &timestamp);
		if (err == -ENOBUFS) {
			pr_warn("events lost: they came faster than they were read");
		} else if (err) {
			pr_err("receive: %s", strerror(-err));
			return EXIT_KERNEL;
		}
	}
	return EXIT_OK;
}

int cmd_monitor(int argc, char **argv)
{
	bool timestamp = false, flows = false;
	struct nl_ctx *ctx;
	int ret, err;

	for (; argc > 0; argc--, argv++) {
		if (matches(argv[0], "timestamp")) {
			timestamp = true;
		} else if (matches(argv[0], "flows")) {
			flows = true;
		} else if (matches(argv[0], "help")) {
			monitor_usage(stdout);
			return EXIT_OK;
		} else {
			pr_err("unknown argument '%s'", argv[0]);
			fprintf(stderr, "Try 'l4ctl monitor help'.\n");
			return EXIT_USAGE;
		}
	}
	ctx = events_open(&err);
	if (!ctx) {
		if (err == -ENOENT)
			pr_err("%s", NL_HINT_MODULE);
		else if (err == -EOPNOTSUPP)
			pr_err("the loaded l4lb module sends no events");
		else if (err == -EPERM)
			pr_err("cannot join the l4lb events group: %s: %s",
			       strerror(-err), NL_HINT_PERM);
		else
			pr_err("cannot listen to the l4lb events: %s",
			       strerror(-err));
		return EXIT_KERNEL;
	}
	err = flows ? events_join_flows(ctx) : 0;
	if (err) {
		if (err == -EOPNOTSUPP)
			pr_err("the loaded l4lb module sends no flow events");
		else if (err == -EPERM)
			pr_err("cannot join the l4lb flows group: %s (needs CAP_NET_ADMIN)",
			       strerror(-err));
		else
			pr_err("cannot listen to the l4lb flow events: %s",
			       strerror(-err));
		nl_close(ctx);
		return EXIT_KERNEL;
	}
	ret = listen_events(ctx, timestamp);
	nl_close(ctx);
	return ret;
}
