// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and decoding of the attributes described in <linux/l4lb.h>.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "msg.h"
#include "pr.h"

/* A VIP and a backend key share their layout: FAMILY, ADDR, PORT. */
struct key_types {
	uint16_t family, addr, port;
};

static void put_endpoint(struct nlmsghdr *nlh, const struct key_types *t,
			 const struct endpoint *ep)
{
	mnl_attr_put_u16(nlh, t->family, ep->family);
	mnl_attr_put(nlh, t->addr, addr_len(ep->family), ep->addr);
	mnl_attr_put_u16(nlh, t->port, htons(ep->port));
}

void vip_opts_init(struct vip_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = o->encap = o->encap_port = -1;
	o->snat_port_min = o->snat_port_max = o->n_snat = -1;
	o->flags = -1;
	o->maglev_size = o->maxconn = o->rate = o->burst = o->persist = -1;
}

void backend_opts_init(struct backend_opts *o)
{
	o->weight = o->state = o->maxconn = o->flags = -1;
}

static void put_u32_opt(struct nlmsghdr *nlh, uint16_t type, int64_t v)
{
	if (v >= 0)
		mnl_attr_put_u32(nlh, type, (uint32_t)v);
}

static void put_vip_opts(struct nlmsghdr *nlh, const struct vip_opts *o)
{
	if (o->sched)
		mnl_attr_put_strz(nlh, L4LB_VIP_ATTR_SCHED, o->sched);
	if (o->mode >= 0)
		mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_MODE, (uint8_t)o->mode);
	if (o->encap >= 0)
		mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_ENCAP, (uint8_t)o->encap);
	if (o->encap_port >= 0)
		mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_ENCAP_PORT,
				 htons((uint16_t)o->encap_port));
	if (o->snat_port_min >= 0)
		mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_SNAT_PORT_MIN,
				 (uint16_t)o->snat_port_min);
	if (o->snat_port_max >= 0)
		mnl_attr_put_u16(nlh, L4LB_VIP_ATTR_SNAT_PORT_MAX,
				 (uint16_t)o->snat_port_max);
	if (o->n_snat >= 0) {
		struct nlattr *nest;
		int i;

		nest = mnl_attr_nest_start(nlh, L4LB_VIP_ATTR_SNAT_ADDRS);
		/* The kernel refuses an address of another family. */
		for (i = 0; i < o->n_snat; i++)
			mnl_attr_put(nlh, L4LB_SNAT_ADDR,
				     addr_len(o->snat[i].family),
				     o->snat[i].addr);
		mnl_attr_nest_end(nlh, nest);
	}
	put_u32_opt(nlh, L4LB_VIP_ATTR_FLAGS, o->flags);
	put_u32_opt(nlh, L4LB_VIP_ATTR_MAGLEV_SIZE, o->maglev_size);
	put_u32_opt(nlh, L4LB_VIP_ATTR_MAXCONN, o->maxconn);
	put_u32_opt(nlh, L4LB_VIP_ATTR_RATE, o->rate);
	put_u32_opt(nlh, L4LB_VIP_ATTR_BURST, o->burst);
	put_u32_opt(nlh, L4LB_VIP_ATTR_PERSIST, o->persist);
	timeouts_put(nlh, L4LB_VIP_ATTR_TIMEOUTS, o->timeouts);
}

void msg_put_vip(struct nlmsghdr *nlh, const struct vip_key *key,
		 const struct vip_opts *o)
{
	static const struct key_types t = {
		L4LB_VIP_ATTR_FAMILY, L4LB_VIP_ATTR_ADDR, L4LB_VIP_ATTR_PORT
	};
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_VIP);

	put_endpoint(nlh, &t, &key->ep);
	mnl_attr_put_u8(nlh, L4LB_VIP_ATTR_PROTO, key->proto);
	if (o)
		put_vip_opts(nlh, o);
	mnl_attr_nest_end(nlh, nest);
}

