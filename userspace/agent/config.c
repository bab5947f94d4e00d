// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's configuration: an INI file (libinih) and the environment on
 * top of it, with the same key names in both.
 *
 * Reading happens in two steps. First every value is collected as text,
 * remembering where it came from (file line or environment), into three
 * scopes: the globals, [defaults], and one set per [vip NAME]. Then each
 * VIP is built from its own values falling back to [defaults], and every
 * value is checked; a bad one is reported with its origin, e.g.
 * "agent.conf:12: CHECK_RISE: not a number ('two')". Collecting first is
 * what lets the environment override the file key by key, and [defaults]
 * sit anywhere in the file.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/l4lb.h>

#include "agent.h"

#define DEFAULT_CONFIG_FILE	"/etc/l4lb/agent.conf"
#define DEFAULT_VIP_NAME	"default"
/* inih's default line buffer (200) is too short for a BACKENDS list. */
#define CONFIG_MAX_LINE		65536

enum key {
	/* per VIP */
	K_VIP, K_PORT, K_PROTO, K_LB_ALGORITHM, K_LB_MODE, K_WEIGHT,
	K_BACKEND_PORT, K_BACKENDS, K_OPERATOR_URL, K_OPERATOR_PATH,
	K_OPERATOR_INTERVAL, K_OPERATOR_TIMEOUT, K_BACKENDS_FILE, K_DNS_NAME,
	K_DNS_SRV, K_DNS_SERVER, K_DNS_INTERVAL, K_CHECK, K_CHECK_INTERVAL,
	K_CHECK_TIMEOUT, K_CHECK_JITTER, K_CHECK_RISE, K_CHECK_FALL,
	K_CHECK_PORT, K_CHECK_SEND, K_CHECK_EXPECT, K_CHECK_HTTP_PATH,
	K_CHECK_HTTP_HOST, K_CHECK_HTTP_STATUS, K_CHECK_HTTP_BODY,
	K_CHECK_TLS_VERIFY, K_CHECK_EXEC, K_CHECK_SOURCE, K_FLAP_CHANGES,
	K_FLAP_WINDOW, K_FLAP_HOLD, K_PASSIVE, K_PASSIVE_MIN_FLOWS,
	K_PASSIVE_FAIL_PERCENT, K_DRAIN_GRACE, K_ALL_DOWN,
	N_VIP_KEYS,
	/* global */
	K_HEALTH_PORT = N_VIP_KEYS, K_HEALTH_ADDR, K_LOG_LEVEL, K_ENVIRONMENT,
	K_CONFIG_FILE, K_STATS_INTERVAL,
	N_KEYS
};

static const char *const key_names[N_KEYS] = {
	[K_VIP] = "VIP", [K_PORT] = "PORT", [K_PROTO] = "PROTO",
	[K_LB_ALGORITHM] = "LB_ALGORITHM", [K_LB_MODE] = "LB_MODE",
	[K_WEIGHT] = "WEIGHT", [K_BACKEND_PORT] = "BACKEND_PORT",
	[K_BACKENDS] = "BACKENDS", [K_OPERATOR_URL] = "OPERATOR_URL",
	[K_OPERATOR_PATH] = "OPERATOR_PATH",
	[K_OPERATOR_INTERVAL] = "OPERATOR_INTERVAL",
	[K_OPERATOR_TIMEOUT] = "OPERATOR_TIMEOUT",
	[K_BACKENDS_FILE] = "BACKENDS_FILE", [K_DNS_NAME] = "DNS_NAME",
	[K_DNS_SRV] = "DNS_SRV", [K_DNS_SERVER] = "DNS_SERVER",
	[K_DNS_INTERVAL] = "DNS_INTERVAL", [K_CHECK] = "CHECK",
	[K_CHECK_INTERVAL] = "CHECK_INTERVAL",
	[K_CHECK_TIMEOUT] = "CHECK_TIMEOUT", [K_CHECK_JITTER] = "CHECK_JITTER",
	[K_CHECK_RISE] = "CHECK_RISE", [K_CHECK_FALL] = "CHECK_FALL",
	[K_CHECK_PORT] = "CHECK_PORT", [K_CHECK_SEND] = "CHECK_SEND",
	[K_CHECK_EXPECT] = "CHECK_EXPECT",
	[K_CHECK_HTTP_PATH] = "CHECK_HTTP_PATH",
	[K_CHECK_HTTP_HOST] = "CHECK_HTTP_HOST",
	[K_CHECK_HTTP_STATUS] = "CHECK_HTTP_STATUS",
	[K_CHECK_HTTP_BODY] = "CHECK_HTTP_BODY",
	[K_CHECK_TLS_VERIFY] = "CHECK_TLS_VERIFY",
	[K_CHECK_EXEC] = "CHECK_EXEC", [K_CHECK_SOURCE] = "CHECK_SOURCE",
	[K_FLAP_CHANGES] = "FLAP_CHANGES", [K_FLAP_WINDOW] = "FLAP_WINDOW",
	[K_FLAP_HOLD] = "FLAP_HOLD", [K_PASSIVE] = "PASSIVE",
	[K_PASSIVE_MIN_FLOWS] = "PASSIVE_MIN_FLOWS",
	[K_PASSIVE_FAIL_PERCENT] = "PASSIVE_FAIL_PERCENT",
	[K_DRAIN_GRACE] = "DRAIN_GRACE", [K_ALL_DOWN] = "ALL_DOWN",
	[K_HEALTH_PORT] = "HEALTH_PORT", [K_HEALTH_ADDR] = "HEALTH_ADDR",
	[K_LOG_LEVEL] = "LOG_LEVEL", [K_ENVIRONMENT] = "ENVIRONMENT",
	[K_CONFIG_FILE] = "CONFIG_FILE", [K_STATS_INTERVAL] = "STATS_INTERVAL",
};

