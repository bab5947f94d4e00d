// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent's monitoring port without a kernel: a struct agent built by
 * hand (two VIPs, backends in every state, kernel counters), the JSON of
 * /health and /backends (parsed back with json-c: the seed balancer's keys
 * must be there), /metrics checked line by line against the Prometheus
 * text format, the status page, and the real libmicrohttpd server on an
 * sd-event loop asked over raw sockets (GET, HEAD, POST, unknown path,
 * garbage).
 *
 * model.c is not linked: its few read-only helpers are stubbed here with
 * the rules of the spec, so this test covers the rendering, not the model.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/l4lb.h>

#include "agent.h"
#include "tap.h"

/* ---------------------------------------------------------- stubs */
enum log_level log_level = LOG_LVL_WARN;

void alog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	printf("# log: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

const double check_lat_bounds_ms[CHECK_LAT_BUCKETS] = {
	1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000
};

bool backend_is_healthy(const struct abackend *b)
{
	return b->hs.state == HEALTH_UP;
}

int backend_desired_state(const struct abackend *b)
{
	if (b->hs.state == HEALTH_DOWN)
		return L4LB_BACKEND_DOWN;
	if (b->draining_src || b->gone_usec || b->hs.state == HEALTH_UNKNOWN)
		return L4LB_BACKEND_DRAIN;
	return L4LB_BACKEND_UP;
}

size_t vip_count(const struct avip *v, size_t *healthy)
{
	const struct abackend *b;
	size_t n = 0, h = 0;

	for (b = v->backends; b; b = b->next) {
		n++;
		h += backend_is_healthy(b);
	}
	if (healthy)
		*healthy = h;
	return n;
}

/* ---------------------------------------------------------- checks */
static void check_true(const char *desc, bool ok)
{
	tap_tests++;
	if (ok) {
		printf("ok %d - %s\n", tap_tests, desc);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n", tap_tests, desc);
}

/* ---------------------------------------------------------- the agent */
static struct vip_cfg vcfg[2];
static struct avip vips[2];
static struct abackend be[6];
static struct agent ag;

static void ep(struct endpoint *e, const char *s)
{
	const char *why;

	if (endpoint_parse(s, e, &why)) {
		fprintf(stderr, "bad endpoint %s: %s\n", s, why);
		exit(2);
	}
}

static void set_stat(struct stats *s, unsigned int attr, uint64_t v)
{
	s->val[attr] = v;
	s->present |= 1u << attr;
}

static struct abackend *add_backend(int i, struct avip *v, const char *id,
				    const char *addr, enum health h,
				    bool in_kernel, uint8_t kstate)
{
	struct abackend *b = &be[i], **pp;

	snprintf(b->id, sizeof(b->id), "%s", id);
	ep(&b->ep, addr);
	b->vip = v;
	b->weight = 1;
	b->hs.state = h;
	b->in_kernel = in_kernel;
	b->kstate = kstate;
	b->kweight = 1;
	for (pp = &v->backends; *pp; pp = &(*pp)->next)
		;
	*pp = b;
	return b;
}

static void build_agent(void)
{
	struct abackend *b;
	int i;

	memset(&ag, 0, sizeof(ag));
	memset(vcfg, 0, sizeof(vcfg));
	memset(vips, 0, sizeof(vips));
	memset(be, 0, sizeof(be));

	snprintf(vcfg[0].name, sizeof(vcfg[0].name), "web");
	ep(&vcfg[0].vip, "10.0.0.1:80");
	vcfg[0].proto = IPPROTO_TCP;
	snprintf(vcfg[0].algorithm, sizeof(vcfg[0].algorithm), "round-robin");
	snprintf(vcfg[0].sched, sizeof(vcfg[0].sched), "rr");
	vcfg[0].n_sources = 2;
	vcfg[0].sources[0].type = SRC_OPERATOR;
	vcfg[0].sources[0].url = "http://127.0.0.1:8080/instances";
	vcfg[0].sources[1].type = SRC_OPERATOR;
	vcfg[0].sources[1].url = "http://127.0.0.1:8081/instances?a=<b>";

	snprintf(vcfg[1].name, sizeof(vcfg[1].name), "api");
	ep(&vcfg[1].vip, "[fd00::1]:443");
	vcfg[1].proto = IPPROTO_TCP;
	snprintf(vcfg[1].algorithm, sizeof(vcfg[1].algorithm), "least-connections");
	snprintf(vcfg[1].sched, sizeof(vcfg[1].sched), "lc");
	vcfg[1].n_sources = 1;
	vcfg[1].sources[0].type = SRC_DNS;
	vcfg[1].sources[0].name = "api.example.";

	ag.cfg.vips = vcfg;
	ag.cfg.n_vips = 2;
	ag.cfg.stats_interval_ms = 1000;
	snprintf(ag.cfg.environment, sizeof(ag.cfg.environment), "production");
	ag.vips = vips;
	ag.kernel_ok = true;
	ag.start_usec = now_usec(CLOCK_REALTIME) - 5000000;
	for (i = 0; i < 2; i++) {
		vips[i].agent = &ag;
		vips[i].cfg = &vcfg[i];
		vips[i].in_kernel = true;
	}
	vips[0].src[0].answered = true;
	vips[0].src[0].updates = 7;
	vips[0].src[1].failing = true;
	vips[0].src[1].errors = 3;
	snprintf(vips[0].src[1].last_error, AGENT_ERR_MAX, "HTTP 500 <oops>");
	vips[1].src[0].answered = true;

	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_CONNS, 100);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_ACTIVE_CONNS, 12);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_PKTS_IN, 1000);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_PKTS_OUT, 900);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_BYTES_IN, 64000);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_BYTES_OUT, 1280000);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_DROPS, 2);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_RSTS_CLIENT, 4);
	set_stat(&vips[0].kstats, L4LB_STATS_ATTR_RSTS_BACKEND, 5);
	/* an older module: the api VIP has the basic counters only */
	set_stat(&vips[1].kstats, L4LB_STATS_ATTR_CONNS, 3);
	for (i = 0; i < 30; i++) {
		vips[0].hist_flows[i] = (uint64_t)i * 3;
		vips[0].hist_bytes[i] = (uint64_t)i * 1000;
	}
	vips[0].hist_pos = 30;
	vips[0].hist_n = 30;

	/* web: up, down, unknown (new, not yet in the kernel), draining */
	b = add_backend(0, &vips[0], "inst-1", "10.0.1.5:8080", HEALTH_UP, true,
			L4LB_BACKEND_UP);
	b->hs.last_check_usec = 1705314600ULL * 1000000;	/* 2024-01-15T10:30:00Z */
	b->hs.last_latency_us = 1500;
	b->hs.checks_ok = 10;
	set_stat(&b->kstats, L4LB_STATS_ATTR_ACTIVE_CONNS, 12);
	set_stat(&b->kstats, L4LB_STATS_ATTR_CONNS, 60);
	set_stat(&b->kstats, L4LB_STATS_ATTR_HANDSHAKE_US, 250);
	b = add_backend(1, &vips[0], "inst-2", "10.0.1.6:8080", HEALTH_DOWN, true,
			L4LB_BACKEND_DOWN);
	b->hs.last_check_usec = 1705314601ULL * 1000000;
	snprintf(b->hs.last_error, AGENT_ERR_MAX, "connect: Connection refused");
	b->hs.checks_failed = 4;
	set_stat(&b->kstats, L4LB_STATS_ATTR_CONNS, 40);
	add_backend(2, &vips[0], "inst-3\"<script>\\\n", "10.0.1.7:8080",
		    HEALTH_UNKNOWN, false, 0);
	b = add_backend(3, &vips[0], "", "10.0.1.8:9090", HEALTH_UP, true,
			L4LB_BACKEND_DRAIN);
	b->draining_src = 1;
	b->kweight = 5;
	/* api: one IPv6 backend up */
	b = add_backend(4, &vips[1], "api-1", "[fd00::5]:8443", HEALTH_UP, true,
			L4LB_BACKEND_UP);
	set_stat(&b->kstats, L4LB_STATS_ATTR_ACTIVE_CONNS, 3);

	ag.net.present = 1u << L4LB_NET_ATTR_CONNS | 1u << L4LB_NET_ATTR_CONN_MAX;
	ag.net.val[L4LB_NET_ATTR_CONNS] = 15;
	ag.net.val[L4LB_NET_ATTR_CONN_MAX] = 262144;
	ag.net.cnt_present = 1u << L4LB_NET_STATS_ATTR_EARLY_DROPS |
			     1u << L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS |
			     1u << L4LB_NET_STATS_ATTR_REJECTS;
	ag.net.cnt[L4LB_NET_STATS_ATTR_EARLY_DROPS] = 7;
	ag.net.cnt[L4LB_NET_STATS_ATTR_NO_BACKEND_DROPS] = 8;
	ag.net.cnt[L4LB_NET_STATS_ATTR_REJECTS] = 9;

	ag.m.checks_ok = 10;
	ag.m.checks_failed = 4;
	ag.m.check_lat_bucket[1] = 10;
	ag.m.check_lat_bucket[CHECK_LAT_BUCKETS] = 4;
	ag.m.check_lat_sum_s = 8.015;
}

