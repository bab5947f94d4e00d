// SPDX-License-Identifier: GPL-2.0
/*
 * DNS_NAME / DNS_SRV: backends from DNS, with c-ares on the agent's loop.
 *
 * c-ares reports the sockets it uses (ARES_OPT_SOCK_STATE_CB): each gets an
 * sd-event io source that hands readiness to ares_process_fd(); one timer
 * follows ares_timeout() for retransmissions and timeouts.
 *
 * A/AAAA: every address with BACKEND_PORT, re-resolved at max(TTL,
 * DNS_INTERVAL). SRV: the targets of the lowest priority (the others are
 * backups the kernel model cannot express), each resolved to A/AAAA, with
 * the SRV's port and weight (0 -> 1). NXDOMAIN, a timeout, a server failure
 * keep the last good set (vip_source_failed()).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <ares.h>

#include "instances.h"

#define DNS_TTL_MAX_MS		(300 * 1000)	/* re-resolve at least this often */
#define DNS_TRY_MS		1000		/* per try, when no timeout given */
#define DNS_TRIES		2

/* ----------------------------------------------- c-ares on the loop */

struct dns_sock {
	struct dns_sock *next;
	int fd;
	sd_event_source *io;
};

struct dns {
	sd_event *ev;
	ares_channel ch;
	bool ch_ok;
	sd_event_source *timer;
	struct dns_sock *socks;
};

static unsigned int ares_users;

