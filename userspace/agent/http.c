// SPDX-License-Identifier: GPL-2.0
/*
 * The monitoring port: /health, /backends, /metrics and the status page,
 * served by libmicrohttpd inside the agent's sd-event loop.
 *
 * MHD runs without a thread of its own (MHD_USE_EPOLL, no internal
 * polling): its epoll fd is one io source of the loop, and a timer from
 * MHD_get_timeout() covers its idle timeouts. So every request is answered
 * from the loop thread and reads the model without locks, like everything
 * else. The port is read-only: GET and HEAD.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/l4lb.h>
#include <microhttpd.h>

#include "agent.h"

/* Enough for a few monitoring scrapers; the port is not a public service. */
#define HTTP_CONN_LIMIT		64
#define HTTP_PER_IP_LIMIT	16
#define HTTP_CONN_TIMEOUT_S	10
#define HTTP_CONN_MEMORY	(64 * 1024)

struct http_server {
	struct agent *a;
	struct MHD_Daemon *d;
	sd_event_source *io;
	sd_event_source *timer;
};

const char *rfc3339(uint64_t usec, char *buf, size_t len)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static const char *vip_algorithm(const struct avip *v)
{
	return v->cfg->algorithm[0] ? v->cfg->algorithm : v->cfg->sched;
}

