// SPDX-License-Identifier: GPL-2.0
/*
 * Instance lists as discovery sources give them: the operator's JSON (also
 * the BACKENDS_FILE format) and the static BACKENDS list.
 *
 * Pure: no I/O, no model. A malformed entry fails the whole answer (the
 * caller keeps its last good set): silently dropping it would remove a
 * backend because of a typo.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "instances.h"

#define WEIGHT_MAX	65535	/* L4LB_WEIGHT_MAX */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return -1;
}

int instance_addr_parse(const char *s, struct endpoint *ep, const char **why)
{
	size_t n = strlen(s);
	const char *colon;

	if (!n) {
		*why = "empty address";
		return -1;
	}
	if (s[0] == '[') {
		char host[INET6_ADDRSTRLEN + 2];

		if (strstr(s, "]:"))
			return endpoint_parse(s, ep, why);
		if (s[n - 1] != ']' || n - 2 >= sizeof(host)) {
			*why = "missing ']' after IPv6 address";
			return -1;
		}
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		if (addr_parse(host, ep, why))
			return -1;
		if (ep->family != AF_INET6) {
			*why = "not an IPv6 address in brackets";
			return -1;
		}
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon)
		return addr_parse(s, ep, why);
	/* two colons or more: an IPv6 address without a port */
	if (strchr(colon + 1, ':')) {
		if (addr_parse(s, ep, why))
			return -1;
		if (ep->family != AF_INET6) {
			*why = "not an IPv4 or IPv6 address";
			return -1;
		}
		return 0;
	}
	return endpoint_parse(s, ep, why);
}