static void dns_update_timer(struct dns *d)
{
	struct timeval tv, *t;

	t = ares_timeout(d->ch, NULL, &tv);
	if (!t) {
		sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(d->timer, now_usec(CLOCK_MONOTONIC) +
				 (uint64_t)t->tv_sec * 1000000 +
				 (uint64_t)t->tv_usec);
	sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
}

static int on_dns_io(sd_event_source *es, int fd, uint32_t revents,
		     void *userdata)
{
	struct dns *d = userdata;

	(void)es;
	/* an error or hang-up is for c-ares to find out by reading */
	ares_process_fd(d->ch,
			(revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
			(revents & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
	dns_update_timer(d);
	return 0;
}

static int on_dns_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct dns *d = userdata;

	(void)es;
	(void)usec;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_update_timer(d);
	return 0;
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct dns *d = data;
	struct dns_sock **pp, *s;
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	for (pp = &d->socks; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (!events) {
		if (s) {
			*pp = s->next;
			sd_event_source_disable_unref(s->io);
			free(s);
		}
		return;
	}
	if (s) {
		sd_event_source_set_io_events(s->io, events);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s || sd_event_add_io(d->ev, &s->io, fd, events, on_dns_io, d) < 0) {
		/* the query on it times out (the timer still runs): reported */
		log_err("dns: cannot watch socket %d", fd);
		free(s);
		return;
	}
	sd_event_source_set_description(s->io, "dns-socket");
	s->fd = fd;
	s->next = d->socks;
	d->socks = s;
}

/*
 * @servers: NULL for resolv.conf's, else "addr[:port]" (c-ares CSV form);
 * then only DNS is asked (no hosts file, no search list: names given to the
 * agent are meant as written). @try_ms: the timeout of one try.
 */
static struct dns *dns_open(sd_event *ev, const char *servers, uint32_t try_ms,
			    char *err, size_t errlen)
{
	struct ares_options o = { 0 };
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	struct dns *d;
	int r;

	if (!ares_users) {
		r = ares_library_init(ARES_LIB_INIT_ALL);
		if (r != ARES_SUCCESS) {
			snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
			return NULL;
		}
	}
	ares_users++;
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->ev = sd_event_ref(ev);
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = d;
	o.timeout = (int)try_ms;
	o.tries = DNS_TRIES;
	if (servers) {
		o.lookups = (char *)"b";
		o.domains = NULL;
		o.ndomains = 0;
		mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
	}
	r = ares_init_options(&d->ch, &o, mask);
	if (r != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		goto fail;
	}
	d->ch_ok = true;
	if (servers) {
		char buf[INET6_ADDRSTRLEN + 2];
		size_t n = strlen(servers);

		/* c-ares takes "[v6]:port" and "v6", not "[v6]" alone */
		if (n > 2 && n < sizeof(buf) + 2 && servers[0] == '[' &&
		    servers[n - 1] == ']') {
			snprintf(buf, sizeof(buf), "%.*s", (int)(n - 2), servers + 1);
			r = ares_set_servers_ports_csv(d->ch, buf);
		} else {
			r = ares_set_servers_ports_csv(d->ch, servers);
		}
		if (r != ARES_SUCCESS) {
			snprintf(err, errlen, "DNS_SERVER \"%s\": %s", servers,
				 ares_strerror(r));
			goto fail;
		}
	}
	r = sd_event_add_time(ev, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
			      on_dns_timer, d);
	if (r < 0) {
		snprintf(err, errlen, "sd-event: %s", strerror(-r));
		goto fail;
	}
	sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
	sd_event_source_set_description(d->timer, "dns-timer");
	return d;
fail:
	if (d)
		dns_free(d);
	else if (!--ares_users)
		ares_library_cleanup();
	return NULL;
}

struct dns *dns_new(sd_event *ev)
{
	char err[AGENT_ERR_MAX];
	struct dns *d = dns_open(ev, NULL, DNS_TRY_MS, err, sizeof(err));

	if (!d)
		log_err("dns: %s", err);
	return d;
}

/* Pending queries' callbacks run (ARES_EDESTRUCTION) before it returns. */
void dns_free(struct dns *d)
{
	if (!d)
		return;
	if (d->ch_ok)
		ares_destroy(d->ch);
	while (d->socks) {
		struct dns_sock *s = d->socks;

		d->socks = s->next;
		sd_event_source_disable_unref(s->io);
		free(s);
	}
	sd_event_source_disable_unref(d->timer);
	sd_event_unref(d->ev);
	free(d);
	if (ares_users && !--ares_users)
		ares_library_cleanup();
}

/* ------------------------------------------------------- the source */

struct dns_src {
	struct source_state *s;
	struct dns *d;
	sd_event_source *timer;		/* next resolution */
	bool busy, stopping;
	/* the resolution under way */
	struct instance *acc;
	size_t acc_n, acc_cap;
	unsigned int pending;		/* SRV: target lookups outstanding */
	bool failed;
	char err[AGENT_ERR_MAX];
	uint32_t ttl_ms;		/* smallest TTL seen; UINT32_MAX: none */
	size_t last_n;
	/* a target without address: warned once, not every resolution */
	bool noaddr_now, noaddr_last;
};

struct srv_target {
	struct dns_src *p;
	uint16_t port;
	uint32_t weight;
	char host[256];
};

static const char *qname(const struct dns_src *p)
{
	return p->s->cfg->name;
}

static void start_resolve(struct dns_src *p);

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct dns_src *p = userdata;

	(void)es;
	(void)usec;
	if (!p->busy)
		start_resolve(p);
	return 0;
}

static void schedule(struct dns_src *p, uint32_t delay_ms)
{
	sd_event_source_set_time(p->timer, now_usec(CLOCK_MONOTONIC) +
				 (uint64_t)delay_ms * 1000);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static void set_failed(struct dns_src *p, const char *what, const char *name,
		       int status)
{
	if (p->failed)
		return;	/* the first reason is the one worth reading */
	p->failed = true;
	snprintf(p->err, sizeof(p->err), "DNS %s %.100s: %s", what, name,
		 status == ARES_ENOTFOUND ? "NXDOMAIN (no such name)" :
		 ares_strerror(status));
}

static void finish(struct dns_src *p)
{
	uint32_t ival = p->s->cfg->interval_ms ? p->s->cfg->interval_ms : 1000;
	uint32_t delay = ival;

	p->busy = false;
	if (!p->failed) {
		p->noaddr_last = p->noaddr_now;
		p->noaddr_now = false;
	}
	if (!p->failed)	/* names the source if the answer is empty */
		snprintf(p->err, sizeof(p->err), "DNS %s %s",
			 p->s->cfg->srv ? "SRV" : "A/AAAA", qname(p));
	/* max(TTL, DNS_INTERVAL), the TTL's part capped: a week-long TTL
	 * must not hide a change for a week */
	if (!p->failed && p->ttl_ms != UINT32_MAX) {
		uint32_t ttl = p->ttl_ms > DNS_TTL_MAX_MS ? DNS_TTL_MAX_MS : p->ttl_ms;

		if (ttl > delay)
			delay = ttl;
	}
	schedule(p, delay);
	if (p->failed)
		vip_source_failed(p->s->vip, p->s->idx, "%s", p->err);
	else
		source_deliver(p->s, p->err, p->acc, p->acc_n, &p->last_n);
	free(p->acc);
	p->acc = NULL;
	p->acc_n = p->acc_cap = 0;
}

/* Collect the addresses of one lookup, as instances "addr:port". */
static void add_addrinfo(struct dns_src *p, const struct ares_addrinfo *res,
			 uint16_t port, uint32_t weight)
{
	const struct ares_addrinfo_node *a;

	for (a = res->nodes; a; a = a->ai_next) {
		struct instance in = { .weight = weight };
		size_t i;

		in.ep.port = port;
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)a->ai_addr;

			in.ep.family = AF_INET;
			memcpy(in.ep.addr, &sin->sin_addr, 4);
		} else if (a->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)a->ai_addr;

			/* the kernel sees IPv4 clients as IPv4: skip mapped */
			if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
				continue;
			in.ep.family = AF_INET6;
			memcpy(in.ep.addr, &sin6->sin6_addr, 16);
		} else {
			continue;
		}
		for (i = 0; i < p->acc_n; i++)
			if (p->acc[i].ep.family == in.ep.family &&
			    p->acc[i].ep.port == in.ep.port &&
			    !memcmp(p->acc[i].ep.addr, in.ep.addr, 16))
				break;
		if (i < p->acc_n)
			continue;
		if (p->acc_n == p->acc_cap) {
			size_t cap = p->acc_cap ? p->acc_cap * 2 : 16;
			struct instance *v = realloc(p->acc, cap * sizeof(*v));

			if (!v) {
				p->failed = true;
				snprintf(p->err, sizeof(p->err), "DNS: out of memory");
				return;
			}
			p->acc = v;
			p->acc_cap = cap;
		}
		endpoint_format(&in.ep, in.id, sizeof(in.id));
		p->acc[p->acc_n++] = in;
		if (a->ai_ttl >= 0 &&
		    (uint64_t)a->ai_ttl * 1000 < p->ttl_ms)
			p->ttl_ms = (uint32_t)a->ai_ttl * 1000;
	}
}

static void on_addrinfo(void *arg, int status, int timeouts,
			struct ares_addrinfo *res)
{
	struct dns_src *p = arg;

	(void)timeouts;
	if (p->stopping) {
		if (res)
			ares_freeaddrinfo(res);
		return;
	}
	if (status == ARES_SUCCESS && res)
		add_addrinfo(p, res, source_default_port(p->s),
			     source_default_weight(p->s));
	else if (status != ARES_ENODATA)	/* no address: an empty answer */
		set_failed(p, "A/AAAA", qname(p), status);
	if (res)
		ares_freeaddrinfo(res);
	finish(p);
}

static void target_done(struct dns_src *p)
{
	if (--p->pending == 0)
		finish(p);
}

static void on_target(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct srv_target *t = arg;
	struct dns_src *p = t->p;

	(void)timeouts;
	if (p->stopping)
		goto out;
	if (status == ARES_SUCCESS && res)
		add_addrinfo(p, res, t->port, t->weight);
	else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		/* a target without addresses serves nobody: leave it out */
		alog(p->noaddr_last ? LOG_LVL_DEBUG : LOG_LVL_WARN,
		     "vip %s: SRV %s target %s has no address, left out",
		     p->s->vip->cfg->name, qname(p), t->host);
		p->noaddr_now = true;
	} else
		set_failed(p, "A/AAAA of SRV target", t->host, status);
	target_done(p);
out:
	if (res)
		ares_freeaddrinfo(res);
	free(t);
}

