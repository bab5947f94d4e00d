/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command line values: keywords (proto, sched, mode, weight), their values,
 * and the names used to print them back. Pure logic, unit tested.
 */
#ifndef L4CTL_ARGS_H
#define L4CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Keywords a verb accepts, as a mask for parse_keywords(). */
enum {
	KW_PROTO	= 1 << 0,
	KW_SCHED	= 1 << 1,
	KW_MODE		= 1 << 2,
	KW_WEIGHT	= 1 << 3,
	KW_SNAT_ADDR	= 1 << 4,	/* repeatable; "auto": none */
	KW_SNAT_PORTS	= 1 << 5,
	KW_ENCAP	= 1 << 6,
	KW_ENCAP_PORT	= 1 << 7,
	KW_OPS		= 1 << 8,	/* "ops" / "no-ops", no value */
};

/* What 'vip add' and 'vip set' take beyond proto. */
#define KW_VIP_CFG	(KW_SCHED | KW_MODE | KW_SNAT_ADDR | KW_SNAT_PORTS | \
			 KW_ENCAP | KW_ENCAP_PORT | KW_OPS)

#define SNAT_ADDRS_MAX	16	/* L4LB_SNAT_ADDRS_MAX */

struct kw_opts {
	unsigned int seen;	/* KW_* given on the command line */
	uint8_t proto;		/* IPPROTO_TCP unless given */
	const char *sched;
	uint8_t mode;		/* enum l4lb_fwd_mode */
	uint32_t weight;
	/* snat-addr: n_snat 0 with KW_SNAT_ADDR seen means "auto" */
	struct endpoint snat[SNAT_ADDRS_MAX];
	unsigned int n_snat;
	uint16_t snat_port_min, snat_port_max;
	uint8_t encap;		/* enum l4lb_encap */
	uint16_t encap_port;	/* host order */
	bool ops;
};

/*
 * Parse "keyword value" pairs, in any order, each at most once. On error
 * prints a message naming the bad token and a hint to 'l4ctl @object help',
 * and returns -1.
 */
int parse_keywords(int argc, char **argv, unsigned int allowed,
		   struct kw_opts *o, const char *object);

/* endpoint_parse() that reports "invalid @what 'TOKEN': reason". */
int parse_endpoint_arg(const char *s, struct endpoint *ep, const char *what);

/* Each returns 0, or -1 without printing. */
int parse_weight(const char *s, uint32_t *weight);	/* 0..65535 */
int parse_proto(const char *s, uint8_t *proto);		/* tcp, udp */
int parse_mode(const char *s, uint8_t *mode);	/* dnat, snat, dsr, tunnel */
int parse_encap(const char *s, uint8_t *encap);	/* ipip, fou, gue */
int parse_port_range(const char *s, uint16_t *min, uint16_t *max); /* A-B */
int check_sched(const char *s);				/* fits the ABI */

/* Names for output; unknown values print as their number. */
const char *proto_name(uint8_t proto, char *buf, size_t len);
const char *mode_name(uint8_t mode, char *buf, size_t len);
const char *encap_name(uint8_t encap, char *buf, size_t len);

#endif