/* A value as text and where it came from: line > 0 of the file, 0: env. */
struct setting {
	char *val;
	int line;
};

struct rvip {
	char name[AGENT_NAME_MAX];
	int line;		/* where it was first seen; 0: environment */
	struct setting s[N_VIP_KEYS];
};

struct raw {
	const char *file;	/* for messages */
	struct setting global[N_KEYS];
	struct setting defaults[N_VIP_KEYS];
	struct rvip *vips;
	size_t n_vips;
	/* while reading the file */
	FILE *f;
	int lineno;
	bool line_too_long;
	/* the first error wins: later ones are often its consequences */
	char *err;
	size_t errlen;
	bool failed;
};

static void raw_fail(struct raw *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void raw_fail(struct raw *r, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->failed)
		return;
	r->failed = true;
	if (line > 0)
		n = snprintf(r->err, r->errlen, "%s:%d: ", r->file, line);
	else if (line == 0)
		n = snprintf(r->err, r->errlen, "environment: ");
	else
		n = 0;
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int key_lookup(const char *name, bool ignore_case)
{
	int k;

	for (k = 0; k < N_KEYS; k++)
		if (ignore_case ? !strcasecmp(name, key_names[k]) :
				  !strcmp(name, key_names[k]))
			return k;
	return -1;
}

static struct rvip *rvip_find(struct raw *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_vips; i++)
		if (!strcmp(r->vips[i].name, name))
			return &r->vips[i];
	return NULL;
}

static struct rvip *rvip_get(struct raw *r, const char *name, int line)
{
	struct rvip *v = rvip_find(r, name), *n;

	if (v)
		return v;
	n = realloc(r->vips, (r->n_vips + 1) * sizeof(*n));
	if (!n) {
		raw_fail(r, -1, "out of memory");
		return NULL;
	}
	r->vips = n;
	v = &r->vips[r->n_vips++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->line = line;
	return v;
}

/*
 * VIP names appear in metrics labels, URLs (/backends?vip=NAME) and logs:
 * keep them to a plain alphabet.
 */
static const char *vip_name_check(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return "missing the VIP's name: [vip NAME]";
	if (n >= AGENT_NAME_MAX)
		return "VIP name too long (at most 31 characters)";
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return "VIP name may hold only letters, digits, '_', '.' and '-'";
	return NULL;
}

static int setting_store(struct raw *r, struct setting *s, const char *val,
			 size_t len, int line)
{
	char *copy = strndup(val, len);

	if (!copy) {
		raw_fail(r, -1, "out of memory");
		return -1;
	}
	free(s->val);
	s->val = copy;
	s->line = line;
	return 0;
}

/* fgets that counts lines for the handler's messages. */
static char *line_reader(char *str, int num, void *stream)
{
	struct raw *r = stream;
	char *p = fgets(str, num, r->f);
	size_t n;

	if (!p)
		return NULL;
	r->lineno++;
	n = strlen(p);
	if (n > 0 && p[n - 1] != '\n' && !feof(r->f) && !r->line_too_long) {
		r->line_too_long = true;
		raw_fail(r, r->lineno, "line too long (at most %d characters)",
			 num - 3);
	}
	return p;
}

static int on_key(void *user, const char *section, const char *name,
		       const char *value)
{
	struct raw *r = user;
	int line = r->lineno, k = key_lookup(name, true);
	char sect[128];
	struct setting *slot;
	const char *val = value;
	size_t n, len;

	if (k < 0) {
		raw_fail(r, line, "%s: unknown key", name);
		return 0;
	}
	/* "KEY = "a b"": quotes keep leading and trailing blanks */
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		val++;
		len -= 2;
	}
	/* trim the section name: "[ vip web ]" is [vip web] */
	while (isspace((unsigned char)*section))
		section++;
	snprintf(sect, sizeof(sect), "%s", section);
	for (n = strlen(sect); n > 0 && isspace((unsigned char)sect[n - 1]); n--)
		sect[n - 1] = '\0';

	if (!*sect || !strcasecmp(sect, "global")) {
		if (k == K_CONFIG_FILE) {
			raw_fail(r, line, "CONFIG_FILE: only read from the environment");
			return 0;
		}
		if (k >= N_VIP_KEYS) {
			slot = &r->global[k];
		} else if (*sect) {
			raw_fail(r, line, "%s: a per-VIP key: put it in [defaults] or in a [vip NAME] section",
				 key_names[k]);
			return 0;
		} else {
			/*
			 * Keys before any section, as in an environment
			 * file, describe the VIP "default", as the
			 * environment does.
			 */
			struct rvip *v = rvip_get(r, DEFAULT_VIP_NAME, line);

			if (!v)
				return 0;
			slot = &v->s[k];
		}
	} else if (!strcasecmp(sect, "defaults")) {
		if (k >= N_VIP_KEYS) {
			raw_fail(r, line, "%s: a global key: put it before the first section or in [global]",
				 key_names[k]);
			return 0;
		}
		slot = &r->defaults[k];
	} else if (!strncasecmp(sect, "vip", 3) &&
		   (!sect[3] || isspace((unsigned char)sect[3]))) {
		const char *vname = sect + 3, *why;
		struct rvip *v;

		while (isspace((unsigned char)*vname))
			vname++;
		why = vip_name_check(vname);
		if (why) {
			raw_fail(r, line, "[%s]: %s", sect, why);
			return 0;
		}
		if (k >= N_VIP_KEYS) {
			raw_fail(r, line, "%s: a global key: put it before the first section or in [global]",
				 key_names[k]);
			return 0;
		}
		v = rvip_get(r, vname, line);
		if (!v)
			return 0;
		slot = &v->s[k];
	} else {
		raw_fail(r, line, "unknown section [%s]: expected [global], [defaults] or [vip NAME]",
			 sect);
		return 0;
	}
	if (slot->val) {
		raw_fail(r, line, "%s: set twice (first at line %d)",
			 key_names[k], slot->line);
		return 0;
	}
	return setting_store(r, slot, val, len, line) ? 0 : 1;
}

