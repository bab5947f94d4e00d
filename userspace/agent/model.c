// SPDX-License-Identifier: GPL-2.0
/*
 * The model: which backends each VIP has, merged from its discovery
 * sources, and what the kernel should make of each of them.
 *
 * Fail static throughout: a source that fails, or answers with nothing
 * after it had answered with something, changes nothing; a backend no
 * source lists any more is drained first and removed only after
 * DRAIN_GRACE; what the kernel had at start stays until every source has
 * had its say. The kernel is only ever touched by kernel.c, which a
 * reconcile_schedule() asks to compare.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/l4lb.h>

#include "agent.h"

static const char *const src_names[] = {
	[SRC_STATIC] = "static", [SRC_OPERATOR] = "operator",
	[SRC_FILE] = "file", [SRC_DNS] = "dns",
};

static const char *src_name(const struct source_state *s)
{
	unsigned int t = s->cfg ? (unsigned int)s->cfg->type : 0;

	return t < sizeof(src_names) / sizeof(src_names[0]) ? src_names[t] : "?";
}

static const char *bname(const struct abackend *b, char *buf, size_t len)
{
	char ep[ADDR_STRLEN];

	endpoint_format(&b->ep, ep, sizeof(ep));
	if (strcmp(b->id, ep))
		snprintf(buf, len, "%s (%s)", ep, b->id);
	else
		snprintf(buf, len, "%s", ep);
	return buf;
}

static bool same_ep(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, addr_len(a->family));
}

void vip_init(struct avip *v, struct agent *a, const struct vip_cfg *c)
{
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->agent = a;
	v->cfg = c;
	for (i = 0; i < AGENT_MAX_SOURCES; i++) {
		v->src[i].vip = v;
		v->src[i].idx = i;
		v->src[i].cfg = i < c->n_sources ? &c->sources[i] : NULL;
	}
}

static void backend_free(struct abackend *b)
{
	health_stop(b);
	b->gone_timer = sd_event_source_disable_unref(b->gone_timer);
	free(b);
}

void vip_free(struct avip *v)
{
	struct abackend *b = v->backends, *next;

	for (; b; b = next) {
		next = b->next;
		backend_free(b);
	}
	v->backends = NULL;
}

struct abackend *vip_find_backend(struct avip *v, const struct endpoint *ep)
{
	struct abackend *b;

	for (b = v->backends; b; b = b->next)
		if (same_ep(&b->ep, ep))
			return b;
	return NULL;
}

bool backend_is_healthy(const struct abackend *b)
{
	if (b->hs.state == HEALTH_UP)
		return true;
	/* no checks: discovered is healthy, whatever health.c got to yet */
	return b->vip->cfg->check.type == CHECK_NONE &&
	       b->hs.state == HEALTH_UNKNOWN;
}

/* Takes new flows on its own merit: healthy, listed, not drained by a source. */
static bool backend_serving(const struct abackend *b)
{
	return backend_is_healthy(b) && !b->gone_usec && !b->draining_src;
}

size_t vip_count(const struct avip *v, size_t *healthy)
{
	const struct abackend *b;
	size_t n = 0, h = 0;

	for (b = v->backends; b; b = b->next) {
		if (b->gone_usec)
			continue;
		n++;
		if (backend_serving(b))
			h++;
	}
	if (healthy)
		*healthy = h;
	return n;
}

static bool vip_any_serving(const struct avip *v)
{
	const struct abackend *b;

	for (b = v->backends; b; b = b->next)
		if (backend_serving(b))
			return true;
	return false;
}

int backend_desired_state(const struct abackend *b)
{
	/* vanished: its flows finish, no new ones, until DRAIN_GRACE ends */
	if (b->gone_usec)
		return L4LB_BACKEND_DRAIN;
	if (b->draining_src & b->listed)
		return L4LB_BACKEND_DRAIN;
	if (backend_is_healthy(b))
		return L4LB_BACKEND_UP;
	/* not judged yet: no new flows, but an adopted one's flows go on */
	if (b->hs.state == HEALTH_UNKNOWN)
		return L4LB_BACKEND_DRAIN;
	/*
	 * Down. With ALL_DOWN=keep, the ones that were serving when the
	 * VIP lost its last healthy backend stay up: when everything fails
	 * at once, the likelier culprit is the checks' own path, and
	 * refusing every client would turn that into an outage.
	 */
	if (b->last_healthy && b->vip->cfg->all_down == ALL_DOWN_KEEP &&
	    !vip_any_serving(b->vip))
		return L4LB_BACKEND_UP;
	return L4LB_BACKEND_DOWN;
}

