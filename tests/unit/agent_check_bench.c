// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of the agent's health checking: N backends (default 1 000), each
 * a listening TCP socket on loopback, checked by TCP connect at a 1 s
 * interval for a while (default 10 s) by the agent's own code (health.c,
 * check*.c) in one sd-event loop. A child process accepts the connections,
 * so only the checker's CPU time is measured (getrusage RUSAGE_SELF).
 *
 *   agent_check_bench [-n BACKENDS] [-t SECONDS] [-i INTERVAL_MS] [-e]
 *   -e: send "PING\r\n" and expect "+PONG" instead of a bare connect
 *
 * Prints the CPU seconds used over the wall seconds as a % of one core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

enum log_level log_level = LOG_LVL_WARN;

void alog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static unsigned long n_changes;

void backend_health_changed(struct abackend *b, enum health old)
{
	(void)b;
	(void)old;
	n_changes++;
}

/* No HTTP checks here: no libcurl. */
struct httpc_req *httpc_get(struct httpc *h, const char *url,
			    const struct httpc_opts *o, httpc_done_fn done,
			    void *arg)
{
	(void)h; (void)url; (void)o; (void)done; (void)arg;
	return NULL;
}

void httpc_cancel(struct httpc_req *r)
{
	(void)r;
}

/* The servers: accept, answer +PONG to whatever comes (or nothing), close. */
static void serve(int *lfd, int n, bool pong)
{
	int ep = epoll_create1(0), i;
	struct epoll_event e, evs[256];

	for (i = 0; i < n; i++) {
		e.events = EPOLLIN;
		e.data.u64 = (uint64_t)1 << 32 | (uint32_t)lfd[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &e);
	}
	for (;;) {
		int k = epoll_wait(ep, evs, 256, -1);

		for (i = 0; i < k; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			char buf[256];

			if (evs[i].data.u64 >> 32) {
				int c;

				while ((c = accept4(fd, NULL, NULL,
						    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (!pong) {
						close(c);
						continue;
					}
					e.events = EPOLLIN;
					e.data.u64 = (uint32_t)c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			if (recv(fd, buf, sizeof(buf), 0) > 0)
				send(fd, "+PONG\r\n", 7, MSG_NOSIGNAL);
			close(fd);
		}
	}
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static double user_s;

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	user_s = tv_s(ru.ru_utime);
	return user_s + tv_s(ru.ru_stime);
}

static int on_end(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)usec;
	(void)arg;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv)
{
	int n = 1000, secs = 10, interval = 1000, opt, i;
	bool pong = false;
	struct rlimit rl;
	struct agent agent;
	struct vip_cfg vcfg;
	struct avip vip;
	struct abackend *bs;
	int *lfd;
	pid_t child;
	sd_event *ev;
	double c0, c1, u0;
	uint64_t w0, w1, ok, failed;

	while ((opt = getopt(argc, argv, "n:t:i:e")) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'i': interval = atoi(optarg); break;
		case 'e': pong = true; break;
		default:
			fprintf(stderr, "usage: %s [-n BACKENDS] [-t SECONDS] [-i INTERVAL_MS] [-e]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1 || secs < 1 || interval < 1)
		return 2;
	/* n listening sockets in the child, up to n checks in flight here */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)n + 64) {
			fprintf(stderr, "RLIMIT_NOFILE %lu is too small for %d backends\n",
				(unsigned long)rl.rlim_cur, n);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);

	memset(&agent, 0, sizeof(agent));
	memset(&vcfg, 0, sizeof(vcfg));
	memset(&vip, 0, sizeof(vip));
	snprintf(vcfg.name, sizeof(vcfg.name), "bench");
	addr_parse("10.0.0.1", &vcfg.vip, NULL);
	vcfg.vip.port = 80;
	vcfg.check.type = CHECK_TCP;
	vcfg.check.interval_ms = interval;
	vcfg.check.timeout_ms = interval < 2000 ? interval : 2000;
	vcfg.check.jitter_ms = interval / 10;
	vcfg.check.rise = 2;
	vcfg.check.fall = 3;
	vcfg.check.flap_changes = 4;
	vcfg.check.flap_window_ms = 60000;
	vcfg.check.flap_hold_ms = 30000;
	if (pong) {
		vcfg.check.send = "PING\r\n";
		vcfg.check.send_len = 6;
		vcfg.check.expect = "+PONG";
		vcfg.check.expect_len = 5;
	}
	vip.agent = &agent;
	vip.cfg = &vcfg;

	bs = calloc(n, sizeof(*bs));
	lfd = calloc(n, sizeof(*lfd));
	if (!bs || !lfd)
		return 2;
	for (i = 0; i < n; i++) {
		/* several loopback addresses: ports never run short */
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + i / 20000);
		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (lfd[i] < 0 || bind(lfd[i], (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(lfd[i], 64) ||
		    getsockname(lfd[i], (struct sockaddr *)&sin, &len)) {
			perror("listen");
			return 2;
		}
		bs[i].vip = &vip;
		bs[i].ep.family = AF_INET;
		memcpy(bs[i].ep.addr, &sin.sin_addr, 4);
		bs[i].ep.port = ntohs(sin.sin_port);
		bs[i].next = i + 1 < n ? &bs[i + 1] : NULL;
	}
	vip.backends = bs;

	child = fork();
	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0) {
		serve(lfd, n, pong);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		close(lfd[i]);

	if (sd_event_new(&ev) < 0)
		return 2;
	agent.ev = ev;
	sd_event_add_time_relative(ev, NULL, CLOCK_MONOTONIC,
				   (uint64_t)secs * 1000000, 1000, on_end, NULL);
	c0 = cpu_s();
	u0 = user_s;
	w0 = now_usec(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++)
		health_start(&bs[i]);
	sd_event_loop(ev);
	w1 = now_usec(CLOCK_MONOTONIC);
	c1 = cpu_s();
	for (i = 0; i < n; i++)
		health_stop(&bs[i]);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);

	ok = agent.m.checks_ok;
	failed = agent.m.checks_failed;
	{
		double wall = (w1 - w0) / 1e6, cpu = c1 - c0;
		unsigned int up = 0;

		for (i = 0; i < n; i++)
			up += bs[i].hs.state == HEALTH_UP;
		printf("agent_check_bench: %d backends, tcp %s every %d ms, %.1f s\n",
		       n, pong ? "PING/+PONG" : "connect", interval, wall);
		printf("  checks: %llu ok, %llu failed (%.0f/s), %u up at the end, %lu state changes\n",
		       (unsigned long long)ok, (unsigned long long)failed,
		       (ok + failed) / wall, up, n_changes);
		printf("  cpu: %.3f s (user %.3f, sys %.3f) over %.1f s wall = %.2f%% of one core, %.1f us per check\n",
		       cpu, user_s - u0, cpu - (user_s - u0), wall, 100 * cpu / wall,
		       ok + failed ? cpu * 1e6 / (ok + failed) : 0.0);
		/* the record make bench's analyze.py reads */
		printf("L4LB-BENCH {\"system\": \"agent\", \"metric\": \"check_cpu_pct\", \"round\": 0, "
		       "\"value\": %.3f, \"check\": \"%s\", \"backends\": %d, \"interval_ms\": %d, "
		       "\"us_per_check\": %.1f, \"checks\": %llu, \"failed\": %llu}\n",
		       100 * cpu / wall, pong ? "tcp PING/+PONG" : "tcp connect", n, interval,
		       ok + failed ? cpu * 1e6 / (ok + failed) : 0.0,
		       (unsigned long long)(ok + failed), (unsigned long long)failed);
		sd_event_unref(ev);
		free(bs);
		free(lfd);
		return failed || up != (unsigned int)n;
	}
}
