// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the agent's discovery (userspace/agent/instances.c,
 * source*.c, httpc.c): the instance list parser on good and malformed
 * input, then the sources in a real sd-event loop with the model stubbed
 * (what vip_source_update / vip_source_failed receive is what is checked):
 * the static list; the operator source against an HTTP server this program
 * forks on loopback (a list, an object, ETag + 304, 500, garbage, an empty
 * list after a full one, a hung operator, a refused connection); httpc on
 * its own (Host header, body cap, cancel); the file source (start, an
 * editor's rename, a rewrite in place, malformed, deleted, SIGHUP); and
 * the DNS source against dnsmasq when it is installed (A/AAAA, a change
 * after dnsmasq reloads, SRV with weights and priorities, NXDOMAIN, a
 * silent server).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "instances.h"
#include "tap.h"

/* ------------------------------------------------ stubs of the agent */
enum log_level log_level = LOG_LVL_DEBUG;
static int verbose;

void alog(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "# log %d: %s\n", lvl, buf);
}

static int n_updates, n_failed;
static struct instance got[64];
static size_t got_n;
static char fail_msg[512];

void vip_source_update(struct avip *v, unsigned int idx,
		       const struct instance *inst, size_t n)
{
	(void)v;
	(void)idx;
	n_updates++;
	got_n = n;
	if (n)
		memcpy(got, inst, (n < 64 ? n : 64) * sizeof(*inst));
	if (verbose)
		fprintf(stderr, "# update: %zu instances\n", n);
}

void vip_source_failed(struct avip *v, unsigned int idx, const char *fmt, ...)
{
	va_list ap;

	(void)v;
	(void)idx;
	n_failed++;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "# failed: %s\n", fail_msg);
}

/* ------------------------------------------------ checks */
static void check_true(const char *desc, bool ok, const char *why)
{
	tap_tests++;
	if (ok) {
		printf("ok %d - %s\n", tap_tests, desc);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   %s\n", tap_tests, desc, why ? why : "");
}

static void check_has(const char *desc, const char *got_s, const char *want)
{
	char why[700];

	snprintf(why, sizeof(why), "'%s' does not contain '%s'",
		 got_s ? got_s : "(null)", want);
	check_true(desc, got_s && strstr(got_s, want), why);
}

static void skip(const char *desc, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_tests, desc, why);
}

static const char *ep_str(const struct endpoint *ep)
{
	static char buf[4][ADDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return endpoint_format(ep, buf[i], sizeof(buf[i]));
}

/* Is @want ("addr:port") among the instances? Returns it or NULL. */
static const struct instance *find(const struct instance *v, size_t n,
				   const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ep_str(&v[i].ep), want))
			return &v[i];
	return NULL;
}

/* ------------------------------------------------ instances.c */
static int parse(const char *json, struct instance **v, size_t *n, char *err,
		 size_t errlen)
{
	err[0] = '\0';
	return instances_parse_json(json, strlen(json), 8080, 3, v, n, err,
				    errlen);
}

static void test_parse_good(void)
{
	struct instance *v;
	const struct instance *i;
	char err[AGENT_ERR_MAX];
	size_t n;
	int r;

	r = parse("[{\"id\":\"inst-1\",\"address\":\"10.0.1.5\",\"port\":8081,"
		  "\"state\":\"running\",\"weight\":7},"
		  "{\"id\":\"inst-2\",\"address\":\"10.0.1.6:9000\",\"state\":\"draining\"},"
		  "{\"id\":\"inst-3\",\"address\":\"10.0.1.7\",\"state\":\"stopped\"},"
		  "{\"address\":\"10.0.1.8\"},"
		  "{\"id\":\"inst-5\",\"address\":\"[fd00::5]:8443\",\"state\":\"Healthy\"},"
		  "{\"id\":\"inst-6\",\"address\":\"fd00::6\",\"state\":\"up\"},"
		  "{\"id\":\"inst-7\",\"address\":\"[fd00::7]\",\"port\":\"81\",\"state\":\"stopping\"},"
		  "{\"id\":\"inst-8\",\"address\":\"10.0.1.9\",\"state\":\"pending\"},"
		  "{\"id\":\"inst-9\",\"address\":\"10.0.1.10\",\"state\":\"failed\"},"
		  "{\"id\":\"w0\",\"address\":\"10.0.1.11\",\"weight\":0},"
		  "{\"id\":\"dup\",\"address\":\"10.0.1.5:8081\"},"
		  "{\"id\":42,\"address\":\"10.0.1.12\",\"extra\":{\"x\":1}}"
		  "]", &v, &n, err, sizeof(err));
	check_int("parse: a good list", r, 0);
	check_str("parse: no error", err, "");
	check_int("parse: stopped/pending/failed left out, duplicate dropped", (long)n, 8);
	i = find(v, n, "10.0.1.5:8081");
	check_true("parse: port field", i != NULL, "10.0.1.5:8081 missing");
	if (i) {
		check_str("parse: id", i->id, "inst-1");
		check_int("parse: weight", i->weight, 7);
		check_int("parse: running is not draining", i->draining, 0);
	}
	i = find(v, n, "10.0.1.6:9000");
	check_true("parse: address with port", i && i->draining && i->weight == 3,
		   "10.0.1.6:9000 missing, not draining or not the default weight");
	i = find(v, n, "10.0.1.8:8080");
	check_true("parse: no port, no state, no id: default port, listed, id empty",
		   i && !i->draining && !i->id[0], "10.0.1.8:8080 wrong");
	check_true("parse: IPv6 with port, state is case-insensitive",
		   find(v, n, "[fd00::5]:8443") != NULL, "[fd00::5]:8443 missing");
	check_true("parse: bare IPv6", find(v, n, "[fd00::6]:8080") != NULL,
		   "[fd00::6]:8080 missing");
	i = find(v, n, "[fd00::7]:81");
	check_true("parse: IPv6 in brackets without port, port as a string, stopping = draining",
		   i && i->draining, "[fd00::7]:81 missing or not draining");
	i = find(v, n, "10.0.1.11:8080");
	check_true("parse: weight 0 is draining", i && i->draining && i->weight == 3,
		   "10.0.1.11:8080 wrong");
	i = find(v, n, "10.0.1.5:8081");
	check_str("parse: the first of a duplicate counts", i ? i->id : NULL, "inst-1");
	i = find(v, n, "10.0.1.12:8080");
	check_str("parse: a numeric id, unknown keys ignored", i ? i->id : NULL, "42");
	free(v);

	r = parse(" {\"instances\":[{\"address\":\"10.0.2.1\"},{\"address\":\"10.0.2.2\",\"port\":null}]}\n",
		  &v, &n, err, sizeof(err));
	check_int("parse: object form", r, 0);
	check_int("parse: object form count", (long)n, 2);
	free(v);

	r = parse("[]", &v, &n, err, sizeof(err));
	check_true("parse: an empty list is valid", r == 0 && n == 0 && !v, err);
	r = parse("{\"instances\":[]}", &v, &n, err, sizeof(err));
	check_true("parse: an empty object list is valid", r == 0 && n == 0, err);
	r = parse("[{\"address\":\"10.0.0.1\",\"state\":\"stopped\"}]", &v, &n,
		  err, sizeof(err));
	check_true("parse: all stopped is an empty list", r == 0 && n == 0, err);
}

