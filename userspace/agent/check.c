// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: the table of check types, and what every check shares: its
 * run (b->check), its timeout, its socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

static void none_cancel(struct abackend *b)
{
	(void)b;
}

/* CHECK_NONE: health_start() marks the backend up, nothing ever runs. */
static const struct check_ops check_none_ops = {
	.type = CHECK_NONE,
	.name = "none",
	.start = NULL,
	.cancel = none_cancel,
};

const struct check_ops *check_ops_get(enum check_type t)
{
	switch (t) {
	case CHECK_NONE:
		return &check_none_ops;
	case CHECK_TCP:
		return &check_tcp_ops;
	case CHECK_HTTP:
		return &check_http_ops;
	case CHECK_HTTPS:
		return &check_https_ops;
	case CHECK_UDP:
		return &check_udp_ops;
	case CHECK_EXEC:
		return &check_exec_ops;
	}
	return NULL;
}

struct check_run *check_run_new(struct abackend *b)
{
	struct check_run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->b = b;
	r->fd = -1;
	r->start_usec = now_usec(CLOCK_MONOTONIC);
	b->check = r;
	return r;
}

void check_run_free(struct check_run *r)
{
	if (!r)
		return;
	if (r->b && r->b->check == r)
		r->b->check = NULL;
	r->io = sd_event_source_disable_unref(r->io);
	r->timer = sd_event_source_disable_unref(r->timer);
	r->child = sd_event_source_disable_unref(r->child);
	if (r->req)
		httpc_cancel(r->req);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

const char *check_errstr(int err)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s", strerror(err < 0 ? -err : err));
	/* "connection refused", as it reads inside a longer message */
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

void check_cancel_free(struct abackend *b)
{
	check_run_free(b->check);
	b->check = NULL;
}

void check_done(struct check_run *r, bool ok, const char *fmt, ...)
{
	struct abackend *b = r->b;
	uint64_t lat = now_usec(CLOCK_MONOTONIC) - r->start_usec;
	char why[AGENT_ERR_MAX];
	va_list ap;

	why[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	check_run_free(r);
	if (!b)
		return;
	if (lat > UINT32_MAX)
		lat = UINT32_MAX;
	health_result(b, ok, (uint32_t)lat, ok ? NULL : why);
}

int check_timeout_start(struct check_run *r, sd_event_time_handler_t cb)
{
	const struct check_cfg *c = check_cfg_of(r->b);
	uint64_t t = (uint64_t)(c->timeout_ms ? c->timeout_ms : 2000) * 1000;

	return sd_event_add_time_relative(check_event_of(r->b), &r->timer,
					  CLOCK_MONOTONIC, t, 1000, cb, r);
}

int check_socket(const struct abackend *b, int type, bool *inprogress,
		 const char **what)
{
	const struct check_cfg *c = check_cfg_of(b);
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, err;
	uint16_t port = c->port ? c->port : b->ep.port;

	*inprogress = false;
	memset(&ss, 0, sizeof(ss));
	if (b->ep.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, b->ep.addr, 4);
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (b->ep.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, b->ep.addr, 16);
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		*what = "address";
		return -EAFNOSUPPORT;
	}

	*what = "socket";
	fd = socket(b->ep.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;

	if (c->source.family) {
		struct sockaddr_storage src;
		socklen_t slen;

		*what = "bind";
		if (c->source.family != b->ep.family) {
			close(fd);
			return -EAFNOSUPPORT;
		}
		memset(&src, 0, sizeof(src));
		if (c->source.family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&src;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, c->source.addr, 4);
			slen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&src;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, c->source.addr, 16);
			slen = sizeof(*sin6);
		}
		/*
		 * The port is chosen at connect, per destination: a thousand
		 * checks from one source address do not run out of ports.
		 */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, slen) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
	}

	*what = "connect";
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			close(fd);
			return err;
		}
		*inprogress = true;
	}
	return fd;
}