/* ---------------------------------------------------------- JSON */
static struct json_object *parse(const char *s)
{
	return s ? json_tokener_parse(s) : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -999;
	return (long)json_object_get_int64(v);
}

static void health_case(const char *desc, const char *want, int want_status)
{
	struct json_object *o;
	char *s, d[128];
	int st = 0;

	s = http_health_json(&ag, &st);
	o = parse(s);
	snprintf(d, sizeof(d), "health %s: status", desc);
	check_str(d, o ? jstr(o, "status") : NULL, want);
	snprintf(d, sizeof(d), "health %s: HTTP status", desc);
	check_int(d, st, want_status);
	json_object_put(o);
	free(s);
}

static void test_health(void)
{
	static const char *const keys[] = { "status", "type", "algorithm",
		"total_backends", "healthy_backends", "environment", "kernel",
		"vips" };
	static const char *const vkeys[] = { "name", "vip", "proto",
		"algorithm", "total_backends", "healthy_backends", "status" };
	struct json_object *o, *vs, *v0;
	char *s, d[96];
	int st;
	size_t i;

	build_agent();
	s = http_health_json(&ag, &st);
	o = parse(s);
	check_true("health: JSON parses", o != NULL);
	for (i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(d, sizeof(d), "health: key %s", keys[i]);
		check_true(d, json_object_object_get_ex(o, keys[i], NULL));
	}
	check_str("health: type", jstr(o, "type"), "L4");
	check_str("health: algorithm of differing VIPs", jstr(o, "algorithm"), "mixed");
	check_int("health: total_backends", jint(o, "total_backends"), 5);
	check_int("health: healthy_backends", jint(o, "healthy_backends"), 3);
	check_str("health: environment", jstr(o, "environment"), "production");
	vs = NULL;
	json_object_object_get_ex(o, "vips", &vs);
	check_int("health: one entry per VIP", vs ? (long)json_object_array_length(vs) : -1, 2);
	v0 = vs ? json_object_array_get_idx(vs, 1) : NULL;
	for (i = 0; v0 && i < sizeof(vkeys) / sizeof(vkeys[0]); i++) {
		snprintf(d, sizeof(d), "health: vips[] key %s", vkeys[i]);
		check_true(d, json_object_object_get_ex(v0, vkeys[i], NULL));
	}
	check_str("health: IPv6 VIP formatted", v0 ? jstr(v0, "vip") : NULL, "[fd00::1]:443");
	check_str("health: VIP algorithm as configured", v0 ? jstr(v0, "algorithm") : NULL,
		  "least-connections");
	json_object_put(o);
	free(s);

	health_case("every VIP has a healthy backend", "healthy", 200);
	be[4].hs.state = HEALTH_DOWN;
	health_case("one VIP without", "degraded", 503);
	be[0].hs.state = HEALTH_DOWN;
	be[3].hs.state = HEALTH_DOWN;
	health_case("no VIP with one", "unhealthy", 503);
	build_agent();
	ag.kernel_ok = false;
	health_case("kernel unreachable", "unhealthy", 503);
	build_agent();
	ag.cfg.n_vips = 1;
	s = http_health_json(&ag, &st);
	o = parse(s);
	check_str("health: one VIP: its algorithm", jstr(o, "algorithm"), "round-robin");
	json_object_put(o);
	free(s);
}