static void test_parse_bad(void)
{
	static const struct {
		const char *json, *want;
	} bad[] = {
		{ "", "malformed JSON: empty" },
		{ " \t ", "malformed JSON: empty" },
		{ "[{\"address\":\"10.0.0.1\"}", "malformed JSON: truncated" },
		{ "nul", "malformed JSON: truncated" },
		{ "<html>oops</html>", "malformed JSON" },
		{ "[{'address':'10.0.0.1'}]", "malformed JSON" },
		{ "[] []", "malformed JSON at offset 3" },
		{ "[{\"address\":\"10.0.0.1\",}]", "malformed JSON" },
		{ "{\"items\":[]}", "expected a JSON list" },
		{ "{\"instances\":{}}", "expected a JSON list" },
		{ "\"10.0.0.1\"", "expected a JSON list" },
		{ "42", "expected a JSON list" },
		{ "[\"10.0.0.1\"]", "instance 1: not an object" },
		{ "[{\"address\":\"10.0.0.1\"},{\"id\":\"x\"}]", "instance 2 (id \"x\"): no \"address\"" },
		{ "[{\"address\":null}]", "instance 1: no \"address\"" },
		{ "[{\"address\":17}]", "\"address\" is not a string" },
		{ "[{\"address\":\"\"}]", "empty address" },
		{ "[{\"address\":\"web-1.example\"}]", "address \"web-1.example\": not an IPv4 or IPv6 address" },
		{ "[{\"address\":\"10.0.0.300\"}]", "not an IPv4 or IPv6 address" },
		{ "[{\"address\":\"10.0.0.1:0\"}]", "port out of range" },
		{ "[{\"address\":\"10.0.0.1:70000\"}]", "port out of range" },
		{ "[{\"address\":\"10.0.0.1:http\"}]", "port is not a decimal number" },
		{ "[{\"address\":\"[fd00::1\"}]", "missing ']'" },
		{ "[{\"address\":\"[10.0.0.1]\"}]", "not an IPv6 address in brackets" },
		{ "[{\"address\":\"::ffff:10.0.0.1\"}]", "IPv4-mapped" },
		{ "[{\"address\":\"10.0.0.1\",\"port\":0}]", "\"port\" 0: out of range" },
		{ "[{\"address\":\"10.0.0.1\",\"port\":65536}]", "\"port\" 65536: out of range" },
		{ "[{\"address\":\"10.0.0.1\",\"port\":-1}]", "\"port\" -1: out of range" },
		{ "[{\"address\":\"10.0.0.1\",\"port\":\"80a\"}]", "\"port\" 80a: not a number" },
		{ "[{\"address\":\"10.0.0.1\",\"port\":8.5}]", "\"port\" 8.5: not a number" },
		{ "[{\"address\":\"10.0.0.1:80\",\"port\":81}]", "differs from the port in \"address\"" },
		{ "[{\"address\":\"10.0.0.1\",\"weight\":-2}]", "\"weight\" -2: out of range" },
		{ "[{\"address\":\"10.0.0.1\",\"weight\":70000}]", "\"weight\" 70000: out of range" },
		{ "[{\"address\":\"10.0.0.1\",\"weight\":true}]", "not a number" },
		{ "[{\"address\":\"10.0.0.1\",\"state\":1}]", "\"state\" is not a string" },
		{ "[{\"address\":\"10.0.0.1\",\"id\":[1]}]", "\"id\" is not a string" },
		{ "[{\"address\":\"10.0.0.1\",\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}]",
		  "\"id\" longer than 63" },
	};
	char err[AGENT_ERR_MAX], desc[200];
	struct instance *v;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].json, &v, &n, err, sizeof(err));

		snprintf(desc, sizeof(desc), "parse rejects %.60s", bad[i].json);
		check_true(desc, r == -1 && !v && n == 0, "accepted");
		snprintf(desc, sizeof(desc), "parse: %.60s: says why", bad[i].json);
		check_has(desc, err, bad[i].want);
	}
	/* no default port: an address without one cannot be used */
	v = NULL;
	check_int("parse: no port and no default",
		  instances_parse_json("[{\"address\":\"10.0.0.1\"}]", 24, 0, 1,
				       &v, &n, err, sizeof(err)), -1);
	check_has("parse: no port and no default, says why", err, "no port");
}

static void test_parse_list(void)
{
	char err[AGENT_ERR_MAX];
	struct instance *v;
	size_t n;
	int r;

	r = instances_parse_list("10.0.0.5:81, [fd00::1]:82 ,10.0.0.6,fd00::2",
				 8080, 2, &v, &n, err, sizeof(err));
	check_int("list: good", r, 0);
	check_int("list: count", (long)n, 4);
	if (n == 4) {
		check_str("list: v4 with port", ep_str(&v[0].ep), "10.0.0.5:81");
		check_str("list: v6 with port", ep_str(&v[1].ep), "[fd00::1]:82");
		check_str("list: default port", ep_str(&v[2].ep), "10.0.0.6:8080");
		check_str("list: bare v6", ep_str(&v[3].ep), "[fd00::2]:8080");
		check_int("list: default weight", v[0].weight, 2);
	}
	free(v);
	r = instances_parse_list("10.0.0.5:81,,10.0.0.6", 80, 1, &v, &n, err,
				 sizeof(err));
	check_true("list: an empty item is an error", r == -1 && strstr(err, "item 2 is empty"), err);
	r = instances_parse_list("10.0.0.5:81,nope:80", 80, 1, &v, &n, err,
				 sizeof(err));
	check_true("list: a name is an error", r == -1 && strstr(err, "\"nope:80\""), err);
	r = instances_parse_list("fd00::1:80x", 80, 1, &v, &n, err, sizeof(err));
	check_true("list: bad v6", r == -1, err);
}