static int read_file(struct raw *r, const char *path)
{
	int ret;

	r->f = fopen(path, "re");
	if (!r->f) {
		raw_fail(r, -1, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* libinih's knobs are process-wide; nothing else here uses it */
	ini_max_line = CONFIG_MAX_LINE;
	/*
	 * Continuation lines would turn an indented "KEY = value" into a
	 * part of the previous value: indentation is more common than
	 * continuations in such files.
	 */
	ini_allow_multiline = false;
	ret = ini_parse_stream(line_reader, r, on_key, r);
	fclose(r->f);
	r->f = NULL;
	if (r->failed)
		return -1;
	if (ret > 0) {
		raw_fail(r, ret, "syntax error: expected KEY = VALUE or [SECTION]");
		return -1;
	}
	if (ret < 0) {
		raw_fail(r, -1, "%s: cannot read", path);
		return -1;
	}
	return 0;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * The environment on top of the file: globals replace the file's, per-VIP
 * keys apply to the VIP "default", which VIP and PORT in the environment
 * create if the file has none.
 */
static int read_env(struct raw *r, char **envp)
{
	struct rvip *dflt = rvip_find(r, DEFAULT_VIP_NAME);
	bool ignored = false;
	int k;

	if (!dflt) {
		const char *vip = env_get(envp, "VIP"), *port = env_get(envp, "PORT");
		bool has_vip = vip && *vip, has_port = port && *port;

		/*
		 * Both make the VIP. One alone does too when nothing else
		 * would (its error names the other); next to a file's VIPs,
		 * a stray PORT (containers set one) must not.
		 */
		if ((has_vip && has_port) ||
		    ((has_vip || has_port) && !r->n_vips)) {
			dflt = rvip_get(r, DEFAULT_VIP_NAME, 0);
			if (!dflt)
				return -1;
		}
	}
	for (k = 0; k < N_KEYS; k++) {
		const char *val = env_get(envp, key_names[k]);

		if (!val || k == K_CONFIG_FILE)
			continue;
		if (k >= N_VIP_KEYS) {
			if (setting_store(r, &r->global[k], val, strlen(val), 0))
				return -1;
		} else if (dflt) {
			if (setting_store(r, &dflt->s[k], val, strlen(val), 0))
				return -1;
		} else if (*val) {
			ignored = true;
		}
	}
	if (ignored)
		log_warn("per-VIP settings in the environment are ignored: no VIP named \"default\" (set VIP and PORT)");
	return 0;
}

/* ------------------------------------------------------------ values */

int64_t duration_parse_ms(const char *s)
{
	uint64_t ip = 0, frac = 0, fdiv = 1, mul;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > (1ULL << 40))
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			/* digits past the microsecond do not matter */
			if (fdiv < 1000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			}
		}
	}
	if (!*p || !strcmp(p, "s"))
		mul = 1000;
	else if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "m"))
		mul = 60 * 1000;
	else if (!strcmp(p, "h"))
		mul = 3600 * 1000;
	else
		return -1;
	return (int64_t)(ip * mul + frac * mul / fdiv);
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -2;
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/*
 * C escapes: \\ \" \' \a \b \e \f \n \r \t \v, \xNN (one or two hex
 * digits), \NNN (octal, \0 included). The result may hold NUL bytes, so
 * its length is returned too; it is NUL-terminated besides.
 */
