// SPDX-License-Identifier: GPL-2.0
/*
 * Everything the user can type after the addresses is validated here, so
 * that malformed input is refused before a single byte reaches the kernel.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/l4lb.h>

#include "args.h"
#include "utils.h"

static const char *const mode_names[] = {
	[L4LB_FWD_DNAT]	= "dnat",
	[L4LB_FWD_SNAT]	= "snat",
	[L4LB_FWD_DSR]	= "dsr",
};

int parse_weight(const char *s, uint32_t *weight)
{
	uint32_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > L4LB_WEIGHT_MAX)
			return -1;
	}
	*weight = v;
	return 0;
}

int parse_proto(const char *s, uint8_t *proto)
{
	if (strcmp(s, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*proto = IPPROTO_UDP;
	else
		return -1;
	return 0;
}

int parse_mode(const char *s, uint8_t *mode)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode = (uint8_t)i;
			return 0;
		}
	}
	return -1;
}

int check_sched(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < L4LB_SCHED_NAME_MAX ? 0 : -1;
}

const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

const char *mode_name(uint8_t mode, char *buf, size_t len)
{
	if (mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	snprintf(buf, len, "%u", mode);
	return buf;
}

static int bad_value(const char *kw, const char *val, const char *expect,
		     const char *object)
{
	pr_err("invalid %s '%s': expected %s", kw, val, expect);
	fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
	return -1;
}

int parse_keywords(int argc, char **argv, unsigned int allowed,
		   struct kw_opts *o, const char *object)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} kws[] = {
		{ "proto", KW_PROTO },
		{ "sched", KW_SCHED },
		{ "mode", KW_MODE },
		{ "weight", KW_WEIGHT },
	};
	char expect[64];
	int i;

	memset(o, 0, sizeof(*o));
	o->proto = IPPROTO_TCP;

	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val;
		unsigned int bit = 0;
		size_t k;

		for (k = 0; k < sizeof(kws) / sizeof(kws[0]); k++)
			if (strcmp(kw, kws[k].name) == 0)
				bit = kws[k].bit;
		if (!(bit & allowed)) {
			pr_err("unknown keyword '%s'", kw);
			fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
			return -1;
		}
		if (o->seen & bit) {
			pr_err("keyword '%s' given twice", kw);
			return -1;
		}
		if (i + 1 >= argc) {
			pr_err("keyword '%s' needs a value", kw);
			fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
			return -1;
		}
		val = argv[i + 1];
		o->seen |= bit;

		switch (bit) {
		case KW_PROTO:
			if (parse_proto(val, &o->proto))
				return bad_value(kw, val, "tcp or udp", object);
			break;
		case KW_SCHED:
			if (check_sched(val)) {
				snprintf(expect, sizeof(expect),
					 "a name of 1 to %d characters",
					 L4LB_SCHED_NAME_MAX - 1);
				return bad_value(kw, val, expect, object);
			}
			o->sched = val;
			break;
		case KW_MODE:
			if (parse_mode(val, &o->mode))
				return bad_value(kw, val, "dnat, snat or dsr",
						 object);
			break;
		case KW_WEIGHT:
			if (parse_weight(val, &o->weight)) {
				snprintf(expect, sizeof(expect),
					 "an integer from 0 to %d",
					 L4LB_WEIGHT_MAX);
				return bad_value(kw, val, expect, object);
			}
			break;
		}
	}
	return 0;
}

int parse_endpoint_arg(const char *s, struct endpoint *ep, const char *what)
{
	const char *why = NULL;

	if (endpoint_parse(s, ep, &why) == 0)
		return 0;
	pr_err("invalid %s '%s': %s", what, s, why);
	return -1;
}