static void test_backends(void)
{
	static const char *const keys[] = { "id", "address", "healthy",
		"connections", "last_check", "vip", "state", "weight",
		"last_error", "check_latency_ms" };
	struct json_object *o, *web = NULL, *api = NULL, *b, *v;
	char *s, d[96];
	int st;
	size_t i;

	build_agent();
	s = http_backends_json(&ag, NULL, &st);
	o = parse(s);
	check_true("backends: JSON parses", o != NULL);
	check_int("backends: 200", st, 200);
	check_true("backends: several VIPs: an object by name",
		   o && json_object_is_type(o, json_type_object) &&
		   json_object_object_get_ex(o, "web", &web) &&
		   json_object_object_get_ex(o, "api", &api));
	check_int("backends: web has 4", web ? (long)json_object_array_length(web) : -1, 4);
	b = web ? json_object_array_get_idx(web, 0) : NULL;
	for (i = 0; b && i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(d, sizeof(d), "backends: key %s", keys[i]);
		check_true(d, json_object_object_get_ex(b, keys[i], NULL));
	}
	check_str("backends: id", jstr(b, "id"), "inst-1");
	check_str("backends: address", jstr(b, "address"), "10.0.1.5:8080");
	check_true("backends: healthy true", json_object_object_get_ex(b, "healthy", &v) &&
		   json_object_get_boolean(v));
	check_int("backends: connections = active_conns", jint(b, "connections"), 12);
	check_str("backends: last_check RFC 3339 UTC", jstr(b, "last_check"),
		  "2024-01-15T10:30:00Z");
	check_str("backends: state up", jstr(b, "state"), "up");
	check_true("backends: check_latency_ms 1.5",
		   json_object_object_get_ex(b, "check_latency_ms", &v) &&
		   json_object_get_double(v) == 1.5);
	b = json_object_array_get_idx(web, 1);
	check_str("backends: down one", jstr(b, "state"), "down");
	check_str("backends: last_error", jstr(b, "last_error"), "connect: Connection refused");
	b = json_object_array_get_idx(web, 2);
	check_true("backends: never checked: last_check null",
		   json_object_object_get_ex(b, "last_check", &v) && v == NULL);
	check_str("backends: new, unknown health: drain (not in kernel)", jstr(b, "state"), "drain");
	check_str("backends: id with quotes survives", jstr(b, "id"), "inst-3\"<script>\\\n");
	b = json_object_array_get_idx(web, 3);
	check_str("backends: no id: the address", jstr(b, "id"), "10.0.1.8:9090");
	check_str("backends: draining", jstr(b, "state"), "drain");
	check_int("backends: the kernel's weight", jint(b, "weight"), 5);
	b = api ? json_object_array_get_idx(api, 0) : NULL;
	check_str("backends: IPv6 address", jstr(b, "address"), "[fd00::5]:8443");
	json_object_put(o);
	free(s);

	s = http_backends_json(&ag, "api", &st);
	o = parse(s);
	check_true("backends?vip=api: a list of 1",
		   o && json_object_is_type(o, json_type_array) &&
		   json_object_array_length(o) == 1);
	json_object_put(o);
	free(s);
	s = http_backends_json(&ag, "nope", &st);
	check_int("backends?vip=unknown: 404", st, 404);
	free(s);
	ag.cfg.n_vips = 1;
	s = http_backends_json(&ag, NULL, &st);
	o = parse(s);
	check_true("backends: one VIP: a plain list (the seed's shape)",
		   o && json_object_is_type(o, json_type_array) &&
		   json_object_array_length(o) == 4);
	json_object_put(o);
	free(s);
}