static int unescape(const char *s, char **out, size_t *len, const char **why)
{
	char *buf = malloc(strlen(s) + 1), *o = buf;

	if (!buf) {
		*why = "out of memory";
		return -1;
	}
	while (*s) {
		unsigned int v, i;

		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '\\': case '"': case '\'': case '?':
			*o++ = *s++;
			break;
		case 'a': *o++ = '\a'; s++; break;
		case 'b': *o++ = '\b'; s++; break;
		case 'e': *o++ = 0x1b; s++; break;
		case 'f': *o++ = '\f'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'v': *o++ = '\v'; s++; break;
		case 'x':
			s++;
			if (!isxdigit((unsigned char)*s)) {
				*why = "\\x needs hex digits";
				goto fail;
			}
			for (v = 0, i = 0; i < 2 && isxdigit((unsigned char)*s);
			     i++, s++)
				v = v * 16 + (unsigned int)(isdigit((unsigned char)*s) ?
					*s - '0' : tolower((unsigned char)*s) - 'a' + 10);
			*o++ = (char)v;
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			for (v = 0, i = 0; i < 3 && *s >= '0' && *s <= '7'; i++, s++)
				v = v * 8 + (unsigned int)(*s - '0');
			if (v > 255) {
				*why = "octal escape above \\377";
				goto fail;
			}
			*o++ = (char)v;
			break;
		case '\0':
			*why = "ends with a lone backslash";
			goto fail;
		default:
			*why = "unknown escape (use \\\\ for a backslash)";
			goto fail;
		}
	}
	*o = '\0';
	*out = buf;
	*len = (size_t)(o - buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/* ------------------------------------------------------ building a VIP */

/* One VIP's values being checked: its own, else [defaults]. */
struct vctx {
	struct raw *r;
	const struct rvip *rv;
};

static const struct setting *vset(const struct vctx *c, int k)
{
	if (c->rv->s[k].val && *c->rv->s[k].val)
		return &c->rv->s[k];
	if (c->rv->s[k].val)	/* set but empty: the default */
		return NULL;
	if (c->r->defaults[k].val && *c->r->defaults[k].val)
		return &c->r->defaults[k];
	return NULL;
}

static const char *vval(const struct vctx *c, int k)
{
	const struct setting *s = vset(c, k);

	return s ? s->val : NULL;
}

static void vbad(const struct vctx *c, int k, const char *why)
{
	const struct setting *s = vset(c, k);

	if (s)
		raw_fail(c->r, s->line, "%s: %s ('%s')", key_names[k], why,
			 s->val);
	else
		raw_fail(c->r, c->rv->line, "vip %s: %s: %s", c->rv->name,
			 key_names[k], why);
}

/* A problem of the VIP as a whole, where it was first seen. */
static void vfail(const struct vctx *c, const char *why)
{
	raw_fail(c->r, c->rv->line, "vip %s: %s", c->rv->name, why);
}

static int vuint(const struct vctx *c, int k, uint64_t min, uint64_t max,
		 uint64_t dflt, uint64_t *out)
{
	const char *s = vval(c, k);
	char why[64];
	int ret;

	if (!s) {
		*out = dflt;
		return 0;
	}
	ret = parse_uint(s, max, out);
	if (ret == -1) {
		vbad(c, k, "not a number");
		return -1;
	}
	if (ret == -2 || *out < min) {
		snprintf(why, sizeof(why), "out of range (%llu..%llu)",
			 (unsigned long long)min, (unsigned long long)max);
		vbad(c, k, why);
		return -1;
	}
	return 0;
}

static int vdur(const struct vctx *c, int k, uint32_t min_ms,
		uint32_t dflt, uint32_t *out)
{
	const char *s = vval(c, k);
	int64_t ms;

	if (!s) {
		*out = dflt;
		return 0;
	}
	ms = duration_parse_ms(s);
	if (ms < 0) {
		vbad(c, k, "not a duration (e.g. 500ms, 2s, 1m; a bare number is seconds)");
		return -1;
	}
	if (ms > UINT32_MAX) {
		vbad(c, k, "too long");
		return -1;
	}
	if (ms < min_ms) {
		vbad(c, k, min_ms == 1 ? "must be more than 0" : "too short");
		return -1;
	}
	*out = (uint32_t)ms;
	return 0;
}

static int vbool(const struct vctx *c, int k, bool dflt, bool *out)
{
	const char *s = vval(c, k);

	if (!s) {
		*out = dflt;
		return 0;
	}
	if (parse_bool(s, out)) {
		vbad(c, k, "not a boolean (yes/no, on/off, true/false, 1/0)");
		return -1;
	}
	return 0;
}

/* A copy of the value, or NULL when unset; -1 only on ENOMEM. */
static int vstr(const struct vctx *c, int k, const char *dflt, char **out)
{
	const char *s = vval(c, k);

	if (!s)
		s = dflt;
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	if (!*out) {
		raw_fail(c->r, -1, "out of memory");
		return -1;
	}
	return 0;
}

/* Which name among @names (NULL-terminated) @s is, case-insensitively. */
static int name_pick(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}

/*
 * LB_ALGORITHM: the friendly names of the spec, or a scheduler's own name.
 * The kernel knows which schedulers exist; here only the shape is checked,
 * so a new scheduler needs no agent change.
 */
static int parse_algorithm(const struct vctx *c, struct vip_cfg *v)
{
	static const struct { const char *alias, *sched; } aliases[] = {
		{ "round-robin", "rr" },
		{ "weighted-round-robin", "wrr" },
		{ "least-connections", "lc" },
		{ "weighted-least-connections", "wlc" },
		{ "ip-hash", "sh" },
		{ "source-hash", "sh" },
	};
	const char *s = vval(c, K_LB_ALGORITHM);
	size_t i, n;

	if (!s) {
		/*
		 * Unset: new VIPs get the kernel's default (rr), and a VIP that
		 * exists keeps its scheduler: taking over a maglev VIP must not
		 * silently change where its clients go.
		 */
		snprintf(v->algorithm, sizeof(v->algorithm), "round-robin");
		v->sched[0] = '\0';
		return 0;
	}
	n = strlen(s);
	if (n >= sizeof(v->algorithm)) {
		vbad(c, K_LB_ALGORITHM, "too long");
		return -1;
	}
	snprintf(v->algorithm, sizeof(v->algorithm), "%s", s);
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcasecmp(s, aliases[i].alias)) {
			snprintf(v->sched, sizeof(v->sched), "%s",
				 aliases[i].sched);
			return 0;
		}
	}
	if (n >= sizeof(v->sched) || n >= L4LB_SCHED_NAME_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '_' && s[i] != '-')
			goto bad;
	snprintf(v->sched, sizeof(v->sched), "%s", s);
	return 0;
bad:
	vbad(c, K_LB_ALGORITHM,
	     "not a scheduler (round-robin, least-connections, ip-hash, or a name such as rr, wrr, lc, wlc, sh, maglev, p2c)");
	return -1;
}

