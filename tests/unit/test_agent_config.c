// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent's configuration (userspace/agent/config.c): the environment
 * alone, the INI file alone, the environment over the file, several VIPs,
 * and a message naming the place for every kind of mistake.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/l4lb.h>

#include "agent.h"
#include "tap.h"

static char path[64];
static char err[512];

/* Write @text to the test's config file; NULL: no file at all. */
static const char *conf(const char *text)
{
	FILE *f;

	if (!text)
		return NULL;
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* config_load with @text as the file (NULL: /dev/null) and @env. */
static int load(struct agent_cfg *cfg, const char *text, char **env)
{
	char *noenv[] = { NULL };

	return config_load(cfg, text ? conf(text) : "/dev/null",
			   env ? env : noenv, err, sizeof(err));
}

/* The message with the file's name replaced by "F", for exact checks. */
static const char *msg(void)
{
	static char buf[600];
	const char *at = strstr(err, path);

	if (at)
		snprintf(buf, sizeof(buf), "%.*sF%s", (int)(at - err), err,
			 at + strlen(path));
	else
		snprintf(buf, sizeof(buf), "%s", err);
	return buf;
}

static const char *ep_str(const struct endpoint *ep)
{
	static char buf[ADDR_STRLEN];

	return endpoint_format(ep, buf, sizeof(buf));
}

/* Loading @text / @env fails with exactly @want. */
static void bad(const char *desc, const char *text, char **env,
		const char *want)
{
	struct agent_cfg cfg;
	int rc = load(&cfg, text, env);

	tap_tests++;
	if (rc == -1 && !strcmp(msg(), want)) {
		printf("ok %d - %s\n", tap_tests, desc);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   rc %d\n#   got  '%s'\n#   want '%s'\n",
	       tap_tests, desc, rc, msg(), want);
	if (rc == 0)
		config_free(&cfg);
}

static void test_durations(void)
{
	check_int("duration 500ms", duration_parse_ms("500ms"), 500);
	check_int("duration 2s", duration_parse_ms("2s"), 2000);
	check_int("duration 1m", duration_parse_ms("1m"), 60000);
	check_int("duration bare number is seconds", duration_parse_ms("3"), 3000);
	check_int("duration 1.5s", duration_parse_ms("1.5s"), 1500);
	check_int("duration 0", duration_parse_ms("0"), 0);
	check_int("duration 1h", duration_parse_ms("1h"), 3600000);
	check_int("duration empty", duration_parse_ms(""), -1);
	check_int("duration unit only", duration_parse_ms("s"), -1);
	check_int("duration blank before unit", duration_parse_ms("5 s"), -1);
	check_int("duration negative", duration_parse_ms("-1"), -1);
	check_int("duration unknown unit", duration_parse_ms("5d"), -1);
	check_int("duration dot without digits", duration_parse_ms("1.s"), -1);
}

static void test_env_only(void)
{
	char *env[] = {
		"VIP=10.0.0.1", "PORT=80", "BACKENDS=10.0.1.1:8080, 10.0.1.2",
		"HOME=/root", "CHECK_SEND=PING\\r\\n", "CHECK_EXPECT=+PONG",
		"ENVIRONMENT=production", NULL
	};
	struct agent_cfg cfg;
	const struct vip_cfg *v;

	check_int("env only: loads", load(&cfg, NULL, env), 0);
	check_str("env only: no error", err, "");
	check_int("env only: one VIP", (long)cfg.n_vips, 1);
	if (cfg.n_vips != 1)
		return;
	v = &cfg.vips[0];
	check_str("env only: named default", v->name, "default");
	check_str("env only: VIP", ep_str(&v->vip), "10.0.0.1:80");
	check_int("env only: tcp", v->proto, IPPROTO_TCP);
	check_str("env only: algorithm as given", v->algorithm, "round-robin");
	/* unset: the kernel's (rr for a new VIP), an existing VIP keeps its own */
	check_str("env only: sched left to the kernel", v->sched, "");
	check_int("env only: kernel's mode", v->mode, -1);
	check_int("env only: BACKEND_PORT = PORT", v->backend_port, 80);
	check_int("env only: weight 1", v->weight, 1);
	check_int("env only: one source", (long)v->n_sources, 1);
	check_int("env only: static", v->sources[0].type, SRC_STATIC);
	check_str("env only: canonical list, BACKEND_PORT filled in",
		  v->sources[0].list, "10.0.1.1:8080,10.0.1.2:80");
	check_int("env only: tcp check", v->check.type, CHECK_TCP);
	check_int("env only: interval 1s", v->check.interval_ms, 1000);
	check_int("env only: timeout min(interval, 2s)", v->check.timeout_ms, 1000);
	check_int("env only: jitter 10%", v->check.jitter_ms, 100);
	check_int("env only: rise 2", v->check.rise, 2);
	check_int("env only: fall 3", v->check.fall, 3);
	check_int("env only: send length", (long)v->check.send_len, 6);
	check_int("env only: send decoded",
		  v->check.send && !memcmp(v->check.send, "PING\r\n", 7), 1);
	check_str("env only: expect", v->check.expect, "+PONG");
	check_str("env only: http path", v->check.http_path, "/");
	check_int("env only: tls verify", v->check.tls_verify, 1);
	check_int("env only: flap changes", v->check.flap_changes, 4);
	check_int("env only: flap window", v->check.flap_window_ms, 60000);
	check_int("env only: flap hold", v->check.flap_hold_ms, 30000);
	check_int("env only: passive", v->passive.enabled, 1);
	check_int("env only: passive min flows", (long)v->passive.min_flows, 10);
	check_int("env only: passive percent", v->passive.fail_pct, 50);
	check_int("env only: drain grace 30s", v->drain_grace_ms, 30000);
	check_int("env only: all down keep", v->all_down, ALL_DOWN_KEEP);
	check_str("env only: health addr", ep_str(&cfg.http), "127.0.0.1:8083");
	check_int("env only: log info", cfg.log_level, LOG_LVL_INFO);
	check_str("env only: environment", cfg.environment, "production");
	check_int("env only: stats 1s", cfg.stats_interval_ms, 1000);
	config_free(&cfg);
}

static void test_env_values(void)
{
	char *env[] = {
		"VIP=[2001:db8::1]:443", "PROTO=udp", "LB_ALGORITHM=ip-hash",
		"LB_MODE=dsr", "CHECK=udp", "CHECK_INTERVAL=500ms",
		"CHECK_SEND=\\x00\\x01a\\101\\\\", "OPERATOR_URL=http://op:8080",
		"DNS_SRV=_svc._udp.example.", "DNS_SERVER=127.0.0.1:5353",
		"BACKENDS_FILE=/run/b.json", "ALL_DOWN=refuse", "PASSIVE=off",
		"WEIGHT=7", "BACKEND_PORT=8443", "DRAIN_GRACE=0",
		"HEALTH_PORT=0", "LOG_LEVEL=debug", "STATS_INTERVAL=250ms",
		"CHECK_SOURCE=2001:db8::99", NULL
	};
	struct agent_cfg cfg;
	const struct vip_cfg *v;

	check_int("env values: loads", load(&cfg, NULL, env), 0);
	check_str("env values: no error", err, "");
	if (cfg.n_vips != 1)
		return;
	v = &cfg.vips[0];
	check_str("env values: VIP with its port", ep_str(&v->vip),
		  "[2001:db8::1]:443");
	check_int("env values: udp", v->proto, IPPROTO_UDP);
	check_str("env values: ip-hash is sh", v->sched, "sh");
	check_str("env values: algorithm kept", v->algorithm, "ip-hash");
	check_int("env values: dsr", v->mode, L4LB_FWD_DSR);
	check_int("env values: udp check", v->check.type, CHECK_UDP);
	check_int("env values: timeout = interval under 2s", v->check.timeout_ms, 500);
	check_int("env values: jitter 50ms", v->check.jitter_ms, 50);
	check_int("env values: escapes with NUL", (long)v->check.send_len, 5);
	check_int("env values: escaped bytes",
		  !memcmp(v->check.send, "\0\001aA\\", 5), 1);
	check_int("env values: three sources", (long)v->n_sources, 3);
	check_int("env values: operator first", v->sources[0].type, SRC_OPERATOR);
	check_str("env values: operator URL + default path", v->sources[0].url,
		  "http://op:8080/instances");
	check_int("env values: operator interval", v->sources[0].interval_ms, 5000);
	check_int("env values: operator timeout", v->sources[0].timeout_ms, 2000);
	check_int("env values: file", v->sources[1].type, SRC_FILE);
	check_str("env values: file path", v->sources[1].path, "/run/b.json");
	check_int("env values: dns", v->sources[2].type, SRC_DNS);
	check_int("env values: srv", v->sources[2].srv, 1);
	check_str("env values: srv name", v->sources[2].name, "_svc._udp.example.");
	check_str("env values: dns server", v->sources[2].dns_server, "127.0.0.1:5353");
	check_int("env values: dns interval", v->sources[2].interval_ms, 1000);
	check_int("env values: refuse", v->all_down, ALL_DOWN_REFUSE);
	check_int("env values: passive off", v->passive.enabled, 0);
	check_int("env values: weight", v->weight, 7);
	check_int("env values: backend port", v->backend_port, 8443);
	check_int("env values: no drain grace", v->drain_grace_ms, 0);
	check_str("env values: check source", ep_str(&v->check.source),
		  "[2001:db8::99]:0");
	check_int("env values: http off", cfg.http.port, 0);
	check_int("env values: debug", cfg.log_level, LOG_LVL_DEBUG);
	check_int("env values: stats", cfg.stats_interval_ms, 250);
	config_free(&cfg);
}

static void test_algorithms(void)
{
	static const struct { const char *in, *sched; } t[] = {
		{ "round-robin", "rr" }, { "least-connections", "lc" },
		{ "ip-hash", "sh" }, { "maglev", "maglev" }, { "wrr", "wrr" },
		{ "p2c", "p2c" }, { "Round-Robin", "rr" }, { "my_sched-2", "my_sched-2" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char alg[64], desc[96];
		char *env[] = { "VIP=10.0.0.1", "PORT=80", "BACKENDS=10.0.1.1",
				alg, NULL };
		struct agent_cfg cfg;

		snprintf(alg, sizeof(alg), "LB_ALGORITHM=%s", t[i].in);
		snprintf(desc, sizeof(desc), "LB_ALGORITHM %s -> %s", t[i].in,
			 t[i].sched);
		if (load(&cfg, NULL, env)) {
			check_str(desc, err, "");
			continue;
		}
		check_str(desc, cfg.vips[0].sched, t[i].sched);
		config_free(&cfg);
	}
}

static const char two_vips[] =
	"; the agent's configuration\n"
	"HEALTH_PORT = 9000\n"
	"HEALTH_ADDR = ::1\n"
	"ENVIRONMENT = \"staging 2\"\n"
	"\n"
	"[defaults]\n"
	"CHECK = http\n"
	"CHECK_HTTP_PATH = /healthz\n"
	"CHECK_RISE = 4\n"
	"DRAIN_GRACE = 10s\n"
	"\n"
	"[vip web]\n"
	"  VIP = 10.0.0.1\n"
	"  PORT = 80\n"
	"  LB_ALGORITHM = maglev\n"
	"  OPERATOR_URL = https://op.example/api/v1/instances?env=prod\n"
	"  CHECK_HTTP_STATUS = 204\n"
	"  CHECK_HTTP_HOST = web.example\n"
	"  CHECK_HTTP_BODY = ok\n"
	"  CHECK_TLS_VERIFY = no\n"
	"\n"
	"[vip dns]\n"
	"VIP = 10.0.0.2\n"
	"PORT = 53\n"
	"PROTO = udp\n"
	"LB_MODE = tunnel\n"
	"DNS_NAME = backends.example.\n"
	"DNS_INTERVAL = 5s\n"
	"CHECK = exec\n"
	"CHECK_EXEC = dig @$L4LB_BACKEND_ADDR -p $L4LB_BACKEND_PORT example. >/dev/null\n"
	"CHECK_RISE = 1\n"
	"CHECK_TIMEOUT = 3s\n"
	"CHECK_INTERVAL = 10s\n"
	"FLAP_CHANGES = 0\n";

static void test_file_two_vips(void)
{
	struct agent_cfg cfg;
	const struct vip_cfg *w, *d;

	check_int("file: loads", load(&cfg, two_vips, NULL), 0);
	check_str("file: no error", err, "");
	check_int("file: two VIPs", (long)cfg.n_vips, 2);
	if (cfg.n_vips != 2)
		return;
	check_str("file: config_file", cfg.config_file, path);
	check_str("file: health addr", ep_str(&cfg.http), "[::1]:9000");
	check_str("file: quoted environment", cfg.environment, "staging 2");
	w = &cfg.vips[0];
	d = &cfg.vips[1];
	check_str("file: first is web", w->name, "web");
	check_str("file: web VIP", ep_str(&w->vip), "10.0.0.1:80");
	check_str("file: web maglev", w->sched, "maglev");
	check_int("file: web check from [defaults]", w->check.type, CHECK_HTTP);
	check_str("file: web path from [defaults]", w->check.http_path, "/healthz");
	check_int("file: web rise from [defaults]", w->check.rise, 4);
	check_int("file: web status", w->check.http_status, 204);
	check_str("file: web host", w->check.http_host, "web.example");
	check_str("file: web body", w->check.http_body, "ok");
	check_int("file: web no tls verify", w->check.tls_verify, 0);
	check_int("file: web drain grace from [defaults]", w->drain_grace_ms, 10000);
	check_int("file: web operator", w->sources[0].type, SRC_OPERATOR);
	check_str("file: web URL with its own path kept", w->sources[0].url,
		  "https://op.example/api/v1/instances?env=prod");
	check_str("file: second is dns", d->name, "dns");
	check_int("file: dns udp", d->proto, IPPROTO_UDP);
	check_int("file: dns tunnel", d->mode, L4LB_FWD_TUNNEL);
	check_int("file: dns exec check", d->check.type, CHECK_EXEC);
	check_str("file: dns exec command", d->check.exec,
		  "dig @$L4LB_BACKEND_ADDR -p $L4LB_BACKEND_PORT example. >/dev/null");
	check_int("file: dns own rise over [defaults]", d->check.rise, 1);
	check_int("file: dns timeout above 2s as given", d->check.timeout_ms, 3000);
	check_int("file: dns jitter 10% of 10s", d->check.jitter_ms, 1000);
	check_int("file: dns flap damping off", d->check.flap_changes, 0);
	check_int("file: dns source", d->sources[0].type, SRC_DNS);
	check_int("file: dns A/AAAA", d->sources[0].srv, 0);
	check_str("file: dns name", d->sources[0].name, "backends.example.");
	check_int("file: dns interval", d->sources[0].interval_ms, 5000);
	check_int("file: dns server from resolv.conf", d->sources[0].dns_server == NULL, 1);
	config_free(&cfg);
}

static void test_env_over_file(void)
{
	static const char text[] =
		"HEALTH_PORT = 9000\n"
		"LOG_LEVEL = warn\n"
		"[defaults]\n"
		"CHECK_FALL = 5\n"
		"[vip default]\n"
		"VIP = 10.0.0.1\n"
		"PORT = 80\n"
		"BACKENDS = 10.0.1.1:80\n"
		"CHECK_RISE = 3\n"
		"CHECK = http\n"
		"[vip other]\n"
		"VIP = 10.0.0.9\n"
		"PORT = 80\n"
		"BACKENDS = 10.0.9.1:80\n";
	char *env[] = { "HEALTH_PORT=9100", "CHECK_RISE=6", "PORT=8080",
			"CHECK_FALL=", NULL };
	struct agent_cfg cfg;

	check_int("env over file: loads", load(&cfg, text, env), 0);
	check_str("env over file: no error", err, "");
	if (cfg.n_vips != 2)
		return;
	check_int("env over file: global from env", cfg.http.port, 9100);
	check_int("env over file: global from file", cfg.log_level, LOG_LVL_WARN);
	check_str("env over file: default VIP's port from env",
		  ep_str(&cfg.vips[0].vip), "10.0.0.1:8080");
	check_int("env over file: key by key (env)", cfg.vips[0].check.rise, 6);
	check_int("env over file: key by key (file)", cfg.vips[0].check.type, CHECK_HTTP);
	check_int("env over file: empty env value is the default",
		  cfg.vips[0].check.fall, 3);
	check_int("env over file: other VIP untouched by env",
		  cfg.vips[1].check.rise, 2);
	check_int("env over file: other VIP keeps [defaults]",
		  cfg.vips[1].check.fall, 5);
	check_int("env over file: backend port follows the env port",
		  cfg.vips[0].backend_port, 8080);
	config_free(&cfg);

	/* VIP and PORT in the environment add "default" to the file's VIPs */
	{
		char *env2[] = { "VIP=10.0.0.5", "PORT=443", "DNS_NAME=x.example.",
				 NULL };
		static const char one[] =
			"[vip other]\nVIP = 10.0.0.9\nPORT = 80\nBACKENDS = 10.0.9.1\n";

		check_int("env adds default: loads", load(&cfg, one, env2), 0);
		check_int("env adds default: two VIPs", (long)cfg.n_vips, 2);
		if (cfg.n_vips == 2) {
			check_str("env adds default: after the file's",
				  cfg.vips[1].name, "default");
			check_int("env adds default: its dns source",
				  cfg.vips[1].sources[0].type, SRC_DNS);
		}
		config_free(&cfg);
	}

	/* a stray PORT next to the file's VIPs makes no VIP of its own */
	{
		char *env4[] = { "PORT=3000", NULL };
		static const char one[] =
			"[vip other]\nVIP = 10.0.0.9\nPORT = 80\nBACKENDS = 10.0.9.1\n";

		check_int("stray PORT: loads", load(&cfg, one, env4), 0);
		check_int("stray PORT: only the file's VIP", (long)cfg.n_vips, 1);
		config_free(&cfg);
	}

	/* keys before any section, as in an environment file */
	{
		static const char flat[] =
			"VIP=10.0.0.7\nPORT=25\nBACKENDS=10.0.7.1 10.0.7.2\nHEALTH_PORT=0\n";

		check_int("flat file: loads", load(&cfg, flat, NULL), 0);
		if (cfg.n_vips == 1) {
			check_str("flat file: VIP default", cfg.vips[0].name, "default");
			check_str("flat file: list", cfg.vips[0].sources[0].list,
				  "10.0.7.1:25,10.0.7.2:25");
		}
		config_free(&cfg);
	}

	/* CONFIG_FILE names the file when -c does not */
	{
		char cf[96];
		char *env3[] = { cf, NULL };

		conf("[vip x]\nVIP=10.0.0.3\nPORT=1\nBACKENDS=10.0.0.4:1\n");
		snprintf(cf, sizeof(cf), "CONFIG_FILE=%s", path);
		check_int("CONFIG_FILE: loads",
			  config_load(&cfg, NULL, env3, err, sizeof(err)), 0);
		check_int("CONFIG_FILE: its VIP", (long)cfg.n_vips, 1);
		config_free(&cfg);
	}
}

static void test_operator_urls(void)
{
	static const struct { const char *url, *path, *want; } t[] = {
		{ "http://op:8080", NULL, "http://op:8080/instances" },
		{ "http://op:8080/", NULL, "http://op:8080/instances" },
		{ "http://op", "/v2/list", "http://op/v2/list" },
		{ "http://op", "list", "http://op/list" },
		{ "http://op/api", "/ignored", "http://op/api" },
		{ "https://[fd00::1]:8443", NULL, "https://[fd00::1]:8443/instances" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char u[128], p[128], desc[160];
		char *env[] = { "VIP=10.0.0.1", "PORT=80", u, p, NULL };
		struct agent_cfg cfg;

		snprintf(u, sizeof(u), "OPERATOR_URL=%s", t[i].url);
		snprintf(p, sizeof(p), "OPERATOR_PATH=%s", t[i].path ? t[i].path : "");
		snprintf(desc, sizeof(desc), "operator URL %s + %s", t[i].url,
			 t[i].path ? t[i].path : "(default)");
		if (load(&cfg, NULL, env)) {
			check_str(desc, err, "");
			continue;
		}
		check_str(desc, cfg.vips[0].sources[0].url, t[i].want);
		config_free(&cfg);
	}
}

#define VIPSEC "[vip a]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = 10.0.1.1\n"

/* A UDP VIP without CHECK gets the udp check, not a TCP connect. */
static void test_udp_default_check(void)
{
	struct agent_cfg cfg;

	if (load(&cfg, VIPSEC "PROTO = udp\n", NULL)) {
		check_str("udp default check: loads", msg(), "");
		return;
	}
	check_int("udp VIP without CHECK: udp check", cfg.vips[0].check.type, CHECK_UDP);
	config_free(&cfg);
	if (load(&cfg, VIPSEC, NULL)) {
		check_str("tcp default check: loads", msg(), "");
		return;
	}
	check_int("tcp VIP without CHECK: tcp check", cfg.vips[0].check.type, CHECK_TCP);
	config_free(&cfg);
}

static void test_errors(void)
{
	char *e_fall[] = { "VIP=10.0.0.1", "PORT=80", "BACKENDS=10.0.1.1",
			   "CHECK_FALL=x", NULL };
	char *e_port[] = { "VIP=10.0.0.1", "BACKENDS=10.0.1.1", NULL };
	char *e_vip[] = { "PORT=80", "BACKENDS=10.0.1.1", NULL };
	char *e_src[] = { "VIP=10.0.0.1", "PORT=80", NULL };
	char *e_hport[] = { "HEALTH_PORT=70000", NULL };
	struct agent_cfg cfg;

	bad("error: not a number", VIPSEC "CHECK_RISE = two\n", NULL,
	    "F:5: CHECK_RISE: not a number ('two')");
	bad("error: out of range", VIPSEC "CHECK_RISE = 0\n", NULL,
	    "F:5: CHECK_RISE: out of range (1..1000) ('0')");
	bad("error: in the environment", NULL, e_fall,
	    "environment: CHECK_FALL: not a number ('x')");
	bad("error: in [defaults] names its line",
	    "[defaults]\nCHECK_INTERVAL = soon\n" VIPSEC, NULL,
	    "F:2: CHECK_INTERVAL: not a duration (e.g. 500ms, 2s, 1m; a bare number is seconds) ('soon')");
	bad("error: unknown key", VIPSEC "CHECK_RISES = 2\n", NULL,
	    "F:5: CHECK_RISES: unknown key");
	bad("error: unknown section", "[vips a]\nVIP = 10.0.0.1\n", NULL,
	    "F:2: unknown section [vips a]: expected [global], [defaults] or [vip NAME]");
	bad("error: VIP without a name", "[vip]\nVIP = 10.0.0.1\n", NULL,
	    "F:2: [vip]: missing the VIP's name: [vip NAME]");
	bad("error: bad VIP name", "[vip a/b]\nVIP = 10.0.0.1\n", NULL,
	    "F:2: [vip a/b]: VIP name may hold only letters, digits, '_', '.' and '-'");
	bad("error: global key in a VIP", VIPSEC "HEALTH_PORT = 1\n", NULL,
	    "F:5: HEALTH_PORT: a global key: put it before the first section or in [global]");
	bad("error: per-VIP key in [global]", "[global]\nCHECK = tcp\n", NULL,
	    "F:2: CHECK: a per-VIP key: put it in [defaults] or in a [vip NAME] section");
	bad("error: CONFIG_FILE in the file", "CONFIG_FILE = /x\n", NULL,
	    "F:1: CONFIG_FILE: only read from the environment");
	bad("error: set twice", VIPSEC "PORT = 81\n", NULL,
	    "F:5: PORT: set twice (first at line 3)");
	bad("error: syntax", VIPSEC "just words\n", NULL,
	    "F:5: syntax error: expected KEY = VALUE or [SECTION]");
	bad("error: no VIP at all", "", NULL,
	    "no VIP configured: set VIP and PORT (and a source of backends), or add a [vip NAME] section to F");
	bad("error: VIP missing", "[vip a]\nPORT = 80\nBACKENDS = 10.0.1.1\n", NULL,
	    "F:2: vip a: VIP: required (the virtual IP address)");
	bad("error: VIP missing (env)", NULL, e_vip,
	    "environment: vip default: VIP: required (the virtual IP address)");
	bad("error: PORT missing (env)", NULL, e_port,
	    "environment: vip default: PORT: required (the VIP's port)");
	bad("error: no source", NULL, e_src,
	    "environment: vip default: no source of backends: set BACKENDS, OPERATOR_URL, BACKENDS_FILE, DNS_NAME or DNS_SRV");
	bad("error: bad VIP", "[vip a]\nVIP = 10.0.0.256\nPORT = 80\nBACKENDS = 10.0.1.1\n", NULL,
	    "F:2: VIP: not an IPv4 or IPv6 address ('10.0.0.256')");
	bad("error: bad PORT", "[vip a]\nVIP = 10.0.0.1\nPORT = 0\nBACKENDS = 10.0.1.1\n", NULL,
	    "F:3: PORT: port out of range (1..65535) ('0')");
	bad("error: VIP's port differs", "[vip a]\nVIP = 10.0.0.1:81\nPORT = 80\nBACKENDS = 10.0.1.1\n", NULL,
	    "F:3: PORT: differs from the port in VIP ('80')");
	bad("error: bad backend", "[vip a]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = 10.0.1.1:80,10.0.1.2:99999\n", NULL,
	    "F:4: BACKENDS: '10.0.1.2:99999': port out of range (1..65535) ('10.0.1.1:80,10.0.1.2:99999')");
	bad("error: IPv6 backend without brackets and port",
	    "[vip a]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = fd00::1:80:x\n", NULL,
	    "F:4: BACKENDS: 'fd00::1:80:x': not an IPv4 or IPv6 address ('fd00::1:80:x')");
	bad("error: empty list", "[vip a]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = ,\n", NULL,
	    "F:4: BACKENDS: no address in the list (',')");
	bad("error: PROTO", VIPSEC "PROTO = sctp\n", NULL,
	    "F:5: PROTO: not tcp or udp ('sctp')");
	bad("error: LB_MODE", VIPSEC "LB_MODE = nat\n", NULL,
	    "F:5: LB_MODE: not a forwarding mode (dnat, snat, dsr, tunnel) ('nat')");
	bad("error: LB_ALGORITHM", VIPSEC "LB_ALGORITHM = Fast One\n", NULL,
	    "F:5: LB_ALGORITHM: not a scheduler (round-robin, least-connections, ip-hash, or a name such as rr, wrr, lc, wlc, sh, maglev, p2c) ('Fast One')");
	bad("error: CHECK", VIPSEC "CHECK = icmp\n", NULL,
	    "F:5: CHECK: not a check type (tcp, http, https, udp, exec, none) ('icmp')");
	bad("error: exec without a command", VIPSEC "CHECK = exec\n", NULL,
	    "F:2: vip a: CHECK=exec needs CHECK_EXEC (the command)");
	bad("error: jitter not below the interval", VIPSEC "CHECK_INTERVAL = 1s\nCHECK_JITTER = 1s\n", NULL,
	    "F:6: CHECK_JITTER: must be shorter than CHECK_INTERVAL ('1s')");
	bad("error: zero interval", VIPSEC "CHECK_INTERVAL = 0\n", NULL,
	    "F:5: CHECK_INTERVAL: must be more than 0 ('0')");
	bad("error: boolean", VIPSEC "PASSIVE = maybe\n", NULL,
	    "F:5: PASSIVE: not a boolean (yes/no, on/off, true/false, 1/0) ('maybe')");
	bad("error: HTTP status", VIPSEC "CHECK_HTTP_STATUS = 42\n", NULL,
	    "F:5: CHECK_HTTP_STATUS: not an HTTP status (100..599, 0: any 2xx or 3xx) ('42')");
	bad("error: HTTP path", VIPSEC "CHECK_HTTP_PATH = health\n", NULL,
	    "F:5: CHECK_HTTP_PATH: must start with '/' ('health')");
	bad("error: escape", VIPSEC "CHECK_SEND = PING\\q\n", NULL,
	    "F:5: CHECK_SEND: unknown escape (use \\\\ for a backslash) ('PING\\q')");
	bad("error: lone backslash", VIPSEC "CHECK_EXPECT = OK\\\n", NULL,
	    "F:5: CHECK_EXPECT: ends with a lone backslash ('OK\\')");
	bad("error: \\x without digits", VIPSEC "CHECK_SEND = \\xg\n", NULL,
	    "F:5: CHECK_SEND: \\x needs hex digits ('\\xg')");
	bad("error: check source", VIPSEC "CHECK_SOURCE = eth0\n", NULL,
	    "F:5: CHECK_SOURCE: not an IPv4 or IPv6 address ('eth0')");
	bad("error: check source of the other family", VIPSEC "CHECK_SOURCE = 2001:db8::1\n", NULL,
	    "F:5: CHECK_SOURCE: not the VIP's address family ('2001:db8::1')");
	bad("error: a backend of the other family",
	    "[vip a]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = 10.0.1.1:80,[2001:db8::2]:80\n", NULL,
	    "F:4: BACKENDS: '[2001:db8::2]:80': not the VIP's address family ('10.0.1.1:80,[2001:db8::2]:80')");
	bad("error: timeout longer than the interval", VIPSEC "CHECK_INTERVAL = 1s\nCHECK_TIMEOUT = 2s\n", NULL,
	    "F:6: CHECK_TIMEOUT: must not be longer than CHECK_INTERVAL ('2s')");
	bad("error: flap changes", VIPSEC "FLAP_CHANGES = 9\n", NULL,
	    "F:5: FLAP_CHANGES: out of range (0..8) ('9')");
	bad("error: passive percent", VIPSEC "PASSIVE_FAIL_PERCENT = 101\n", NULL,
	    "F:5: PASSIVE_FAIL_PERCENT: out of range (1..100) ('101')");
	bad("error: ALL_DOWN", VIPSEC "ALL_DOWN = panic\n", NULL,
	    "F:5: ALL_DOWN: not keep or refuse ('panic')");
	bad("error: weight", VIPSEC "WEIGHT = 0\n", NULL,
	    "F:5: WEIGHT: out of range (1..65535) ('0')");
	bad("error: DNS_NAME and DNS_SRV", VIPSEC "DNS_NAME = a.example.\nDNS_SRV = _s._tcp.example.\n", NULL,
	    "F:6: DNS_SRV: DNS_NAME is set too: give one of them ('_s._tcp.example.')");
	bad("error: DNS server", VIPSEC "DNS_NAME = a.example.\nDNS_SERVER = ns1\n", NULL,
	    "F:6: DNS_SERVER: missing ':PORT' ('ns1')");
	bad("error: operator URL scheme", VIPSEC "OPERATOR_URL = op:8080\n", NULL,
	    "F:5: OPERATOR_URL: not an http:// or https:// URL ('op:8080')");
	bad("error: operator URL host", VIPSEC "OPERATOR_URL = http:///x\n", NULL,
	    "F:5: OPERATOR_URL: no host in the URL ('http:///x')");
	bad("error: operator interval", VIPSEC "OPERATOR_URL = http://op\nOPERATOR_INTERVAL = 2x\n", NULL,
	    "F:6: OPERATOR_INTERVAL: not a duration (e.g. 500ms, 2s, 1m; a bare number is seconds) ('2x')");
	bad("error: the same VIP twice",
	    VIPSEC "[vip b]\nVIP = 10.0.0.1\nPORT = 80\nBACKENDS = 10.0.1.1\n", NULL,
	    "F:6: vip b: the same VIP as vip a (10.0.0.1:80/tcp)");
	bad("error: LOG_LEVEL", "LOG_LEVEL = loud\n" VIPSEC, NULL,
	    "F:1: LOG_LEVEL: not a level (error, warn, info, debug) ('loud')");
	bad("error: HEALTH_PORT (env)", VIPSEC, e_hport,
	    "environment: HEALTH_PORT: out of range (0..65535, 0: off) ('70000')");
	bad("error: HEALTH_ADDR", "HEALTH_ADDR = localhost\n" VIPSEC, NULL,
	    "F:1: HEALTH_ADDR: not an IPv4 or IPv6 address ('localhost')");
	bad("error: STATS_INTERVAL", "STATS_INTERVAL = 0\n" VIPSEC, NULL,
	    "F:1: STATS_INTERVAL: out of range ('0')");
	bad("error: ENVIRONMENT", "ENVIRONMENT = 0123456789012345678901234567890123\n" VIPSEC, NULL,
	    "F:1: ENVIRONMENT: too long (at most 31 characters)");

	/* a file that is not there: named, with the reason */
	{
		char *noenv[] = { NULL };
		int rc = config_load(&cfg, "/nonexistent/agent.conf", noenv, err,
				     sizeof(err));

		check_int("error: missing file fails", rc, -1);
		check_str("error: missing file named", err,
			  "/nonexistent/agent.conf: No such file or directory");
	}
	/* a failed load leaves nothing to free */
	check_int("error: cfg zeroed after failure", (long)cfg.n_vips, 0);
}

int main(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_agent_config.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	log_level = LOG_LVL_ERROR;	/* the expected warnings are noise here */

	test_durations();
	test_env_only();
	test_env_values();
	test_algorithms();
	test_file_two_vips();
	test_env_over_file();
	test_operator_urls();
	test_udp_default_check();
	test_errors();

	unlink(path);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