/* A json-c object rendered into a malloc'd string of our own. */
static char *json_take(struct json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

char *http_health_json(const struct agent *a, int *status)
{
	struct json_object *o = json_object_new_object();
	struct json_object *vips = json_object_new_array();
	size_t i, total = 0, healthy = 0, vips_ok = 0;
	const char *algo = NULL, *st;
	char buf[ADDR_STRLEN];

	for (i = 0; i < a->cfg.n_vips; i++) {
		const struct avip *v = &a->vips[i];
		struct json_object *jv = json_object_new_object();
		size_t h = 0, t = vip_count(v, &h);

		total += t;
		healthy += h;
		vips_ok += h > 0;
		if (!algo)
			algo = vip_algorithm(v);
		else if (strcmp(algo, vip_algorithm(v)) != 0)
			algo = "mixed";
		json_object_object_add(jv, "name", json_object_new_string(v->cfg->name));
		json_object_object_add(jv, "vip", json_object_new_string(
			endpoint_format(&v->cfg->vip, buf, sizeof(buf))));
		json_object_object_add(jv, "proto",
				       json_object_new_string(proto_name(v->cfg->proto)));
		json_object_object_add(jv, "algorithm",
				       json_object_new_string(vip_algorithm(v)));
		json_object_object_add(jv, "total_backends", json_object_new_int64((int64_t)t));
		json_object_object_add(jv, "healthy_backends", json_object_new_int64((int64_t)h));
		json_object_object_add(jv, "status",
				       json_object_new_string(h ? "healthy" : "unhealthy"));
		json_object_array_add(vips, jv);
	}
	/* "degraded" still forwards for some VIPs; a balancer that can
	 * forward nothing, or not program the kernel, is "unhealthy" */
	if (!a->kernel_ok || !vips_ok)
		st = "unhealthy";
	else if (vips_ok < a->cfg.n_vips)
		st = "degraded";
	else
		st = "healthy";
	json_object_object_add(o, "status", json_object_new_string(st));
	json_object_object_add(o, "type", json_object_new_string("L4"));
	json_object_object_add(o, "algorithm", json_object_new_string(algo ? algo : ""));
	json_object_object_add(o, "total_backends", json_object_new_int64((int64_t)total));
	json_object_object_add(o, "healthy_backends", json_object_new_int64((int64_t)healthy));
	json_object_object_add(o, "environment",
			       json_object_new_string(a->cfg.environment));
	json_object_object_add(o, "kernel", json_object_new_boolean(a->kernel_ok));
	json_object_object_add(o, "uptime_seconds", json_object_new_int64(
		a->start_usec ? (int64_t)((now_usec(CLOCK_REALTIME) - a->start_usec) / 1000000) : 0));
	json_object_object_add(o, "vips", vips);
	if (status)
		*status = strcmp(st, "healthy") != 0 ? 503 : 200;
	return json_take(o);
}

static const char *state_name(int st)
{
	switch (st) {
	case L4LB_BACKEND_UP:	 return "up";
	case L4LB_BACKEND_DRAIN: return "drain";
	case L4LB_BACKEND_DOWN:	 return "down";
	default:		 return "absent";
	}
}

static struct json_object *backend_json(const struct abackend *b)
{
	struct json_object *o = json_object_new_object();
	char buf[ADDR_STRLEN], tbuf[32];
	const struct stats *ks = &b->kstats;
	uint64_t conns = 0;

	if (b->in_kernel && (ks->present & (1u << L4LB_STATS_ATTR_ACTIVE_CONNS)))
		conns = ks->val[L4LB_STATS_ATTR_ACTIVE_CONNS];
	endpoint_format(&b->ep, buf, sizeof(buf));
	json_object_object_add(o, "id", json_object_new_string(b->id[0] ? b->id : buf));
	json_object_object_add(o, "address", json_object_new_string(buf));
	json_object_object_add(o, "healthy", json_object_new_boolean(backend_is_healthy(b)));
	json_object_object_add(o, "connections", json_object_new_int64((int64_t)conns));
	json_object_object_add(o, "last_check", b->hs.last_check_usec ?
		json_object_new_string(rfc3339(b->hs.last_check_usec, tbuf, sizeof(tbuf))) :
		NULL);
	json_object_object_add(o, "vip", json_object_new_string(b->vip->cfg->name));
	json_object_object_add(o, "state", json_object_new_string(
		state_name(b->in_kernel ? b->kstate : backend_desired_state(b))));
	json_object_object_add(o, "weight", json_object_new_int64(
		b->in_kernel ? b->kweight : b->weight));
	json_object_object_add(o, "last_error", b->hs.last_error[0] ?
		json_object_new_string(b->hs.last_error) : NULL);
	json_object_object_add(o, "check_latency_ms", b->hs.last_check_usec ?
		json_object_new_double(b->hs.last_latency_us / 1000.0) : NULL);
	return o;
}

static struct json_object *vip_backends_json(const struct avip *v)
{
	struct json_object *arr = json_object_new_array();
	const struct abackend *b;

	for (b = v->backends; b; b = b->next)
		json_object_array_add(arr, backend_json(b));
	return arr;
}

char *http_backends_json(const struct agent *a, const char *vip, int *status)
{
	struct json_object *o;
	size_t i;

	*status = 200;
	if (vip) {
		for (i = 0; i < a->cfg.n_vips; i++)
			if (!strcmp(a->vips[i].cfg->name, vip))
				return json_take(vip_backends_json(&a->vips[i]));
		*status = 404;
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string("unknown vip"));
		return json_take(o);
	}
	/* one VIP: the seed balancer's plain list */
	if (a->cfg.n_vips == 1)
		return json_take(vip_backends_json(&a->vips[0]));
	o = json_object_new_object();
	for (i = 0; i < a->cfg.n_vips; i++)
		json_object_object_add(o, a->vips[i].cfg->name,
				       vip_backends_json(&a->vips[i]));
	return json_take(o);
}

static enum MHD_Result reply(struct MHD_Connection *c, int status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;	/* out of memory: MHD closes the connection */
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, int status,
				  const char *text)
{
	char *s = strdup(text);

	return reply(c, status, "text/plain; charset=utf-8", s, s ? strlen(s) : 0);
}