void msg_put_backend(struct nlmsghdr *nlh, const struct endpoint *ep,
		     const struct backend_opts *o)
{
	static const struct key_types t = {
		L4LB_BACKEND_ATTR_FAMILY, L4LB_BACKEND_ATTR_ADDR,
		L4LB_BACKEND_ATTR_PORT
	};
	struct nlattr *nest = mnl_attr_nest_start(nlh, L4LB_ATTR_BACKEND);

	put_endpoint(nlh, &t, ep);
	if (o) {
		put_u32_opt(nlh, L4LB_BACKEND_ATTR_WEIGHT, o->weight);
		if (o->state >= 0)
			mnl_attr_put_u8(nlh, L4LB_BACKEND_ATTR_STATE,
					(uint8_t)o->state);
		put_u32_opt(nlh, L4LB_BACKEND_ATTR_MAXCONN, o->maxconn);
		put_u32_opt(nlh, L4LB_BACKEND_ATTR_FLAGS, o->flags);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* Collects a nest into tb[type], ignoring types newer than we know. */
struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int table_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_table(const struct nlattr *nest, const struct nlattr **tb,
		       unsigned int max)
{
	struct attr_table t = { tb, max };
	unsigned int i;

	for (i = 0; i <= max; i++)
		tb[i] = NULL;
	return mnl_attr_parse_nested(nest, table_cb, &t) < 0 ? -1 : 0;
}

static int get_endpoint(const struct nlattr *const *tb,
			const struct key_types *t, struct endpoint *ep)
{
	const struct nlattr *fam = tb[t->family], *addr = tb[t->addr];
	const struct nlattr *port = tb[t->port];
	size_t len;

	if (!fam || !addr || !port ||
	    mnl_attr_validate(fam, MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(port, MNL_TYPE_U16) < 0)
		return -1;
	memset(ep, 0, sizeof(*ep));
	ep->family = mnl_attr_get_u16(fam);
	len = addr_len(ep->family);
	if (!len || mnl_attr_get_payload_len(addr) != len)
		return -1;
	memcpy(ep->addr, mnl_attr_get_payload(addr), len);
	ep->port = ntohs(mnl_attr_get_u16(port));
	return 0;
}

/*
 * Unsigned values of a nest into val[type], for types 2..max (0 and 1 are
 * UNSPEC and PAD in every l4lb nest). u64 or u32 both taken: a counter may
 * be widened or narrowed some day. Bit n of *present: val[n] was sent.
 */
static void get_uints(const struct nlattr *nest, unsigned int max,
		      uint64_t *val, uint32_t *present)
{
	const struct nlattr *tb[32];
	unsigned int i;

	*present = 0;
	for (i = 0; i <= max; i++)
		val[i] = 0;
	if (!nest || max >= 32 || parse_table(nest, tb, max) < 0)
		return;
	for (i = 2; i <= max; i++) {
		if (!tb[i])
			continue;
		switch (mnl_attr_get_payload_len(tb[i])) {
		case sizeof(uint64_t):
			val[i] = mnl_attr_get_u64(tb[i]);
			break;
		case sizeof(uint32_t):
			val[i] = mnl_attr_get_u32(tb[i]);
			break;
		default:
			continue;
		}
		*present |= 1u << i;
	}
}

/* A u32 attribute, if sent and well formed: *@has says. */
static void get_u32(const struct nlattr *a, uint32_t *v, bool *has)
{
	if (a && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		*v = mnl_attr_get_u32(a);
		*has = true;
	}
}

static void get_stats(const struct nlattr *nest, struct stats *s)
{
	get_uints(nest, L4LB_STATS_ATTR_MAX, s->val, &s->present);
}

/* The mode parameters of a VIP; malformed ones are left out. */
static void get_vip_mode(const struct nlattr *const *tb, struct vip *v)
{
	const struct nlattr *a;
	size_t len = addr_len(v->key.ep.family);

	a = tb[L4LB_VIP_ATTR_ENCAP];
	if (a && mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
		v->encap = mnl_attr_get_u8(a);
		v->has_encap = true;
	}
	a = tb[L4LB_VIP_ATTR_ENCAP_PORT];
	if (a && mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
		v->encap_port = ntohs(mnl_attr_get_u16(a));
		v->has_encap_port = true;
	}
	if (tb[L4LB_VIP_ATTR_SNAT_PORT_MIN] && tb[L4LB_VIP_ATTR_SNAT_PORT_MAX] &&
	    mnl_attr_validate(tb[L4LB_VIP_ATTR_SNAT_PORT_MIN], MNL_TYPE_U16) == 0 &&
	    mnl_attr_validate(tb[L4LB_VIP_ATTR_SNAT_PORT_MAX], MNL_TYPE_U16) == 0) {
		v->snat_port_min = mnl_attr_get_u16(tb[L4LB_VIP_ATTR_SNAT_PORT_MIN]);
		v->snat_port_max = mnl_attr_get_u16(tb[L4LB_VIP_ATTR_SNAT_PORT_MAX]);
		v->has_snat_ports = true;
	}
	get_u32(tb[L4LB_VIP_ATTR_FLAGS], &v->flags, &v->has_flags);
	a = tb[L4LB_VIP_ATTR_SNAT_ADDRS];
	if (a && len) {
		const struct nlattr *e;

		mnl_attr_for_each_nested(e, a) {
			if (mnl_attr_get_type(e) != L4LB_SNAT_ADDR ||
			    mnl_attr_get_payload_len(e) != len ||
			    v->n_snat == L4LB_SNAT_ADDRS_MAX)
				continue;
			v->snat[v->n_snat].family = v->key.ep.family;
			memcpy(v->snat[v->n_snat].addr,
			       mnl_attr_get_payload(e), len);
			v->n_snat++;
		}
	}
}

int msg_parse_vip(const struct nlattr *nest, struct vip *v)
{
	static const struct key_types t = {
		L4LB_VIP_ATTR_FAMILY, L4LB_VIP_ATTR_ADDR, L4LB_VIP_ATTR_PORT
	};
	const struct nlattr *tb[L4LB_VIP_ATTR_MAX + 1];
	const struct nlattr *a;

	memset(v, 0, sizeof(*v));
	if (parse_table(nest, tb, L4LB_VIP_ATTR_MAX) < 0 ||
	    get_endpoint(tb, &t, &v->key.ep) < 0)
		return -1;
	a = tb[L4LB_VIP_ATTR_PROTO];
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -1;
	v->key.proto = mnl_attr_get_u8(a);

	a = tb[L4LB_VIP_ATTR_SCHED];
	if (a) {
		/* NUL or not, never read or copy past the attribute */
		size_t len = mnl_attr_get_payload_len(a);

		if (len >= sizeof(v->sched))
			len = sizeof(v->sched) - 1;
		memcpy(v->sched, mnl_attr_get_payload(a), len);
		v->sched[len] = '\0';
	}
	a = tb[L4LB_VIP_ATTR_MODE];
	if (a && mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
		v->mode = mnl_attr_get_u8(a);
		v->has_mode = true;
	}
	get_vip_mode(tb, v);
	get_u32(tb[L4LB_VIP_ATTR_MAGLEV_SIZE], &v->maglev_size,
		&v->has_maglev_size);
	get_u32(tb[L4LB_VIP_ATTR_MAXCONN], &v->maxconn, &v->has_maxconn);
	get_u32(tb[L4LB_VIP_ATTR_RATE], &v->rate, &v->has_rate);
	get_u32(tb[L4LB_VIP_ATTR_BURST], &v->burst, &v->has_burst);
	get_u32(tb[L4LB_VIP_ATTR_PERSIST], &v->persist, &v->has_persist);
	get_stats(tb[L4LB_VIP_ATTR_STATS], &v->stats);
	timeouts_parse(tb[L4LB_VIP_ATTR_TIMEOUTS], &v->timeouts);
	return 0;
}

int msg_parse_backend(const struct nlattr *nest, struct backend *b)
{
	static const struct key_types t = {
		L4LB_BACKEND_ATTR_FAMILY, L4LB_BACKEND_ATTR_ADDR,
		L4LB_BACKEND_ATTR_PORT
	};
	const struct nlattr *tb[L4LB_BACKEND_ATTR_MAX + 1];
	const struct nlattr *a;

	memset(b, 0, sizeof(*b));
	if (parse_table(nest, tb, L4LB_BACKEND_ATTR_MAX) < 0 ||
	    get_endpoint(tb, &t, &b->ep) < 0)
		return -1;
	get_u32(tb[L4LB_BACKEND_ATTR_WEIGHT], &b->weight, &b->has_weight);
	a = tb[L4LB_BACKEND_ATTR_STATE];
	if (a && mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
		b->state = mnl_attr_get_u8(a);
		b->has_state = true;
	}
	get_u32(tb[L4LB_BACKEND_ATTR_MAXCONN], &b->maxconn, &b->has_maxconn);
	get_u32(tb[L4LB_BACKEND_ATTR_FLAGS], &b->flags, &b->has_flags);
	get_stats(tb[L4LB_BACKEND_ATTR_STATS], &b->stats);
	return 0;
}

int msg_parse_net(const struct nlattr *nest, struct net_info *ni)
{
	const struct nlattr *tb[L4LB_NET_ATTR_MAX + 1];

	memset(ni, 0, sizeof(*ni));
	if (parse_table(nest, tb, L4LB_NET_ATTR_MAX) < 0)
		return -1;
	get_uints(nest, L4LB_NET_ATTR_MAX, ni->val, &ni->present);
	/* nests, not values */
	ni->present &= ~(1u << L4LB_NET_ATTR_STATS |
			 1u << L4LB_NET_ATTR_TIMEOUTS);
	timeouts_parse(tb[L4LB_NET_ATTR_TIMEOUTS], &ni->timeouts);
	get_uints(tb[L4LB_NET_ATTR_STATS], L4LB_NET_STATS_ATTR_MAX, ni->cnt,
		  &ni->cnt_present);
	return 0;
}

/* Growable array of the records of one dump. */
struct collect {
	void *items;
	size_t n, cap, size;
};

static void *collect_slot(struct collect *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->items, cap * c->size);

		if (!p)
			return NULL;
		c->items = p;
		c->cap = cap;
	}
	return (char *)c->items + c->n * c->size;
}

static const struct nlattr *top_attr(const struct nlmsghdr *nlh,
				     uint16_t type)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == type)
			return attr;
	return NULL;
}

