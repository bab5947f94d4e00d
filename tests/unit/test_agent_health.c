// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the agent's health checking (userspace/agent/health.c,
 * passive.c, check*.c): the state machine driven by hand (first result,
 * rise, fall, flap damping, passive down), then real checks in a real
 * sd-event loop against servers this program runs itself on loopback: TCP
 * (+PONG, garbage, silence, a closed port), UDP (echo, silence, a closed
 * port), HTTP (through httpc.c and libcurl), exec (true, false, sleep past
 * the timeout, the environment), and the timers of health_start().
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
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"
#include "tap.h"

/* ------------------------------------------------ stubs of the agent */
enum log_level log_level = LOG_LVL_DEBUG;
static char last_log[512];
static int verbose;

void alog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "# log %d: %s\n", lvl, last_log);
}

static int n_changed;
static enum health changed_old;

void backend_health_changed(struct abackend *b, enum health old)
{
	(void)b;
	n_changed++;
	changed_old = old;
}

/* ------------------------------------------------ the fixture */
static struct agent agent;
static struct vip_cfg vcfg;
static struct avip vip;

static void fixture(void)
{
	memset(&vcfg, 0, sizeof(vcfg));
	snprintf(vcfg.name, sizeof(vcfg.name), "web");
	addr_parse("10.0.0.1", &vcfg.vip, NULL);
	vcfg.vip.port = 80;
	vcfg.check.type = CHECK_TCP;
	vcfg.check.interval_ms = 1000;
	vcfg.check.timeout_ms = 200;
	vcfg.check.rise = 2;
	vcfg.check.fall = 3;
	vcfg.check.flap_changes = 4;
	vcfg.check.flap_window_ms = 60000;
	vcfg.check.flap_hold_ms = 30000;
	vcfg.passive.enabled = true;
	vcfg.passive.min_flows = 10;
	vcfg.passive.fail_pct = 50;
	vip.agent = &agent;
	vip.cfg = &vcfg;
	vip.backends = NULL;
	memset(&agent.m, 0, sizeof(agent.m));
	n_changed = 0;
}

static void backend_init(struct abackend *b, const char *ep)
{
	memset(b, 0, sizeof(*b));
	b->vip = &vip;
	if (endpoint_parse(ep, &b->ep, NULL)) {
		fprintf(stderr, "bad endpoint %s\n", ep);
		exit(2);
	}
}

/* ------------------------------------------------ the state machine */
static void test_first_result(void)
{
	struct abackend b;

	fixture();
	backend_init(&b, "10.0.0.2:80");
	health_result(&b, true, 500, NULL);
	check_int("first success: up", b.hs.state, HEALTH_UP);
	check_int("first success: reported once", n_changed, 1);
	check_int("first success: old state unknown", changed_old,
		  HEALTH_UNKNOWN);

	fixture();
	backend_init(&b, "10.0.0.2:80");
	health_result(&b, false, 700, "connect: connection refused");
	check_int("first failure: down", b.hs.state, HEALTH_DOWN);
	check_int("first failure: reported once", n_changed, 1);
	check_str("first failure: logged",
		  last_log, "backend 10.0.0.2:80 (vip web) down: connect: connection refused, first check");
	check_str("first failure: last_error", b.hs.last_error,
		  "connect: connection refused");
	check_int("first failure: counted", b.hs.checks_failed, 1);
	check_int("first failure: agent counted", agent.m.checks_failed, 1);
	check_int("first failure: a state change", agent.m.state_changes, 1);
	check_int("first failure: last_check set", b.hs.last_check_usec > 0, 1);
	check_int("first failure: latency", b.hs.last_latency_us, 700);
	/* 0.7 ms: the first bucket (le 1 ms) */
	check_int("latency histogram: le 1ms", agent.m.check_lat_bucket[0], 1);
	health_result(&b, true, 30000, NULL);
	check_int("latency histogram: 30ms in le 50", agent.m.check_lat_bucket[5], 1);
	health_result(&b, true, 3000000, NULL);
	check_int("latency histogram: 3s in +Inf",
		  agent.m.check_lat_bucket[CHECK_LAT_BUCKETS], 1);
}