void backend_health_changed(struct abackend *b, enum health old)
{
	struct avip *v = b->vip;
	struct abackend *o;
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];

	if (backend_serving(b)) {
		/* someone serves again: the fail-open set is done with */
		for (o = v->backends; o; o = o->next) {
			if (o->last_healthy && o != b) {
				log_info("vip %s: %s is healthy again: fail-open ends",
					 v->cfg->name, bname(b, name, sizeof(name)));
				break;
			}
		}
		for (o = v->backends; o; o = o->next)
			o->last_healthy = false;
	} else if (old == HEALTH_UP && !b->gone_usec && !b->draining_src &&
		   v->cfg->all_down == ALL_DOWN_KEEP && !vip_any_serving(v)) {
		/*
		 * @b was the last one serving. The ones that fell together
		 * with it (within a check period: a shared cause) keep it
		 * company: with several, the clients still spread.
		 */
		const struct check_cfg *c = &v->cfg->check;
		uint64_t now = now_usec(CLOCK_MONOTONIC);
		uint64_t window = ((uint64_t)c->interval_ms + c->timeout_ms +
				   c->jitter_ms) * 1000;
		unsigned int n = 0;

		for (o = v->backends; o; o = o->next) {
			bool recent = o->hs.state == HEALTH_DOWN &&
				      o->hs.last_fail_usec &&
				      now - o->hs.last_fail_usec <= window;

			if (o->gone_usec || o->draining_src)
				continue;
			if (o == b || recent) {
				o->last_healthy = true;
				n++;
			}
		}
		log_warn("vip %s: no healthy backend left: %u kept up (ALL_DOWN=keep), last %s",
			 v->cfg->name, n, bname(b, name, sizeof(name)));
	} else if (old == HEALTH_UP && !vip_any_serving(v) &&
		   v->cfg->all_down == ALL_DOWN_REFUSE) {
		log_warn("vip %s: no healthy backend left: new flows are refused (ALL_DOWN=refuse)",
			 v->cfg->name);
	}
	reconcile_schedule(v->agent);
}

/* ---------------------------------------------------------- vanishing */

static void backend_remove(struct abackend *b)
{
	struct avip *v = b->vip;
	struct abackend **pp;
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];

	log_info("vip %s: %s removed (DRAIN_GRACE over)", v->cfg->name,
		 bname(b, name, sizeof(name)));
	for (pp = &v->backends; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	backend_free(b);
	reconcile_schedule(v->agent);
}

static int on_gone_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct abackend *b = arg;

	(void)s;
	(void)usec;
	backend_remove(b);
	return 0;
}

/* No source lists @b any more: drain it now, remove it after the grace. */
static void backend_vanish(struct abackend *b)
{
	struct avip *v = b->vip;
	uint32_t grace = v->cfg->drain_grace_ms;
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];
	int r;

	if (b->gone_usec)
		return;
	b->gone_usec = now_usec(CLOCK_MONOTONIC);
	b->adopted = false;
	b->last_healthy = false;
	log_info("vip %s: %s no longer listed: draining, removed in %u.%03us",
		 v->cfg->name, bname(b, name, sizeof(name)), grace / 1000,
		 grace % 1000);
	r = sd_event_add_time(v->agent->ev, &b->gone_timer, CLOCK_MONOTONIC,
			      b->gone_usec + (uint64_t)grace * 1000, 100000,
			      on_gone_timer, b);
	if (r < 0) {
		/* kept, drained: wrong only in that it lingers */
		log_err("vip %s: %s: cannot arm the removal timer: %s",
			v->cfg->name, name, strerror(-r));
		return;
	}
	sd_event_source_set_description(b->gone_timer, "drain-grace");
}