/* ---------------------------------------------------------- Prometheus */
static bool metric_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return false;
	return true;
}

/* The family a sample belongs to: histograms' _bucket/_sum/_count. */
static bool typed(char types[][96], size_t nt, const char *name, size_t n)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	size_t i, k;

	for (i = 0; i < nt; i++) {
		size_t tl = strlen(types[i]);

		if (tl == n && !strncmp(types[i], name, n))
			return true;
		for (k = 0; k < 3; k++)
			if (tl + strlen(sfx[k]) == n && !strncmp(types[i], name, tl) &&
			    !strncmp(name + tl, sfx[k], n - tl))
				return true;
	}
	return false;
}

/*
 * Every line: "# HELP name text", "# TYPE name type" (once per name, before
 * its samples), or "name{label="value",...} value" with a known name, valid
 * label names, escapes only \\ \" \n, a number. Returns the number of bad
 * lines and says which.
 */
static int prom_check(const char *text)
{
	static char types[256][96];
	size_t nt = 0;
	int bad = 0, lineno = 0;
	const char *l = text, *e;

	for (; *l; l = e + 1) {
		char line[1024], *p, *q, *end;
		size_t n;

		e = strchr(l, '\n');
		if (!e) {
			printf("# prom: last line without newline\n");
			return bad + 1;
		}
		lineno++;
		n = (size_t)(e - l);
		if (n >= sizeof(line)) {
			bad++;
			continue;
		}
		memcpy(line, l, n);
		line[n] = '\0';
		if (!strncmp(line, "# TYPE ", 7)) {
			char name[96], type[32];

			if (sscanf(line + 7, "%95s %31s", name, type) != 2 ||
			    !metric_name_ok(name, strlen(name)) ||
			    (strcmp(type, "counter") && strcmp(type, "gauge") &&
			     strcmp(type, "histogram") && strcmp(type, "summary") &&
			     strcmp(type, "untyped")) || typed(types, nt, name, strlen(name))) {
				printf("# prom line %d: bad or repeated TYPE: %s\n", lineno, line);
				bad++;
			} else if (nt < 256) {
				snprintf(types[nt++], sizeof(types[0]), "%s", name);
			}
			continue;
		}
		if (!strncmp(line, "# HELP ", 7) || line[0] == '#')
			continue;
		p = line;
		while (*p && *p != '{' && *p != ' ')
			p++;
		if (!metric_name_ok(line, (size_t)(p - line)) ||
		    !typed(types, nt, line, (size_t)(p - line))) {
			printf("# prom line %d: sample without TYPE or bad name: %s\n", lineno, line);
			bad++;
			continue;
		}
		if (*p == '{') {
			p++;
			while (*p != '}') {
				q = p;
				while (isalnum((unsigned char)*p) || *p == '_')
					p++;
				if (p == q || p[0] != '=' || p[1] != '"')
					goto badline;
				p += 2;
				while (*p && *p != '"') {
					if (*p == '\\') {
						if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
							goto badline;
						p++;
					}
					p++;
				}
				if (*p != '"')
					goto badline;
				p++;
				if (*p == ',')
					p++;
				else if (*p != '}')
					goto badline;
			}
			p++;
		}
		if (*p != ' ')
			goto badline;
		p++;
		if (strcmp(p, "+Inf") && strcmp(p, "-Inf") && strcmp(p, "NaN")) {
			errno = 0;
			strtod(p, &end);
			if (end == p || *end)
				goto badline;
		}
		continue;
badline:
		printf("# prom line %d: malformed sample: %s\n", lineno, line);
		bad++;
	}
	return bad;
}

