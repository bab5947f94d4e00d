// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink plumbing. Every exchange runs until the kernel's final word (the
 * ack, or NLMSG_DONE for dumps) so the socket never holds stale replies,
 * and errors keep their extended ack message for nl_report().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/l4lb.h>

#include "nl.h"
#include "pr.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* One exchange: the caller's callback plus where extack ends up. */
struct exchange {
	struct nl_ctx *ctx;
	mnl_cb_t cb;
	void *data;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_ctx *ctx = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(ctx->extack, sizeof(ctx->extack), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ctx->miss_type = mnl_attr_get_u32(attr);
		break;
	default:
		break;	/* offsets, cookies, policies: not shown */
	}
	return MNL_CB_OK;
}

/* The TLVs start @offset bytes into the payload, when there are any. */
static void parse_extack(struct nl_ctx *ctx, const struct nlmsghdr *nlh,
			 size_t offset)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (MNL_ALIGN(offset) > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, (unsigned int)offset, extack_attr_cb, ctx);
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* unless capped, the ack echoes our whole request before the TLVs */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += mnl_nlmsg_get_payload_len(&err->msg);
	parse_extack(x->ctx, nlh, offset);

	if (err->error == 0) {
		/* success may still carry a message meant as a warning */
		if (x->ctx->extack[0])
			pr_warn("%s", x->ctx->extack);
		return MNL_CB_STOP;
	}
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

/* A dump that fails half way ends with a negative errno in NLMSG_DONE. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return MNL_CB_STOP;
	parse_extack(x->ctx, nlh, sizeof(err));
	errno = -err;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;

	return x->cb ? x->cb(nlh, x->data) : MNL_CB_OK;
}

int nl_process(struct nl_ctx *ctx, const void *buf, size_t len, uint32_t seq,
	       mnl_cb_t cb, void *data)
{
	/* not const: mnl_cb_run2() does not take a const array */
	static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct exchange x = { .ctx = ctx, .cb = cb, .data = data };
	int ret;

	/* mnl_cb_run2 also refuses replies to another seq or portid */
	errno = 0;
	ret = mnl_cb_run2(buf, len, seq, ctx->portid, data_cb, &x, ctl_cb,
			  NLMSG_MIN_TYPE);
	if (ret == MNL_CB_ERROR)
		return errno ? -errno : -EPROTO;
	return ret;
}

/*
 * The table changed while it was being dumped. libmnl would stop at the
 * first such message and leave the rest of the dump in the socket; instead
 * we note it, read the dump to its end, and let the caller start over.
 */
static bool clear_dump_intr(void *buf, size_t len)
{
	struct nlmsghdr *nlh = buf;
	int left = (int)len;
	bool intr = false;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
			intr = true;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return intr;
}

static ssize_t xmit(struct nl_ctx *ctx, const void *buf, size_t len)
{
	if (ctx->xport.send)
		return ctx->xport.send(ctx, buf, len);
	return mnl_socket_sendto(ctx->sock, buf, len);
}

/* A signal (SIGSTOP/SIGCONT) ending the wait consumed nothing: wait again. */
static ssize_t receive(struct nl_ctx *ctx)
{
	ssize_t n;

	do {
		if (ctx->xport.recv)
			n = ctx->xport.recv(ctx, ctx->rx, sizeof(ctx->rx));
		else
			n = mnl_socket_recvfrom(ctx->sock, ctx->rx,
						sizeof(ctx->rx));
	} while (n < 0 && errno == EINTR);
	return n;
}

/* A receive that failed: -errno; the socket's timeout is -ETIMEDOUT. */
static int receive_error(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
}

/* Whether @buf holds the final message (ack, error, NLMSG_DONE) of @seq. */
static bool has_final(const void *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_seq == seq &&
		    (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE))
			return true;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return false;
}

/*
 * Send @nlh, run the replies through @cb until the kernel's final word.
 * When the exchange ends before it (a callback's error half way through a
 * dump, a reply to another request), the rest of its replies is read and
 * dropped up to that final message: left in the socket, they would be
 * taken for the answer to the next request. A receive that times out
 * (nl_set_timeout()) is -ETIMEDOUT; replies may still come, so the caller
 * had better open a new socket.
 */
static int exchange(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data)
{
	uint32_t seq = ++ctx->seq;
	bool intr = false;
	ssize_t n;
	int ret;

	ctx->extack[0] = '\0';
	ctx->miss_type = 0;
	nlh->nlmsg_seq = seq;
	if (xmit(ctx, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	do {
		n = receive(ctx);
		if (n < 0)
			return receive_error();
		intr |= clear_dump_intr(ctx->rx, (size_t)n);
		ret = nl_process(ctx, ctx->rx, (size_t)n, seq, cb, data);
	} while (ret > MNL_CB_STOP);

	/* ended before the final message (in the last buffer, if it came) */
	while (!has_final(ctx->rx, (size_t)n, seq)) {
		n = receive(ctx);
		if (n < 0)
			return receive_error();
	}
	if (ret == 0 && intr)
		return -NL_DUMP_INTR;
	return ret;
}

int nl_request(struct nl_ctx *ctx, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return exchange(ctx, nlh, NULL, NULL);
}

int nl_get(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return exchange(ctx, nlh, cb, data);
}

int nl_dump(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_DUMP;
	return exchange(ctx, nlh, cb, data);
}

static struct nlmsghdr *genl_msg(struct nl_ctx *ctx, uint16_t type,
				 uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ctx->tx);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *nl_msg(struct nl_ctx *ctx, uint8_t cmd, uint16_t flags)
{
	return genl_msg(ctx, ctx->family_id, cmd, L4LB_GENL_VERSION, flags);
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_ctx *ctx = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			ctx->family_id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ctx->family_version = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

/* The ids of the "events" and "flows" groups, among the family's groups. */
static void mcast_groups(struct nl_ctx *ctx, const struct nlattr *nest)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, nest) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && strcmp(name, L4LB_GENL_MCGRP_EVENTS) == 0)
			ctx->events_group = id;
		if (name && strcmp(name, L4LB_GENL_MCGRP_FLOWS) == 0)
			ctx->flows_group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mcast_groups(data, a);
	return MNL_CB_OK;
}