static void backend_unvanish(struct abackend *b)
{
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];

	if (!b->gone_usec)
		return;
	b->gone_usec = 0;
	b->gone_timer = sd_event_source_disable_unref(b->gone_timer);
	log_info("vip %s: %s listed again", b->vip->cfg->name,
		 bname(b, name, sizeof(name)));
}

/* ---------------------------------------------------------- creating */

static bool all_sources_answered(const struct avip *v)
{
	size_t i;

	for (i = 0; i < v->cfg->n_sources; i++)
		if (!v->src[i].answered)
			return false;
	return true;
}


static struct abackend *backend_new(struct avip *v, const struct endpoint *ep,
				    const char *id, uint32_t weight)
{
	struct abackend *b = calloc(1, sizeof(*b)), **pp;

	if (!b)
		return NULL;
	b->vip = v;
	b->ep = *ep;
	b->weight = weight;
	if (id && *id)
		snprintf(b->id, sizeof(b->id), "%s", id);
	else
		endpoint_format(ep, b->id, sizeof(b->id));
	b->hs.state = HEALTH_UNKNOWN;
	/* at the end: the status page keeps the sources' order */
	for (pp = &v->backends; *pp; pp = &(*pp)->next)
		;
	*pp = b;
	return b;
}

struct abackend *vip_adopt_backend(struct avip *v, const struct endpoint *ep,
				   uint32_t weight, uint8_t kstate)
{
	struct abackend *b = vip_find_backend(v, ep);
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];

	if (b) {
		b->in_kernel = true;
		b->kstate = kstate;
		b->kweight = weight;
		return b;
	}
	b = backend_new(v, ep, NULL, weight);
	if (!b)
		return NULL;
	b->adopted = true;
	b->in_kernel = true;
	b->kstate = kstate;
	b->kweight = weight;
	/* a restart must break no flow: trust the kernel until checks say otherwise */
	switch (kstate) {
	case L4LB_BACKEND_UP:
		b->hs.state = HEALTH_UP;
		break;
	case L4LB_BACKEND_DOWN:
		b->hs.state = HEALTH_DOWN;
		break;
	default:
		b->hs.state = HEALTH_UNKNOWN;
		break;
	}
	log_info("vip %s: adopted %s from the kernel (%s, weight %u)",
		 v->cfg->name, bname(b, name, sizeof(name)),
		 kstate == L4LB_BACKEND_UP ? "up" :
		 kstate == L4LB_BACKEND_DOWN ? "down" : "drain", weight);
	health_start(b);
	/*
	 * The kernel came later than the sources' answers (module loaded
	 * after the agent started): no source lists it, so it goes the way
	 * of any vanished backend. A static source never answers again,
	 * which is why this cannot wait for the next answer.
	 */
	if (all_sources_answered(v))
		backend_vanish(b);
	return b;
}

/* ---------------------------------------------------------- sources */

static bool inst_lists(const struct instance *inst, size_t n,
		       const struct endpoint *ep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_ep(&inst[i].ep, ep))
			return true;
	return false;
}

static void source_ok(struct source_state *s)
{
	struct avip *v = s->vip;

	if (s->failing)
		log_info("vip %s: source %s recovered", v->cfg->name,
			 src_name(s));
	s->failing = false;
	s->last_error[0] = '\0';
	s->answered = true;
	s->last_ok_usec = now_usec(CLOCK_REALTIME);
	s->updates++;
}

