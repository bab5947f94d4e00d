/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command line values: keywords (proto, sched, mode, weight, ...), their
 * values, and the names used to print them back. Pure logic, unit tested.
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
	KW_SH_PORT	= 1 << 9,	/* "sh-port" / "no-sh-port" */
	KW_HASH		= 1 << 10,	/* 5tuple | src */
	KW_MAGLEV_SIZE	= 1 << 11,	/* N | default */
	KW_MAXCONN	= 1 << 12,	/* N | none; a VIP's or a backend's */
	KW_RATE		= 1 << 13,	/* N | none */
	KW_BURST	= 1 << 14,	/* N | default */
	KW_PERSIST	= 1 << 15,	/* SECONDS | none */
	KW_REJECT	= 1 << 16,	/* "reject" / "no-reject" */
	KW_EXPIRE_DOWN	= 1 << 17,	/* "expire-down" / "no-expire-down" */
	KW_SYN_ONLY	= 1 << 18,	/* "syn-only" / "no-syn-only" */
	KW_STATE	= 1 << 19,	/* up | drain | down */
	KW_BACKUP	= 1 << 20,	/* "backup" / "primary" */
};

/* What 'vip add' and 'vip set' take beyond proto. */
#define KW_VIP_CFG	(KW_SCHED | KW_MODE | KW_SNAT_ADDR | KW_SNAT_PORTS | \
			 KW_ENCAP | KW_ENCAP_PORT | KW_OPS | KW_SH_PORT | \
			 KW_HASH | KW_MAGLEV_SIZE | KW_MAXCONN | KW_RATE | \
			 KW_BURST | KW_PERSIST | KW_REJECT | KW_EXPIRE_DOWN | \
			 KW_SYN_ONLY)

/* What 'backend add' and 'backend set' take beyond proto. */
#define KW_BACKEND_CFG	(KW_WEIGHT | KW_STATE | KW_MAXCONN | KW_BACKUP)

/* Persistence, at most as long as the longest idle timeout (the kernel's). */
#define PERSIST_MAX	604800

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
	/*
	 * The flag keywords (ops, sh-port, hash, reject, ...; backup): the
	 * L4LB_VIP_F_* or, for a backend, L4LB_BACKEND_F_* bits they name,
	 * and of those the ones they turn on.
	 */
	uint32_t flags_named, flags_on;
	uint32_t maglev_size;	/* 0: default */
	uint32_t maxconn;	/* 0: none */
	uint32_t rate;		/* 0: none */
	uint32_t burst;		/* 0: default (the rate) */
	uint32_t persist;	/* seconds, 0: none */
	uint8_t state;		/* enum l4lb_backend_state */
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
int parse_state(const char *s, uint8_t *state);	/* up, drain, down */
/* Decimal 0..UINT32_MAX, or 0 for @zero_word ("none", "default"; may be NULL). */
int parse_u32(const char *s, const char *zero_word, uint32_t *v);

/* Names for output; unknown values print as their number. */
const char *proto_name(uint8_t proto, char *buf, size_t len);
const char *mode_name(uint8_t mode, char *buf, size_t len);
const char *encap_name(uint8_t encap, char *buf, size_t len);
const char *state_name(uint8_t state, char *buf, size_t len);

#endif