/* ------------------------------------------------ the loop fixture */
static sd_event *ev;
static struct agent agent;
static struct vip_cfg vcfg;
static struct avip vip;

static void fixture(void)
{
	memset(&vcfg, 0, sizeof(vcfg));
	snprintf(vcfg.name, sizeof(vcfg.name), "web");
	addr_parse("10.0.0.1", &vcfg.vip, NULL);
	vcfg.vip.port = 80;
	vcfg.backend_port = 8080;
	vcfg.weight = 1;
	vcfg.n_sources = 1;
	memset(&vip, 0, sizeof(vip));
	vip.agent = &agent;
	vip.cfg = &vcfg;
	vip.src[0].vip = &vip;
	vip.src[0].idx = 0;
	vip.src[0].cfg = &vcfg.sources[0];
	n_updates = n_failed = 0;
	got_n = 0;
	fail_msg[0] = '\0';
}

static uint64_t mono_ms(void)
{
	return now_usec(CLOCK_MONOTONIC) / 1000;
}

/* Run the loop until *@counter exceeds @than or @ms pass. True if it did. */
static bool run_until(const int *counter, int than, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;

	while (*counter <= than && mono_ms() < end)
		sd_event_run(ev, 10000);
	return *counter > than;
}

static void run_for(unsigned int ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end)
		sd_event_run(ev, 10000);
}

static const struct source_ops *start_source(enum source_type t)
{
	const struct source_ops *ops = source_ops_get(t);

	vcfg.sources[0].type = t;
	if (!ops || ops->start(&vip.src[0]) < 0) {
		check_true("source starts", false, "start failed");
		return NULL;
	}
	return ops;
}

/* ------------------------------------------------ static */
static void test_static(void)
{
	const struct source_ops *ops;

	fixture();
	vcfg.sources[0].list = "10.0.0.5:81,[fd00::1]:82,10.0.0.6";
	ops = start_source(SRC_STATIC);
	if (!ops)
		return;
	check_int("static: nothing before the loop runs", n_updates, 0);
	check_true("static: answered from the loop", run_until(&n_updates, 0, 500), "no update");
	check_int("static: 3 instances", (long)got_n, 3);
	check_true("static: default port", find(got, got_n, "10.0.0.6:8080") != NULL, "missing");
	run_for(50);
	check_int("static: answered once", n_updates, 1);
	ops->reload(&vip.src[0]);
	check_true("static: SIGHUP answers again", run_until(&n_updates, 1, 500), "no update");
	ops->stop(&vip.src[0]);
	check_true("static: stop frees", vip.src[0].priv == NULL, "priv left");

	fixture();
	vcfg.sources[0].list = "10.0.0.5:81,bad";
	check_true("static: a bad list does not start",
		   source_ops_get(SRC_STATIC)->start(&vip.src[0]) < 0, "started");
}

/* ------------------------------------------------ a small HTTP server */
static pid_t http_pid;
static uint16_t http_port;

#define LIST_A	"[{\"id\":\"a\",\"address\":\"10.0.1.5\",\"state\":\"running\"}," \
		"{\"id\":\"b\",\"address\":\"10.0.1.6:9000\",\"state\":\"draining\"}," \
		"{\"id\":\"c\",\"address\":\"10.0.1.7\",\"state\":\"stopped\"}]"
#define LIST_B	"{\"instances\":[{\"address\":\"10.0.1.5\"},{\"address\":\"10.0.1.6\"}," \
		"{\"address\":\"10.0.1.8\"}]}"

static void respond(int fd, int status, const char *reason,
		    const char *extra, const char *body, size_t len)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     status, reason, len, extra ? extra : "");
	if (write(fd, head, (size_t)n) < 0)
		return;
	while (len) {
		ssize_t w = write(fd, body, len);

		if (w <= 0)
			return;
		body += w;
		len -= (size_t)w;
	}
}

/* The value of header @name in the request @req, or "" */
static void header(const char *req, const char *name, char *out, size_t len)
{
	const char *p = strcasestr(req, name), *e;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	if (!e || (size_t)(e - p) >= len)
		return;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static void http_child(int lfd)
{
	int n_hung = 0, n_etag = 0, n_seq = 0;
	char req[4096], path[256], val[256];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		size_t got_len = 0;
		char *big;

		if (fd < 0)
			continue;
		/* the request head; a client that sends nothing is dropped */
		while (got_len < sizeof(req) - 1) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&pfd, 1, 2000) <= 0)
				break;
			r = read(fd, req + got_len, sizeof(req) - 1 - got_len);
			if (r <= 0)
				break;
			got_len += (size_t)r;
			req[got_len] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got_len] = '\0';
		if (sscanf(req, "GET %255s", path) != 1) {
			close(fd);
			continue;
		}
		if (!strcmp(path, "/list")) {
			respond(fd, 200, "OK", NULL, LIST_A, strlen(LIST_A));
		} else if (!strcmp(path, "/obj")) {
			respond(fd, 200, "OK", NULL, LIST_B, strlen(LIST_B));
		} else if (!strcmp(path, "/etag")) {
			header(req, "If-None-Match:", val, sizeof(val));
			if (!strcmp(val, "\"v1\""))
				respond(fd, 304, "Not Modified", "ETag: \"v1\"\r\n", "", 0);
			else if (n_etag++ == 0)
				respond(fd, 200, "OK", "ETag: \"v1\"\r\n", LIST_A, strlen(LIST_A));
			else
				respond(fd, 200, "OK", "ETag: \"v2\"\r\n", LIST_B, strlen(LIST_B));
		} else if (!strcmp(path, "/500")) {
			respond(fd, 500, "Internal Server Error", NULL, "oops\n", 5);
		} else if (!strcmp(path, "/garbage")) {
			respond(fd, 200, "OK", NULL, "this is not json", 16);
		} else if (!strcmp(path, "/seq")) {
			if (n_seq++ == 0)
				respond(fd, 200, "OK", NULL, LIST_A, strlen(LIST_A));
			else
				respond(fd, 200, "OK", NULL, "[]", 2);
		} else if (!strcmp(path, "/hang")) {
			/* keep it open (the fd leaks on purpose), answer never */
			n_hung++;
			continue;
		} else if (!strcmp(path, "/count")) {
			snprintf(val, sizeof(val), "%d", n_hung);
			respond(fd, 200, "OK", NULL, val, strlen(val));
		} else if (!strcmp(path, "/host")) {
			header(req, "Host:", val, sizeof(val));
			respond(fd, 200, "OK", NULL, val, strlen(val));
		} else if (!strcmp(path, "/redirect")) {
			respond(fd, 302, "Found", "Location: /list\r\n", "", 0);
		} else if (!strcmp(path, "/big")) {
			big = malloc(100000);
			if (big) {
				memset(big, 'x', 100000);
				respond(fd, 200, "OK", NULL, big, 100000);
				free(big);
			}
		} else {
			respond(fd, 404, "Not Found", NULL, "", 0);
		}
		close(fd);
	}
}