/* The reply comes before the ack; exchange() hands it to family_cb. */
static int resolve_family(struct nl_ctx *ctx)
{
	struct nlmsghdr *nlh;

	nlh = genl_msg(ctx, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, L4LB_GENL_NAME);
	return exchange(ctx, nlh, family_cb, ctx);
}

const struct nl_transport *nl_test_transport;

/* A batch keeps one context for all its commands (nl_batch_begin()). */
static bool nl_batch;
static struct nl_ctx *nl_shared;

void nl_batch_begin(void)
{
	nl_batch = true;
}

void nl_batch_end(void)
{
	struct nl_ctx *ctx = nl_shared;

	nl_batch = false;
	nl_shared = NULL;
	nl_close(ctx);
}

static struct nl_ctx *nl_open_new(int *errp, bool quiet);

struct nl_ctx *nl_open(void)
{
	struct nl_ctx *ctx;
	int err;

	if (nl_shared)
		return nl_shared;
	ctx = nl_open_new(&err, false);
	if (nl_batch)
		nl_shared = ctx;
	return ctx;
}

struct nl_ctx *nl_open_quiet(int *err)
{
	return nl_open_new(err, true);
}

static struct nl_ctx *nl_open_new(int *errp, bool quiet)
{
	struct nl_ctx *ctx = calloc(1, sizeof(*ctx));
	int one = 1, err;

	if (!ctx) {
		*errp = -errno;
		if (!quiet)
			pr_err("%s", strerror(errno));
		return NULL;
	}
	if (nl_test_transport) {
		ctx->xport = *nl_test_transport;
		ctx->family_id = NL_TEST_FAMILY;
		return ctx;
	}
	ctx->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!ctx->sock) {
		err = -errno;
		if (!quiet)
			pr_err("cannot open a generic netlink socket: %s",
			       strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(ctx->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		if (!quiet)
			pr_err("cannot bind the netlink socket: %s",
			       strerror(errno));
		goto fail;
	}
	ctx->portid = mnl_socket_get_portid(ctx->sock);
	/* best effort: kernels without them just send plain acks */
	mnl_socket_setsockopt(ctx->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(ctx->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	err = resolve_family(ctx);
	if (err == 0 && ctx->family_id == 0)
		err = -EPROTO;
	if (err && !quiet) {
		if (err == -ENOENT)
			pr_err("%s", NL_HINT_MODULE);
		else
			nl_report(ctx, err);
	}
	if (err)
		goto fail;
	*errp = 0;
	return ctx;
fail:
	*errp = err;
	nl_close(ctx);
	return NULL;
}

int nl_set_timeout(struct nl_ctx *ctx, unsigned int ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000,
		.tv_usec = (suseconds_t)(ms % 1000) * 1000,
	};

	if (!ctx->sock)		/* a test transport: its recv decides */
		return 0;
	if (setsockopt(mnl_socket_get_fd(ctx->sock), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

void nl_close(struct nl_ctx *ctx)
{
	if (!ctx || ctx == nl_shared)
		return;
	if (ctx->sock)
		mnl_socket_close(ctx->sock);
	free(ctx);
}

/*
 * The kernel's extack when a policy meets an attribute it does not know
 * (above its maxtype, or one it leaves out): l4ctl sends only attributes of
 * its uapi header, so the module is older than l4ctl.
 */
static bool unknown_attr(const char *extack)
{
	return strcmp(extack, "Unknown attribute type") == 0 ||
	       strcmp(extack, "Unsupported attribute") == 0;
}

int nl_report(const struct nl_ctx *ctx, int err)
{
	const char *why;

	if (err == -NL_DUMP_INTR) {
		pr_err("the configuration changed during each of %d attempts to list it; try again",
		       NL_DUMP_TRIES);
		return EXIT_KERNEL;
	}
	why = strerror(err < 0 ? -err : err);
	if (err == -EPERM) {
		pr_err("permission denied (%s): %s", why, NL_HINT_PERM);
	} else if (err == -EOPNOTSUPP && !ctx->extack[0]) {
		pr_err("unknown command: the l4lb module does not know this request (%s): %s",
		       why, NL_HINT_VERSION);
	} else if (err == -EINVAL && unknown_attr(ctx->extack)) {
		pr_err("unknown attribute: the l4lb module does not know an attribute of this request (%s: %s): %s",
		       why, ctx->extack, NL_HINT_VERSION);
	} else if (ctx->extack[0])
		pr_err("%s: %s", why, ctx->extack);
	else if (ctx->miss_type)
		pr_err("%s: missing attribute (type %u)", why, ctx->miss_type);
	else
		pr_err("%s", why);
	return EXIT_KERNEL;
}