static void test_fall_rise(void)
{
	struct abackend b;
	int i;

	fixture();
	backend_init(&b, "10.0.0.3:8080");
	health_result(&b, true, 100, NULL);
	health_result(&b, false, 100, "x");
	health_result(&b, false, 100, "x");
	check_int("fall 3: two failures stay up", b.hs.state, HEALTH_UP);
	health_result(&b, true, 100, NULL);
	health_result(&b, false, 100, "x");
	health_result(&b, false, 100, "x");
	check_int("fall 3: a success starts the count again", b.hs.state,
		  HEALTH_UP);
	health_result(&b, false, 100, "read: timed out after 200ms");
	check_int("fall 3: third in a row: down", b.hs.state, HEALTH_DOWN);
	check_str("fall: logged with the count", last_log,
		  "backend 10.0.0.3:8080 (vip web) down: read: timed out after 200ms, 3 failures");
	check_int("fall: reported", n_changed, 2);
	health_result(&b, true, 100, NULL);
	check_int("rise 2: one success stays down", b.hs.state, HEALTH_DOWN);
	health_result(&b, false, 100, "x");
	health_result(&b, true, 100, NULL);
	check_int("rise 2: a failure starts the count again", b.hs.state,
		  HEALTH_DOWN);
	health_result(&b, true, 100, NULL);
	check_int("rise 2: second in a row: up", b.hs.state, HEALTH_UP);
	check_str("rise: logged", last_log,
		  "backend 10.0.0.3:8080 (vip web) up: 2 successes");
	check_str("rise: last_error cleared", b.hs.last_error, "");
	check_int("rise: reported", n_changed, 3);
	for (i = 0; i < 5; i++)
		health_result(&b, true, 100, NULL);
	check_int("successes when up: no report", n_changed, 3);
	check_int("checks counted", agent.m.checks_ok + agent.m.checks_failed,
		  b.hs.checks_ok + b.hs.checks_failed);
}

static void test_flap(void)
{
	struct abackend b;
	int i;

	fixture();
	vcfg.check.rise = 1;
	vcfg.check.fall = 1;
	vcfg.check.flap_hold_ms = 300;
	backend_init(&b, "10.0.0.4:80");
	health_result(&b, true, 100, NULL);		/* first: no flap */
	health_result(&b, false, 100, "x");		/* 1 */
	health_result(&b, true, 100, NULL);		/* 2 */
	health_result(&b, false, 100, "x");		/* 3 */
	check_int("flap: three changes, down", b.hs.state, HEALTH_DOWN);
	health_result(&b, true, 100, NULL);		/* would be the 4th */
	check_int("flap: the fourth change is held", b.hs.state, HEALTH_DOWN);
	check_int("flap: held_until set", b.hs.held_until_usec >
		  now_usec(CLOCK_MONOTONIC), 1);
	for (i = 0; i < 3; i++)
		health_result(&b, true, 100, NULL);
	check_int("flap: successes while held keep it down", b.hs.state,
		  HEALTH_DOWN);
	check_int("flap: ...but are counted", b.hs.ok_run, 4);
	usleep(350 * 1000);
	health_result(&b, true, 100, NULL);
	check_int("flap: up once the hold passed", b.hs.state, HEALTH_UP);
	/* still within the window: the next failure holds it again */
	health_result(&b, false, 100, "x");
	check_int("flap again: down", b.hs.state, HEALTH_DOWN);
	check_int("flap again: held from this failure",
		  b.hs.held_until_usec > now_usec(CLOCK_MONOTONIC) + 200000, 1);
	health_result(&b, true, 100, NULL);
	check_int("flap again: held", b.hs.state, HEALTH_DOWN);

	/* damping off */
	fixture();
	vcfg.check.rise = 1;
	vcfg.check.fall = 1;
	vcfg.check.flap_changes = 0;
	backend_init(&b, "10.0.0.4:80");
	for (i = 0; i < 10; i++)
		health_result(&b, i % 2 == 0, 100, "x");
	check_int("flap_changes 0: never held", n_changed, 10);
}