/*
 * Ask only for the VIP's address family: a dual-stack name gives an IPv4
 * VIP only IPv4 backends (the kernel refuses the other family).
 */
static int dns_family(const struct dns_src *p)
{
	const struct avip *v = p->s ? p->s->vip : NULL;

	return v && v->cfg ? v->cfg->vip.family : AF_UNSPEC;
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf,
		   int alen)
{
	struct ares_addrinfo_hints hints = {
		.ai_family = AF_UNSPEC,
		.ai_flags = ARES_AI_NOSORT,
	};
	struct dns_src *p = arg;
	struct ares_srv_reply *srv = NULL, *r;
	int best = -1;

	(void)timeouts;
	hints.ai_family = dns_family(p);
	if (p->stopping)
		return;
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &srv);
	if (status != ARES_SUCCESS) {
		if (status != ARES_ENODATA)
			set_failed(p, "SRV", qname(p), status);
		finish(p);
		return;
	}
	for (r = srv; r; r = r->next)
		if (best < 0 || r->priority < best)
			best = r->priority;
	/*
	 * One count for this loop itself: a lookup answered at once (an
	 * address as target) must not finish the resolution midway.
	 */
	p->pending = 1;
	for (r = srv; r; r = r->next) {
		struct srv_target *t;

		/* "." : the service is decidedly not available there (RFC 2782) */
		if (r->priority != best || !r->host[0] || !strcmp(r->host, "."))
			continue;
		t = calloc(1, sizeof(*t));
		if (!t) {
			p->failed = true;
			snprintf(p->err, sizeof(p->err), "DNS: out of memory");
			break;
		}
		t->p = p;
		t->port = r->port;
		t->weight = r->weight ? r->weight : 1;
		snprintf(t->host, sizeof(t->host), "%s", r->host);
		p->pending++;
		ares_getaddrinfo(p->d->ch, t->host, NULL, &hints, on_target, t);
	}
	ares_free_data(srv);
	target_done(p);
}