static int srv_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	http_port = ntohs(sa.sin_port);
	fflush(stdout);
	http_pid = fork();
	if (http_pid < 0)
		return -1;
	if (http_pid == 0) {
		http_child(lfd);
		_exit(0);
	}
	close(lfd);
	return 0;
}

static void srv_stop(void)
{
	if (http_pid > 0) {
		kill(http_pid, SIGKILL);
		waitpid(http_pid, NULL, 0);
		http_pid = 0;
	}
}

static char url_buf[4][128];

static char *url(const char *path)
{
	static int i;

	i = (i + 1) % 4;
	snprintf(url_buf[i], sizeof(url_buf[i]), "http://127.0.0.1:%u%s",
		 http_port, path);
	return url_buf[i];
}

/* ------------------------------------------------ httpc on its own */
static int n_done;
static struct httpc_result res;
static char res_body[256], res_err[256], res_etag[64];

static void on_done(void *arg, const struct httpc_result *r)
{
	(void)arg;
	n_done++;
	res = *r;
	snprintf(res_body, sizeof(res_body), "%s", r->body);
	snprintf(res_err, sizeof(res_err), "%s", r->error ? r->error : "");
	snprintf(res_etag, sizeof(res_etag), "%s", r->etag ? r->etag : "");
	res.body = res_body;
	res.error = res_err;
	res.etag = res_etag;
}

static void test_httpc(void)
{
	struct httpc_opts o = { .timeout_ms = 1000, .tls_verify = true };
	struct endpoint lo;
	struct httpc_req *r;

	o.host_header = "svc.example";
	addr_parse("127.0.0.1", &lo, NULL);
	o.source = &lo;
	n_done = 0;
	httpc_get(agent.httpc, url("/host"), &o, on_done, NULL);
	check_true("httpc: done", run_until(&n_done, 0, 2000), "no answer");
	check_int("httpc: status", res.status, 200);
	check_int("httpc: curl code", res.curl_code, 0);
	check_str("httpc: the Host header sent", res_body, "svc.example");
	check_true("httpc: latency measured", res.latency_us > 0, "0");

	o.host_header = "svc.example:8443";
	n_done = 0;
	httpc_get(agent.httpc, url("/host"), &o, on_done, NULL);
	run_until(&n_done, 0, 2000);
	check_str("httpc: a Host header with a port, sent as given", res_body, "svc.example:8443");

	o.host_header = NULL;
	o.source = NULL;
	o.if_none_match = "\"v1\"";
	n_done = 0;
	httpc_get(agent.httpc, url("/etag"), &o, on_done, NULL);
	run_until(&n_done, 0, 2000);
	check_int("httpc: If-None-Match sent, 304", res.status, 304);
	check_str("httpc: ETag captured", res_etag, "\"v1\"");

	o.if_none_match = NULL;
	o.max_body = 1000;
	n_done = 0;
	httpc_get(agent.httpc, url("/big"), &o, on_done, NULL);
	run_until(&n_done, 0, 2000);
	check_true("httpc: body over max_body fails", res.curl_code != 0, "succeeded");
	check_has("httpc: body over max_body, says why", res_err, "larger than 1000");

	o.max_body = 0;
	n_done = 0;
	httpc_get(agent.httpc, url("/big"), &o, on_done, NULL);
	run_until(&n_done, 0, 2000);
	check_int("httpc: a 100 kB body", (long)res.body_len, 100000);

	n_done = 0;
	httpc_get(agent.httpc, url("/redirect"), &o, on_done, NULL);
	run_until(&n_done, 0, 2000);
	check_int("httpc: redirect not followed", res.status, 302);

	n_done = 0;
	check_true("httpc: ftp refused at once or on completion",
		   !httpc_get(agent.httpc, "ftp://127.0.0.1/", &o, on_done, NULL) ||
		   (run_until(&n_done, 0, 2000) && res.curl_code != 0),
		   "ftp accepted");
	n_done = 0;

	r = httpc_get(agent.httpc, url("/hang"), &o, on_done, NULL);
	run_for(100);
	httpc_cancel(r);
	run_for(1200);
	check_int("httpc: cancelled, done never called", n_done, 0);
}

/*
 * https through openssl s_server: it refuses a handshake whose SNI is not
 * svc.example, so a Host header that gets through proves that the name,
 * not the address, went into the TLS handshake.
 */