static void set_stat(struct stats *s, unsigned int attr, uint64_t v)
{
	s->val[attr] = v;
	s->present |= 1u << attr;
}

static void test_passive(void)
{
	struct abackend b, b2;

	fixture();
	vcfg.check.flap_changes = 0;	/* the down/up below would be a flap */
	backend_init(&b, "10.0.0.5:80");
	backend_init(&b2, "10.0.0.6:80");
	vip.backends = &b;
	b.next = &b2;
	b.in_kernel = b2.in_kernel = true;
	health_result(&b, true, 100, NULL);
	health_result(&b2, true, 100, NULL);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_CONNS, 100);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_RSTS_BACKEND, 5);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_SYN_RETRANS, 0);
	set_stat(&b.kstats, L4LB_STATS_ATTR_CONNS, 109);
	set_stat(&b.kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 14);
	set_stat(&b.kstats, L4LB_STATS_ATTR_SYN_RETRANS, 0);
	/* b2: healthy traffic, and clients that never finish their handshake */
	set_stat(&b2.kstats_prev, L4LB_STATS_ATTR_CONNS, 0);
	set_stat(&b2.kstats_prev, L4LB_STATS_ATTR_RSTS_BACKEND, 0);
	set_stat(&b2.kstats_prev, L4LB_STATS_ATTR_SYN_RETRANS, 0);
	set_stat(&b2.kstats_prev, L4LB_STATS_ATTR_FAILED, 0);
	set_stat(&b2.kstats, L4LB_STATS_ATTR_CONNS, 50);
	set_stat(&b2.kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 20);
	set_stat(&b2.kstats, L4LB_STATS_ATTR_SYN_RETRANS, 4);
	set_stat(&b2.kstats, L4LB_STATS_ATTR_FAILED, 50);
	passive_eval(&vip);
	check_int("passive: 9 new flows < min 10: not judged", b.hs.state,
		  HEALTH_UP);
	check_int("passive: 24 of 50 reset/unanswered < 50%: up", b2.hs.state, HEALTH_UP);
	check_int("passive: FAILED (a SYN flood's half-open flows) is no verdict on the backend",
		  b2.hs.passive_down, 0);

	set_stat(&b.kstats, L4LB_STATS_ATTR_CONNS, 110);
	set_stat(&b.kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 8);
	set_stat(&b.kstats, L4LB_STATS_ATTR_SYN_RETRANS, 2);
	passive_eval(&vip);
	check_int("passive: 3 resets + 2 retransmitted SYNs of 10 = 50%: down", b.hs.state,
		  HEALTH_DOWN);
	check_int("passive: passive_down", b.hs.passive_down, 1);
	check_int("passive: counted", agent.m.passive_downs, 1);
	check_int("passive: reported", n_changed, 3);
	check_str("passive: logged", last_log,
		  "backend 10.0.0.5:80 (vip web) down: passive: 5 of 10 new flows reset or left unanswered by it (50%, limit 50%)");
	health_result(&b, true, 100, NULL);
	check_int("passive down: one success (rise 2) stays down", b.hs.state,
		  HEALTH_DOWN);
	health_result(&b, true, 100, NULL);
	check_int("passive down: rise successes: up", b.hs.state, HEALTH_UP);
	check_int("passive down: cleared", b.hs.passive_down, 0);
	check_int("passive down and up are no flap", b.hs.n_changes, 0);

	/* a blackholed backend: every SYN sent again, several times */
	memset(&b.kstats, 0, sizeof(b.kstats));
	memset(&b.kstats_prev, 0, sizeof(b.kstats_prev));
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_CONNS, 0);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_RSTS_BACKEND, 0);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_SYN_RETRANS, 0);
	set_stat(&b.kstats, L4LB_STATS_ATTR_CONNS, 20);
	set_stat(&b.kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 0);
	set_stat(&b.kstats, L4LB_STATS_ATTR_SYN_RETRANS, 60);
	passive_eval(&vip);
	check_int("passive: unanswered SYNs: down", b.hs.state, HEALTH_DOWN);
	check_str("passive: retransmissions of one flow count once", b.hs.last_error,
		  "passive: 20 of 20 new flows reset or left unanswered by it (100%, limit 50%)");
	health_result(&b, true, 100, NULL);
	health_result(&b, true, 100, NULL);

	/* a kernel without the counters: nothing to judge */
	memset(&b.kstats, 0, sizeof(b.kstats));
	memset(&b.kstats_prev, 0, sizeof(b.kstats_prev));
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_CONNS, 0);
	set_stat(&b.kstats, L4LB_STATS_ATTR_CONNS, 1000);
	passive_eval(&vip);
	check_int("passive: no failure counter: nothing", b.hs.state,
		  HEALTH_UP);

	/* a counter that went back (the backend re-added): no judgement */
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_CONNS, 5000);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_RSTS_BACKEND, 5000);
	set_stat(&b.kstats, L4LB_STATS_ATTR_CONNS, 20);
	set_stat(&b.kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 20);
	passive_eval(&vip);
	check_int("passive: counters reset: nothing", b.hs.state, HEALTH_UP);

	vcfg.passive.enabled = false;
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_CONNS, 0);
	set_stat(&b.kstats_prev, L4LB_STATS_ATTR_RSTS_BACKEND, 0);
	passive_eval(&vip);
	check_int("passive off: nothing", b.hs.state, HEALTH_UP);
	vip.backends = NULL;
}