#define JSON_TYPE	"application/json"

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct http_server *h = cls;
	const struct agent *a = h->a;
	int status = 200;
	size_t len;
	char *body;

	static int headers_seen;

	(void)version;
	(void)upload_data;
	/* no body wanted: 405 at once (MHD then closes rather than read one) */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "405 method not allowed: this port is read-only\n");
	/*
	 * The first call comes with the headers alone. Answering then makes
	 * MHD give up the connection (a body may follow), so wait for the
	 * second call: keep-alive for scrapers. A GET's body is ignored.
	 */
	if (!*req_cls) {
		*req_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/health")) {
		body = http_health_json(a, &status);
		return reply(c, status, JSON_TYPE, body, body ? strlen(body) : 0);
	}
	if (!strcmp(url, "/backends")) {
		const char *vip = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							      "vip");

		body = http_backends_json(a, vip, &status);
		return reply(c, status, JSON_TYPE, body, body ? strlen(body) : 0);
	}
	if (!strcmp(url, "/metrics")) {
		body = metrics_render(a, &len);
		return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8",
			     body, len);
	}
	if (!strcmp(url, "/")) {
		body = status_render(a, &len);
		return reply(c, 200, "text/html; charset=utf-8", body, len);
	}
	return reply_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_debug("http: %s", buf);
}

/* After every MHD_run(): when MHD wants to run again without I/O. */
static void http_rearm(struct http_server *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	uint64_t now;

	if (MHD_get_timeout(h->d, &ms) != MHD_YES) {
		sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_now(sd_event_source_get_event(h->timer), CLOCK_MONOTONIC, &now);
	sd_event_source_set_time(h->timer, now + ms * 1000);
	sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static int http_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct http_server *h = arg;

	(void)s;
	(void)fd;
	(void)revents;
	MHD_run(h->d);
	http_rearm(h);
	return 0;
}

static int http_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct http_server *h = arg;

	(void)s;
	(void)usec;
	MHD_run(h->d);
	http_rearm(h);
	return 0;
}

int http_start(struct agent *a)
{
	const struct endpoint *ep = &a->cfg.http;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct http_server *h;
	char buf[ADDR_STRLEN];
	int r;

	if (!ep->port)
		return 0;	/* HEALTH_PORT=0: off */
	memset(&sa, 0, sizeof(sa));
	if (ep->family == AF_INET6) {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(ep->port);
		memcpy(&sa.in6.sin6_addr, ep->addr, 16);
		flags |= MHD_USE_IPv6;
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(ep->port);
		memcpy(&sa.in.sin_addr, ep->addr, 4);
	}
	endpoint_format(ep, buf, sizeof(buf));
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->a = a;
	/* the logger first, or MHD's own prints what comes before it */
	h->d = MHD_start_daemon(flags, ep->port, NULL, NULL, handle, h,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, &sa.sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				/* 400 for what RFC 9112 calls malformed, e.g. no Host */
				MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
				MHD_OPTION_END);
	if (!h->d) {
		log_err("http: cannot listen on %s: %s", buf, strerror(errno));
		free(h);
		return -1;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		log_err("http: libmicrohttpd has no epoll fd");
		goto fail;
	}
	r = sd_event_add_io(a->ev, &h->io, info->epoll_fd, EPOLLIN, http_io, h);
	if (r >= 0)
		r = sd_event_add_time(a->ev, &h->timer, CLOCK_MONOTONIC, 0, 0,
				      http_timer, h);
	if (r < 0) {
		log_err("http: event loop: %s", strerror(-r));
		goto fail;
	}
	sd_event_source_set_description(h->io, "http");
	sd_event_source_set_description(h->timer, "http-timer");
	http_rearm(h);
	a->http = h;
	log_info("http: listening on %s", buf);
	return 0;
fail:
	sd_event_source_unref(h->io);
	sd_event_source_unref(h->timer);
	MHD_stop_daemon(h->d);
	free(h);
	return -1;
}

void http_stop(struct agent *a)
{
	struct http_server *h = a->http;

	if (!h)
		return;
	sd_event_source_disable_unref(h->io);
	sd_event_source_disable_unref(h->timer);
	MHD_stop_daemon(h->d);
	free(h);
	a->http = NULL;
}