static void has_line(const char *text, const char *line)
{
	char d[256];
	const char *p = text;
	size_t n = strlen(line);
	bool found = false;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n') {
			found = true;
			break;
		}
		p += n;
	}
	snprintf(d, sizeof(d), "metrics: %s", line);
	check_true(d, found);
}

static void test_metrics(void)
{
	size_t len = 0;
	char *m;

	build_agent();
	m = metrics_render(&ag, &len);
	check_true("metrics: rendered", m && len == strlen(m));
	if (!m)
		return;
	check_int("metrics: every line parses as Prometheus text", prom_check(m), 0);
	has_line(m, "l4lb_vip_flows_total{vip=\"web\"} 100");
	has_line(m, "l4lb_vip_active_flows{vip=\"web\"} 12");
	has_line(m, "l4lb_vip_packets_total{vip=\"web\",direction=\"out\"} 900");
	has_line(m, "l4lb_vip_bytes_total{vip=\"web\",direction=\"in\"} 64000");
	has_line(m, "l4lb_vip_drops_total{vip=\"web\"} 2");
	has_line(m, "l4lb_vip_rsts_total{vip=\"web\",side=\"backend\"} 5");
	has_line(m, "l4lb_vip_flows_total{vip=\"api\"} 3");
	has_line(m, "l4lb_backend_active_flows{vip=\"web\",backend=\"10.0.1.5:8080\",id=\"inst-1\"} 12");
	has_line(m, "l4lb_backend_handshake_seconds{vip=\"web\",backend=\"10.0.1.5:8080\",id=\"inst-1\"} 0.00025");
	has_line(m, "l4lb_backend_up{vip=\"web\",backend=\"10.0.1.5:8080\",id=\"inst-1\"} 1");
	has_line(m, "l4lb_backend_up{vip=\"web\",backend=\"10.0.1.6:8080\",id=\"inst-2\"} 0");
	has_line(m, "l4lb_backend_up{vip=\"web\",backend=\"10.0.1.7:8080\",id=\"inst-3\\\"<script>\\\\\\n\"} 0");
	has_line(m, "l4lb_backend_state{vip=\"web\",backend=\"10.0.1.6:8080\",id=\"inst-2\",state=\"down\"} 1");
	has_line(m, "l4lb_backend_state{vip=\"web\",backend=\"10.0.1.6:8080\",id=\"inst-2\",state=\"up\"} 0");
	has_line(m, "l4lb_backend_weight{vip=\"web\",backend=\"10.0.1.8:9090\",id=\"\"} 5");
	has_line(m, "l4lb_backend_up{vip=\"api\",backend=\"[fd00::5]:8443\",id=\"api-1\"} 1");
	has_line(m, "l4lb_conn_table_entries 15");
	has_line(m, "l4lb_conn_table_capacity 262144");
	has_line(m, "l4lb_evictions_total 7");
	has_line(m, "l4lb_drops_total{reason=\"no_backend\"} 8");
	has_line(m, "l4lb_rejects_total 9");
	has_line(m, "l4lb_agent_checks_total{result=\"fail\"} 4");
	has_line(m, "l4lb_agent_check_duration_seconds_bucket{le=\"0.0025\"} 10");
	has_line(m, "l4lb_agent_check_duration_seconds_bucket{le=\"+Inf\"} 14");
	has_line(m, "l4lb_agent_check_duration_seconds_count 14");
	has_line(m, "l4lb_agent_discovery_ok{vip=\"web\",source=\"operator\"} 1");
	has_line(m, "l4lb_agent_discovery_ok{vip=\"web\",source=\"operator:1\"} 0");
	has_line(m, "l4lb_agent_discovery_errors_total{vip=\"web\",source=\"operator:1\"} 3");
	has_line(m, "l4lb_agent_discovery_ok{vip=\"api\",source=\"dns\"} 1");
	has_line(m, "l4lb_agent_kernel_up 1");
	check_true("metrics: counters the kernel did not send are left out",
		   !strstr(m, "l4lb_vip_established_total") &&
		   !strstr(m, "l4lb_drops_total{reason=\"table_full\"}"));
	check_true("metrics: the unknown-health backend not in the kernel has no kernel series",
		   !strstr(m, "l4lb_backend_flows_total{vip=\"web\",backend=\"10.0.1.7:8080\""));
	free(m);

	ag.kernel_ok = false;
	m = metrics_render(&ag, &len);
	check_true("metrics: kernel down: no stale kernel counters, kernel_up 0",
		   m && !strstr(m, "l4lb_vip_flows_total") &&
		   strstr(m, "\nl4lb_agent_kernel_up 0\n"));
	check_int("metrics: kernel down: still parses", m ? prom_check(m) : -1, 0);
	free(m);
}

