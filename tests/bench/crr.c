// SPDX-License-Identifier: GPL-2.0
/*
 * crr: connect / request / response, one TCP connection per request, as an
 * HTTP client sending "Connection: close" does (tests/bench, make bench).
 *
 *   crr server PORT [WORKERS]
 *       answers every request on PORT (IPv4 and IPv6) with a small HTTP
 *       response and closes the connection (the server closes first, as
 *       nginx does with "Connection: close"); WORKERS processes share the
 *       listening socket (default 2)
 *   crr client HOST[,HOST...] PORT [-c CONCURRENCY] [-d SECONDS]
 *       CONCURRENCY connections in flight (default 32) for SECONDS (default
 *       3), to the HOSTs in turn; each: connect, send the request, read the
 *       response to EOF,
 *       close. Prints one JSON line:
 *       {"conns": N, "errors": N, "seconds": S, "rate": CONNS_PER_S,
 *        "p50_us": U, "p90_us": U, "p99_us": U}
 *       latency is connect() to the response's EOF, per connection.
 *
 * One epoll loop per process, nonblocking sockets: under emulation a
 * process start or a Python interpreter costs more than the thing measured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char REQUEST[] =
	"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
static const char RESPONSE[] =
	"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ server */

static void serve(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE }, evs[64];
	char buf[2048];
	int ep, n, i;

	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll_ctl");
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN };

					cev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev))
						close(c);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r < 0 && errno == EAGAIN)
				continue;
			/* The request fits one segment: answer on the first read. */
			if (r > 0 && write(fd, RESPONSE, sizeof(RESPONSE) - 1) < 0)
				r = -1; /* the client went away: nothing to do */
			close(fd);
		}
	}
}

static int server(int argc, char **argv)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	int lfd, one = 1, zero = 0, workers = 2, i;

	if (argc < 3)
		return fprintf(stderr, "usage: crr server PORT [WORKERS]\n"), 2;
	if (argc > 3)
		workers = atoi(argv[3]);
	a.sin6_port = htons((uint16_t)atoi(argv[2]));
	a.sin6_addr = in6addr_any;
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	if (listen(lfd, 4096))
		die("listen");
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < workers; i++)
		if (fork() == 0)
			serve(lfd);
	serve(lfd);
	return 0;
}

/* ------------------------------------------------------------------ client */

struct conn {
	int fd;
	int sent;
	uint64_t start;
};

#define MAX_DST 16
static struct sockaddr_storage dst[MAX_DST];
static socklen_t dst_len[MAX_DST];
static unsigned int ndst, next_dst;
static int ep;
static uint64_t errors, done;
static uint32_t *lat;
static size_t nlat, cap_lat;

static void conn_start(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	unsigned int d = next_dst++ % ndst;

	c->sent = 0;
	c->start = now_us();
	c->fd = socket(dst[d].ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	if (connect(c->fd, (struct sockaddr *)&dst[d], dst_len[d]) && errno != EINPROGRESS)
		die("connect");
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		die("epoll_ctl");
}

static void conn_end(struct conn *c, int ok)
{
	close(c->fd);
	if (!ok) {
		errors++;
		return;
	}
	done++;
	if (nlat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 65536;
		lat = realloc(lat, cap_lat * sizeof(*lat));
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = (uint32_t)(now_us() - c->start);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned int pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat[i];
}

static int client(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct epoll_event evs[256];
	double seconds = 3;
	int conc = 32, i, n, opt;
	struct conn *conns;
	uint64_t t0, end, t1;
	char buf[4096], *hosts, *h, *save = NULL;

	if (argc < 4)
		return fprintf(stderr, "usage: crr client HOST PORT [-c N] [-d S]\n"), 2;
	optind = 4;
	while ((opt = getopt(argc, argv, "c:d:")) != -1) {
		if (opt == 'c')
			conc = atoi(optarg);
		else if (opt == 'd')
			seconds = atof(optarg);
		else
			return 2;
	}
	hosts = strdup(argv[2]);
	for (h = strtok_r(hosts, ",", &save); h && ndst < MAX_DST;
	     h = strtok_r(NULL, ",", &save)) {
		if (getaddrinfo(h, argv[3], &hints, &ai))
			return fprintf(stderr, "crr: cannot resolve %s\n", h), 2;
		memcpy(&dst[ndst], ai->ai_addr, ai->ai_addrlen);
		dst_len[ndst++] = ai->ai_addrlen;
		freeaddrinfo(ai);
	}
	if (!ndst)
		return fprintf(stderr, "crr: no host\n"), 2;
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	conns = calloc((size_t)conc, sizeof(*conns));
	if (!conns)
		die("calloc");
	t0 = now_us();
	end = t0 + (uint64_t)(seconds * 1e6);
	for (i = 0; i < conc; i++)
		conn_start(&conns[i]);
	/* At least one connection, even on a very slow machine (5 s more). */
	while (now_us() < end || (!done && now_us() < end + 5000000)) {
		n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (!c->sent) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				if (evs[i].events & (EPOLLERR | EPOLLHUP) ||
				    write(c->fd, REQUEST, sizeof(REQUEST) - 1) < 0) {
					conn_end(c, 0);
					conn_start(c);
					continue;
				}
				c->sent = 1;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;
			conn_end(c, r == 0);
			conn_start(c);
		}
	}
	t1 = now_us();
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	printf("{\"conns\": %llu, \"errors\": %llu, \"seconds\": %.3f, \"rate\": %.1f, "
	       "\"p50_us\": %u, \"p90_us\": %u, \"p99_us\": %u}\n",
	       (unsigned long long)done, (unsigned long long)errors,
	       (double)(t1 - t0) / 1e6, (double)done * 1e6 / (double)(t1 - t0),
	       pct(0.50), pct(0.90), pct(0.99));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "server"))
		return server(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	fprintf(stderr, "usage: crr server PORT [WORKERS] | crr client HOST PORT [-c N] [-d S]\n");
	return 2;
}
