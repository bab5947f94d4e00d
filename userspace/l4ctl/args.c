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
	[L4LB_FWD_TUNNEL] = "tunnel",
};

static const char *const encap_names[] = {
	[L4LB_ENCAP_IPIP] = "ipip",
	[L4LB_ENCAP_FOU] = "fou",
	[L4LB_ENCAP_GUE] = "gue",
};

static const char *const state_names[] = {
	[L4LB_BACKEND_UP] = "up",
	[L4LB_BACKEND_DRAIN] = "drain",
	[L4LB_BACKEND_DOWN] = "down",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int name_index(const char *const *names, size_t n, const char *s,
		      uint8_t *val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i] && strcmp(s, names[i]) == 0) {
			*val = (uint8_t)i;
			return 0;
		}
	}
	return -1;
}

static const char *index_name(const char *const *names, size_t n,
			      uint8_t val, char *buf, size_t len)
{
	if (val < n && names[val])
		return names[val];
	snprintf(buf, len, "%u", val);
	return buf;
}

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

int parse_u32(const char *s, const char *zero_word, uint32_t *v)
{
	uint64_t n = 0;

	if (zero_word && strcmp(s, zero_word) == 0) {
		*v = 0;
		return 0;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)n;
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
	return name_index(mode_names, ARRAY_LEN(mode_names), s, mode);
}

int parse_encap(const char *s, uint8_t *encap)
{
	return name_index(encap_names, ARRAY_LEN(encap_names), s, encap);
}

int parse_state(const char *s, uint8_t *state)
{
	return name_index(state_names, ARRAY_LEN(state_names), s, state);
}

int parse_port_range(const char *s, uint16_t *min, uint16_t *max)
{
	const char *dash = strchr(s, '-');
	char lo[8];
	size_t n;

	if (!dash)
		return port_parse(s, min, NULL) ? -1 : (*max = *min, 0);
	n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof(lo))
		return -1;
	memcpy(lo, s, n);
	lo[n] = '\0';
	if (port_parse(lo, min, NULL) || port_parse(dash + 1, max, NULL) ||
	    *min > *max)
		return -1;
	return 0;
}

int check_sched(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < L4LB_SCHED_ARG_MAX ? 0 : -1;
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
	return index_name(mode_names, ARRAY_LEN(mode_names), mode, buf, len);
}

const char *encap_name(uint8_t encap, char *buf, size_t len)
{
	return index_name(encap_names, ARRAY_LEN(encap_names), encap, buf, len);
}

const char *state_name(uint8_t state, char *buf, size_t len)
{
	return index_name(state_names, ARRAY_LEN(state_names), state, buf, len);
}

static int bad_value(const char *kw, const char *val, const char *expect,
		     const char *object)
{
	pr_err("invalid %s '%s': expected %s", kw, val, expect);
	fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
	return -1;
}

/* The value of keyword @bit; 0 or bad_value(). */
static int parse_value(unsigned int bit, const char *kw, const char *val,
		       struct kw_opts *o, const char *object)
{
	const char *why = NULL;
	char expect[64];
	struct endpoint ep;

