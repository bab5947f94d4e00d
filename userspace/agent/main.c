// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: discovery, health checks and kernel sync for l4lb VIPs.
 *
 * One sd-event loop runs everything. Start-up order matters for "a
 * restart breaks no flow": the kernel is read (its backends adopted)
 * before any source answers, so nothing the kernel forwards to is seen
 * as new or unknown. Exit leaves the kernel as it is: the VIPs keep
 * forwarding to what they have until an agent runs again.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "agent.h"

#ifndef L4LB_VERSION
#ifdef L4CTL_VERSION
#define L4LB_VERSION L4CTL_VERSION
#else
#define L4LB_VERSION "unknown"
#endif
#endif

#define STATUS_INTERVAL_USEC	(5 * 1000000ULL)

extern char **environ;

static const char *const src_type_names[] = {
	[SRC_STATIC] = "static", [SRC_OPERATOR] = "operator",
	[SRC_FILE] = "file", [SRC_DNS] = "dns",
};

static const char *const check_names[] = {
	[CHECK_NONE] = "none", [CHECK_TCP] = "tcp", [CHECK_HTTP] = "http",
	[CHECK_HTTPS] = "https", [CHECK_UDP] = "udp", [CHECK_EXEC] = "exec",
};

static const char *const mode_names[] = { "dnat", "snat", "dsr", "tunnel" };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: l4lb-agent [-c FILE] [--check-config] [-V] [-h]\n"
		"Discovers the backends of l4lb VIPs, checks their health and keeps\n"
		"the kernel's backends, weights and states in line.\n"
		"\n"
		"  -c, --config FILE   the INI file (default: $CONFIG_FILE, else\n"
		"                      /etc/l4lb/agent.conf if it exists)\n"
		"      --check-config  read the configuration, print the VIPs, exit\n"
		"                      0 if it is valid, 1 if not\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n"
		"\n"
		"The environment (VIP, PORT, BACKENDS, OPERATOR_URL, CHECK, ...)\n"
		"overrides the file key by key; see l4lb-agent(8).\n");
}

/* "1.5s", "500ms", "2m" back from milliseconds, for --check-config. */
static const char *dur(uint32_t ms, char *buf, size_t len)
{
	if (ms % 60000 == 0 && ms)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
	return buf;
}

static void print_config(const struct agent_cfg *cfg)
{
	char ep[ADDR_STRLEN], d1[16], d2[16], d3[16];
	size_t i, j;

	printf("config: %s\n", cfg->config_file ? cfg->config_file :
	       "(environment only)");
	if (cfg->http.port)
		printf("http: %s\n", endpoint_format(&cfg->http, ep, sizeof(ep)));
	else
		printf("http: off\n");
	for (i = 0; i < cfg->n_vips; i++) {
		const struct vip_cfg *v = &cfg->vips[i];
		const struct check_cfg *c = &v->check;

		printf("vip %s: %s %s, %s (scheduler %s), mode %s, weight %u, backend port %u\n",
		       v->name, endpoint_format(&v->vip, ep, sizeof(ep)),
		       v->proto == IPPROTO_UDP ? "udp" : "tcp", v->algorithm,
		       v->sched, v->mode >= 0 && v->mode < 4 ?
		       mode_names[v->mode] : "kernel default", v->weight,
		       v->backend_port);
		for (j = 0; j < v->n_sources; j++) {
			const struct source_cfg *s = &v->sources[j];

			printf("  source %s: ", src_type_names[s->type]);
			switch (s->type) {
			case SRC_STATIC:
				printf("%s\n", s->list);
				break;
			case SRC_OPERATOR:
				printf("%s every %s, timeout %s\n", s->url,
				       dur(s->interval_ms, d1, sizeof(d1)),
				       dur(s->timeout_ms, d2, sizeof(d2)));
				break;
			case SRC_FILE:
				printf("%s\n", s->path);
				break;
			case SRC_DNS:
				printf("%s %s via %s, at most every %s\n",
				       s->srv ? "SRV" : "A/AAAA", s->name,
				       s->dns_server ? s->dns_server : "resolv.conf",
				       dur(s->interval_ms, d1, sizeof(d1)));
				break;
			}
		}
		printf("  check %s every %s (timeout %s, jitter %s), rise %u, fall %u",
		       check_names[c->type], dur(c->interval_ms, d1, sizeof(d1)),
		       dur(c->timeout_ms, d2, sizeof(d2)),
		       dur(c->jitter_ms, d3, sizeof(d3)), c->rise, c->fall);
		if (c->port)
			printf(", port %u", c->port);
		if (c->type == CHECK_HTTP || c->type == CHECK_HTTPS)
			printf(", path %s", c->http_path);
		if (c->type == CHECK_EXEC)
			printf(", command %s", c->exec);
		printf("\n  passive %s, drain grace %s, all down: %s\n",
		       v->passive.enabled ? "on" : "off",
		       dur(v->drain_grace_ms, d1, sizeof(d1)),
		       v->all_down == ALL_DOWN_KEEP ? "keep" : "refuse");
	}
}