static void test_httpc_tls(void)
{
	char dir[] = "/tmp/l4lb-tls.XXXXXX", cert[64], key[64], cmd[400], u[96];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct httpc_opts o = { .timeout_ms = 2000 };
	socklen_t sl = sizeof(sa);
	pid_t pid = -1;
	uint64_t end;
	int fd, port;

	if (system("command -v openssl >/dev/null 2>&1") || !mkdtemp(dir)) {
		skip("httpc: https", "no openssl");
		return;
	}
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -keyout %s -out %s -days 1 -subj /CN=svc.example >/dev/null 2>&1",
		 key, cert);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (system(cmd) || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		skip("httpc: https", "no certificate or port");
		goto out;
	}
	port = ntohs(sa.sin_port);
	close(fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char acc[16];
		int dn = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dn >= 0 && !verbose) {
			dup2(dn, 0);
			dup2(dn, 1);
			dup2(dn, 2);
		}
		snprintf(acc, sizeof(acc), "%d", port);
		execlp("openssl", "openssl", "s_server", "-accept", acc,
		       "-cert", cert, "-key", key, "-cert2", cert, "-key2", key,
		       "-servername", "svc.example", "-servername_fatal", "-www",
		       (char *)NULL);
		_exit(127);
	}
	for (end = mono_ms() + 3000; mono_ms() < end; usleep(20000)) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			break;
		}
		if (fd >= 0)
			close(fd);
	}
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/", port);

	n_done = 0;
	o.host_header = "svc.example";
	n_done = 0;
	httpc_get(agent.httpc, u, &o, on_done, NULL);
	run_until(&n_done, 0, 3000);
	check_int("httpc https: SNI is the Host header's name", res.status, 200);
	check_str("httpc https: no error", res_err, "");

	o.host_header = "other.example";
	n_done = 0;
	httpc_get(agent.httpc, u, &o, on_done, NULL);
	run_until(&n_done, 0, 3000);
	check_true("httpc https: another name is refused by the server",
		   res.curl_code != 0, "succeeded");

	o.host_header = "svc.example";
	o.tls_verify = true;
	n_done = 0;
	httpc_get(agent.httpc, u, &o, on_done, NULL);
	run_until(&n_done, 0, 3000);
	check_true("httpc https: verify rejects a self-signed certificate",
		   res.curl_code != 0, "succeeded");
	check_has("httpc https: verify, says why", res_err, "certificate");
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* ------------------------------------------------ the operator */
static void operator_case(const char *desc_path, uint32_t interval,
			  uint32_t timeout)
{
	fixture();
	vcfg.sources[0].url = url(desc_path);
	vcfg.sources[0].interval_ms = interval;
	vcfg.sources[0].timeout_ms = timeout;
}

static void test_operator(void)
{
	const struct source_ops *ops;
	const struct instance *i;
	char buf[64];
	int hung_before;

	operator_case("/list", 5000, 1000);
	ops = start_source(SRC_OPERATOR);
	if (!ops)
		return;
	check_true("operator: a list", run_until(&n_updates, 0, 2000), fail_msg);
	check_int("operator: running + draining, stopped left out", (long)got_n, 2);
	i = find(got, got_n, "10.0.1.5:8080");
	check_true("operator: default port, id", i && !strcmp(i->id, "a") && !i->draining, "wrong");
	i = find(got, got_n, "10.0.1.6:9000");
	check_true("operator: draining", i && i->draining, "wrong");
	run_for(200);
	check_int("operator: nothing before the interval", n_updates, 1);
	ops->stop(&vip.src[0]);

	operator_case("/obj", 5000, 1000);
	ops->start(&vip.src[0]);
	run_until(&n_updates, 0, 2000);
	check_int("operator: {\"instances\": [...]}", (long)got_n, 3);
	ops->reload(&vip.src[0]);
	check_true("operator: SIGHUP polls at once", run_until(&n_updates, 1, 1000), "no poll");
	ops->stop(&vip.src[0]);

	operator_case("/etag", 100, 1000);
	ops->start(&vip.src[0]);
	run_until(&n_updates, 0, 2000);
	check_int("operator etag: first answer", (long)got_n, 2);
	check_true("operator etag: polled again", run_until(&n_updates, 1, 2000), "no second answer");
	check_true("operator etag: 304 is the last answer again (a 200 would have 3)",
		   got_n == 2 && find(got, got_n, "10.0.1.6:9000"), "not the old set");
	run_until(&n_updates, 3, 2000);
	check_int("operator etag: no failure", n_failed, 0);
	ops->stop(&vip.src[0]);

	operator_case("/500", 5000, 1000);
	ops->start(&vip.src[0]);
	check_true("operator 500: failed", run_until(&n_failed, 0, 2000), "no failure");
	check_has("operator 500: says so", fail_msg, "HTTP 500: oops");
	check_int("operator 500: no update", n_updates, 0);
	ops->stop(&vip.src[0]);

	operator_case("/garbage", 5000, 1000);
	ops->start(&vip.src[0]);
	check_true("operator garbage: failed", run_until(&n_failed, 0, 2000), "no failure");
	check_has("operator garbage: says so", fail_msg, "malformed JSON");
	check_has("operator garbage: names the URL", fail_msg, "/garbage");
	ops->stop(&vip.src[0]);

	operator_case("/seq", 100, 1000);
	ops->start(&vip.src[0]);
	run_until(&n_updates, 0, 2000);
	check_int("operator empty: first a list", (long)got_n, 2);
	check_true("operator empty: then [] is a failure", run_until(&n_failed, 0, 2000), "no failure");
	check_has("operator empty: says so", fail_msg, "empty instance list");
	check_int("operator empty: no empty update", n_updates, 1);
	ops->stop(&vip.src[0]);

	operator_case("/count", 5000, 1000);
	n_done = 0;
	httpc_get(agent.httpc, url("/count"), NULL, on_done, NULL);
	run_until(&n_done, 0, 2000);
	hung_before = atoi(res_body);
	operator_case("/hang", 100, 300);
	ops->start(&vip.src[0]);
	check_true("operator hung: a timeout is a failure", run_until(&n_failed, 0, 2000), "no failure");
	check_has("operator hung: says so", fail_msg, "timed out");
	run_for(1000);
	ops->stop(&vip.src[0]);
	n_done = 0;
	httpc_get(agent.httpc, url("/count"), NULL, on_done, NULL);
	run_until(&n_done, 0, 2000);
	snprintf(buf, sizeof(buf), "%d requests for %d failures",
		 atoi(res_body) - hung_before, n_failed);
	check_true("operator hung: never more than one request in flight",
		   atoi(res_body) - hung_before <= n_failed + 1 &&
		   n_failed >= 2 && n_failed <= 5, buf);
	check_int("operator hung: no update", n_updates, 0);

	operator_case("/", 5000, 1000);
	snprintf(url_buf[0], sizeof(url_buf[0]), "http://127.0.0.1:1/instances");
	vcfg.sources[0].url = url_buf[0];
	ops->start(&vip.src[0]);
	check_true("operator refused: failed", run_until(&n_failed, 0, 2000), "no failure");
	check_has("operator refused: says so", fail_msg, "onnect");
	ops->stop(&vip.src[0]);

	operator_case("/redirect", 5000, 1000);
	ops->start(&vip.src[0]);
	run_until(&n_failed, 0, 2000);
	check_has("operator redirect: a failure, says why", fail_msg, "HTTP 302 (redirects are not followed");
	ops->stop(&vip.src[0]);

	operator_case("/nope", 5000, 1000);
	ops->start(&vip.src[0]);
	run_until(&n_failed, 0, 2000);
	check_has("operator 404: failed", fail_msg, "HTTP 404");
	ops->stop(&vip.src[0]);
}