/*
 * VIP: an address ("10.0.0.1", "2001:db8::1"), or an endpoint
 * ("10.0.0.1:80", "[2001:db8::1]:80") then PORT may be left out.
 */
static int parse_vip_addr(const struct vctx *c, struct vip_cfg *v)
{
	const char *s = vval(c, K_VIP), *p = vval(c, K_PORT), *why = NULL;
	struct endpoint ep;
	uint16_t port;

	if (!s) {
		vfail(c, "VIP: required (the virtual IP address)");
		return -1;
	}
	if (addr_parse(s, &ep, &why) && endpoint_parse(s, &ep, NULL)) {
		vbad(c, K_VIP, why);
		return -1;
	}
	if (p) {
		if (port_parse(p, &port, &why)) {
			vbad(c, K_PORT, why);
			return -1;
		}
		if (ep.port && ep.port != port) {
			vbad(c, K_PORT, "differs from the port in VIP");
			return -1;
		}
		ep.port = port;
	}
	if (!ep.port) {
		vfail(c, "PORT: required (the VIP's port)");
		return -1;
	}
	v->vip = ep;
	return 0;
}

/*
 * BACKENDS: "addr:port" or a bare address (then BACKEND_PORT), separated
 * by commas or blanks. Stored in the canonical "addr:port,..." form, so
 * the static source needs only endpoint_parse().
 */
static int parse_static(const struct vctx *c, const struct vip_cfg *v,
			char **out)
{
	const char *s = vval(c, K_BACKENDS);
	size_t cap = strlen(s) * 2 + 64, used = 0, count = 0;
	char *list = malloc(cap), *copy = strdup(s), *tok, *save = NULL;
	int ret = -1;

	if (!list || !copy) {
		raw_fail(c->r, -1, "out of memory");
		goto out;
	}
	list[0] = '\0';
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char buf[ADDR_STRLEN], why[160];
		const char *w1 = NULL, *w2 = NULL, *colon = strchr(tok, ':');
		struct endpoint ep;
		size_t n;

		if (endpoint_parse(tok, &ep, &w1)) {
			if (addr_parse(tok, &ep, &w2)) {
				/* why it fails as the form it looks like */
				bool as_ep = tok[0] == '[' ||
					     (colon && !strchr(colon + 1, ':'));

				snprintf(why, sizeof(why), "'%s': %s", tok,
					 as_ep ? w1 : w2);
				vbad(c, K_BACKENDS, why);
				goto out;
			}
			ep.port = v->backend_port;
		}
		if (ep.family != v->vip.family) {
			snprintf(why, sizeof(why), "'%s': not the VIP's address family", tok);
			vbad(c, K_BACKENDS, why);
			goto out;
		}
		endpoint_format(&ep, buf, sizeof(buf));
		n = strlen(buf);
		if (used + n + 2 > cap) {
			char *nl = realloc(list, cap * 2 + n);

			if (!nl) {
				raw_fail(c->r, -1, "out of memory");
				goto out;
			}
			list = nl;
			cap = cap * 2 + n;
		}
		used += (size_t)sprintf(list + used, "%s%s", count ? "," : "",
					buf);
		count++;
	}
	if (!count) {
		vbad(c, K_BACKENDS, "no address in the list");
		goto out;
	}
	*out = list;
	list = NULL;
	ret = 0;
out:
	free(list);
	free(copy);
	return ret;
}

/*
 * OPERATOR_URL + OPERATOR_PATH, unless the URL names a path of its own
 * (other than "/"): then it is polled as given.
 */
static int parse_operator_url(const struct vctx *c, char **out)
{
	const char *url = vval(c, K_OPERATOR_URL), *path = vval(c, K_OPERATOR_PATH);
	const char *host, *slash;
	size_t ulen;
	char *res;

	if (!path)
		path = "/instances";
	if (!strncasecmp(url, "http://", 7))
		host = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else {
		vbad(c, K_OPERATOR_URL, "not an http:// or https:// URL");
		return -1;
	}
	if (!*host || *host == '/' || *host == ':') {
		vbad(c, K_OPERATOR_URL, "no host in the URL");
		return -1;
	}
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			vbad(c, K_OPERATOR_URL, "blanks or control characters in the URL");
			return -1;
		}
	}
	slash = strpbrk(host, "/?#");
	if (slash && *slash == '/' && strcmp(slash, "/")) {
		*out = strdup(url);	/* has a path of its own */
	} else if (slash && *slash != '/') {
		vbad(c, K_OPERATOR_URL, "a query or fragment needs a path in the URL");
		return -1;
	} else {
		ulen = slash ? (size_t)(slash - url) : strlen(url);
		res = malloc(ulen + strlen(path) + 2);
		if (res)
			sprintf(res, "%.*s%s%s", (int)ulen, url,
				path[0] == '/' ? "" : "/", path);
		*out = res;
	}
	if (!*out) {
		raw_fail(c->r, -1, "out of memory");
		return -1;
	}
	return 0;
}

/* DNS_SERVER: "addr", "addr:port" or "[v6addr]:port", as c-ares takes it. */
static int check_dns_server(const struct vctx *c, const char *s)
{
	struct endpoint ep;
	const char *why = NULL;

	if (!addr_parse(s, &ep, NULL) || !endpoint_parse(s, &ep, NULL))
		return 0;
	if (s[0] == '[' && s[strlen(s) - 1] == ']') {
		char buf[64];

		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(s) - 2, s + 1);
		if (!addr_parse(buf, &ep, &why))
			return 0;
	}
	endpoint_parse(s, &ep, &why);
	vbad(c, K_DNS_SERVER, why ? why : "not an address");
	return -1;
}

