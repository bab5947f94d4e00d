/* SPDX-License-Identifier: GPL-2.0 */
/*
 * l4lb-agent: what the health checks (check_*.c) share with health.c.
 * Internal to health.c, passive.c and check*.c; agent.h is the contract.
 */
#ifndef L4LB_AGENT_CHECK_H
#define L4LB_AGENT_CHECK_H

#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "agent.h"

/* One check in flight: b->check. */
struct check_run {
	struct abackend *b;	/* NULL: detached (an exec child still to reap) */
	uint64_t start_usec;	/* CLOCK_MONOTONIC */
	int fd;			/* -1: none */
	sd_event_source *io, *timer, *child;
	pid_t pid;		/* exec: 0 once reaped */
	struct httpc_req *req;
	bool connected;		/* tcp: the handshake completed */
	size_t sent, got;	/* bytes of send written, of the reply read */
	char buf[256];		/* the reply's first bytes (expect is a prefix) */
};

extern const struct check_ops check_tcp_ops, check_udp_ops, check_http_ops,
	check_https_ops, check_exec_ops;

static inline const struct check_cfg *check_cfg_of(const struct abackend *b)
{
	return &b->vip->cfg->check;
}

static inline sd_event *check_event_of(const struct abackend *b)
{
	return b->vip->agent->ev;
}

/* A new run attached to @b (b->check), or NULL (ENOMEM). */
struct check_run *check_run_new(struct abackend *b);
/* Close and release everything the run holds; detaches it from its backend. */
void check_run_free(struct check_run *r);
/* The check is over: free the run, then health_result() with the latency. */
void check_done(struct check_run *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Arm r->timer to fire after the check's timeout. */
int check_timeout_start(struct check_run *r, sd_event_time_handler_t cb);
/*
 * A non-blocking socket of @type bound to CHECK_SOURCE (if set) and
 * connecting to the backend at the check's port. Returns the fd (connect
 * may still be in progress: *@inprogress) or -errno with *@what naming the
 * step that failed.
 */
int check_socket(const struct abackend *b, int type, bool *inprogress,
		 const char **what);
/* strerror() in lower case; a static buffer. */
const char *check_errstr(int err);
/* The cancel op of most checks: free the run, no result. */
void check_cancel_free(struct abackend *b);

/* health.c: move @b to @state (log at @lvl with @why), record the change. */
void health_set_state(struct abackend *b, enum health state,
		      enum log_level lvl, const char *why);

#endif
