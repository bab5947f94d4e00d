// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP client on the agent's loop: libcurl's multi interface driven by
 * sd-event, so operator polls and HTTP health checks never block and never
 * need a thread of ours.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one sd-event
 * io source per socket, kept in curl's per-socket pointer) and when it next
 * wants to run (CURLMOPT_TIMERFUNCTION: one sd-event timer). Both hand
 * control back to curl_multi_socket_action(); finished transfers come out of
 * curl_multi_info_read() and are reported through the request's callback.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* asprintf, strndup */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "agent.h"

#define HTTPC_DEFAULT_MAX_BODY	((size_t)1024 * 1024)
#define HTTPC_DEFAULT_TIMEOUT	10000	/* ms: curl's 0 would mean "never" */

struct httpc {
	sd_event *ev;
	CURLM *multi;
	sd_event_source *timer;
	struct httpc_req *reqs;		/* every request not yet reported */
};

struct httpc_req {
	struct httpc *h;
	struct httpc_req *next, *prev;	/* in h->reqs */
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;	/* CURLOPT_CONNECT_TO, see pin_host() */
	httpc_done_fn done;
	void *arg;
	char *body;
	size_t body_len, body_cap, max_body;
	bool too_big;
	char *etag;
	uint64_t start_usec;
	bool finished;			/* curl is done; waiting to be reported */
	bool reporting;			/* in its done callback: cancel is a no-op */
	CURLcode code;
	char errbuf[CURL_ERROR_SIZE];
};

static unsigned int curl_users;	/* curl_global_init/cleanup pairing */

static void req_link(struct httpc_req *r)
{
	struct httpc *h = r->h;

	r->prev = NULL;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
}