static int add_source(const struct vctx *c, struct vip_cfg *v,
		      enum source_type t, struct source_cfg **out)
{
	if (v->n_sources >= AGENT_MAX_SOURCES) {
		vfail(c, "too many sources of backends");
		return -1;
	}
	*out = &v->sources[v->n_sources++];
	(*out)->type = t;
	return 0;
}

static int build_sources(const struct vctx *c, struct vip_cfg *v)
{
	struct source_cfg *s;

	if (vval(c, K_BACKENDS)) {
		if (add_source(c, v, SRC_STATIC, &s) || parse_static(c, v, &s->list))
			return -1;
	}
	if (vval(c, K_OPERATOR_URL)) {
		if (add_source(c, v, SRC_OPERATOR, &s) ||
		    parse_operator_url(c, &s->url) ||
		    vdur(c, K_OPERATOR_INTERVAL, 1, 5000, &s->interval_ms) ||
		    vdur(c, K_OPERATOR_TIMEOUT, 1, 2000, &s->timeout_ms))
			return -1;
	}
	if (vval(c, K_BACKENDS_FILE)) {
		if (add_source(c, v, SRC_FILE, &s) ||
		    vstr(c, K_BACKENDS_FILE, NULL, &s->path))
			return -1;
	}
	if (vval(c, K_DNS_NAME) && vval(c, K_DNS_SRV)) {
		vbad(c, K_DNS_SRV, "DNS_NAME is set too: give one of them");
		return -1;
	}
	if (vval(c, K_DNS_NAME) || vval(c, K_DNS_SRV)) {
		int k = vval(c, K_DNS_SRV) ? K_DNS_SRV : K_DNS_NAME;

		if (add_source(c, v, SRC_DNS, &s))
			return -1;
		s->srv = k == K_DNS_SRV;
		if (vstr(c, k, NULL, &s->name) ||
		    vdur(c, K_DNS_INTERVAL, 1, 1000, &s->interval_ms))
			return -1;
		if (strlen(s->name) > 253 + 1 || strchr(s->name, ' ')) {
			vbad(c, k, "not a DNS name");
			return -1;
		}
		if (vval(c, K_DNS_SERVER)) {
			if (check_dns_server(c, vval(c, K_DNS_SERVER)) ||
			    vstr(c, K_DNS_SERVER, NULL, &s->dns_server))
				return -1;
		}
	}
	if (!v->n_sources) {
		vfail(c, "no source of backends: set BACKENDS, OPERATOR_URL, BACKENDS_FILE, DNS_NAME or DNS_SRV");
		return -1;
	}
	return 0;
}

static int build_check(const struct vctx *c, struct vip_cfg *v)
{
	static const char *const types[] = {
		[CHECK_NONE] = "none", [CHECK_TCP] = "tcp",
		[CHECK_HTTP] = "http", [CHECK_HTTPS] = "https",
		[CHECK_UDP] = "udp", [CHECK_EXEC] = "exec", NULL
	};
	struct check_cfg *ck = &v->check;
	const char *s = vval(c, K_CHECK), *why;
	uint64_t u;
	int t;

	/*
	 * A UDP service has no TCP port to connect to: its default check is
	 * udp (without CHECK_EXPECT only an ICMP error fails it).
	 */
	t = s ? name_pick(s, types) : v->proto == IPPROTO_UDP ? CHECK_UDP : CHECK_TCP;
	if (t < 0) {
		vbad(c, K_CHECK, "not a check type (tcp, http, https, udp, exec, none)");
		return -1;
	}
	ck->type = (enum check_type)t;

	if (vdur(c, K_CHECK_INTERVAL, 1, 1000, &ck->interval_ms) ||
	    vdur(c, K_CHECK_TIMEOUT, 1,
		 ck->interval_ms < 2000 ? ck->interval_ms : 2000,
		 &ck->timeout_ms) ||
	    vdur(c, K_CHECK_JITTER, 0, ck->interval_ms / 10, &ck->jitter_ms))
		return -1;
	if (ck->jitter_ms >= ck->interval_ms) {
		vbad(c, K_CHECK_JITTER, "must be shorter than CHECK_INTERVAL");
		return -1;
	}
	/* a check still running skips the next: detection would be fall x timeout */
	if (ck->timeout_ms > ck->interval_ms) {
		vbad(c, K_CHECK_TIMEOUT, "must not be longer than CHECK_INTERVAL");
		return -1;
	}
	if (vuint(c, K_CHECK_RISE, 1, 1000, 2, &u))
		return -1;
	ck->rise = (unsigned int)u;
	if (vuint(c, K_CHECK_FALL, 1, 1000, 3, &u))
		return -1;
	ck->fall = (unsigned int)u;
	if (vval(c, K_CHECK_PORT) &&
	    port_parse(vval(c, K_CHECK_PORT), &ck->port, &why)) {
		vbad(c, K_CHECK_PORT, why);
		return -1;
	}
	if (vval(c, K_CHECK_SEND) &&
	    unescape(vval(c, K_CHECK_SEND), &ck->send, &ck->send_len, &why)) {
		vbad(c, K_CHECK_SEND, why);
		return -1;
	}
	if (vval(c, K_CHECK_EXPECT) &&
	    unescape(vval(c, K_CHECK_EXPECT), &ck->expect, &ck->expect_len,
		     &why)) {
		vbad(c, K_CHECK_EXPECT, why);
		return -1;
	}
	if (vstr(c, K_CHECK_HTTP_PATH, "/", &ck->http_path) ||
	    vstr(c, K_CHECK_HTTP_HOST, NULL, &ck->http_host) ||
	    vstr(c, K_CHECK_HTTP_BODY, NULL, &ck->http_body) ||
	    vstr(c, K_CHECK_EXEC, NULL, &ck->exec))
		return -1;
	if (ck->http_path[0] != '/') {
		vbad(c, K_CHECK_HTTP_PATH, "must start with '/'");
		return -1;
	}
	if (vuint(c, K_CHECK_HTTP_STATUS, 0, 599, 0, &u))
		return -1;
	if (u && u < 100) {
		vbad(c, K_CHECK_HTTP_STATUS, "not an HTTP status (100..599, 0: any 2xx or 3xx)");
		return -1;
	}
	ck->http_status = (int)u;
	if (vbool(c, K_CHECK_TLS_VERIFY, true, &ck->tls_verify))
		return -1;
	if (ck->type == CHECK_EXEC && !ck->exec) {
		vfail(c, "CHECK=exec needs CHECK_EXEC (the command)");
		return -1;
	}
	if (vval(c, K_CHECK_SOURCE) &&
	    addr_parse(vval(c, K_CHECK_SOURCE), &ck->source, &why)) {
		vbad(c, K_CHECK_SOURCE, why);
		return -1;
	}
	/* every check would fail with EAFNOSUPPORT: every backend down */
	if (ck->source.family && ck->source.family != v->vip.family) {
		vbad(c, K_CHECK_SOURCE, "not the VIP's address family");
		return -1;
	}
	/* health.c keeps the last 8 changes: more could never be counted */
	if (vuint(c, K_FLAP_CHANGES, 0, 8, 4, &u))
		return -1;
	ck->flap_changes = (unsigned int)u;
	if (vdur(c, K_FLAP_WINDOW, 0, 60000, &ck->flap_window_ms) ||
	    vdur(c, K_FLAP_HOLD, 0, 30000, &ck->flap_hold_ms))
		return -1;
	return 0;
}