static int vip_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *nest = top_attr(nlh, L4LB_ATTR_VIP);
	struct collect *c = data;
	struct vip *v = collect_slot(c);

	if (!v) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (!nest || msg_parse_vip(nest, v) < 0) {
		errno = EPROTO;	/* a kernel bug, not a user error */
		return MNL_CB_ERROR;
	}
	c->n++;
	return MNL_CB_OK;
}

static int backend_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *nest = top_attr(nlh, L4LB_ATTR_BACKEND);
	struct collect *c = data;
	struct backend *b = collect_slot(c);

	if (!b) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (!nest || msg_parse_backend(nest, b) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	c->n++;
	return MNL_CB_OK;
}

/* Run a dump until it is consistent, each run starting from nothing. */
static int dump_all(struct nl_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb,
		    struct collect *c)
{
	int err, tries = 0;

	do {
		c->n = 0;
		err = nl_dump(ctx, nlh, cb, c);
	} while (err == -NL_DUMP_INTR && ++tries < NL_DUMP_TRIES);
	if (err) {
		free(c->items);
		c->items = NULL;
	}
	return err;
}

int dump_vips(struct nl_ctx *ctx, struct vip **vips, size_t *n)
{
	struct collect c = { .size = sizeof(struct vip) };
	int err;

	err = dump_all(ctx, nl_msg(ctx, L4LB_CMD_VIP_GET, 0), vip_cb, &c);
	if (err)
		return err;
	*vips = c.items;
	*n = c.n;
	return 0;
}