/* ------------------------------------------------------------ signals */

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			  void *arg)
{
	struct agent *a = arg;

	(void)s;
	/* the kernel keeps forwarding as it is: nothing to undo there */
	log_info("%s: exiting; the kernel keeps its VIPs and backends",
		 strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(a->ev, 0);
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *arg)
{
	struct agent *a = arg;
	size_t i, j;

	(void)s;
	(void)si;
	log_info("SIGHUP: reloading the sources");
	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];

		for (j = 0; j < v->cfg->n_sources; j++) {
			const struct source_ops *ops =
				source_ops_get(v->cfg->sources[j].type);

			if (ops && ops->reload)
				ops->reload(&v->src[j]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ status */

/* One line for systemctl status: what an operator looks at first. */
static void status_text(const struct agent *a, char *buf, size_t len)
{
	size_t i, total = 0, healthy = 0, failing = 0, j;

	for (i = 0; i < a->cfg.n_vips; i++) {
		size_t h;

		total += vip_count(&a->vips[i], &h);
		healthy += h;
		for (j = 0; j < a->vips[i].cfg->n_sources; j++)
			failing += a->vips[i].src[j].failing;
	}
	snprintf(buf, len, "%zu VIP%s, %zu/%zu backends healthy%s%s",
		 a->cfg.n_vips, a->cfg.n_vips == 1 ? "" : "s", healthy, total,
		 a->kernel_ok ? "" : ", l4lb kernel module not reachable",
		 failing ? ", a discovery source failing" : "");
}

static char last_status[256];

static void status_update(struct agent *a, bool force)
{
	char buf[sizeof(last_status)];

	status_text(a, buf, sizeof(buf));
	if (!force && !strcmp(buf, last_status))
		return;
	snprintf(last_status, sizeof(last_status), "%s", buf);
	sd_notifyf(0, "STATUS=%s", buf);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)usec;
	status_update(arg, false);
	sd_event_source_set_time_relative(s, STATUS_INTERVAL_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

/* ------------------------------------------------------------ main */

static bool uses_dns(const struct agent_cfg *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->n_vips; i++)
		for (j = 0; j < cfg->vips[i].n_sources; j++)
			if (cfg->vips[i].sources[j].type == SRC_DNS)
				return true;
	return false;
}

/* Sources started so far, in start order: only those are stopped. */
static size_t sources_started;

static int start_sources(struct agent *a)
{
	size_t i, j;

	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];

		for (j = 0; j < v->cfg->n_sources; j++) {
			enum source_type t = v->cfg->sources[j].type;
			const struct source_ops *ops = source_ops_get(t);
			int r;

			if (!ops) {
				log_err("vip %s: no such source type %d",
					v->cfg->name, (int)t);
				return -1;
			}
			r = ops->start(&v->src[j]);
			if (r < 0) {
				log_err("vip %s: cannot start the %s source: %s",
					v->cfg->name, ops->name, strerror(-r));
				return -1;
			}
			sources_started++;
		}
	}
	return 0;
}

static void stop_sources(struct agent *a)
{
	size_t i, j, n = 0;

	for (i = 0; i < a->cfg.n_vips; i++) {
		struct avip *v = &a->vips[i];

		for (j = 0; j < v->cfg->n_sources; j++) {
			const struct source_ops *ops =
				source_ops_get(v->cfg->sources[j].type);

			if (n++ >= sources_started)
				return;
			if (ops && ops->stop)
				ops->stop(&v->src[j]);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	sd_event_source *status_ev = NULL;
	struct agent a = { 0 };
	const char *file = NULL;
	bool check_only = false;
	char err[512];
	int opt, r, rc = 1;
	sigset_t ss;
	size_t i;

	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'V':
			printf("l4lb-agent %s\n", L4LB_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "l4lb-agent: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 1;
	}

	if (config_load(&a.cfg, file, environ, err, sizeof(err))) {
		fprintf(stderr, "l4lb-agent: %s\n", err);
		return 1;
	}
	log_level = a.cfg.log_level;
	if (check_only) {
		print_config(&a.cfg);
		config_free(&a.cfg);
		return 0;
	}

	/* signals come as events; blocked first so none is lost before */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* a peer closing a socket under a write is an error, not a death */
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&a.ev);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		goto out;
	}
	if ((r = sd_event_add_signal(a.ev, NULL, SIGTERM, on_exit_signal, &a)) < 0 ||
	    (r = sd_event_add_signal(a.ev, NULL, SIGINT, on_exit_signal, &a)) < 0 ||
	    (r = sd_event_add_signal(a.ev, NULL, SIGHUP, on_hup, &a)) < 0) {
		log_err("signals: %s", strerror(-r));
		goto out;
	}
	/* WatchdogSec= in the unit: pinged from the loop, so a stuck loop is seen */
	r = sd_event_set_watchdog(a.ev, true);
	if (r < 0)
		log_warn("watchdog: %s", strerror(-r));

	a.start_usec = now_usec(CLOCK_REALTIME);
	a.vips = calloc(a.cfg.n_vips, sizeof(*a.vips));
	if (!a.vips) {
		log_err("out of memory");
		goto out;
	}
	for (i = 0; i < a.cfg.n_vips; i++)
		vip_init(&a.vips[i], &a, &a.cfg.vips[i]);
	a.httpc = httpc_new(a.ev);
	if (!a.httpc) {
		log_err("cannot set up the HTTP client");
		goto out;
	}
	if (uses_dns(&a.cfg)) {
		a.dns = dns_new(a.ev);
		if (!a.dns) {
			log_err("cannot set up the DNS resolver");
			goto out;
		}
	}
	/* the kernel first: its backends are adopted before any source answers */
	if (kernel_start(&a) < 0)
		goto out;
	if (start_sources(&a))
		goto out;
	if (http_start(&a) < 0)
		goto out;

	r = sd_event_add_time_relative(a.ev, &status_ev, CLOCK_MONOTONIC,
				       STATUS_INTERVAL_USEC, 1000000,
				       on_status_timer, &a);
	if (r < 0)
		log_warn("status timer: %s", strerror(-r));
	status_text(&a, last_status, sizeof(last_status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", last_status);
	log_info("l4lb-agent %s started: %s", L4LB_VERSION, last_status);

	r = sd_event_loop(a.ev);
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
	else
		rc = 0;
out:
	/* sources first: they report into the VIPs freed below */
	if (a.vips)
		stop_sources(&a);
	http_stop(&a);
	status_ev = sd_event_source_disable_unref(status_ev);
	kernel_stop(&a);
	for (i = 0; a.vips && i < a.cfg.n_vips; i++)
		vip_free(&a.vips[i]);
	free(a.vips);
	if (a.httpc)
		httpc_free(a.httpc);
	if (a.dns)
		dns_free(a.dns);
	config_free(&a.cfg);
	sd_event_unref(a.ev);
	return rc;
}
