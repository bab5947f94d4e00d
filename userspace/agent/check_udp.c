// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: the UDP check. A connected UDP socket sends CHECK_SEND (an
 * empty datagram without it) and waits for a reply starting with
 * CHECK_EXPECT. Being connected, the socket gets the ICMP port unreachable
 * a closed port answers with as ECONNREFUSED: a failure at once.
 *
 * Without CHECK_EXPECT silence is no failure (many UDP services never
 * answer, keepalived's UDP_CHECK judges alike): any reply, or none until
 * the timeout, passes; only an ICMP error fails.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

static int udp_on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct check_run *r = arg;
	const struct check_cfg *c = check_cfg_of(r->b);
	char buf[2048];
	ssize_t n;

	(void)s;
	(void)revents;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			check_done(r, false, "recv: %s", check_errstr(errno));
			return 0;
		}
		if (!c->expect || !c->expect_len) {
			check_done(r, true, NULL);
			return 0;
		}
		if ((size_t)n >= c->expect_len &&
		    !memcmp(buf, c->expect, c->expect_len)) {
			check_done(r, true, NULL);
			return 0;
		}
		/* a datagram is a whole reply: a wrong one fails */
		check_done(r, false, "unexpected reply");
		return 0;
	}
}

static int udp_on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct check_run *r = arg;
	const struct check_cfg *c = check_cfg_of(r->b);

	(void)s;
	(void)usec;
	if (!c->expect || !c->expect_len)
		check_done(r, true, NULL);
	else
		check_done(r, false, "no reply within %ums", c->timeout_ms);
	return 0;
}

static int udp_start(struct abackend *b)
{
	const struct check_cfg *c = check_cfg_of(b);
	struct check_run *r = check_run_new(b);
	const char *what;
	bool inprogress;
	int fd, err;

	if (!r)
		return -ENOMEM;
	fd = check_socket(b, SOCK_DGRAM, &inprogress, &what);
	if (fd < 0) {
		check_done(r, false, "%s: %s", what, check_errstr(fd));
		return 0;
	}
	r->fd = fd;
	err = sd_event_add_io(check_event_of(b), &r->io, fd, EPOLLIN,
			      udp_on_io, r);
	if (err >= 0)
		err = check_timeout_start(r, udp_on_timeout);
	if (err < 0) {
		check_done(r, false, "event loop: %s", check_errstr(err));
		return 0;
	}
	if (send(fd, c->send ? c->send : "", c->send ? c->send_len : 0,
		 MSG_NOSIGNAL) < 0) {
		check_done(r, false, "send: %s", check_errstr(errno));
		return 0;
	}
	return 0;
}

const struct check_ops check_udp_ops = {
	.type = CHECK_UDP,
	.name = "udp",
	.start = udp_start,
	.cancel = check_cancel_free,
};