/* ------------------------------------------------ loopback servers */
struct server {
	int fd;
	int type;
	const char *reply;	/* NULL: accept (tcp) / receive (udp) and stay silent */
	bool echo;		/* udp: send back what came */
	bool wait_request;	/* tcp: reply after the first bytes came */
	sd_event_source *src;
	uint16_t port;
};

struct conn {
	struct server *srv;
	int fd;
	sd_event_source *src;
};

static void conn_close(struct conn *c)
{
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c);
}

static int conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct conn *c = arg;
	char buf[512];
	ssize_t n;

	(void)s;
	(void)revents;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n > 0 && c->srv->reply)
		send(fd, c->srv->reply, strlen(c->srv->reply), MSG_NOSIGNAL);
	if (n <= 0 || c->srv->reply)
		conn_close(c);
	return 0;
}

static int srv_on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct server *srv = arg;
	char buf[512];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	ssize_t n;

	(void)s;
	(void)revents;
	if (srv->type == SOCK_DGRAM) {
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &len);
		if (n < 0)
			return 0;
		if (srv->echo)
			sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len);
		else if (srv->reply)
			sendto(fd, srv->reply, strlen(srv->reply), 0,
			       (struct sockaddr *)&ss, len);
		return 0;
	}
	for (;;) {
		struct conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return 0;
		c = calloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = cfd;
		if (srv->reply && !srv->wait_request) {
			send(cfd, srv->reply, strlen(srv->reply), MSG_NOSIGNAL);
		}
		sd_event_add_io(sd_event_source_get_event(s), &c->src, cfd,
				EPOLLIN, conn_on_io, c);
	}
}