int dump_backends(struct nl_ctx *ctx, const struct vip_key *key,
		  struct backend **backends, size_t *n)
{
	struct collect c = { .size = sizeof(struct backend) };
	struct nlmsghdr *nlh = nl_msg(ctx, L4LB_CMD_BACKEND_GET, 0);
	int err;

	msg_put_vip(nlh, key, NULL);
	err = dump_all(ctx, nlh, backend_cb, &c);
	if (err)
		return err;
	*backends = c.items;
	*n = c.n;
	return 0;
}

int dump_vips_backends(struct nl_ctx *ctx, struct vip *vips, size_t n)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		err = dump_backends(ctx, &vips[i].key, &vips[i].backends,
				    &vips[i].n_backends);
		if (err == -ENOENT)	/* deleted since the VIP dump */
			err = 0;
	}
	return err;
}

int dump_config(struct nl_ctx *ctx, struct vip **vips, size_t *n)
{
	int err;

	err = dump_vips(ctx, vips, n);
	return err ? err : dump_vips_backends(ctx, *vips, *n);
}

void free_vips(struct vip *vips, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(vips[i].backends);
	free(vips);
}

struct net_reply {
	struct net_info *ni;
	bool seen;
};

static int net_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *nest = top_attr(nlh, L4LB_ATTR_NET);
	struct net_reply *r = data;

	if (!nest || msg_parse_net(nest, r->ni) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	r->seen = true;
	return MNL_CB_OK;
}

