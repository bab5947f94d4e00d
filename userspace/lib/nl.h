/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink transport: resolve the "l4lb" family, send a request and
 * wait for its ack, or run a dump to its end. Knows nothing of VIPs.
 */
#ifndef L4LB_LIB_NL_H
#define L4LB_LIB_NL_H

#include <stdint.h>
#include <sys/types.h>

#include <libmnl/libmnl.h>

/* What the kernel fills a dump skb up to; also our receive buffer. */
#define NL_RX_SIZE	32768
#define NL_EXTACK_MAX	256

/*
 * nl_dump()'s result when the configuration changed while it was dumped
 * (NLM_F_DUMP_INTR): not an errno, so never mistaken for one. Callers run
 * the dump again, up to NL_DUMP_TRIES times in all.
 */
#define NL_DUMP_INTR	4096
#define NL_DUMP_TRIES	5

struct nl_ctx;

/*
 * What carries the messages. NULL members mean the netlink socket; the
 * unit tests put a fake kernel here. Both return a length or -1 with errno.
 */
struct nl_transport {
	ssize_t (*send)(struct nl_ctx *ctx, const void *buf, size_t len);
	ssize_t (*recv)(struct nl_ctx *ctx, void *buf, size_t len);
	void *priv;
};

struct nl_ctx {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family_id;
	uint32_t family_version;
	uint32_t events_group;		/* "events" multicast group, 0: none */
	uint32_t flows_group;		/* "flows" multicast group, 0: none */
	char extack[NL_EXTACK_MAX];	/* message of the last error, if any */
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, 0 if none */
	struct nl_transport xport;	/* zeroed: the socket */
	char tx[8192];
	char rx[NL_RX_SIZE];
};

/*
 * Open the socket and resolve the family. Returns NULL after printing why
 * (module not loaded, no socket...); the caller exits with EXIT_KERNEL.
 */
struct nl_ctx *nl_open(void);
/*
 * The same, printing nothing: NULL with *@err = -errno, -ENOENT when the
 * l4lb family is not there (module not loaded). For a daemon that retries
 * and logs only when this changes.
 */
struct nl_ctx *nl_open_quiet(int *err);
void nl_close(struct nl_ctx *ctx);

/*
 * Give up waiting for the kernel after @ms milliseconds (0: wait forever,
 * the default, which l4ctl keeps): an exchange then fails with -ETIMEDOUT.
 * Its replies may still come, so the socket is best closed after one.
 * Returns 0 or -errno.
 */
int nl_set_timeout(struct nl_ctx *ctx, unsigned int ms);

/*
 * Between these, nl_open() hands out one context (opened on first use) and
 * nl_close() leaves it open: a batch talks over a single socket.
 */
void nl_batch_begin(void);
void nl_batch_end(void);

/*
 * For the unit tests only: when set, nl_open() opens no socket and resolves
 * nothing; its contexts carry this transport and family id NL_TEST_FAMILY,
 * so that whole commands run against a fake kernel.
 */
#define NL_TEST_FAMILY	0x20
extern const struct nl_transport *nl_test_transport;

/* Start a request for @cmd of the l4lb family in ctx->tx. */
struct nlmsghdr *nl_msg(struct nl_ctx *ctx, uint8_t cmd, uint16_t flags);

/*
 * The exchanges below always run to the kernel's final message for their
 * request (the ack, or NLMSG_DONE), also when they fail earlier (a
 * callback's error half way through a dump): what is left of the answer
 * is read and dropped, so the next request never sees stale replies.
 * -ETIMEDOUT: no answer within nl_set_timeout()'s time.
 */

/* Send with NLM_F_ACK, wait for the ack. Returns 0 or -errno. */
int nl_request(struct nl_ctx *ctx, struct nlmsghdr *nlh);

/*
 * A request answered with data (a doit reply, not a dump): sent with
 * NLM_F_ACK, @cb sees the reply message(s) before the ack ends the
 * exchange. Returns 0 or -errno.
 */
int nl_get(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * Send with NLM_F_DUMP; @cb sees every reply message until NLMSG_DONE.
 * @cb returns MNL_CB_OK, or MNL_CB_ERROR with errno set. Returns 0 or
 * -errno; -NL_DUMP_INTR when some message carried NLM_F_DUMP_INTR (the
 * configuration changed under the dump): the dump was read to its end, what
 * @cb collected is inconsistent and the caller should start it again.
 */
int nl_dump(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * Run the callbacks over one received buffer of the exchange @seq: @cb for
 * data, NLMSG_ERROR/NLMSG_DONE into errors with their extack kept in @ctx.
 * Returns 1 (more to come), 0 (final message seen) or -errno. Exposed for
 * the unit tests, which feed it hand-made kernel replies.
 */
int nl_process(struct nl_ctx *ctx, const void *buf, size_t len, uint32_t seq,
	       mnl_cb_t cb, void *data);

/*
 * Three errors say more about the system than about the request, and each
 * gets a message of its own with what to do:
 * - the family is not registered (-ENOENT resolving it): module not loaded;
 * - -EPERM: the caller lacks CAP_NET_ADMIN over the netns (every l4lb
 *   command and the events group need it);
 * - the family is there but does not know what was sent: -EOPNOTSUPP
 *   without a message (the genetlink core's "no such command"), or an
 *   attribute the module's policy refuses as unknown: l4ctl and the module
 *   differ in version.
 */
#define NL_HINT_MODULE	"the l4lb module is not loaded (modprobe l4lb)"
#define NL_HINT_PERM	"l4lb needs CAP_NET_ADMIN in the user namespace that owns the network namespace: run as root (e.g. with sudo)"
#define NL_HINT_VERSION	"l4ctl and the loaded l4lb module differ in version ('l4ctl -V' shows both)"

/*
 * Print "<prog_name>: <strerror>: <extack message>" for @err, or what
 * -NL_DUMP_INTR means, or one of the messages above; returns EXIT_KERNEL.
 */
int nl_report(const struct nl_ctx *ctx, int err);

#endif