/* @listen false: a bound socket that never listens (TCP: a closed port) */
static void server_open(sd_event *ev, struct server *srv, int type,
			bool do_listen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->type = type;
	srv->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(srv->fd, (struct sockaddr *)&sin, &len)) {
		perror("server");
		exit(2);
	}
	srv->port = ntohs(sin.sin_port);
	if (type == SOCK_STREAM && do_listen && listen(srv->fd, 128)) {
		perror("listen");
		exit(2);
	}
	if (ev && (type == SOCK_DGRAM || do_listen))
		sd_event_add_io(ev, &srv->src, srv->fd, EPOLLIN, srv_on_io, srv);
}

static void server_close(struct server *srv)
{
	srv->src = sd_event_source_disable_unref(srv->src);
	close(srv->fd);
}

/* A port nothing listens on: bound, its number taken, closed. */
static uint16_t closed_port(int type)
{
	struct server s = { 0 };
	uint16_t p;

	server_open(NULL, &s, type, false);
	p = s.port;
	close(s.fd);
	return p;
}

/* ------------------------------------------------ running checks */
static sd_event *ev;

static void loop_for(uint64_t ms)
{
	uint64_t end = now_usec(CLOCK_MONOTONIC) + ms * 1000;

	while (now_usec(CLOCK_MONOTONIC) < end)
		sd_event_run(ev, end - now_usec(CLOCK_MONOTONIC));
}

/* One check of @b, to its result (at most 3 s). 1 ok, 0 failed, -1 none. */
static int run_check(struct abackend *b, const char *desc)
{
	const struct check_ops *ops = check_ops_get(vcfg.check.type);
	uint64_t before = b->hs.checks_ok + b->hs.checks_failed;
	uint64_t end = now_usec(CLOCK_MONOTONIC) + 5000000;
	int r;

	r = ops->start(b);
	if (r < 0) {
		fprintf(stderr, "# %s: start: %s\n", desc, strerror(-r));
		return -1;
	}
	while (b->hs.checks_ok + b->hs.checks_failed == before &&
	       now_usec(CLOCK_MONOTONIC) < end)
		sd_event_run(ev, 100000);
	if (b->hs.checks_ok + b->hs.checks_failed == before) {
		fprintf(stderr, "# %s: no result\n", desc);
		health_stop(b);
		return -1;
	}
	if (b->check)
		fprintf(stderr, "# %s: run left behind\n", desc);
	return b->hs.last_error[0] ? 0 : 1;
}

static void backend_at(struct abackend *b, uint16_t port)
{
	char ep[32];

	snprintf(ep, sizeof(ep), "127.0.0.1:%u", port);
	backend_init(b, ep);
}