static int build_vip(struct raw *r, const struct rvip *rv, struct vip_cfg *v)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	static const char *const modes[] = {
		[L4LB_FWD_DNAT] = "dnat", [L4LB_FWD_SNAT] = "snat",
		[L4LB_FWD_DSR] = "dsr", [L4LB_FWD_TUNNEL] = "tunnel", NULL
	};
	static const char *const all_down[] = {
		[ALL_DOWN_KEEP] = "keep", [ALL_DOWN_REFUSE] = "refuse", NULL
	};
	struct vctx c = { r, rv };
	const char *s;
	uint64_t u;
	int i;

	snprintf(v->name, sizeof(v->name), "%s", rv->name);
	if (parse_vip_addr(&c, v))
		return -1;
	s = vval(&c, K_PROTO);
	i = s ? name_pick(s, protos) : 0;
	if (i < 0) {
		vbad(&c, K_PROTO, "not tcp or udp");
		return -1;
	}
	v->proto = i == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	if (parse_algorithm(&c, v))
		return -1;
	s = vval(&c, K_LB_MODE);
	v->mode = s ? name_pick(s, modes) : -1;
	if (s && v->mode < 0) {
		vbad(&c, K_LB_MODE, "not a forwarding mode (dnat, snat, dsr, tunnel)");
		return -1;
	}
	if (vuint(&c, K_WEIGHT, 1, L4LB_WEIGHT_MAX, L4LB_WEIGHT_DEFAULT, &u))
		return -1;
	v->weight = (uint32_t)u;
	if (vuint(&c, K_BACKEND_PORT, 1, 65535, v->vip.port, &u))
		return -1;
	v->backend_port = (uint16_t)u;
	if (build_sources(&c, v) || build_check(&c, v))
		return -1;
	if (vbool(&c, K_PASSIVE, true, &v->passive.enabled) ||
	    vuint(&c, K_PASSIVE_MIN_FLOWS, 1, UINT32_MAX, 10, &v->passive.min_flows) ||
	    vuint(&c, K_PASSIVE_FAIL_PERCENT, 1, 100, 50, &u))
		return -1;
	v->passive.fail_pct = (unsigned int)u;
	if (vdur(&c, K_DRAIN_GRACE, 0, 30000, &v->drain_grace_ms))
		return -1;
	s = vval(&c, K_ALL_DOWN);
	i = s ? name_pick(s, all_down) : ALL_DOWN_KEEP;
	if (i < 0) {
		vbad(&c, K_ALL_DOWN, "not keep or refuse");
		return -1;
	}
	v->all_down = (enum all_down)i;
	return 0;
}

/* ------------------------------------------------------------ globals */

static const char *gval(struct raw *r, int k, int *line)
{
	const struct setting *s = &r->global[k];

	*line = s->line;
	return s->val && *s->val ? s->val : NULL;
}

