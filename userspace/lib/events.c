// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" multicast group: subscription and parsing of its messages.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "events.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

struct nl_ctx *events_open(int *err)
{
	struct nl_ctx *ctx = nl_open_quiet(err);
	int group;

	if (!ctx)
		return NULL;
	if (!ctx->sock) {	/* the unit tests' fake transport */
		*err = -EOPNOTSUPP;
		goto fail;
	}
	if (!ctx->events_group) {
		*err = -EOPNOTSUPP;
		goto fail;
	}
	group = (int)ctx->events_group;
	if (mnl_socket_setsockopt(ctx->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		*err = -errno;
		goto fail;
	}
	return ctx;
fail:
	nl_close(ctx);
	return NULL;
}

int events_join_flows(struct nl_ctx *ctx)
{
	int group = (int)ctx->flows_group;

	if (!ctx->sock || !group)
		return -EOPNOTSUPP;
	if (mnl_socket_setsockopt(ctx->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

static const struct nlattr *event_attr(const struct nlmsghdr *nlh,
				       uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* The flow as the conn dump has it, and the event's own attributes. */
static int flow_event_parse(const struct nlmsghdr *nlh, struct l4lb_event *e)
{
	const struct nlattr *cn = event_attr(nlh, L4LB_ATTR_CONN), *a;

	if (!cn || msg_parse_conn(cn, &e->conn) < 0)
		return -1;
	mnl_attr_for_each_nested(a, cn) {
		switch (mnl_attr_get_type(a)) {
		case L4LB_CONN_ATTR_EVENT:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			e->flow_event = mnl_attr_get_u8(a);
			break;
		case L4LB_CONN_ATTR_END_REASON:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -1;
			e->end_reason = mnl_attr_get_u8(a);
			break;
		case L4LB_CONN_ATTR_SUPPRESSED:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -1;
			e->suppressed = mnl_attr_get_u64(a);
			break;
		}
	}
	return e->flow_event == L4LB_CONN_EVENT_NEW ||
	       e->flow_event == L4LB_CONN_EVENT_END ? 0 : -1;
}

int event_parse(const struct nlmsghdr *nlh, struct l4lb_event *e)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *vn, *bn, *nn;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return -1;
	memset(e, 0, sizeof(*e));
	e->cmd = genl->cmd;
	vn = event_attr(nlh, L4LB_ATTR_VIP);
	switch (genl->cmd) {
	case L4LB_CMD_VIP_NEW:
	case L4LB_CMD_VIP_SET:
	case L4LB_CMD_VIP_DEL:
		return vn && msg_parse_vip(vn, &e->vip) == 0 ? 0 : -1;
	case L4LB_CMD_BACKEND_NEW:
	case L4LB_CMD_BACKEND_SET:
	case L4LB_CMD_BACKEND_DEL:
		bn = event_attr(nlh, L4LB_ATTR_BACKEND);
		return vn && bn && msg_parse_vip(vn, &e->vip) == 0 &&
		       msg_parse_backend(bn, &e->backend) == 0 ? 0 : -1;
	case L4LB_CMD_NET_SET:
		nn = event_attr(nlh, L4LB_ATTR_NET);
		return nn && msg_parse_net(nn, &e->net) == 0 ? 0 : -1;
	case L4LB_CMD_STATS_ZERO:
		/* nothing: the whole namespace; a VIP; a VIP and a backend */
		bn = event_attr(nlh, L4LB_ATTR_BACKEND);
		if ((vn && msg_parse_vip(vn, &e->vip)) || (bn && !vn) ||
		    (bn && msg_parse_backend(bn, &e->backend)))
			return -1;
		return 0;
	case L4LB_CMD_CONN_EVENT:
		return flow_event_parse(nlh, e);
	default:
		return 1;
	}
}

struct events_filter {
	uint16_t family;
	mnl_cb_t cb;
	void *data;
};

static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct events_filter *f = data;

	if (nlh->nlmsg_type != f->family)
		return MNL_CB_OK;
	return f->cb(nlh, f->data);
}

int events_read(struct nl_ctx *ctx, mnl_cb_t cb, void *data)
{
	struct events_filter f = { ctx->family_id, cb, data };
	int fd = mnl_socket_get_fd(ctx->sock);

	for (;;) {
		ssize_t n = recv(fd, ctx->rx, sizeof(ctx->rx), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;	/* ENOBUFS: some were lost */
		}
		if (n == 0)
			return 0;
		/*
		 * seq and port 0: events carry those of the change's request.
		 * A message @cb refuses ends only its own buffer: the socket
		 * is read to its end all the same.
		 */
		mnl_cb_run(ctx->rx, (size_t)n, 0, 0, filter_cb, &f);
	}
}
