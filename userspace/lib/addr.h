/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Endpoints (address + port) as typed on the command line and as shown.
 *
 * Pure logic, no netlink: this file is unit tested on its own.
 */
#ifndef L4LB_LIB_ADDR_H
#define L4LB_LIB_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* "[" + 39 chars of IPv6 + "]:" + 5 digits + NUL, rounded up */
#define ADDR_STRLEN	64

struct endpoint {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; only the first 4 bytes for v4 */
	uint16_t port;		/* host order */
};

/* Number of address bytes for a family, 0 if the family is not supported. */
size_t addr_len(uint16_t family);

/*
 * Parse "A.B.C.D:PORT" or "[IPV6]:PORT" into @ep. Returns 0, or -1 with
 * @why (if not NULL) set to a static human readable reason.
 */
int endpoint_parse(const char *s, struct endpoint *ep, const char **why);

/* An address alone, IPv4 or IPv6, into @ep (port 0). As endpoint_parse(). */
int addr_parse(const char *s, struct endpoint *ep, const char **why);

/* A port 1..65535 in decimal. As endpoint_parse(). */
int port_parse(const char *s, uint16_t *port, const char **why);

/* Address alone ("10.0.0.1", "2001:db8::1"): JSON and text building block. */
const char *addr_format(const struct endpoint *ep, char *buf, size_t len);

/* "10.0.0.1:80" or "[2001:db8::1]:80" */
const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len);

#endif