static int build_global(struct raw *r, struct agent_cfg *cfg)
{
	static const char *const levels[] = {
		[LOG_LVL_ERROR] = "error", [LOG_LVL_WARN] = "warn",
		[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug", NULL
	};
	const char *s, *why;
	uint64_t port = 8083;
	int line, i;
	int64_t ms;

	s = gval(r, K_HEALTH_PORT, &line);
	if (s) {
		i = parse_uint(s, 65535, &port);
		if (i) {
			raw_fail(r, line, "HEALTH_PORT: %s ('%s')",
				 i == -1 ? "not a number" :
				 "out of range (0..65535, 0: off)", s);
			return -1;
		}
	}
	s = gval(r, K_HEALTH_ADDR, &line);
	if (addr_parse(s ? s : "127.0.0.1", &cfg->http, &why)) {
		raw_fail(r, line, "HEALTH_ADDR: %s ('%s')", why, s);
		return -1;
	}
	cfg->http.port = (uint16_t)port;

	cfg->log_level = LOG_LVL_INFO;
	s = gval(r, K_LOG_LEVEL, &line);
	if (s) {
		i = !strcasecmp(s, "warning") ? LOG_LVL_WARN : name_pick(s, levels);
		if (i < 0) {
			raw_fail(r, line, "LOG_LEVEL: not a level (error, warn, info, debug) ('%s')",
				 s);
			return -1;
		}
		cfg->log_level = (enum log_level)i;
	}
	s = gval(r, K_ENVIRONMENT, &line);
	if (s && strlen(s) >= sizeof(cfg->environment)) {
		raw_fail(r, line, "ENVIRONMENT: too long (at most %zu characters)",
			 sizeof(cfg->environment) - 1);
		return -1;
	}
	snprintf(cfg->environment, sizeof(cfg->environment), "%s", s ? s : "");
	cfg->stats_interval_ms = 1000;
	s = gval(r, K_STATS_INTERVAL, &line);
	if (s) {
		ms = duration_parse_ms(s);
		if (ms <= 0 || ms > UINT32_MAX) {
			raw_fail(r, line, "STATS_INTERVAL: %s ('%s')",
				 ms < 0 ? "not a duration (e.g. 500ms, 2s, 1m; a bare number is seconds)" :
				 "out of range", s);
			return -1;
		}
		cfg->stats_interval_ms = (uint32_t)ms;
	}
	return 0;
}

static void vip_cfg_free(struct vip_cfg *v)
{
	size_t i;

	free(v->check.send);
	free(v->check.expect);
	free(v->check.http_path);
	free(v->check.http_host);
	free(v->check.http_body);
	free(v->check.exec);
	for (i = 0; i < v->n_sources; i++) {
		free(v->sources[i].url);
		free(v->sources[i].path);
		free(v->sources[i].name);
		free(v->sources[i].dns_server);
		free(v->sources[i].list);
	}
}

void config_free(struct agent_cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_vips; i++)
		vip_cfg_free(&cfg->vips[i]);
	free(cfg->vips);
	free(cfg->config_file);
	memset(cfg, 0, sizeof(*cfg));
}

static void raw_free(struct raw *r)
{
	size_t i;
	int k;

	for (k = 0; k < N_KEYS; k++)
		free(r->global[k].val);
	for (k = 0; k < N_VIP_KEYS; k++)
		free(r->defaults[k].val);
	for (i = 0; i < r->n_vips; i++)
		for (k = 0; k < N_VIP_KEYS; k++)
			free(r->vips[i].s[k].val);
	free(r->vips);
}

static bool same_vip(const struct vip_cfg *a, const struct vip_cfg *b)
{
	return a->proto == b->proto && a->vip.family == b->vip.family &&
	       a->vip.port == b->vip.port &&
	       !memcmp(a->vip.addr, b->vip.addr, addr_len(a->vip.family));
}

int config_load(struct agent_cfg *cfg, const char *file, char **envp,
		char *err, size_t errlen)
{
	struct raw r = { .err = err, .errlen = errlen };
	const char *path = file;
	size_t i, j;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = '\0';
	if (!path) {
		path = env_get(envp, "CONFIG_FILE");
		if (path && !*path)
			path = NULL;
	}
	if (!path && access(DEFAULT_CONFIG_FILE, F_OK) == 0)
		path = DEFAULT_CONFIG_FILE;
	if (path) {
		r.file = path;
		cfg->config_file = strdup(path);
		if (!cfg->config_file) {
			raw_fail(&r, -1, "out of memory");
			goto fail;
		}
		if (read_file(&r, path))
			goto fail;
	}
	if (read_env(&r, envp) || build_global(&r, cfg))
		goto fail;
	if (!r.n_vips) {
		raw_fail(&r, -1, "no VIP configured: set VIP and PORT (and a source of backends), or add a [vip NAME] section to %s",
			 path ? path : DEFAULT_CONFIG_FILE);
		goto fail;
	}
	cfg->vips = calloc(r.n_vips, sizeof(*cfg->vips));
	if (!cfg->vips) {
		raw_fail(&r, -1, "out of memory");
		goto fail;
	}
	for (i = 0; i < r.n_vips; i++) {
		cfg->n_vips++;
		if (build_vip(&r, &r.vips[i], &cfg->vips[i]))
			goto fail;
		for (j = 0; j < i; j++) {
			if (same_vip(&cfg->vips[i], &cfg->vips[j])) {
				char buf[ADDR_STRLEN];

				raw_fail(&r, r.vips[i].line,
					 "vip %s: the same VIP as vip %s (%s/%s)",
					 cfg->vips[i].name, cfg->vips[j].name,
					 endpoint_format(&cfg->vips[i].vip, buf,
							 sizeof(buf)),
					 cfg->vips[i].proto == IPPROTO_UDP ?
					 "udp" : "tcp");
				goto fail;
			}
		}
	}
	raw_free(&r);
	return 0;
fail:
	if (!r.failed)
		raw_fail(&r, -1, "configuration error");
	raw_free(&r);
	config_free(cfg);
	return -1;
}