static void start_resolve(struct dns_src *p)
{
	struct ares_addrinfo_hints hints = {
		.ai_family = dns_family(p),
		.ai_flags = ARES_AI_NOSORT,
	};

	p->busy = true;
	p->failed = false;
	p->err[0] = '\0';
	p->ttl_ms = UINT32_MAX;
	p->acc_n = 0;
	if (p->s->cfg->srv)
		ares_query(p->d->ch, qname(p), ns_c_in, ns_t_srv, on_srv, p);
	else
		ares_getaddrinfo(p->d->ch, qname(p), NULL, &hints, on_addrinfo, p);
	/* it may have been answered already (an address, the hosts file) */
	dns_update_timer(p->d);
}

static void dns_stop(struct source_state *s)
{
	struct dns_src *p = s->priv;

	if (!p)
		return;
	p->stopping = true;
	dns_free(p->d);		/* cancels what is in flight */
	sd_event_source_disable_unref(p->timer);
	free(p->acc);
	free(p);
	s->priv = NULL;
}

static int dns_start(struct source_state *s)
{
	uint32_t try_ms = s->cfg->timeout_ms ? s->cfg->timeout_ms / 3 : DNS_TRY_MS;
	char err[AGENT_ERR_MAX];
	struct dns_src *p;
	int r;

	/* c-ares doubles the wait on the second try: 1/3 + 2/3 of the timeout */
	if (!s->cfg->name || !*s->cfg->name) {
		log_err("vip %s: DNS source without a name", s->vip->cfg->name);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	s->priv = p;
	/*
	 * A channel of its own: DNS_SERVER is per VIP, and stop() cancels
	 * exactly this source's queries by destroying it.
	 */
	p->d = dns_open(source_event(s), s->cfg->dns_server,
			try_ms < 100 ? 100 : try_ms, err, sizeof(err));
	if (!p->d) {
		log_err("vip %s: %s", s->vip->cfg->name, err);
		dns_stop(s);
		return -EINVAL;
	}
	r = sd_event_add_time(source_event(s), &p->timer, CLOCK_MONOTONIC, 0, 0,
			      on_timer, p);
	if (r < 0) {
		dns_stop(s);
		return r;
	}
	sd_event_source_set_description(p->timer, "source-dns");
	return 0;
}

/* SIGHUP: resolve now, unless a resolution is under way. */
static void dns_reload(struct source_state *s)
{
	struct dns_src *p = s->priv;

	if (p && !p->busy)
		schedule(p, 0);
}

const struct source_ops source_dns_ops = {
	.type = SRC_DNS,
	.name = "dns",
	.start = dns_start,
	.stop = dns_stop,
	.reload = dns_reload,
};