static bool same_ep(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

/* A list under construction; drops repeats of an address:port. */
struct ilist {
	struct instance *v;
	size_t n, cap;
};

static int ilist_add(struct ilist *l, const struct instance *in)
{
	for (size_t i = 0; i < l->n; i++)
		if (same_ep(&l->v[i].ep, &in->ep))
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct instance *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *in;
	return 0;
}

/* Numbers also as strings of digits: some operators quote everything. */
static int get_uint(struct json_object *o, uint64_t max, uint64_t *v,
		    const char **why)
{
	const char *s;
	char *end;

	switch (json_object_get_type(o)) {
	case json_type_int: {
		int64_t x = json_object_get_int64(o);

		if (x < 0 || (uint64_t)x > max) {
			*why = "out of range";
			return -1;
		}
		*v = (uint64_t)x;
		return 0;
	}
	case json_type_string:
		s = json_object_get_string(o);
		if (!*s || !isdigit((unsigned char)*s)) {
			*why = "not a number";
			return -1;
		}
		errno = 0;
		*v = strtoull(s, &end, 10);
		if (*end) {
			*why = "not a number";
			return -1;
		}
		if (errno || *v > max) {
			*why = "out of range";
			return -1;
		}
		return 0;
	default:
		*why = "not a number";
		return -1;
	}
}

enum listing { LISTED, DRAINING, NOT_LISTED };

static enum listing state_listing(const char *s)
{
	static const char *const up[] = { "running", "healthy", "up" };
	static const char *const drain[] = { "draining", "stopping" };

	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
		if (!strcasecmp(s, up[i]))
			return LISTED;
	for (size_t i = 0; i < sizeof(drain) / sizeof(drain[0]); i++)
		if (!strcasecmp(s, drain[i]))
			return DRAINING;
	return NOT_LISTED;
}

/*
 * One entry. Returns 1 when it is to be listed (*@in filled), 0 when its
 * state leaves it out, -1 on error. @where names it in messages.
 */
static int parse_entry(struct json_object *o, uint16_t def_port,
		       uint32_t def_weight, struct instance *in,
		       char *where, size_t wlen, char *err, size_t errlen)
{
	struct json_object *id, *addr, *port, *weight, *state;
	enum listing listing = LISTED;
	const char *why, *s;
	uint64_t v;

	memset(in, 0, sizeof(*in));
	if (!json_object_is_type(o, json_type_object))
		return fail(err, errlen, "%s: not an object", where);

	if (json_object_object_get_ex(o, "id", &id) &&
	    !json_object_is_type(id, json_type_null)) {
		if (!json_object_is_type(id, json_type_string) &&
		    !json_object_is_type(id, json_type_int))
			return fail(err, errlen, "%s: \"id\" is not a string",
				    where);
		s = json_object_get_string(id);
		if (strlen(s) >= sizeof(in->id))
			return fail(err, errlen,
				    "%s: \"id\" longer than %zu characters",
				    where, sizeof(in->id) - 1);
		snprintf(in->id, sizeof(in->id), "%s", s);
		if (*s) {
			size_t l = strlen(where);

			snprintf(where + l, wlen - l, " (id \"%s\")", s);
		}
	}

	if (!json_object_object_get_ex(o, "address", &addr) ||
	    json_object_is_type(addr, json_type_null))
		return fail(err, errlen, "%s: no \"address\"", where);
	if (!json_object_is_type(addr, json_type_string))
		return fail(err, errlen, "%s: \"address\" is not a string",
			    where);
	s = json_object_get_string(addr);
	if (instance_addr_parse(s, &in->ep, &why))
		return fail(err, errlen, "%s: address \"%s\": %s", where, s,
			    why);

	if (json_object_object_get_ex(o, "port", &port) &&
	    !json_object_is_type(port, json_type_null)) {
		if (get_uint(port, 65535, &v, &why))
			return fail(err, errlen, "%s: \"port\" %s: %s", where,
				    json_object_get_string(port), why);
		if (v == 0)
			return fail(err, errlen,
				    "%s: \"port\" 0: out of range (1..65535)",
				    where);
		if (in->ep.port && in->ep.port != v)
			return fail(err, errlen,
				    "%s: \"port\" %u differs from the port in \"address\" %s",
				    where, (unsigned int)v, s);
		in->ep.port = (uint16_t)v;
	}
	if (!in->ep.port)
		in->ep.port = def_port;
	if (!in->ep.port)
		return fail(err, errlen, "%s: no port, and no default port",
			    where);

	in->weight = def_weight;
	if (json_object_object_get_ex(o, "weight", &weight) &&
	    !json_object_is_type(weight, json_type_null)) {
		if (get_uint(weight, WEIGHT_MAX, &v, &why))
			return fail(err, errlen, "%s: \"weight\" %s: %s (0..%u)",
				    where, json_object_get_string(weight), why,
				    WEIGHT_MAX);
		/* Weight 0 means "no new flows" to the kernel: draining. */
		if (v == 0)
			listing = DRAINING;
		else
			in->weight = (uint32_t)v;
	}

	if (json_object_object_get_ex(o, "state", &state) &&
	    !json_object_is_type(state, json_type_null)) {
		enum listing l;

		if (!json_object_is_type(state, json_type_string))
			return fail(err, errlen, "%s: \"state\" is not a string",
				    where);
		l = state_listing(json_object_get_string(state));
		if (l != LISTED)
			listing = l;
	}
	if (listing == NOT_LISTED)
		return 0;
	in->draining = listing == DRAINING;
	return 1;
}

int instances_parse_json(const char *text, size_t len, uint16_t def_port,
			 uint32_t def_weight, struct instance **out, size_t *n,
			 char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root, *arr;
	enum json_tokener_error jerr;
	struct ilist l = { 0 };
	size_t i, cnt, off;

	*out = NULL;
	*n = 0;
	if (len > INT32_MAX)
		return fail(err, errlen, "JSON too large");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, "out of memory");
	/* strict: what the operator sends must be JSON, not "close enough" */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (!root && jerr == json_tokener_continue) {
		/* the end of input ends a bare number, or cuts the text short */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		off = len;
	}
	json_tokener_free(tok);
	if (!root) {
		bool blank = true;

		for (i = 0; i < len && blank; i++)
			blank = isspace((unsigned char)text[i]);
		if (blank)
			return fail(err, errlen, "malformed JSON: empty");
		if (jerr == json_tokener_error_parse_eof)
			return fail(err, errlen, "malformed JSON: truncated");
		return fail(err, errlen, "malformed JSON at offset %zu: %s",
			    off, json_tokener_error_desc(jerr));
	}
	for (; off < len; off++)
		if (!isspace((unsigned char)text[off])) {
			json_object_put(root);
			return fail(err, errlen,
				    "malformed JSON: garbage after the value at offset %zu",
				    off);
		}

	arr = root;
	if (json_object_is_type(root, json_type_object) &&
	    !json_object_object_get_ex(root, "instances", &arr))
		arr = NULL;
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return fail(err, errlen,
			    "expected a JSON list of instances or {\"instances\": [...]}");
	}

	cnt = json_object_array_length(arr);
	for (i = 0; i < cnt; i++) {
		struct instance in;
		char where[AGENT_ID_MAX + 48];
		int r;

		snprintf(where, sizeof(where), "instance %zu", i + 1);
		r = parse_entry(json_object_array_get_idx(arr, i), def_port,
				def_weight, &in, where, sizeof(where), err,
				errlen);
		if (r < 0)
			goto bad;
		if (r > 0 && ilist_add(&l, &in)) {
			fail(err, errlen, "out of memory");
			goto bad;
		}
	}
	json_object_put(root);
	*out = l.v;
	*n = l.n;
	return 0;
bad:
	json_object_put(root);
	free(l.v);
	return -1;
}

int instances_parse_list(const char *list, uint16_t def_port,
			 uint32_t def_weight, struct instance **out, size_t *n,
			 char *err, size_t errlen)
{
	struct ilist l = { 0 };
	const char *p = list, *why;
	unsigned int item = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char buf[ADDR_STRLEN];
		struct instance in = { .weight = def_weight };

		item++;
		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (!len) {
			fail(err, errlen, "BACKENDS: item %u is empty", item);
			goto bad;
		}
		if (len >= sizeof(buf)) {
			fail(err, errlen, "BACKENDS: item %u is too long", item);
			goto bad;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (instance_addr_parse(buf, &in.ep, &why)) {
			fail(err, errlen, "BACKENDS: \"%s\": %s", buf, why);
			goto bad;
		}
		if (!in.ep.port)
			in.ep.port = def_port;
		if (!in.ep.port) {
			fail(err, errlen, "BACKENDS: \"%s\": no port", buf);
			goto bad;
		}
		if (ilist_add(&l, &in)) {
			fail(err, errlen, "out of memory");
			goto bad;
		}
		if (!end)
			break;
		p = end + 1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
bad:
	free(l.v);
	return -1;
}