int net_get(struct nl_ctx *ctx, struct net_info *ni)
{
	struct net_reply r = { .ni = ni };
	int err;

	err = nl_get(ctx, nl_msg(ctx, L4LB_CMD_NET_GET, 0), net_cb, &r);
	if (!err && !r.seen)
		err = -EPROTO;	/* acked, but no reply before the ack */
	return err;
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

int vip_flags_get(struct nl_ctx *ctx, const struct vip_key *key,
		  uint32_t *flags)
{
	struct vip *vips = NULL;
	size_t n = 0, i;
	int err;

	err = dump_vips(ctx, &vips, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n && err; i++) {
		if (vips[i].key.proto == key->proto &&
		    same_endpoint(&vips[i].key.ep, &key->ep)) {
			*flags = vips[i].flags;
			err = 0;
		}
	}
	free_vips(vips, n);
	return err;
}

int backend_flags_get(struct nl_ctx *ctx, const struct vip_key *key,
		      const struct endpoint *ep, uint32_t *flags)
{
	struct backend *bs = NULL;
	size_t n = 0, i;
	int err;

	err = dump_backends(ctx, key, &bs, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n && err; i++) {
		if (same_endpoint(&bs[i].ep, ep)) {
			*flags = bs[i].flags;
			err = 0;
		}
	}
	free(bs);
	return err;
}

int request_run(struct nl_ctx *ctx, const struct request *r)
{
	const struct backend_opts *bo = r->backend_opts;
	const struct vip_opts *vo = r->vip_opts;
	struct backend_opts bflags;
	struct vip_opts vflags;
	struct nlmsghdr *nlh;
	uint32_t cur = 0;

	if (r->flags_named) {
		int err = 0;

		/* No such object: the kernel says so, in its own words. */
		if (r->cmd == L4LB_CMD_VIP_SET)
			err = vip_flags_get(ctx, r->vip, &cur);
		else if (r->cmd == L4LB_CMD_BACKEND_SET)
			err = backend_flags_get(ctx, r->vip, r->backend, &cur);
		if (err && err != -ENOENT)
			return err;
		if (r->backend) {
			if (bo)
				bflags = *bo;
			else
				backend_opts_init(&bflags);
			bflags.flags = flags_merge(cur, r->flags_named,
						   r->flags_on);
			bo = &bflags;
		} else {
			if (vo)
				vflags = *vo;
			else
				vip_opts_init(&vflags);
			vflags.flags = flags_merge(cur, r->flags_named,
						   r->flags_on);
			vo = &vflags;
		}
	}
	nlh = nl_msg(ctx, r->cmd, r->flags);
	/* STATS_ZERO of the whole namespace names nothing */
	if (r->vip)
		msg_put_vip(nlh, r->vip, vo);
	if (r->backend)
		msg_put_backend(nlh, r->backend, bo);
	return nl_request(ctx, nlh);
}

int send_request(const struct request *r)
{
	struct nl_ctx *ctx = nl_open();
	int err;

	if (!ctx)
		return EXIT_KERNEL;
	err = request_run(ctx, r);
	if (err)
		nl_report(ctx, err);
	nl_close(ctx);
	return err ? EXIT_KERNEL : EXIT_OK;
}

int send_replace(struct request *r, uint8_t set_cmd, bool change)
{
	struct nl_ctx *ctx = nl_open();
	int err;

	if (!ctx)
		return EXIT_KERNEL;
	err = request_run(ctx, r);
	if (err == -EEXIST) {
		r->cmd = set_cmd;
		err = change ? request_run(ctx, r) : 0;
	}
	if (err)
		nl_report(ctx, err);
	nl_close(ctx);
	return err ? EXIT_KERNEL : EXIT_OK;
}