static void test_tcp(void)
{
	struct server pong = { .reply = "+PONG\r\n", .wait_request = true };
	struct server garbage = { .reply = "-ERR wrong\r\n", .wait_request = true };
	struct server silent = { 0 };
	struct abackend b;
	uint64_t t;

	fixture();
	server_open(ev, &pong, SOCK_STREAM, true);
	server_open(ev, &garbage, SOCK_STREAM, true);
	server_open(ev, &silent, SOCK_STREAM, true);

	backend_at(&b, pong.port);
	check_int("tcp connect: ok", run_check(&b, "tcp connect"), 1);
	check_int("tcp connect: up", b.hs.state, HEALTH_UP);

	vcfg.check.send = "PING\r\n";
	vcfg.check.send_len = 6;
	vcfg.check.expect = "+PONG";
	vcfg.check.expect_len = 5;
	check_int("tcp PING/+PONG: ok", run_check(&b, "tcp pong"), 1);

	backend_at(&b, garbage.port);
	check_int("tcp garbage reply: failed", run_check(&b, "tcp garbage"), 0);
	check_str("tcp garbage reply: why", b.hs.last_error, "unexpected reply");

	backend_at(&b, silent.port);
	t = now_usec(CLOCK_MONOTONIC);
	check_int("tcp silent: failed", run_check(&b, "tcp silent"), 0);
	check_str("tcp silent: why", b.hs.last_error,
		  "read: timed out after 200ms");
	t = now_usec(CLOCK_MONOTONIC) - t;
	check_int("tcp silent: after the timeout", t >= 190000 && t < 1000000, 1);

	/* expect without send: the server speaks first */
	vcfg.check.send = NULL;
	vcfg.check.send_len = 0;
	pong.wait_request = false;
	backend_at(&b, pong.port);
	check_int("tcp banner +PONG without send: ok", run_check(&b, "tcp banner"), 1);
	pong.wait_request = true;

	backend_at(&b, closed_port(SOCK_STREAM));
	check_int("tcp closed port: failed", run_check(&b, "tcp closed"), 0);
	check_str("tcp closed port: why", b.hs.last_error,
		  "connect: connection refused");
	check_int("tcp closed port: down", b.hs.state, HEALTH_DOWN);
	check_int("tcp closed port: latency well below the timeout",
		  b.hs.last_latency_us < 100000, 1);

	/* CHECK_SOURCE */
	vcfg.check.expect = NULL;
	vcfg.check.expect_len = 0;
	addr_parse("127.0.0.1", &vcfg.check.source, NULL);
	backend_at(&b, pong.port);
	check_int("tcp from CHECK_SOURCE 127.0.0.1: ok", run_check(&b, "tcp src"), 1);
	addr_parse("192.0.2.1", &vcfg.check.source, NULL);
	check_int("tcp from an address not ours: failed", run_check(&b, "tcp src bad"), 0);
	check_str("tcp from an address not ours: why", b.hs.last_error,
		  "bind: cannot assign requested address");
	memset(&vcfg.check.source, 0, sizeof(vcfg.check.source));

	/* IPv6: a listener on ::1 */
	{
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		socklen_t len = sizeof(sin6);
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char ep[64];

		if (fd >= 0 && !bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) &&
		    !listen(fd, 8) &&
		    !getsockname(fd, (struct sockaddr *)&sin6, &len)) {
			snprintf(ep, sizeof(ep), "[::1]:%u", ntohs(sin6.sin6_port));
			backend_init(&b, ep);
			check_int("tcp IPv6 connect: ok", run_check(&b, "tcp v6"), 1);
		} else {
			printf("ok %d - # SKIP no IPv6 loopback\n", ++tap_tests);
		}
		if (fd >= 0)
			close(fd);
	}

	/* cancel in flight: nothing reported, nothing left */
	backend_at(&b, silent.port);
	vcfg.check.expect = "+PONG";
	vcfg.check.expect_len = 5;
	check_int("tcp cancel: started", check_ops_get(CHECK_TCP)->start(&b), 0);
	loop_for(20);
	health_stop(&b);
	check_int("tcp cancel: run freed", b.check == NULL, 1);
	loop_for(300);
	check_int("tcp cancel: no result", b.hs.checks_ok + b.hs.checks_failed, 0);
	vcfg.check.expect = NULL;
	vcfg.check.expect_len = 0;

	server_close(&pong);
	server_close(&garbage);
	server_close(&silent);
}