/* ------------------------------------------------ the file */
static char tmpdir[] = "/tmp/l4lb-discovery.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		check_true("write a file", false, path);
}

static void test_file(void)
{
	char path[256], tmp[256];
	const struct source_ops *ops;
	uint64_t t0;

	if (!mkdtemp(tmpdir)) {
		skip("file source", "no temporary directory");
		return;
	}
	snprintf(path, sizeof(path), "%s/backends.json", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s/.backends.json.tmp", tmpdir);
	write_file(path, LIST_A);

	fixture();
	vcfg.sources[0].path = path;
	ops = start_source(SRC_FILE);
	if (!ops)
		return;
	check_true("file: read at start", run_until(&n_updates, 0, 1000), fail_msg);
	check_int("file: its instances", (long)got_n, 2);

	/* an editor: write a temporary, rename it over */
	write_file(tmp, LIST_B);
	t0 = mono_ms();
	rename(tmp, path);
	check_true("file: replaced by rename, read within a second",
		   run_until(&n_updates, 1, 1000), "no update");
	check_true("file: the new content", got_n == 3 && mono_ms() - t0 < 1000, "old");

	write_file(path, "[{\"address\":\"10.0.9.9\"}]");
	check_true("file: rewritten in place, read within a second",
		   run_until(&n_updates, 2, 1000), "no update");
	check_true("file: the new content (2)", got_n == 1 && find(got, got_n, "10.0.9.9:8080"), "old");

	write_file(tmp, "[{\"address\":\"10.0.9.9\"}");	/* truncated */
	rename(tmp, path);
	check_true("file: malformed is a failure", run_until(&n_failed, 0, 1000), "no failure");
	check_has("file: malformed, says so", fail_msg, "malformed JSON");
	check_has("file: malformed, names the file", fail_msg, "backends.json");

	unlink(path);
	check_true("file: deleted is a failure", run_until(&n_failed, 1, 1000), "no failure");
	check_has("file: deleted, says so", fail_msg, "No such file");

	write_file(path, LIST_A);
	check_true("file: created again", run_until(&n_updates, 3, 1000), "no update");

	write_file(path, "{\"instances\":[]}");
	check_true("file: empty after full is a failure", run_until(&n_failed, 2, 1000), "no failure");
	check_has("file: empty after full, says so", fail_msg, "empty instance list");

	write_file(path, LIST_B);
	run_until(&n_updates, 4, 1000);
	ops->reload(&vip.src[0]);
	check_true("file: SIGHUP reads again", run_until(&n_updates, 5, 1000), "no update");

	/* an unrelated file in the same directory is not our business */
	run_for(100);
	n_updates = 0;
	write_file(tmp, "junk");
	run_for(300);
	check_int("file: other files ignored", n_updates, 0);
	unlink(tmp);
	ops->stop(&vip.src[0]);
	check_true("file: stop frees", vip.src[0].priv == NULL, "priv left");

	/* a Kubernetes ConfigMap volume: the file is a symlink through ..data */
	fixture();
	{
		char d1[64], d2[64], link[64], tmpl[64], f[128];

		snprintf(d1, sizeof(d1), "%s/..v1", tmpdir);
		snprintf(d2, sizeof(d2), "%s/..v2", tmpdir);
		snprintf(link, sizeof(link), "%s/..data", tmpdir);
		snprintf(tmpl, sizeof(tmpl), "%s/..data_tmp", tmpdir);
		snprintf(tmp, sizeof(tmp), "%s/cm.json", tmpdir);
		mkdir(d1, 0700);
		mkdir(d2, 0700);
		snprintf(f, sizeof(f), "%s/cm.json", d1);
		write_file(f, LIST_A);
		snprintf(f, sizeof(f), "%s/cm.json", d2);
		write_file(f, LIST_B);
		if (symlink("..v1", link) || symlink("..data/cm.json", tmp))
			check_true("file: configmap symlinks", false, strerror(errno));
		vcfg.sources[0].path = tmp;
		ops->start(&vip.src[0]);
		run_until(&n_updates, 0, 1000);
		check_int("file: through a ConfigMap's ..data", (long)got_n, 2);
		if (symlink("..v2", tmpl) || rename(tmpl, link))
			check_true("file: configmap swap", false, strerror(errno));
		check_true("file: a ConfigMap update (..data swapped) is followed",
			   run_until(&n_updates, 1, 1000) && got_n == 3, "not seen");
		ops->stop(&vip.src[0]);
		unlink(tmp);
		unlink(link);
		snprintf(f, sizeof(f), "%s/cm.json", d1);
		unlink(f);
		snprintf(f, sizeof(f), "%s/cm.json", d2);
		unlink(f);
		rmdir(d1);
		rmdir(d2);
	}

	/* a file that is not there at start: failure, then found on SIGHUP */
	fixture();
	snprintf(tmp, sizeof(tmp), "%s/later.json", tmpdir);
	vcfg.sources[0].path = tmp;
	ops->start(&vip.src[0]);
	check_true("file: missing at start is a failure", run_until(&n_failed, 0, 1000), "no failure");
	write_file(tmp, LIST_A);
	check_true("file: appears, read", run_until(&n_updates, 0, 1000), "no update");
	ops->stop(&vip.src[0]);

	/* a directory that does not exist: failure, not a crash */
	fixture();
	vcfg.sources[0].path = "/nonexistent-l4lb/dir/b.json";
	ops->start(&vip.src[0]);
	check_true("file: missing directory is a failure", run_until(&n_failed, 0, 1000), "no failure");
	ops->stop(&vip.src[0]);

	unlink(path);
	unlink(tmp);
	rmdir(tmpdir);
}

/* ------------------------------------------------ DNS, with dnsmasq */
static pid_t dns_pid;
static const char *dnsmasq;	/* its path; $DNSMASQ overrides */

/* dnsmasq in $PATH, or where Debian puts it (not in a user's PATH) */
static const char *find_dnsmasq(void)
{
	static char path[512];
	const char *env = getenv("DNSMASQ"), *p = getenv("PATH");

	if (env)
		return access(env, X_OK) ? NULL : env;
	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/dnsmasq", (int)n, p);
		if (n && !access(path, X_OK))
			return path;
		p += n + (p[n] == ':');
	}
	return access("/usr/sbin/dnsmasq", X_OK) ? NULL : "/usr/sbin/dnsmasq";
}