	switch (bit) {
	case KW_PROTO:
		if (parse_proto(val, &o->proto))
			return bad_value(kw, val, "tcp or udp", object);
		break;
	case KW_SCHED:
		if (check_sched(val)) {
			snprintf(expect, sizeof(expect),
				 "a name of 1 to %d characters",
				 L4LB_SCHED_ARG_MAX - 1);
			return bad_value(kw, val, expect, object);
		}
		o->sched = val;
		break;
	case KW_MODE:
		if (parse_mode(val, &o->mode))
			return bad_value(kw, val, "dnat, snat, dsr or tunnel",
					 object);
		break;
	case KW_WEIGHT:
		if (parse_weight(val, &o->weight)) {
			snprintf(expect, sizeof(expect),
				 "an integer from 0 to %d", L4LB_WEIGHT_MAX);
			return bad_value(kw, val, expect, object);
		}
		break;
	case KW_SNAT_ADDR:
		if (strcmp(val, "auto") == 0) {
			if (o->n_snat || (o->seen & KW_SNAT_ADDR)) {
				pr_err("'snat-addr auto' cannot be combined with addresses");
				return -1;
			}
			break;
		}
		if (addr_parse(val, &ep, &why))
			return bad_value(kw, val, "an IPv4 or IPv6 address, or auto",
					 object);
		if ((o->seen & KW_SNAT_ADDR) && !o->n_snat) {
			pr_err("'snat-addr auto' cannot be combined with addresses");
			return -1;
		}
		if (o->n_snat == SNAT_ADDRS_MAX) {
			pr_err("at most %d SNAT addresses", SNAT_ADDRS_MAX);
			return -1;
		}
		o->snat[o->n_snat++] = ep;
		break;
	case KW_SNAT_PORTS:
		if (parse_port_range(val, &o->snat_port_min, &o->snat_port_max))
			return bad_value(kw, val, "a port range MIN-MAX within 1-65535",
					 object);
		break;
	case KW_ENCAP:
		if (parse_encap(val, &o->encap))
			return bad_value(kw, val, "ipip, fou or gue", object);
		break;
	case KW_ENCAP_PORT:
		if (port_parse(val, &o->encap_port, &why))
			return bad_value(kw, val, "a port from 1 to 65535", object);
		break;
	case KW_HASH:
		if (strcmp(val, "src") != 0 && strcmp(val, "5tuple") != 0)
			return bad_value(kw, val, "5tuple or src", object);
		o->flags_named |= L4LB_VIP_F_HASH_SRC;
		if (strcmp(val, "src") == 0)
			o->flags_on |= L4LB_VIP_F_HASH_SRC;
		break;
	case KW_MAGLEV_SIZE:
		/* The range here, primes in the kernel, which says so. */
		if (parse_u32(val, "default", &o->maglev_size) ||
		    (o->maglev_size &&
		     (o->maglev_size < L4LB_MAGLEV_SIZE_MIN ||
		      o->maglev_size > L4LB_MAGLEV_SIZE_MAX))) {
			snprintf(expect, sizeof(expect),
				 "a prime from %d to %d, or default",
				 L4LB_MAGLEV_SIZE_MIN, L4LB_MAGLEV_SIZE_MAX);
			return bad_value(kw, val, expect, object);
		}
		break;
	case KW_MAXCONN:
		if (parse_u32(val, "none", &o->maxconn))
			return bad_value(kw, val,
					 "a number of flows at once, or none",
					 object);
		break;
	case KW_RATE:
		if (parse_u32(val, "none", &o->rate))
			return bad_value(kw, val,
					 "new flows per second, or none", object);
		break;
	case KW_BURST:
		if (parse_u32(val, "default", &o->burst))
			return bad_value(kw, val,
					 "a number of flows, or default (the rate)",
					 object);
		break;
	case KW_PERSIST:
		if (parse_u32(val, "none", &o->persist) ||
		    o->persist > PERSIST_MAX) {
			snprintf(expect, sizeof(expect),
				 "seconds from 1 to %d, or none", PERSIST_MAX);
			return bad_value(kw, val, expect, object);
		}
		break;
	case KW_STATE:
		if (parse_state(val, &o->state))
			return bad_value(kw, val, "up, drain or down", object);
		break;
	}
	return 0;
}

/*
 * Every keyword. A flag keyword takes no value: it turns @flag on or off
 * (the L4LB_VIP_F_* or L4LB_BACKEND_F_* bit); both forms share a KW_ bit,
 * so that only one of them may be given.
 */