static void test_udp(void)
{
	struct server echo = { .echo = true };
	struct server silent = { 0 };
	struct abackend b;

	fixture();
	vcfg.check.type = CHECK_UDP;
	server_open(ev, &echo, SOCK_DGRAM, true);
	server_open(ev, &silent, SOCK_DGRAM, true);

	vcfg.check.send = "PING";
	vcfg.check.send_len = 4;
	vcfg.check.expect = "PING";
	vcfg.check.expect_len = 4;
	backend_at(&b, echo.port);
	check_int("udp echo: ok", run_check(&b, "udp echo"), 1);
	vcfg.check.expect = "PONG";
	check_int("udp wrong reply: failed", run_check(&b, "udp wrong"), 0);
	check_str("udp wrong reply: why", b.hs.last_error, "unexpected reply");

	backend_at(&b, silent.port);
	check_int("udp silence with expect: failed", run_check(&b, "udp silent"), 0);
	check_str("udp silence with expect: why", b.hs.last_error,
		  "no reply within 200ms");

	backend_at(&b, closed_port(SOCK_DGRAM));
	check_int("udp closed port: failed", run_check(&b, "udp closed"), 0);
	check_str("udp closed port: ICMP unreachable", b.hs.last_error,
		  "recv: connection refused");
	check_int("udp closed port: at once", b.hs.last_latency_us < 100000, 1);

	vcfg.check.expect = NULL;
	vcfg.check.expect_len = 0;
	backend_at(&b, silent.port);
	check_int("udp silence without expect: ok", run_check(&b, "udp silent noexp"), 1);
	backend_at(&b, closed_port(SOCK_DGRAM));
	check_int("udp closed port without expect: failed",
		  run_check(&b, "udp closed noexp"), 0);
	/* CHECK_SOURCE on a UDP socket: the port comes at connect */
	vcfg.check.expect = "PING";
	vcfg.check.expect_len = 4;
	addr_parse("127.0.0.1", &vcfg.check.source, NULL);
	backend_at(&b, echo.port);
	check_int("udp echo from CHECK_SOURCE: ok", run_check(&b, "udp src"), 1);
	memset(&vcfg.check.source, 0, sizeof(vcfg.check.source));
	vcfg.check.expect = NULL;
	vcfg.check.expect_len = 0;
	vcfg.check.send = NULL;
	vcfg.check.send_len = 0;

	server_close(&echo);
	server_close(&silent);
}

static void test_http(void)
{
	struct server ok = {
		.reply = "HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nall is well\r\n",
		.wait_request = true,
	};
	struct server err = {
		.reply = "HTTP/1.0 503 Unavailable\r\nContent-Length: 0\r\n\r\n",
		.wait_request = true,
	};
	struct abackend b;

	fixture();
	agent.httpc = httpc_new(ev);
	vcfg.check.type = CHECK_HTTP;
	vcfg.check.timeout_ms = 1000;
	server_open(ev, &ok, SOCK_STREAM, true);
	server_open(ev, &err, SOCK_STREAM, true);

	backend_at(&b, ok.port);
	check_int("http 200: ok", run_check(&b, "http ok"), 1);
	vcfg.check.http_body = "well";
	vcfg.check.http_path = "/healthz";
	vcfg.check.http_host = "example.org";
	check_int("http 200 body contains: ok", run_check(&b, "http body"), 1);
	vcfg.check.http_body = "sick";
	check_int("http body lacks: failed", run_check(&b, "http body bad"), 0);
	check_str("http body lacks: why", b.hs.last_error,
		  "HTTP body lacks \"sick\"");
	vcfg.check.http_body = NULL;
	vcfg.check.http_status = 204;
	check_int("http status 200, 204 wanted: failed", run_check(&b, "http 204"), 0);
	check_str("http status: why", b.hs.last_error, "HTTP status 200");
	vcfg.check.http_status = 0;

	backend_at(&b, err.port);
	check_int("http 503: failed", run_check(&b, "http 503"), 0);
	check_str("http 503: why", b.hs.last_error, "HTTP status 503");

	backend_at(&b, closed_port(SOCK_STREAM));
	check_int("http closed port: failed", run_check(&b, "http closed"), 0);
	check_int("http closed port: why given", b.hs.last_error[0] != '\0', 1);

	vcfg.check.http_path = NULL;
	vcfg.check.http_host = NULL;
	server_close(&ok);
	server_close(&err);
	httpc_free(agent.httpc);
	agent.httpc = NULL;
}