static int udp_port_free(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool udp_port_taken(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool taken;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	taken = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		errno == EADDRINUSE;
	if (fd >= 0)
		close(fd);
	return taken;
}

static int dnsmasq_start(const char *hosts, int port)
{
	char a_port[32], a_hosts[340];
	uint64_t end;

	snprintf(a_port, sizeof(a_port), "--port=%d", port);
	snprintf(a_hosts, sizeof(a_hosts), "--addn-hosts=%s", hosts);
	fflush(stdout);
	dns_pid = fork();
	if (dns_pid < 0)
		return -1;
	if (dns_pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!verbose && fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(dnsmasq, "dnsmasq", "--no-daemon", a_port,
		       "--listen-address=127.0.0.1", "--bind-interfaces",
		       "--no-resolv", "--no-hosts", a_hosts,
		       "--conf-file=/dev/null", "--local=/test/",
		       "--local-ttl=1", "--user=root", "--log-facility=-",
		       "--srv-host=_http._tcp.test,a.test,8081,0,5",
		       "--srv-host=_http._tcp.test,b.test,8082,0,0",
		       "--srv-host=_http._tcp.test,c.test,9000,10,1",
		       "--srv-host=_gone._tcp.test,gone.test,80,0,1",
		       "--txt-record=web.test,v1", "--txt-record=txt.test,v1",
		       (char *)NULL);
		_exit(127);
	}
	for (end = mono_ms() + 3000; mono_ms() < end; usleep(20000)) {
		if (udp_port_taken(port))
			return 0;
		if (waitpid(dns_pid, NULL, WNOHANG) == dns_pid) {
			dns_pid = 0;
			return -1;
		}
	}
	return -1;
}

static void dnsmasq_stop(void)
{
	if (dns_pid > 0) {
		kill(dns_pid, SIGTERM);
		waitpid(dns_pid, NULL, 0);
		dns_pid = 0;
	}
}

static void dns_case(const char *name, bool srv, const char *server)
{
	fixture();
	vcfg.sources[0].name = (char *)name;
	vcfg.sources[0].srv = srv;
	vcfg.sources[0].dns_server = (char *)server;
	vcfg.sources[0].interval_ms = 200;
	vcfg.sources[0].timeout_ms = 600;
}

static void test_dns(void)
{
	char dir[] = "/tmp/l4lb-dns.XXXXXX", hosts[300], server[64];
	const struct source_ops *ops = source_ops_get(SRC_DNS);
	const struct instance *i;
	int port, silent;
	uint64_t t0;

	dnsmasq = find_dnsmasq();
	if (!dnsmasq) {
		skip("DNS source against dnsmasq", "dnsmasq is not installed");
		return;
	}
	if (!mkdtemp(dir)) {
		skip("DNS source against dnsmasq", "no temporary directory");
		return;
	}
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	write_file(hosts, "10.0.3.1 web.test\n10.0.3.2 web.test\nfd00::3 web.test\n"
		   "10.0.4.1 a.test\n10.0.4.2 b.test\n10.0.4.3 c.test\n");
	port = udp_port_free();
	if (port < 0 || dnsmasq_start(hosts, port)) {
		skip("DNS source against dnsmasq", "dnsmasq did not start");
		goto out;
	}
	snprintf(server, sizeof(server), "127.0.0.1:%d", port);

	dns_case("web.test", false, server);
	if (ops->start(&vip.src[0]) < 0) {
		check_true("dns: starts", false, "start failed");
		goto out;
	}
	check_true("dns A/AAAA: answered", run_until(&n_updates, 0, 3000), fail_msg);
	/* an IPv4 VIP asks for A records only: the kernel refuses IPv6 backends for it */
	check_int("dns A/AAAA: the IPv4 VIP's 2 addresses", (long)got_n, 2);
	i = find(got, got_n, "10.0.3.1:8080");
	check_str("dns A/AAAA: BACKEND_PORT, id address:port", i ? i->id : NULL, "10.0.3.1:8080");
	check_true("dns A/AAAA: no IPv6 address for an IPv4 VIP",
		   find(got, got_n, "[fd00::3]:8080") == NULL, "listed");
	check_int("dns A/AAAA: default weight", i ? (long)i->weight : -1, 1);
	/* TTL 1 s over an interval of 200 ms: the next one after ~1 s */
	t0 = mono_ms();
	run_until(&n_updates, 1, 3000);
	check_true("dns A/AAAA: re-resolved at the TTL, not the interval",
		   mono_ms() - t0 >= 700, "too early");

	write_file(hosts, "10.0.3.1 web.test\n10.0.3.9 web.test\n"
		   "10.0.4.1 a.test\n10.0.4.2 b.test\n10.0.4.3 c.test\n");
	kill(dns_pid, SIGHUP);
	t0 = mono_ms();
	while (mono_ms() - t0 < 3000 && !find(got, got_n, "10.0.3.9:8080"))
		sd_event_run(ev, 10000);
	check_true("dns A/AAAA: a changed record is followed",
		   got_n == 2 && find(got, got_n, "10.0.3.9:8080"), "not seen");
	check_int("dns A/AAAA: no failure", n_failed, 0);
	ops->stop(&vip.src[0]);

	/* an IPv6 VIP: the AAAA record only */
	write_file(hosts, "10.0.3.1 web.test\nfd00::3 web.test\n"
		   "10.0.4.1 a.test\n10.0.4.2 b.test\n10.0.4.3 c.test\n");
	kill(dns_pid, SIGHUP);
	usleep(200000);
	dns_case("web.test", false, server);
	addr_parse("fd00::1", &vcfg.vip, NULL);
	vcfg.vip.port = 80;
	ops->start(&vip.src[0]);
	check_true("dns AAAA: answered", run_until(&n_updates, 0, 3000), fail_msg);
	check_true("dns AAAA: the IPv6 VIP gets only the IPv6 address",
		   got_n == 1 && find(got, got_n, "[fd00::3]:8080"), "wrong");
	ops->stop(&vip.src[0]);
	write_file(hosts, "10.0.3.1 web.test\n10.0.3.9 web.test\n"
		   "10.0.4.1 a.test\n10.0.4.2 b.test\n10.0.4.3 c.test\n");
	kill(dns_pid, SIGHUP);
	usleep(200000);

	dns_case("_http._tcp.test", true, server);
	ops->start(&vip.src[0]);
	check_true("dns SRV: answered", run_until(&n_updates, 0, 3000), fail_msg);
	check_int("dns SRV: the lowest priority's targets", (long)got_n, 2);
	i = find(got, got_n, "10.0.4.1:8081");
	check_true("dns SRV: port and weight from SRV", i && i->weight == 5, "wrong");
	i = find(got, got_n, "10.0.4.2:8082");
	check_true("dns SRV: weight 0 is 1", i && i->weight == 1, "wrong");
	check_true("dns SRV: priority 10 left out", !find(got, got_n, "10.0.4.3:9000"), "listed");
	ops->stop(&vip.src[0]);

	dns_case("_gone._tcp.test", true, server);
	ops->start(&vip.src[0]);
	check_true("dns SRV: a target without address: empty answer",
		   run_until(&n_updates, 0, 3000) && got_n == 0, fail_msg);
	ops->stop(&vip.src[0]);

	dns_case("txt.test", false, server);
	ops->start(&vip.src[0]);
	check_true("dns: a name without addresses from the start: an empty answer",
		   run_until(&n_updates, 0, 3000) && got_n == 0 && n_failed == 0, fail_msg);
	ops->stop(&vip.src[0]);

	dns_case("nope.test", false, server);
	ops->start(&vip.src[0]);
	check_true("dns NXDOMAIN: a failure", run_until(&n_failed, 0, 3000), "no failure");
	check_has("dns NXDOMAIN: says so", fail_msg, "NXDOMAIN");
	check_has("dns NXDOMAIN: names the name", fail_msg, "nope.test");
	ops->stop(&vip.src[0]);

	/* web.test disappears after it had addresses */
	dns_case("web.test", false, server);
	ops->start(&vip.src[0]);
	run_until(&n_updates, 0, 3000);
	write_file(hosts, "10.0.4.1 a.test\n");
	kill(dns_pid, SIGHUP);
	check_true("dns: a name without addresses any more is a failure", run_until(&n_failed, 0, 3000), "no failure");
	check_has("dns: ... as an empty list after a full one", fail_msg, "empty instance list");
	check_has("dns: ... naming the source", fail_msg, "DNS A/AAAA web.test");
	check_int("dns: the last good set stays (no empty update)", n_updates >= 1 && got_n == 2, 1);
	ops->stop(&vip.src[0]);

	/* a server that never answers: a UDP socket nobody reads */
	silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(silent, (struct sockaddr *)&sa, sizeof(sa));
		getsockname(silent, (struct sockaddr *)&sa, &sl);
		snprintf(server, sizeof(server), "127.0.0.1:%u", ntohs(sa.sin_port));
	}
	dns_case("web.test", false, server);
	ops->start(&vip.src[0]);
	t0 = mono_ms();
	check_true("dns timeout: a failure", run_until(&n_failed, 0, 3000), "no failure");
	check_has("dns timeout: says so", fail_msg, "imeout");
	check_true("dns timeout: within the timeout", mono_ms() - t0 < 1500, "slow");
	ops->stop(&vip.src[0]);

	/* stop with a query in flight: no callback afterwards */
	dns_case("web.test", false, server);
	ops->start(&vip.src[0]);
	run_for(50);
	ops->stop(&vip.src[0]);
	run_for(1000);
	check_int("dns: stop cancels", n_failed + n_updates, 0);
	close(silent);

	{
		static const char *const forms[] = { "[::1]", "[::1]:5353", "::1", "127.0.0.1" };

		for (size_t k = 0; k < 4; k++) {
			char desc[80];
			int r;

			dns_case("web.test", false, forms[k]);
			r = ops->start(&vip.src[0]);
			snprintf(desc, sizeof(desc), "dns: DNS_SERVER %s is taken", forms[k]);
			check_int(desc, r, 0);
			if (r == 0)
				ops->stop(&vip.src[0]);
		}
	}
	/* dnsmasq gone: its port refuses */
	dnsmasq_stop();
	snprintf(server, sizeof(server), "127.0.0.1:%d", port);
	dns_case("web.test", false, server);
	ops->start(&vip.src[0]);
	check_true("dns: the server gone is a failure", run_until(&n_failed, 0, 3000), "no failure");
	check_has("dns: the server gone, says so", fail_msg, "DNS A/AAAA web.test: ");
	ops->stop(&vip.src[0]);

	dns_case("web.test", false, "not-an-address");
	check_true("dns: a bad DNS_SERVER does not start", ops->start(&vip.src[0]) < 0, "started");
out:
	dnsmasq_stop();
	unlink(hosts);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	signal(SIGPIPE, SIG_IGN);

	test_parse_good();
	test_parse_bad();
	test_parse_list();

	if (sd_event_new(&ev) < 0) {
		printf("Bail out! sd_event_new\n");
		return 1;
	}
	agent.ev = ev;
	agent.httpc = httpc_new(ev);
	if (!agent.httpc) {
		printf("Bail out! httpc_new\n");
		return 1;
	}
	test_static();
	if (srv_start()) {
		printf("Bail out! cannot start the HTTP server\n");
		return 1;
	}
	test_httpc();
	test_httpc_tls();
	test_operator();
	srv_stop();
	test_file();
	test_dns();

	httpc_free(agent.httpc);
	sd_event_unref(ev);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