/* ---------------------------------------------------------- HTML */
static void test_status(void)
{
	static const char *const addrs[] = { "10.0.1.5:8080", "10.0.1.6:8080",
		"10.0.1.7:8080", "10.0.1.8:9090", "[fd00::5]:8443" };
	char want[96], d[128];
	size_t len = 0, i;
	char *h;

	build_agent();
	h = status_render(&ag, &len);
	check_true("status: rendered", h && len == strlen(h));
	if (!h)
		return;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		snprintf(want, sizeof(want), "data-backend=\"%s\"", addrs[i]);
		snprintf(d, sizeof(d), "status: %s", want);
		check_true(d, strstr(h, want) != NULL);
	}
	check_true("status: auto refresh", strstr(h, "<meta http-equiv=\"refresh\" content=\"2\">") != NULL);
	check_true("status: a table per VIP", strstr(h, "data-vip=\"web\"") && strstr(h, "data-vip=\"api\""));
	check_true("status: sparkline", strstr(h, "<svg") && strstr(h, "<polyline"));
	check_true("status: no external assets",
		   !strstr(h, "src=") && !strstr(h, "<link") && !strstr(h, "<script"));
	check_true("status: ids escaped",
		   strstr(h, "inst-3&quot;&lt;script&gt;\\") != NULL);
	check_true("status: source errors escaped",
		   strstr(h, "HTTP 500 &lt;oops&gt;") && strstr(h, "?a=&lt;b&gt;"));
	check_true("status: health colours", strstr(h, "class=\"down\"") && strstr(h, "class=\"drain\"") &&
		   strstr(h, "class=\"up\""));
	free(h);
}