void vip_source_update(struct avip *v, unsigned int idx,
		       const struct instance *inst, size_t n)
{
	struct source_state *s;
	struct abackend *b, *next;
	uint32_t bit;
	bool changed = false;
	size_t i, had = 0;
	char name[ADDR_STRLEN + AGENT_ID_MAX + 4];

	if (idx >= AGENT_MAX_SOURCES || idx >= v->cfg->n_sources)
		return;
	s = &v->src[idx];
	bit = 1U << idx;
	/*
	 * What this source listed; before its first answer, what the kernel
	 * had (adopted after a restart): an operator that is itself
	 * restarting must not empty a VIP either.
	 */
	for (b = v->backends; b; b = b->next)
		if ((b->listed & bit) || (!s->answered && b->adopted))
			had++;
	if (n == 0 && had) {
		/* a source that empties out is more likely broken than right */
		vip_source_failed(v, idx, "empty answer after listing %zu backends",
				  had);
		return;
	}
	source_ok(s);

	/* dropped by this source */
	for (b = v->backends; b; b = b->next) {
		if (!(b->listed & bit) || inst_lists(inst, n, &b->ep))
			continue;
		b->listed &= ~bit;
		if (b->draining_src & bit) {
			b->draining_src &= ~bit;
			changed = true;
		}
		if (!b->listed && !b->adopted) {
			backend_vanish(b);
			changed = true;
		}
	}

	for (i = 0; i < n; i++) {
		const struct instance *in = &inst[i];
		uint32_t w = in->weight ? in->weight : v->cfg->weight;

		if (!addr_len(in->ep.family) || !in->ep.port)
			continue;	/* the source checks; this is a backstop */
		if (in->ep.family != v->cfg->vip.family) {
			/* the kernel would refuse it; checked, it would count as serving */
			endpoint_format(&in->ep, name, sizeof(name));
			log_debug("vip %s: %s from source %s left out: not the VIP's address family",
				  v->cfg->name, name, src_name(s));
			continue;
		}
		b = vip_find_backend(v, &in->ep);
		if (!b) {
			b = backend_new(v, &in->ep, in->id, w);
			if (!b) {
				log_err("vip %s: out of memory", v->cfg->name);
				break;
			}
			b->listed = bit;
			b->draining_src = in->draining ? bit : 0;
			log_info("vip %s: %s added by source %s%s",
				 v->cfg->name, bname(b, name, sizeof(name)),
				 src_name(s), in->draining ? " (draining)" : "");
			health_start(b);
			changed = true;
			continue;
		}
		b->adopted = false;
		/* a source's name beats the address stand-in (static, DNS, adopted) */
		if (in->id[0] && strcmp(b->id, in->id)) {
			char addr[ADDR_STRLEN];

			endpoint_format(&b->ep, addr, sizeof(addr));
			if (!strcmp(b->id, addr))
				snprintf(b->id, sizeof(b->id), "%s", in->id);
		}
		backend_unvanish(b);
		if (!(b->listed & bit))
			changed = true;
		b->listed |= bit;
		if (!!(b->draining_src & bit) != in->draining) {
			b->draining_src ^= bit;
			changed = true;
			log_info("vip %s: %s %s by source %s", v->cfg->name,
				 bname(b, name, sizeof(name)),
				 in->draining ? "draining" : "no longer draining",
				 src_name(s));
		}
		if (b->weight != w) {
			log_info("vip %s: %s weight %u -> %u", v->cfg->name,
				 bname(b, name, sizeof(name)), b->weight, w);
			b->weight = w;
			changed = true;
		}
	}

	/*
	 * Fail static at start: what the kernel had is judged only once
	 * every source has had its say.
	 */
	if (all_sources_answered(v)) {
		for (b = v->backends; b; b = next) {
			next = b->next;
			if (b->adopted && !b->listed) {
				backend_vanish(b);
				changed = true;
			}
		}
	}
	if (changed)
		reconcile_schedule(v->agent);
}

void vip_source_failed(struct avip *v, unsigned int idx, const char *fmt, ...)
{
	struct source_state *s;
	size_t n;
	va_list ap;

	if (idx >= AGENT_MAX_SOURCES)
		return;
	s = &v->src[idx];
	va_start(ap, fmt);
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	va_end(ap);
	s->errors++;
	n = vip_count(v, NULL);
	/* once per transition: a source down for an hour is one warning */
	if (!s->failing)
		log_warn("vip %s: source %s failed, its last answer stays (%zu backends in all): %s",
			 v->cfg->name, src_name(s), n, s->last_error);
	else
		log_debug("vip %s: source %s still failing: %s", v->cfg->name,
			  src_name(s), s->last_error);
	s->failing = true;
}