static void test_exec(void)
{
	struct abackend b;
	uint64_t t;

	fixture();
	vcfg.check.type = CHECK_EXEC;
	/* fork+exec from an ASan process on a loaded machine: not 200 ms */
	vcfg.check.timeout_ms = 3000;
	backend_init(&b, "127.0.0.1:1234");
	vcfg.check.exec = "true";
	check_int("exec true: ok", run_check(&b, "exec true"), 1);
	vcfg.check.exec = "false";
	check_int("exec false: failed", run_check(&b, "exec false"), 0);
	check_str("exec false: why", b.hs.last_error, "exit status 1");
	vcfg.check.exec = "test \"$L4LB_BACKEND_ADDR\" = 127.0.0.1 && "
			  "test \"$L4LB_BACKEND_PORT\" = 1234 && "
			  "test \"$L4LB_VIP\" = 10.0.0.1:80";
	check_int("exec: environment", run_check(&b, "exec env"), 1);
	vcfg.check.exec = "echo noise; echo more >&2; exit 0";
	check_int("exec: output goes nowhere", run_check(&b, "exec out"), 1);

	vcfg.check.exec = "sleep 5";
	vcfg.check.timeout_ms = 200;
	t = now_usec(CLOCK_MONOTONIC);
	check_int("exec sleep 5, timeout 200ms: failed", run_check(&b, "exec sleep"), 0);
	t = now_usec(CLOCK_MONOTONIC) - t;
	check_str("exec timeout: why", b.hs.last_error,
		  "timed out after 200ms: killed");
	check_int("exec timeout: at the timeout", t >= 190000 && t < 2000000, 1);
	/* the killed child is reaped by its detached run (ASan: no leak) */
	loop_for(200);

	/* a shell's children go with it: the group is killed */
	vcfg.check.exec = "sleep 5 & sleep 5; true";
	check_int("exec shell with a child, timeout: failed",
		  run_check(&b, "exec group"), 0);
	loop_for(200);

	/* cancel in flight */
	vcfg.check.exec = "sleep 5";
	check_int("exec cancel: started", check_ops_get(CHECK_EXEC)->start(&b), 0);
	health_stop(&b);
	check_int("exec cancel: detached", b.check == NULL, 1);
	loop_for(200);
}

/* health_start/health_stop: the timers */
static void test_timers(void)
{
	struct server pong = { .reply = "+PONG\r\n", .wait_request = true };
	struct abackend b, nb;

	fixture();
	vcfg.check.interval_ms = 50;
	vcfg.check.jitter_ms = 5;
	vcfg.check.timeout_ms = 40;
	server_open(ev, &pong, SOCK_STREAM, true);
	backend_at(&b, pong.port);
	health_start(&b);
	loop_for(600);
	check_int("timers: up", b.hs.state, HEALTH_UP);
	check_int("timers: about 10 checks in 600ms",
		  b.hs.checks_ok >= 7 && b.hs.checks_ok <= 14, 1);
	health_stop(&b);
	check_int("timers: stopped", b.timer == NULL && b.check == NULL, 1);
	{
		uint64_t n = b.hs.checks_ok;

		loop_for(200);
		check_int("timers: no checks after stop", b.hs.checks_ok, n);
	}
	server_close(&pong);

	/* CHECK_NONE: up at once, reported once */
	fixture();
	vcfg.check.type = CHECK_NONE;
	backend_init(&nb, "10.0.0.9:80");
	health_start(&nb);
	check_int("check none: up", nb.hs.state, HEALTH_UP);
	check_int("check none: reported once", n_changed, 1);
	health_start(&nb);
	check_int("check none: again, no second report", n_changed, 1);
	check_int("check none: no timer", nb.timer == NULL, 1);
	health_stop(&nb);
}

int main(void)
{
	verbose = getenv("VERBOSE") != NULL;
	signal(SIGPIPE, SIG_IGN);
	test_first_result();
	test_fall_rise();
	test_flap();
	test_passive();

	if (sd_event_new(&ev) < 0) {
		fprintf(stderr, "sd_event_new failed\n");
		return 2;
	}
	agent.ev = ev;
	test_tcp();
	test_udp();
	test_http();
	test_exec();
	test_timers();
	sd_event_unref(ev);

	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