/* ---------------------------------------------------------- the server */
static atomic_int client_done;

struct answer {
	int status;
	char head[2048];
	char *body;
};

static int request(int family, uint16_t port, const char *req, struct answer *ans)
{
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_storage ss;
	socklen_t sl;
	char *buf = NULL, *sep;
	size_t n = 0, cap = 0;
	int fd;

	memset(ans, 0, sizeof(*ans));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &ans->status) != 1)
		ans->status = -1;
	sep = strstr(buf, "\r\n\r\n");
	snprintf(ans->head, sizeof(ans->head), "%.*s",
		 sep ? (int)(sep - buf) : (int)n, buf);
	ans->body = strdup(sep ? sep + 4 : "");
	free(buf);
	return 0;
}

struct client_arg {
	int family;
	uint16_t port;
};

static void *client(void *p)
{
	const struct client_arg *ca = p;
	const char *fam = ca->family == AF_INET6 ? "IPv6" : "IPv4";
	struct json_object *o;
	struct answer a;
	char d[128];

#define REQ(method, path) method " " path " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	request(ca->family, ca->port, REQ("GET", "/health"), &a);
	snprintf(d, sizeof(d), "server %s: GET /health 200", fam);
	check_int(d, a.status, 200);
	o = parse(a.body);
	snprintf(d, sizeof(d), "server %s: /health is JSON, application/json", fam);
	check_true(d, o && strcasestr(a.head, "Content-Type: application/json"));
	json_object_put(o);
	free(a.body);

	if (ca->family == AF_INET6) {
		atomic_store(&client_done, 1);
		return NULL;
	}
	request(ca->family, ca->port, REQ("HEAD", "/health"), &a);
	check_int("server: HEAD /health 200", a.status, 200);
	check_str("server: HEAD has no body", a.body, "");
	free(a.body);

	request(ca->family, ca->port,
		"POST /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
		&a);
	check_int("server: POST 405", a.status, 405);
	check_true("server: 405 with Allow: GET, HEAD", strcasestr(a.head, "Allow: GET, HEAD") != NULL);
	free(a.body);

	request(ca->family, ca->port, REQ("DELETE", "/backends"), &a);
	check_int("server: DELETE 405", a.status, 405);
	free(a.body);

	request(ca->family, ca->port, REQ("GET", "/nope"), &a);
	check_int("server: unknown path 404", a.status, 404);
	free(a.body);

	request(ca->family, ca->port, "GARBAGE GARBAGE\r\n\r\n", &a);
	check_int("server: garbage request line 400", a.status, 400);
	free(a.body);

	request(ca->family, ca->port, "\x01\x02\x03 \xff\r\n\r\n", &a);
	check_int("server: binary request line 400", a.status, 400);
	free(a.body);

	/* libmicrohttpd closes on a request line without a blank, unanswered */
	request(ca->family, ca->port, "GARBAGE\r\n\r\n", &a);
	check_true("server: request line without a blank: closed, no 2xx",
		   a.status == -1 || a.status == 400);
	free(a.body);

	request(ca->family, ca->port, "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", &a);
	check_int("server: HTTP/1.1 without Host 400", a.status, 400);
	free(a.body);

	request(ca->family, ca->port, "GET /health HTTP/1.1\r\nno colon here\r\n\r\n", &a);
	check_int("server: malformed header 400", a.status, 400);
	free(a.body);

	request(ca->family, ca->port, REQ("GET", "/backends?vip=api"), &a);
	check_int("server: /backends?vip=api 200", a.status, 200);
	o = parse(a.body);
	check_true("server: /backends?vip=api is a list of 1",
		   o && json_object_is_type(o, json_type_array) && json_object_array_length(o) == 1);
	json_object_put(o);
	free(a.body);

	request(ca->family, ca->port, REQ("GET", "/backends?vip=zzz"), &a);
	check_int("server: /backends?vip=unknown 404", a.status, 404);
	free(a.body);

	request(ca->family, ca->port, REQ("GET", "/metrics"), &a);
	check_int("server: /metrics 200", a.status, 200);
	check_true("server: /metrics text format 0.0.4",
		   strcasestr(a.head, "Content-Type: text/plain; version=0.0.4") != NULL);
	check_int("server: /metrics body parses", a.body ? prom_check(a.body) : -1, 0);
	free(a.body);

	request(ca->family, ca->port, REQ("GET", "/"), &a);
	check_int("server: / 200", a.status, 200);
	check_true("server: / is HTML with the backends",
		   strcasestr(a.head, "Content-Type: text/html") &&
		   a.body && strstr(a.body, "data-backend=\"10.0.1.5:8080\""));
	free(a.body);

	/* keep-alive: two requests on one connection */
	request(ca->family, ca->port,
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		&a);
	check_true("server: pipelined keep-alive requests both answered",
		   a.status == 200 && a.body && strstr(a.body, "l4lb_agent_kernel_up"));
	free(a.body);
#undef REQ
	atomic_store(&client_done, 1);
	return NULL;
}

