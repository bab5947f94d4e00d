// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: the TCP check. A non-blocking connect; then, when
 * CHECK_SEND / CHECK_EXPECT are set, write send and read until the reply
 * starts with expect (or differs from it, or ends, or the timeout fires).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

/*
 * Close with a RST rather than a FIN: the checker would otherwise keep a
 * TIME_WAIT socket per check (60 000 of them at 1 000 backends a second).
 */
static void tcp_abort_close(struct check_run *r)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static void tcp_ok(struct check_run *r)
{
	tcp_abort_close(r);
	check_done(r, true, NULL);
}

/* The reply so far: 1 matched expect whole, 0 more to read, -1 done (reported). */
static int tcp_read(struct check_run *r, const struct check_cfg *c)
{
	for (;;) {
		size_t want = c->expect_len - r->got;
		ssize_t n;

		if (want > sizeof(r->buf))
			want = sizeof(r->buf);
		n = recv(r->fd, r->buf, want, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			check_done(r, false, "read: %s", check_errstr(errno));
			return -1;
		}
		if (n == 0) {
			check_done(r, false, r->got ? "reply too short" :
				   "connection closed without a reply");
			return -1;
		}
		/* compared as it comes: a wrong first byte fails at once */
		if (memcmp(r->buf, c->expect + r->got, n)) {
			tcp_abort_close(r);
			check_done(r, false, "unexpected reply");
			return -1;
		}
		r->got += n;
		if (r->got >= c->expect_len)
			return 1;
	}
}

static int tcp_on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct check_run *r = arg;
	const struct check_cfg *c = check_cfg_of(r->b);

	(void)fd;
	(void)revents;
	if (!r->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			check_done(r, false, "connect: %s", check_errstr(err));
			return 0;
		}
		r->connected = true;
	}
	while (c->send && r->sent < c->send_len) {
		ssize_t n = send(r->fd, c->send + r->sent,
				 c->send_len - r->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;	/* EPOLLOUT again */
			check_done(r, false, "send: %s", check_errstr(errno));
			return 0;
		}
		r->sent += n;
	}
	if (!c->expect || !c->expect_len) {
		tcp_ok(r);
		return 0;
	}
	if (!(revents & EPOLLIN)) {
		/* sent: from now on only the reply matters */
		if (sd_event_source_set_io_events(s, EPOLLIN) < 0) {
			check_done(r, false, "epoll: cannot wait for the reply");
			return 0;
		}
	}
	if (tcp_read(r, c) > 0)
		tcp_ok(r);
	return 0;
}

static int tcp_on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct check_run *r = arg;
	const struct check_cfg *c = check_cfg_of(r->b);
	const char *step = !r->connected ? "connect" :
			   c->send && r->sent < c->send_len ? "send" : "read";

	(void)s;
	(void)usec;
	check_done(r, false, "%s: timed out after %ums", step, c->timeout_ms);
	return 0;
}

static int tcp_start(struct abackend *b)
{
	struct check_run *r = check_run_new(b);
	const char *what;
	bool inprogress;
	int fd, err;

	if (!r)
		return -ENOMEM;
	fd = check_socket(b, SOCK_STREAM, &inprogress, &what);
	if (fd < 0) {
		check_done(r, false, "%s: %s", what, check_errstr(fd));
		return 0;
	}
	r->fd = fd;
	/* writable: connected (or failed); a check that only reads waits for EPOLLIN after that */
	err = sd_event_add_io(check_event_of(b), &r->io, fd, EPOLLOUT,
			      tcp_on_io, r);
	if (err >= 0)
		err = check_timeout_start(r, tcp_on_timeout);
	if (err < 0) {
		check_done(r, false, "event loop: %s", check_errstr(err));
		return 0;
	}
	return 0;
}

const struct check_ops check_tcp_ops = {
	.type = CHECK_TCP,
	.name = "tcp",
	.start = tcp_start,
	.cancel = check_cancel_free,
};
