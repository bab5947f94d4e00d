// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and formatting of ADDR:PORT endpoints.
 *
 * Only numeric addresses are accepted: the load balancer is configured with
 * addresses, and a resolver here would make "what did I just configure"
 * depend on DNS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

size_t addr_len(uint16_t family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

/* Decimal 1..65535, digits only: no sign, no blanks, no hex. */
int port_parse(const char *s, uint16_t *port, const char **why)
{
	unsigned long v = 0;

	if (!*s)
		return fail(why, "missing port");
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return fail(why, "port is not a decimal number");
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return fail(why, "port out of range (1..65535)");
	}
	if (v == 0)
		return fail(why, "port out of range (1..65535)");
	*port = (uint16_t)v;
	return 0;
}

static int v6_parse(const char *s, struct endpoint *ep, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *end = strchr(s, ']');
	struct in6_addr a;
	size_t n;

	if (!end)
		return fail(why, "missing ']' after IPv6 address");
	n = (size_t)(end - s - 1);
	if (n == 0)
		return fail(why, "empty IPv6 address");
	if (n >= sizeof(host))
		return fail(why, "not an IPv6 address");
	memcpy(host, s + 1, n);
	host[n] = '\0';
	if (inet_pton(AF_INET6, host, &a) != 1)
		return fail(why, "not an IPv6 address");
	/*
	 * A v4-mapped VIP or backend would never match: IPv4 traffic is seen
	 * as IPv4 by the datapath. Ask for the plain IPv4 form instead.
	 */
	if (IN6_IS_ADDR_V4MAPPED(&a))
		return fail(why, "IPv4-mapped IPv6 address, use the IPv4 form");
	if (end[1] != ':')
		return fail(why, end[1] ? "expected ':PORT' after ']'" :
				 "missing port");
	if (port_parse(end + 2, &ep->port, why))
		return -1;
	ep->family = AF_INET6;
	memcpy(ep->addr, &a, sizeof(a));
	return 0;
}

/* Used only to give a better hint for a forgotten pair of brackets. */
static int looks_like_v6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

static int v4_parse(const char *s, struct endpoint *ep, const char **why)
{
	char host[INET6_ADDRSTRLEN];	/* big enough for the bracket hint */
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	size_t n;

	if (!colon)
		return fail(why, "missing ':PORT'");
	n = (size_t)(colon - s);
	if (n == 0)
		return fail(why, "missing address");
	if (n >= sizeof(host))
		return fail(why, "not an IPv4 address");
	memcpy(host, s, n);
	host[n] = '\0';
	if (memchr(s, ':', n))
		return fail(why, looks_like_v6(host) || looks_like_v6(s) ?
			    "IPv6 addresses need brackets, e.g. [2001:db8::1]:80" :
			    "not an IPv4 address");
	/* inet_pton, unlike inet_aton, only takes the dotted quad form */
	if (inet_pton(AF_INET, host, &a) != 1)
		return fail(why, "not an IPv4 address");
	if (port_parse(colon + 1, &ep->port, why))
		return -1;
	ep->family = AF_INET;
	memset(ep->addr, 0, sizeof(ep->addr));
	memcpy(ep->addr, &a, sizeof(a));
	return 0;
}

int endpoint_parse(const char *s, struct endpoint *ep, const char **why)
{
	struct endpoint tmp = { 0 };
	int ret;

	if (!s || !*s)
		return fail(why, "empty address");
	ret = s[0] == '[' ? v6_parse(s, &tmp, why) : v4_parse(s, &tmp, why);
	if (ret == 0)
		*ep = tmp;	/* leave @ep untouched on error */
	return ret;
}

const char *addr_format(const struct endpoint *ep, char *buf, size_t len)
{
	int af = ep->family;

	if ((af != AF_INET && af != AF_INET6) ||
	    !inet_ntop(af, ep->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(ep, a, sizeof(a));
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, len, "%s:%u", a, ep->port);
	return buf;
}

int addr_parse(const char *s, struct endpoint *ep, const char **why)
{
	struct in6_addr a6;

	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, s, ep->addr) == 1) {
		ep->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return fail(why, "IPv4-mapped IPv6 address, use the IPv4 form");
		memcpy(ep->addr, &a6, sizeof(a6));
		ep->family = AF_INET6;
		return 0;
	}
	return fail(why, "not an IPv4 or IPv6 address");
}