static void req_unlink(struct httpc_req *r)
{
	struct httpc *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else if (h->reqs == r)
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void req_free(struct httpc_req *r)
{
	req_unlink(r);
	if (r->easy) {
		curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->connect_to);
	free(r->body);
	free(r->etag);
	free(r);
}

/* ------------------------------------------------------ curl <-> loop */

static void process_done(struct httpc *h);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct httpc *h = userdata;
	int flags = 0, running;

	(void)s;
	if (revents & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	process_done(h);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct httpc *h = userdata;
	int running;

	(void)s;
	(void)usec;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process_done(h);
	return 0;
}

static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		   void *socketp)
{
	struct httpc *h = userp;
	sd_event_source *src = socketp;
	uint32_t events = 0;
	int r;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (src) {
			/* curl may already have closed fd: nothing to close here */
			sd_event_source_disable_unref(src);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (src)
		return sd_event_source_set_io_events(src, events) < 0 ? -1 : 0;
	r = sd_event_add_io(h->ev, &src, fd, events, on_io, h);
	if (r < 0) {
		log_err("httpc: cannot watch socket %d: %s", fd, strerror(-r));
		return -1;
	}
	sd_event_source_set_description(src, "httpc-socket");
	curl_multi_assign(h->multi, fd, src);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc *h = userp;
	uint64_t now;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	/*
	 * curl_multi_socket_action() must not be called from here: the timer
	 * runs it from the loop, at once when timeout_ms is 0.
	 */
	sd_event_now(h->ev, CLOCK_MONOTONIC, &now);
	if (sd_event_source_set_time(h->timer, now + (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

/* --------------------------------------------------------- responses */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct httpc_req *r = userp;
	size_t n = size * nmemb;

	if (r->body_len + n > r->max_body) {
		r->too_big = true;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		char *p;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		p = realloc(r->body, cap);
		if (!p)
			return 0;
		r->body = p;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *userp)
{
	struct httpc_req *r = userp;
	size_t n = size * nitems;
	const char *v, *end = data + n;

	/* A new status line (after 100 Continue, say): forget the last ETag. */
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		free(r->etag);
		r->etag = NULL;
		return n;
	}
	if (n < 5 || strncasecmp(data, "etag:", 5) != 0)
		return n;
	v = data + 5;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	free(r->etag);
	r->etag = end > v ? strndup(v, (size_t)(end - v)) : NULL;
	return n;
}

static void report(struct httpc_req *r)
{
	struct httpc_result res = {
		.curl_code = r->code,
		.body = r->body ? r->body : "",
		.body_len = r->body_len,
		.etag = r->etag,
	};
	char msg[CURL_ERROR_SIZE + 64];
	uint64_t dt = now_usec(CLOCK_MONOTONIC) - r->start_usec;

	res.latency_us = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	if (r->code != CURLE_OK) {
		if (r->too_big || r->code == CURLE_FILESIZE_EXCEEDED)
			snprintf(msg, sizeof(msg),
				 "response body larger than %zu bytes",
				 r->max_body);
		else if (r->errbuf[0])
			snprintf(msg, sizeof(msg), "%s", r->errbuf);
		else
			snprintf(msg, sizeof(msg), "%s",
				 curl_easy_strerror(r->code));
		res.error = msg;
	}
	r->done(r->arg, &res);
}

/*
 * Take every finished transfer off curl's queue first, then report them one
 * by one: a callback may start new requests or cancel others (even ones that
 * are finished but not reported yet), which must not happen while we hold
 * pointers into curl's message queue.
 */
static void process_done(struct httpc *h)
{
	struct httpc_req *r;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r) {
			r->finished = true;
			r->code = m->data.result;
		}
	}
	for (;;) {
		/*
		 * From the head again each time: the callback may have freed
		 * any other request. (clang-analyzer cannot see that it never
		 * relinks the one just freed.)
		 */
		for (r = h->reqs; r && !r->finished; r = r->next) // NOLINT(clang-analyzer-unix.Malloc)
			;
		if (!r)
			break;
		r->finished = false;
		r->reporting = true;
		req_unlink(r);
		report(r);
		req_free(r);
	}
}

/* --------------------------------------------------------------- API */

struct httpc *httpc_new(sd_event *ev)
{
	struct httpc *h;

	if (!curl_users && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		log_err("httpc: curl_global_init failed");
		return NULL;
	}
	curl_users++;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	h->ev = sd_event_ref(ev);
	h->multi = curl_multi_init();
	if (!h->multi)
		goto fail;
	if (sd_event_add_time(ev, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
			      on_timer, h) < 0)
		goto fail;
	sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	sd_event_source_set_description(h->timer, "httpc-timer");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
fail:
	log_err("httpc: out of memory");
	if (h)
		httpc_free(h);
	else if (!--curl_users)
		curl_global_cleanup();
	return NULL;
}

void httpc_free(struct httpc *h)
{
	struct httpc_req *r, *next;

	if (!h)
		return;
	for (r = h->reqs, h->reqs = NULL; r; r = next) {
		next = r->next;
		r->next = r->prev = NULL;
		req_free(r);
	}
	if (h->multi)
		curl_multi_cleanup(h->multi);
	sd_event_source_disable_unref(h->timer);
	sd_event_unref(h->ev);
	free(h);
	if (curl_users && !--curl_users)
		curl_global_cleanup();
}

static int add_header(struct httpc_req *r, const char *name, const char *val)
{
	struct curl_slist *l;
	char *line;

	if (asprintf(&line, "%s: %s", name, val) < 0)
		return -1;
	l = curl_slist_append(r->headers, line);
	free(line);
	if (!l)
		return -1;
	r->headers = l;
	return 0;
}

/*
 * With a Host header, the request is made as a client of that site would
 * make it: the name goes into the URL, the connection still to the address
 * the URL gave (CURLOPT_CONNECT_TO). For https that makes SNI and the
 * certificate check use the name, which is what the certificate is for.
 * Returns the URL to use (malloc'd by curl), NULL to use @url as it is.
 */
static char *pin_host(struct httpc_req *r, const char *url, const char *hosthdr)
{
	char *host = NULL, *port = NULL, *nurl = NULL, *line = NULL;
	struct curl_slist *l;
	char name[256];
	size_t n;
	CURLU *u;

	/* the header's name without its ":port"; "[v6]" stays whole */
	n = hosthdr[0] == '[' ? strcspn(hosthdr, "]") + 1 : strcspn(hosthdr, ":");
	if (n == 0 || n >= sizeof(name) || (hosthdr[0] == '[' && hosthdr[n - 1] != ']'))
		return NULL;
	memcpy(name, hosthdr, n);
	name[n] = '\0';
	u = curl_url();
	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
	    curl_url_set(u, CURLUPART_HOST, name, 0) ||
	    curl_url_get(u, CURLUPART_URL, &nurl, 0) ||
	    asprintf(&line, "%s:%s:%s:%s", name, port, host, port) < 0)
		goto fail;
	l = curl_slist_append(NULL, line);
	if (!l)
		goto fail;
	r->connect_to = l;
	free(line);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return nurl;
fail:
	free(line);
	curl_free(nurl);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return NULL;
}

struct httpc_req *httpc_get(struct httpc *h, const char *url,
			    const struct httpc_opts *o, httpc_done_fn done,
			    void *arg)
{
	struct httpc_opts def = { .tls_verify = true };
	struct httpc_req *r;
	uint32_t tmo;
	CURL *e;

	if (!o)
		o = &def;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->h = h;
	r->done = done;
	r->arg = arg;
	r->max_body = o->max_body ? o->max_body : HTTPC_DEFAULT_MAX_BODY;
	r->easy = e = curl_easy_init();
	if (!e)
		goto fail;
	tmo = o->timeout_ms ? o->timeout_ms : HTTPC_DEFAULT_TIMEOUT;

	if (o->host_header && *o->host_header) {
		char *pinned = pin_host(r, url, o->host_header);
		CURLcode c;

		if (pinned) {
			c = curl_easy_setopt(e, CURLOPT_URL, pinned);
			curl_free(pinned);
			if (c != CURLE_OK ||
			    curl_easy_setopt(e, CURLOPT_CONNECT_TO, r->connect_to) != CURLE_OK)
				goto fail;
		} else if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK) {
			goto fail;
		}
	} else if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK) {
		goto fail;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);	/* no SIGALRM: we own signals */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A redirect is the answer we judge, not something to chase. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)tmo);
	/*
	 * A fresh connection each time: a health check must prove that the
	 * backend accepts connections, not that an old one still works.
	 */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "l4lb-agent");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (o->max_body)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)o->max_body);
	if (!o->tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->source && o->source->family) {
		char addr[ADDR_STRLEN], iface[ADDR_STRLEN + 8];

		/* "host!": an address to bind to, never an interface name */
		snprintf(iface, sizeof(iface), "host!%s",
			 addr_format(o->source, addr, sizeof(addr)));
		if (curl_easy_setopt(e, CURLOPT_INTERFACE, iface) != CURLE_OK)
			goto fail;
	}
	if (o->host_header && add_header(r, "Host", o->host_header))
		goto fail;
	if (o->if_none_match && add_header(r, "If-None-Match", o->if_none_match))
		goto fail;
	if (r->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);

	r->start_usec = now_usec(CLOCK_MONOTONIC);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		goto fail;
	req_link(r);
	return r;
fail:
	if (r->easy) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	req_free(r);
	return NULL;
}

/* From its own done callback too: then process_done() frees it. */
void httpc_cancel(struct httpc_req *r)
{
	if (r && !r->reporting)
		req_free(r);
}