static uint16_t free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t port = 0;
	int fd;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	if (!bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
		  sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) &&
	    !getsockname(fd, (struct sockaddr *)&ss, &sl))
		port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			     ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	return port;
}

static void test_server(int family)
{
	struct client_arg ca = { .family = family };
	const char *fam = family == AF_INET6 ? "IPv6" : "IPv4";
	pthread_t th;
	char d[96];
	int r, i;

	build_agent();
	if (sd_event_new(&ag.ev) < 0) {
		check_true("server: sd_event_new", false);
		return;
	}
	ca.port = free_port(family);
	ep(&ag.cfg.http, family == AF_INET6 ? "[::1]:1" : "127.0.0.1:1");
	ag.cfg.http.port = ca.port;
	r = http_start(&ag);
	snprintf(d, sizeof(d), "server %s: http_start on port %u", fam, ca.port);
	if (r && family == AF_INET6) {
		printf("ok %d - # SKIP no IPv6 loopback\n", ++tap_tests);
		sd_event_unref(ag.ev);
		return;
	}
	check_int(d, r, 0);
	if (r) {
		sd_event_unref(ag.ev);
		return;
	}
	if (family == AF_INET) {
		/* a second agent on the same port must fail, not share it */
		struct http_server *first = ag.http;

		ag.http = NULL;
		check_int("server: a port in use: http_start fails", http_start(&ag), -1);
		ag.http = first;
	}
	atomic_store(&client_done, 0);
	pthread_create(&th, NULL, client, &ca);
	/* the loop serves until the client is done (60 s at most) */
	for (i = 0; i < 600 && !atomic_load(&client_done); i++)
		sd_event_run(ag.ev, 100000);
	pthread_join(th, NULL);
	http_stop(&ag);
	check_true("server: http_stop clears a->http", ag.http == NULL);
	sd_event_unref(ag.ev);
	ag.ev = NULL;
}

static void test_off(void)
{
	build_agent();
	sd_event_new(&ag.ev);
	ag.cfg.http.port = 0;
	check_int("server: HEALTH_PORT=0: off, not an error", http_start(&ag), 0);
	check_true("server: off: nothing started", ag.http == NULL);
	sd_event_unref(ag.ev);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_health();
	test_backends();
	test_metrics();
	test_status();
	test_off();
	test_server(AF_INET);
	test_server(AF_INET6);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
