/* SPDX-License-Identifier: GPL-2.0 */
/*
 * l4lb objects on the wire: building the nested VIP/backend attributes of
 * requests, decoding replies, and the two dumps. The parsers are pure (an
 * nlattr in, a struct out) and unit tested.
 */
#ifndef L4LB_LIB_MSG_H
#define L4LB_LIB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/l4lb.h>

#include "addr.h"
#include "nl.h"
#include "timeouts_core.h"

struct vip_key {
	struct endpoint ep;
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
};

/* Counters indexed by enum l4lb_stats_attr; only those sent are shown. */
struct stats {
	uint64_t val[L4LB_STATS_ATTR_MAX + 1];
	uint32_t present;	/* bit n set: val[n] came from the kernel */
};

struct backend {
	struct endpoint ep;
	uint32_t weight;
	bool has_weight, has_state, has_maxconn, has_flags;
	uint8_t state;			/* enum l4lb_backend_state */
	uint32_t maxconn;		/* 0: none */
	uint32_t flags;			/* L4LB_BACKEND_F_* */
	struct stats stats;
};

struct vip {
	struct vip_key key;
	char sched[L4LB_SCHED_ARG_MAX];	/* "" if not sent */
	uint8_t mode;
	bool has_mode;
	bool has_encap, has_encap_port, has_snat_ports, has_flags;
	uint8_t encap;			/* enum l4lb_encap */
	uint16_t encap_port;		/* host order */
	uint16_t snat_port_min, snat_port_max;
	uint32_t flags;			/* L4LB_VIP_F_* */
	/* scheduling: each 0 when it is the default, or no limit */
	bool has_maglev_size, has_maxconn, has_rate, has_burst, has_persist;
	uint32_t maglev_size, maxconn, rate, burst, persist;
	size_t n_snat;			/* 0: the egress address */
	struct endpoint snat[L4LB_SNAT_ADDRS_MAX];	/* port 0 */
	struct stats stats;
	struct timeouts timeouts;	/* its own */
	struct backend *backends;	/* filled by 'l4ctl show' only */
	size_t n_backends;
};

/*
 * The namespace as a whole (L4LB_CMD_NET_GET): val[] is indexed by enum
 * l4lb_net_attr (the table fill and limits), cnt[] by enum
 * l4lb_net_stats_attr. Only what the kernel sent is shown: bit n of
 * present / cnt_present says val[n] / cnt[n] came from it.
 */
struct net_info {
	uint64_t val[L4LB_NET_ATTR_MAX + 1];
	uint32_t present;
	uint64_t cnt[L4LB_NET_STATS_ATTR_MAX + 1];
	uint32_t cnt_present;
	struct timeouts timeouts;	/* the defaults */
};

/*
 * What vip add / vip set send beyond the key: NULL or negative fields are
 * not sent; n_snat 0 sends an empty list (back to the egress address).
 */
struct vip_opts {
	const char *sched;
	int mode;
	int encap;
	int encap_port;			/* host order */
	int snat_port_min, snat_port_max;
	int n_snat;
	struct endpoint snat[L4LB_SNAT_ADDRS_MAX];
	int64_t flags;
	int64_t maglev_size, maxconn, rate, burst, persist;
	const struct timeouts *timeouts;	/* NULL: none sent */
};

/* What backend add / backend set send beyond the key: negative: not sent. */
struct backend_opts {
	int64_t weight, state, maxconn, flags;
};

void vip_opts_init(struct vip_opts *o);
void backend_opts_init(struct backend_opts *o);

/* Request side. @o may be NULL (the key alone). */
void msg_put_vip(struct nlmsghdr *nlh, const struct vip_key *key,
		 const struct vip_opts *o);
void msg_put_backend(struct nlmsghdr *nlh, const struct endpoint *ep,
		     const struct backend_opts *o);

/* Reply side: 0, or -1 when a required attribute is missing or malformed.
 * Unknown attributes are skipped: newer kernels may add some. */
int msg_parse_vip(const struct nlattr *nest, struct vip *v);
int msg_parse_backend(const struct nlattr *nest, struct backend *b);
/* The L4LB_ATTR_NET nest; values of an unexpected size are skipped. */
int msg_parse_net(const struct nlattr *nest, struct net_info *ni);

/*
 * Whole dumps, collected before anything is printed. A dump the kernel
 * marks inconsistent (NLM_F_DUMP_INTR) is thrown away and run again, up to
 * NL_DUMP_TRIES times. Return 0, -errno or -NL_DUMP_INTR.
 */
int dump_vips(struct nl_ctx *ctx, struct vip **vips, size_t *n);
int dump_backends(struct nl_ctx *ctx, const struct vip_key *key,
		  struct backend **backends, size_t *n);
/* Every VIP with its backends; a VIP deleted meanwhile has none. */
int dump_config(struct nl_ctx *ctx, struct vip **vips, size_t *n);
/* The backends of each of @vips (from dump_vips()), as dump_config(). */
int dump_vips_backends(struct nl_ctx *ctx, struct vip *vips, size_t n);
void free_vips(struct vip *vips, size_t n);

/* L4LB_CMD_NET_GET. Returns 0, or -errno (-EPROTO: a reply without L4LB_ATTR_NET). */
int net_get(struct nl_ctx *ctx, struct net_info *ni);

/*
 * A configuration change: what the add/del/set verbs send.
 *
 * The flags of a VIP, and of a backend, are one u32 on the wire, which a
 * request replaces whole. So the flag keywords are given as the bits they
 * name (@flags_named) and those of them that are on (@flags_on): VIP_SET
 * and BACKEND_SET first read the object's flags and keep every other bit
 * (also bits this l4ctl does not know), the _NEW commands send @flags_on.
 * A change by someone else between the read and the write may be lost.
 */
struct request {
	uint8_t cmd;			/* L4LB_CMD_* */
	uint16_t flags;			/* besides NLM_F_REQUEST|NLM_F_ACK */
	const struct vip_key *vip;		/* NULL: none (STATS_ZERO) */
	const struct vip_opts *vip_opts;	/* NULL: the key alone */
	const struct endpoint *backend;	/* NULL for VIP commands */
	const struct backend_opts *backend_opts;	/* NULL: the key alone */
	uint32_t flags_named, flags_on;	/* of the VIP's or the backend's */
};

/* new = the bits of @cur not named, and the named ones that are on */
static inline uint32_t flags_merge(uint32_t cur, uint32_t named, uint32_t on)
{
	return (cur & ~named) | (on & named);
}

/*
 * The flags the kernel has for a VIP (a VIP dump) or a backend (a dump of
 * its VIP's backends) into *@flags. Returns 0, -ENOENT when there is no such
 * object, or -errno of the dump.
 */
int vip_flags_get(struct nl_ctx *ctx, const struct vip_key *key,
		  uint32_t *flags);
int backend_flags_get(struct nl_ctx *ctx, const struct vip_key *key,
		      const struct endpoint *ep, uint32_t *flags);

/*
 * Send @r on @ctx (after reading the flags it keeps, see above) and wait for
 * the ack. Returns 0 or -errno; the kernel's message is in ctx->extack.
 */
int request_run(struct nl_ctx *ctx, const struct request *r);

/* Open, request_run(), report. Returns the exit status. */
int send_request(const struct request *r);

/*
 * 'replace': send @r (an _NEW command); when the object exists, send it
 * again as @set_cmd if @change (something beyond the key was given), else
 * leave the object as it is. Returns the exit status.
 */
int send_replace(struct request *r, uint8_t set_cmd, bool change);

#endif
