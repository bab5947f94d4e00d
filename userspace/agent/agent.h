/* SPDX-License-Identifier: GPL-2.0 */
/*
 * l4lb-agent: the model every part of the agent shares.
 *
 * One sd-event loop owns everything (discovery, checks, the HTTP port,
 * netlink), so nothing here is locked. Discovery sources report instance
 * lists into a VIP (model.c), health checks report results into a backend
 * (health.c), and both ask for a reconcile, which makes the kernel match
 * what the model wants (kernel.c). Fail static: nothing the agent does on a
 * failure removes a backend the kernel forwards to.
 */
#ifndef L4LB_AGENT_H
#define L4LB_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "addr.h"	/* struct endpoint (userspace/lib, shared with l4ctl) */
#include "msg.h"	/* struct stats: the kernel's counters */

#define AGENT_ID_MAX		64
#define AGENT_NAME_MAX		32
#define AGENT_MAX_SOURCES	4
#define AGENT_ERR_MAX		160
#define AGENT_HISTORY		60	/* status page: samples per VIP */

/* ---------------------------------------------------------------- log.c */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
extern enum log_level log_level;
/* One line on stderr (journald adds the time): "<level>: message". */
void alog(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...)	alog(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	alog(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	alog(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	alog(LOG_LVL_DEBUG, __VA_ARGS__)

/* --------------------------------------------------------- config.c */
enum check_type {
	CHECK_NONE,	/* every discovered backend is healthy */
	CHECK_TCP,	/* connect; with send/expect when CHECK_SEND/EXPECT set */
	CHECK_HTTP,
	CHECK_HTTPS,
	CHECK_UDP,	/* send, expect a reply starting with expect */
	CHECK_EXEC,	/* exit status 0 is healthy */
};

struct check_cfg {
	enum check_type type;
	uint32_t interval_ms, timeout_ms, jitter_ms;
	unsigned int rise, fall;
	uint16_t port;		/* 0: the backend's own */
	char *send;		/* NULL: none; C escapes (\r \n \xNN) decoded */
	size_t send_len;
	char *expect;		/* NULL: none; the reply must start with it */
	size_t expect_len;
	char *http_path;	/* default "/" */
	char *http_host;	/* NULL: the backend's address */
	int http_status;	/* 0: any 2xx or 3xx */
	char *http_body;	/* NULL: any body; else a substring it must hold */
	bool tls_verify;
	char *exec;		/* /bin/sh -c; env L4LB_BACKEND_ADDR, L4LB_BACKEND_PORT, L4LB_VIP */
	struct endpoint source;	/* family 0: the kernel picks */
	/*
	 * Flap damping: a backend that changed state flap_changes times
	 * within flap_window_ms is held down for flap_hold_ms after its last
	 * failure, whatever its checks say meanwhile.
	 */
	unsigned int flap_changes;
	uint32_t flap_window_ms, flap_hold_ms;
};

/* Passive health from the kernel's per-backend counters (passive.c). */
struct passive_cfg {
	bool enabled;
	uint64_t min_flows;	/* new flows in a stats interval to judge at all */
	unsigned int fail_pct;	/* failed share of them that takes it down */
};

enum source_type { SRC_STATIC, SRC_OPERATOR, SRC_FILE, SRC_DNS };

struct source_cfg {
	enum source_type type;
	char *url;		/* operator: the full URL polled */
	uint32_t interval_ms, timeout_ms;	/* operator; dns: minimum re-resolve */
	char *path;		/* file */
	char *name;		/* dns: A/AAAA name, or SRV name when srv */
	bool srv;
	char *dns_server;	/* NULL: resolv.conf; else "addr[:port]" */
	char *list;		/* static: "addr:port[,addr:port...]" */
};

enum all_down { ALL_DOWN_KEEP, ALL_DOWN_REFUSE };

struct vip_cfg {
	char name[AGENT_NAME_MAX];	/* "default" for the env-only VIP */
	struct endpoint vip;		/* VIP + PORT */
	uint8_t proto;			/* IPPROTO_TCP / IPPROTO_UDP */
	char algorithm[32];		/* LB_ALGORITHM as given (for /health) */
	char sched[16];			/* the kernel scheduler it maps to */
	int mode;			/* enum l4lb_mode; -1: kernel default */
	uint16_t backend_port;		/* for instances and A records without one */
	uint32_t weight;		/* for instances without one */
	struct check_cfg check;
	struct passive_cfg passive;
	struct source_cfg sources[AGENT_MAX_SOURCES];
	size_t n_sources;
	uint32_t drain_grace_ms;	/* drained, then removed after this */
	enum all_down all_down;
};

struct agent_cfg {
	struct vip_cfg *vips;
	size_t n_vips;
	struct endpoint http;		/* HEALTH_ADDR:HEALTH_PORT; port 0: off */
	enum log_level log_level;
	char environment[32];
	char *config_file;		/* NULL: none read */
	uint32_t stats_interval_ms;
};

/*
 * Read @file (NULL: $CONFIG_FILE, else /etc/l4lb/agent.conf when it exists)
 * then the environment @envp on top. Returns 0, or -1 with a message naming
 * the file, line or variable in @err.
 */
int config_load(struct agent_cfg *cfg, const char *file, char **envp,
		char *err, size_t errlen);
void config_free(struct agent_cfg *cfg);
/* "500ms", "2s", "1m", "3" (seconds) -> ms; -1 if malformed. */
int64_t duration_parse_ms(const char *s);

/* ---------------------------------------------------------- the model */
enum health { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };

/* One entry of a discovery source's answer. */
struct instance {
	char id[AGENT_ID_MAX];		/* "" -> the address is the id */
	struct endpoint ep;
	uint32_t weight;		/* 0: the VIP's default */
	bool draining;			/* the source says: stop sending new flows */
};

/* health.c's state; model.c and the HTTP code only read it. */
struct health_state {
	enum health state;
	unsigned int ok_run, fail_run;		/* consecutive results */
	uint64_t changes_usec[8];		/* recent state changes (monotonic) */
	unsigned int n_changes;
	uint64_t held_until_usec;		/* flap damping: down until then */
	uint64_t last_fail_usec;		/* monotonic: the hold counts from it */
	bool passive_down;			/* taken down by passive.c */
	uint64_t last_check_usec;		/* CLOCK_REALTIME, 0: never */
	uint32_t last_latency_us;
	char last_error[AGENT_ERR_MAX];		/* "" when the last check passed */
	uint64_t checks_ok, checks_failed;
};

struct avip;
struct check_run;

struct abackend {
	struct abackend *next;
	struct avip *vip;
	char id[AGENT_ID_MAX];
	struct endpoint ep;
	uint32_t weight;
	uint32_t listed;		/* bit i: source i lists it now */
	uint32_t draining_src;		/* bit i: source i lists it as draining */
	uint64_t gone_usec;		/* monotonic time no source listed it; 0: listed */
	sd_event_source *gone_timer;	/* model.c: removes it drain_grace_ms after gone_usec */
	bool adopted;			/* found in the kernel at start, not yet listed */
	bool last_healthy;		/* up when the VIP's last healthy backend fell (ALL_DOWN_KEEP) */
	struct health_state hs;
	struct check_run *check;	/* a check in flight (health.c) */
	sd_event_source *timer;		/* the next check */
	/* kernel.c: what the kernel has, from the last stats read */
	bool in_kernel;
	uint8_t kstate;			/* enum l4lb_backend_state */
	uint32_t kweight;
	struct stats kstats, kstats_prev;
};

struct source_state {
	struct avip *vip;
	unsigned int idx;
	const struct source_cfg *cfg;
	bool answered;			/* a good answer came at least once */
	bool failing;			/* the last attempt failed: last good set kept */
	char last_error[AGENT_ERR_MAX];
	uint64_t last_ok_usec;		/* CLOCK_REALTIME */
	uint64_t updates, errors;
	void *priv;			/* the source's own */
};

struct avip {
	struct agent *agent;
	const struct vip_cfg *cfg;
	struct abackend *backends;
	struct source_state src[AGENT_MAX_SOURCES];
	bool in_kernel;
	struct stats kstats, kstats_prev;
	/* status page: flows/s and bytes/s, one sample per stats interval */
	uint64_t hist_flows[AGENT_HISTORY], hist_bytes[AGENT_HISTORY];
	unsigned int hist_pos, hist_n;
};

#define CHECK_LAT_BUCKETS 10	/* le 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000 ms */
extern const double check_lat_bounds_ms[CHECK_LAT_BUCKETS];

struct agent_metrics {
	uint64_t checks_ok, checks_failed;
	uint64_t check_lat_bucket[CHECK_LAT_BUCKETS + 1];	/* last: +Inf */
	double check_lat_sum_s;
	uint64_t state_changes;
	uint64_t passive_downs;
	uint64_t reconciles, netlink_errors;
	uint64_t kernel_events;
};

struct nl_ctx;
struct httpc;
struct dns;
struct http_server;

struct agent {
	sd_event *ev;
	struct agent_cfg cfg;
	struct avip *vips;		/* cfg.n_vips of them */
	struct nl_ctx *nl;		/* requests and dumps */
	struct nl_ctx *nl_events;	/* the "events" multicast group */
	bool kernel_ok;			/* the family answered the last request */
	sd_event_source *reconcile_ev;	/* deferred reconcile */
	struct httpc *httpc;		/* libcurl multi on the loop */
	struct dns *dns;		/* c-ares on the loop */
	struct http_server *http;
	struct agent_metrics m;
	uint64_t start_usec;		/* CLOCK_REALTIME */
	struct net_info net;		/* last L4LB_CMD_NET_GET */
};

static inline uint64_t now_usec(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------- model.c */
/*
 * A source's good answer: every instance it lists now. New ones become
 * backends (health checks start), known ones are refreshed, ones no
 * source lists any more are drained and removed after drain_grace_ms.
 * An empty answer when the source listed some before counts as a failure
 * (kept, logged, counted), never as "remove everything".
 */
void vip_source_update(struct avip *v, unsigned int idx,
		       const struct instance *inst, size_t n);
/* A failed attempt (timeout, HTTP error, bad JSON...): the last good set stays. */
void vip_source_failed(struct avip *v, unsigned int idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* health.c calls this when b->hs.state changed. */
void backend_health_changed(struct abackend *b, enum health old);
/* What the kernel should have for @b: L4LB_BACKEND_STATE_*, or -1: not there. */
int backend_desired_state(const struct abackend *b);
bool backend_is_healthy(const struct abackend *b);
struct abackend *vip_find_backend(struct avip *v, const struct endpoint *ep);
/*
 * Backends no source has dropped (listed, or adopted and not yet judged);
 * @healthy (may be NULL): those of them that take new flows on their own
 * merit (healthy, not drained by a source).
 */
size_t vip_count(const struct avip *v, size_t *healthy);
/*
 * kernel.c at start: a backend of our VIP the kernel already has. Health
 * starts as its kernel state says (up -> UP, down -> DOWN, drain ->
 * UNKNOWN), checks start; it stays until every source has answered once
 * and none lists it, then drains like any vanished backend. Returns the
 * existing backend if the model has it already, NULL on ENOMEM.
 */
struct abackend *vip_adopt_backend(struct avip *v, const struct endpoint *ep,
				   uint32_t weight, uint8_t kstate);
/* main.c: set up @v for @c (sources' state, no backends); vip_free undoes it. */
void vip_init(struct avip *v, struct agent *a, const struct vip_cfg *c);
/* Every backend: health_stop(), timers cancelled, freed. The kernel is not touched. */
void vip_free(struct avip *v);

/* ---------------------------------------------------------- kernel.c */
int kernel_start(struct agent *a);	/* open netlink, adopt what the kernel has, subscribe */
void kernel_stop(struct agent *a);
void reconcile_schedule(struct agent *a);	/* soon, once, from the loop */

/* ---------------------------------------------------------- health.c */
void health_start(struct abackend *b);	/* begin checking (first one soon, jittered) */
void health_stop(struct abackend *b);	/* cancel timer and any check in flight */
/* A check finished. @why: NULL on success, else what failed. */
void health_result(struct abackend *b, bool ok, uint32_t latency_us,
		   const char *why);
/* passive.c: after each stats read, per VIP. */
void passive_eval(struct avip *v);

/* check_*.c: one table entry per check type (check.c holds the table). */
struct check_ops {
	enum check_type type;
	const char *name;
	/* Start one check of @b; it ends by calling health_result() exactly once, unless cancelled. */
	int (*start)(struct abackend *b);
	void (*cancel)(struct abackend *b);
};
const struct check_ops *check_ops_get(enum check_type t);

/* ---------------------------------------------------------- httpc.c */
struct httpc_result {
	int curl_code;			/* CURLE_OK on a transfer that completed */
	long status;			/* HTTP status, 0 if none */
	const char *body;		/* NUL-terminated copy, may be "" */
	size_t body_len;
	const char *etag;		/* NULL if none */
	const char *error;		/* curl's message when curl_code != 0 */
	uint32_t latency_us;
};
struct httpc_opts {
	uint32_t timeout_ms;
	const char *if_none_match;	/* NULL: none */
	const char *host_header;	/* NULL: from the URL */
	const struct endpoint *source;	/* NULL: any */
	bool tls_verify;
	size_t max_body;		/* 0: 1 MiB */
};
struct httpc_req;
typedef void (*httpc_done_fn)(void *arg, const struct httpc_result *r);
struct httpc *httpc_new(sd_event *ev);
void httpc_free(struct httpc *h);
struct httpc_req *httpc_get(struct httpc *h, const char *url,
			    const struct httpc_opts *o, httpc_done_fn done,
			    void *arg);
void httpc_cancel(struct httpc_req *r);	/* done is not called */

/* ------------------------------------------------ discovery (source_*.c) */
struct source_ops {
	enum source_type type;
	const char *name;		/* "operator", "file", "dns", "static" */
	int (*start)(struct source_state *s);
	void (*stop)(struct source_state *s);
	void (*reload)(struct source_state *s);	/* SIGHUP; may be NULL */
};
const struct source_ops *source_ops_get(enum source_type t);
struct dns *dns_new(sd_event *ev);
void dns_free(struct dns *d);

/* ---------------------------------------------------------- http.c */
int http_start(struct agent *a);	/* 0 also when cfg.http.port is 0 (off) */
void http_stop(struct agent *a);
/* metrics.c: the Prometheus text for /metrics, malloc'd. */
char *metrics_render(const struct agent *a, size_t *len);
/* status.c: the HTML page for /, malloc'd. */
char *status_render(const struct agent *a, size_t *len);
/*
 * The JSON bodies of /health and /backends (malloc'd, NUL-terminated) and
 * the HTTP status to answer with: 200, 503 (/health not healthy), 404
 * (/backends?vip= of an unknown VIP). @vip NULL: every VIP.
 */
char *http_health_json(const struct agent *a, int *status);
char *http_backends_json(const struct agent *a, const char *vip, int *status);
/* RFC 3339 UTC ("2024-01-15T10:30:00Z") of a CLOCK_REALTIME time in usec. */
const char *rfc3339(uint64_t usec, char *buf, size_t len);

#endif