static const struct keyword {
	const char *name;
	unsigned int bit;
	bool repeat;		/* may be given more than once */
	uint32_t flag;		/* non-zero: a flag keyword */
	bool on;		/* ... which sets @flag (else clears it) */
} keywords[] = {
	{ "proto", KW_PROTO, false, 0, false },
	{ "sched", KW_SCHED, false, 0, false },
	{ "mode", KW_MODE, false, 0, false },
	{ "weight", KW_WEIGHT, false, 0, false },
	{ "snat-addr", KW_SNAT_ADDR, true, 0, false },
	{ "snat-ports", KW_SNAT_PORTS, false, 0, false },
	{ "encap", KW_ENCAP, false, 0, false },
	{ "encap-port", KW_ENCAP_PORT, false, 0, false },
	{ "ops", KW_OPS, false, L4LB_VIP_F_OPS, true },
	{ "no-ops", KW_OPS, false, L4LB_VIP_F_OPS, false },
	{ "sh-port", KW_SH_PORT, false, L4LB_VIP_F_SH_PORT, true },
	{ "no-sh-port", KW_SH_PORT, false, L4LB_VIP_F_SH_PORT, false },
	{ "hash", KW_HASH, false, 0, false },
	{ "maglev-size", KW_MAGLEV_SIZE, false, 0, false },
	{ "maxconn", KW_MAXCONN, false, 0, false },
	{ "rate", KW_RATE, false, 0, false },
	{ "burst", KW_BURST, false, 0, false },
	{ "persist", KW_PERSIST, false, 0, false },
	/* the ABI's bit says "no reject": the default is to reject */
	{ "reject", KW_REJECT, false, L4LB_VIP_F_NO_REJECT, false },
	{ "no-reject", KW_REJECT, false, L4LB_VIP_F_NO_REJECT, true },
	{ "expire-down", KW_EXPIRE_DOWN, false, L4LB_VIP_F_EXPIRE_DOWN, true },
	{ "no-expire-down", KW_EXPIRE_DOWN, false, L4LB_VIP_F_EXPIRE_DOWN,
	  false },
	{ "syn-only", KW_SYN_ONLY, false, L4LB_VIP_F_SYN_ONLY, true },
	{ "no-syn-only", KW_SYN_ONLY, false, L4LB_VIP_F_SYN_ONLY, false },
	{ "state", KW_STATE, false, 0, false },
	{ "backup", KW_BACKUP, false, L4LB_BACKEND_F_BACKUP, true },
	{ "primary", KW_BACKUP, false, L4LB_BACKEND_F_BACKUP, false },
};

/* The keyword given before @kw's counterpart ("ops" for "no-ops"). */
static const char *given_name(unsigned int bit, int argc, char **argv,
			      int upto)
{
	int i;
	size_t k;

	for (i = 0; i < upto && i < argc; i++)
		for (k = 0; k < ARRAY_LEN(keywords); k++)
			if (keywords[k].bit == bit &&
			    strcmp(argv[i], keywords[k].name) == 0)
				return argv[i];
	return "?";
}

int parse_keywords(int argc, char **argv, unsigned int allowed,
		   struct kw_opts *o, const char *object)
{
	int i = 0;

	memset(o, 0, sizeof(*o));
	o->proto = IPPROTO_TCP;

	while (i < argc) {
		const char *kw = argv[i];
		const struct keyword *k = NULL;
		size_t j;

		for (j = 0; j < ARRAY_LEN(keywords); j++)
			if (strcmp(kw, keywords[j].name) == 0)
				k = &keywords[j];
		if (!k || !(k->bit & allowed)) {
			pr_err("unknown keyword '%s'", kw);
			fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
			return -1;
		}
		if ((o->seen & k->bit) && !k->repeat) {
			const char *first = given_name(k->bit, argc, argv, i);

			if (strcmp(first, kw) != 0)
				pr_err("'%s' and '%s' contradict each other",
				       first, kw);
			else
				pr_err("keyword '%s' given twice", kw);
			return -1;
		}
		if (k->flag) {
			o->flags_named |= k->flag;
			if (k->on)
				o->flags_on |= k->flag;
			if (k->bit == KW_OPS)
				o->ops = k->on;
			o->seen |= k->bit;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			pr_err("keyword '%s' needs a value", kw);
			fprintf(stderr, "Try 'l4ctl %s help'.\n", object);
			return -1;
		}
		if (parse_value(k->bit, kw, argv[i + 1], o, object))
			return -1;
		o->seen |= k->bit;
		i += 2;
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
