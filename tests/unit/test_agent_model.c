// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent's model (userspace/agent/model.c): sources' answers merged
 * into backends, failures and empty answers kept static, drain then
 * removal after DRAIN_GRACE (a real sd-event timer), adopted backends,
 * the desired kernel state, ALL_DOWN keep and refuse.
 *
 * health.c and kernel.c are stubs here: they count their calls.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/l4lb.h>

#include "agent.h"
#include "tap.h"

static int n_health_start, n_health_stop, n_reconcile;

void health_start(struct abackend *b)
{
	(void)b;
	n_health_start++;
}

void health_stop(struct abackend *b)
{
	(void)b;
	n_health_stop++;
}

void reconcile_schedule(struct agent *a)
{
	(void)a;
	n_reconcile++;
}

static struct agent agent;

static struct endpoint ep(const char *s)
{
	struct endpoint e;

	if (endpoint_parse(s, &e, NULL)) {
		fprintf(stderr, "bad endpoint %s\n", s);
		exit(2);
	}
	return e;
}

static struct instance inst(const char *id, const char *addr, uint32_t w,
			    bool draining)
{
	struct instance i = { .weight = w, .draining = draining };

	snprintf(i.id, sizeof(i.id), "%s", id);
	i.ep = ep(addr);
	return i;
}

static struct abackend *find(struct avip *v, const char *addr)
{
	struct endpoint e = ep(addr);

	return vip_find_backend(v, &e);
}

static void cfg_init(struct vip_cfg *c, size_t n_sources, enum all_down ad)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "web");
	c->vip = ep("10.0.0.1:80");
	c->proto = IPPROTO_TCP;
	c->weight = 1;
	c->backend_port = 80;
	c->check.type = CHECK_TCP;
	c->check.interval_ms = 1000;
	c->check.timeout_ms = 1000;
	c->check.jitter_ms = 100;
	c->check.rise = 2;
	c->check.fall = 3;
	c->n_sources = n_sources;
	c->sources[0].type = SRC_OPERATOR;
	c->sources[1].type = SRC_DNS;
	c->drain_grace_ms = 30000;
	c->all_down = ad;
}

/* What health.c does on a change: the new state, then the call. */
static void set_health(struct abackend *b, enum health h)
{
	enum health old = b->hs.state;

	b->hs.state = h;
	if (h == HEALTH_DOWN)
		b->hs.last_fail_usec = now_usec(CLOCK_MONOTONIC);
	backend_health_changed(b, old);
}

static void test_update(void)
{
	struct vip_cfg c;
	struct avip v;
	struct abackend *a, *b;
	struct instance l[3];
	size_t healthy, total;
	int rec;

	cfg_init(&c, 1, ALL_DOWN_KEEP);
	c.weight = 3;
	vip_init(&v, &agent, &c);
	check_int("init: source knows its VIP", v.src[0].vip == &v, 1);
	check_int("init: source index", v.src[1].idx, 1);
	check_int("init: source config", v.src[0].cfg == &c.sources[0], 1);
	check_int("init: unused source has no config", v.src[1].cfg == NULL, 1);

	l[0] = inst("inst-1", "10.0.1.1:8080", 0, false);
	l[1] = inst("", "10.0.1.2:8080", 5, false);
	n_health_start = n_reconcile = 0;
	vip_source_update(&v, 0, l, 2);
	a = find(&v, "10.0.1.1:8080");
	b = find(&v, "10.0.1.2:8080");
	check_int("update: two backends", a && b, 1);
	if (!a || !b)
		return;
	check_int("update: checks started", n_health_start, 2);
	check_int("update: reconcile asked", n_reconcile > 0, 1);
	check_str("update: the source's id", a->id, "inst-1");
	check_str("update: no id -> the address", b->id, "10.0.1.2:8080");
	check_int("update: default weight", a->weight, 3);
	check_int("update: its own weight", b->weight, 5);
	check_int("update: listed by source 0", a->listed, 1);
	check_int("update: answered", v.src[0].answered, 1);
	check_int("update: counted", (long)v.src[0].updates, 1);
	check_int("update: new and unknown -> drain", backend_desired_state(a),
		  L4LB_BACKEND_DRAIN);
	total = vip_count(&v, &healthy);
	check_int("count: total", (long)total, 2);
	check_int("count: none healthy yet", (long)healthy, 0);

	set_health(a, HEALTH_UP);
	check_int("health up -> up", backend_desired_state(a), L4LB_BACKEND_UP);
	check_int("health up: healthy", backend_is_healthy(a), 1);
	vip_count(&v, &healthy);
	check_int("count: one healthy", (long)healthy, 1);

	/* the same answer again: nothing to do */
	rec = n_reconcile;
	vip_source_update(&v, 0, l, 2);
	check_int("same answer: no reconcile", n_reconcile, rec);
	check_int("same answer: no new checks", n_health_start, 2);

	/* weight and draining from the source */
	l[0].weight = 9;
	l[1].draining = true;
	vip_source_update(&v, 0, l, 2);
	check_int("weight change applied", a->weight, 9);
	check_int("weight change: reconcile", n_reconcile > rec, 1);
	check_int("draining by the source -> drain", backend_desired_state(b),
		  L4LB_BACKEND_DRAIN);
	set_health(b, HEALTH_UP);
	check_int("draining and healthy -> still drain",
		  backend_desired_state(b), L4LB_BACKEND_DRAIN);
	vip_count(&v, &healthy);
	check_int("count: draining is not serving", (long)healthy, 1);
	l[1].draining = false;
	vip_source_update(&v, 0, l, 2);
	check_int("no longer draining -> up", backend_desired_state(b),
		  L4LB_BACKEND_UP);

	/* dropped: drained, removal armed */
	vip_source_update(&v, 0, l, 1);
	check_int("dropped: still in the model", find(&v, "10.0.1.2:8080") == b, 1);
	check_int("dropped: gone", b->gone_usec != 0, 1);
	check_int("dropped: removal timer", b->gone_timer != NULL, 1);
	check_int("dropped: not listed", b->listed, 0);
	check_int("dropped: drain", backend_desired_state(b), L4LB_BACKEND_DRAIN);
	total = vip_count(&v, &healthy);
	check_int("dropped: not counted", (long)total, 1);

	/* listed again before the grace ends */
	vip_source_update(&v, 0, l, 2);
	check_int("relisted: not gone", b->gone_usec, 0);
	check_int("relisted: timer cancelled", b->gone_timer == NULL, 1);
	check_int("relisted: up again", backend_desired_state(b), L4LB_BACKEND_UP);
	check_int("relisted: same backend, no new check", n_health_start, 2);

	/* an empty answer after a full one is a failure: all kept */
	vip_source_update(&v, 0, l, 0);
	check_int("empty: failing", v.src[0].failing, 1);
	check_int("empty: counted as an error", (long)v.src[0].errors, 1);
	check_str("empty: why", v.src[0].last_error,
		  "empty answer after listing 2 backends");
	check_int("empty: a kept", a->gone_usec == 0 && a->listed == 1, 1);
	check_int("empty: b kept", b->gone_usec == 0 && b->listed == 1, 1);

	/* a failure keeps everything and counts */
	vip_source_failed(&v, 0, "HTTP %d", 503);
	check_int("failed: still failing", v.src[0].failing, 1);
	check_int("failed: counted", (long)v.src[0].errors, 2);
	check_str("failed: last error", v.src[0].last_error, "HTTP 503");
	check_int("failed: backends kept", (long)vip_count(&v, NULL), 2);

	/* a good answer ends the failure */
	vip_source_update(&v, 0, l, 2);
	check_int("recovered: not failing", v.src[0].failing, 0);
	check_str("recovered: error cleared", v.src[0].last_error, "");
	check_int("recovered: errors stay counted", (long)v.src[0].errors, 2);

	n_health_stop = 0;
	vip_free(&v);
	check_int("free: checks stopped", n_health_stop, 2);
	check_int("free: empty", v.backends == NULL, 1);
}

static void test_empty_first(void)
{
	struct vip_cfg c;
	struct avip v;

	cfg_init(&c, 1, ALL_DOWN_KEEP);
	vip_init(&v, &agent, &c);
	vip_source_update(&v, 0, NULL, 0);
	check_int("empty first answer: answered", v.src[0].answered, 1);
	check_int("empty first answer: not a failure", v.src[0].failing, 0);
	check_int("empty first answer: no backends", (long)vip_count(&v, NULL), 0);
	vip_free(&v);
}

static void test_drain_grace(void)
{
	struct vip_cfg c;
	struct avip v;
	struct instance l[2];
	struct abackend *b;
	int i, rec;

	cfg_init(&c, 1, ALL_DOWN_KEEP);
	c.drain_grace_ms = 20;
	vip_init(&v, &agent, &c);
	l[0] = inst("a", "10.0.1.1:80", 0, false);
	l[1] = inst("b", "10.0.1.2:80", 0, false);
	vip_source_update(&v, 0, l, 2);
	vip_source_update(&v, 0, l, 1);
	b = find(&v, "10.0.1.2:80");
	check_int("grace: b draining", b && b->gone_usec, 1);
	n_health_stop = 0;
	rec = n_reconcile;
	for (i = 0; i < 50 && find(&v, "10.0.1.2:80"); i++)
		sd_event_run(agent.ev, 10000);
	check_int("grace: b removed after DRAIN_GRACE", find(&v, "10.0.1.2:80") == NULL, 1);
	check_int("grace: its checks stopped", n_health_stop, 1);
	check_int("grace: reconcile asked", n_reconcile > rec, 1);
	check_int("grace: a stays", find(&v, "10.0.1.1:80") != NULL, 1);
	vip_free(&v);
}

static void test_two_sources(void)
{
	struct vip_cfg c;
	struct avip v;
	struct instance l0[1], l1[1];
	struct abackend *b;

	cfg_init(&c, 2, ALL_DOWN_KEEP);
	vip_init(&v, &agent, &c);
	l0[0] = inst("op-1", "10.0.1.1:80", 0, false);
	l1[0] = inst("", "10.0.1.1:80", 0, true);
	vip_source_update(&v, 0, l0, 1);
	vip_source_update(&v, 1, l1, 1);
	b = find(&v, "10.0.1.1:80");
	check_int("two sources: one backend", (long)vip_count(&v, NULL), 1);
	if (!b)
		return;
	check_int("two sources: listed by both", b->listed, 3);
	check_str("two sources: first id kept", b->id, "op-1");
	b->hs.state = HEALTH_UP;
	check_int("two sources: one says draining -> drain",
		  backend_desired_state(b), L4LB_BACKEND_DRAIN);
	/* source 1 has it no more; 0 still lists it */
	l1[0] = inst("", "10.0.2.2:80", 0, false);
	vip_source_update(&v, 1, l1, 1);
	check_int("two sources: still listed by 0", b->listed, 1);
	check_int("two sources: not gone", b->gone_usec, 0);
	check_int("two sources: draining bit dropped with the listing",
		  backend_desired_state(b), L4LB_BACKEND_UP);
	/* 0 drops it too: gone */
	vip_source_update(&v, 0, l1, 0);
	check_int("two sources: empty from 0 is a failure", v.src[0].failing, 1);
	check_int("two sources: kept", b->gone_usec, 0);
	l0[0] = inst("", "10.0.2.2:80", 0, false);
	vip_source_update(&v, 0, l0, 1);
	check_int("two sources: dropped by both -> gone", b->gone_usec != 0, 1);
	vip_free(&v);
}

static void test_adopted(void)
{
	struct vip_cfg c;
	struct avip v;
	struct endpoint e1 = ep("10.0.1.1:80"), e2 = ep("10.0.1.2:80"),
			e3 = ep("10.0.1.3:80"), e4 = ep("10.0.1.4:80");
	struct abackend *a1, *a2, *a3, *a4;
	struct instance l[1];
	int starts;

	cfg_init(&c, 2, ALL_DOWN_KEEP);
	vip_init(&v, &agent, &c);
	starts = n_health_start;
	a1 = vip_adopt_backend(&v, &e1, 5, L4LB_BACKEND_UP);
	a2 = vip_adopt_backend(&v, &e2, 1, L4LB_BACKEND_UP);
	a3 = vip_adopt_backend(&v, &e3, 1, L4LB_BACKEND_DOWN);
	a4 = vip_adopt_backend(&v, &e4, 1, L4LB_BACKEND_DRAIN);
	check_int("adopt: created", a1 && a2 && a3 && a4, 1);
	if (!a1 || !a2 || !a3 || !a4)
		return;
	check_int("adopt: again returns the same", vip_adopt_backend(&v, &e1, 5,
		  L4LB_BACKEND_UP) == a1, 1);
	check_int("adopt: checks started", n_health_start - starts, 4);
	check_int("adopt: flagged", a1->adopted, 1);
	check_int("adopt: in the kernel", a1->in_kernel, 1);
	check_int("adopt: kernel weight kept", a1->weight, 5);
	check_int("adopt: up stays up", backend_desired_state(a1), L4LB_BACKEND_UP);
	check_int("adopt: up is healthy", a1->hs.state, HEALTH_UP);
	check_int("adopt: down is down", backend_desired_state(a3), L4LB_BACKEND_DOWN);
	check_int("adopt: drain is unknown", a4->hs.state, HEALTH_UNKNOWN);
	check_int("adopt: drain stays drain", backend_desired_state(a4),
		  L4LB_BACKEND_DRAIN);
	check_int("adopt: counted", (long)vip_count(&v, NULL), 4);

	/*
	 * A restarted agent whose operator answers [] first (restarting
	 * itself): a failure, the kernel's backends stay as they are.
	 */
	vip_source_update(&v, 0, l, 0);
	check_int("adopt: an empty first answer is a failure", v.src[0].failing, 1);
	check_int("adopt: ... and not an answer", v.src[0].answered, 0);
	check_int("adopt: ... a1 stays up", a1->adopted && !a1->gone_usec &&
		  backend_desired_state(a1) == L4LB_BACKEND_UP, 1);

	/* source 0 lists a1 only; source 1 has not answered: nothing judged */
	l[0] = inst("inst-1", "10.0.1.1:80", 0, false);
	vip_source_update(&v, 0, l, 1);
	check_int("adopt: listed -> ordinary", a1->adopted, 0);
	check_str("adopt: takes the source's id", a1->id, "inst-1");
	check_int("adopt: the source's weight", a1->weight, 1);
	check_int("adopt: no new check for it", n_health_start - starts, 4);
	check_int("adopt: unlisted kept while a source is silent",
		  a2->adopted && !a2->gone_usec, 1);
	vip_source_failed(&v, 1, "timeout");
	check_int("adopt: kept while a source fails", a2->gone_usec, 0);

	/* source 1 answers, without a2..a4: they drain like any vanished one */
	l[0] = inst("", "10.0.1.9:80", 0, false);
	vip_source_update(&v, 1, l, 1);
	check_int("adopt: all answered -> a2 gone", a2->gone_usec != 0, 1);
	check_int("adopt: a2 no longer adopted", a2->adopted, 0);
	check_int("adopt: a2 drains", backend_desired_state(a2), L4LB_BACKEND_DRAIN);
	check_int("adopt: a3 gone", a3->gone_usec != 0, 1);
	check_int("adopt: a1 stays", a1->gone_usec, 0);
	/* the kernel shows up after every source answered: judged at once */
	{
		struct endpoint e5 = ep("10.0.1.5:80");
		struct abackend *a5 = vip_adopt_backend(&v, &e5, 1, L4LB_BACKEND_UP);

		check_int("adopt late: drained at once", a5 && a5->gone_usec, 1);
		check_int("adopt late: drain", a5 ? backend_desired_state(a5) : -1,
			  L4LB_BACKEND_DRAIN);
	}
	/* an IPv6 instance for this IPv4 VIP: left out (the kernel refuses it) */
	{
		struct endpoint e6 = ep("[2001:db8::6]:80");

		l[0] = inst("", "[2001:db8::6]:80", 0, false);
		vip_source_update(&v, 1, l, 1);
		check_int("the other address family is left out",
			  vip_find_backend(&v, &e6) == NULL, 1);
	}
	vip_free(&v);
}

static void all_down(enum all_down mode)
{
	const char *m = mode == ALL_DOWN_KEEP ? "keep" : "refuse";
	struct vip_cfg c;
	struct avip v;
	struct instance l[3];
	struct abackend *b[3];
	char d[96];
	int i;

	cfg_init(&c, 1, mode);
	vip_init(&v, &agent, &c);
	l[0] = inst("", "10.0.1.1:80", 0, false);
	l[1] = inst("", "10.0.1.2:80", 0, false);
	l[2] = inst("", "10.0.1.3:80", 0, false);
	vip_source_update(&v, 0, l, 3);
	for (i = 0; i < 3; i++) {
		b[i] = find(&v, i == 0 ? "10.0.1.1:80" :
			    i == 1 ? "10.0.1.2:80" : "10.0.1.3:80");
		if (!b[i])
			return;
		set_health(b[i], HEALTH_UP);
	}
	/* b0 fell long ago, b1 recently, b2 last */
	set_health(b[0], HEALTH_DOWN);
	b[0]->hs.last_fail_usec -= 3600ULL * 1000000;
	set_health(b[1], HEALTH_DOWN);
	snprintf(d, sizeof(d), "%s: one down of three -> down", m);
	check_int(d, backend_desired_state(b[0]), L4LB_BACKEND_DOWN);
	check_int("no last_healthy while some serve", b[1]->last_healthy, 0);
	set_health(b[2], HEALTH_DOWN);
	if (mode == ALL_DOWN_KEEP) {
		check_int("keep: the last one stays up",
			  backend_desired_state(b[2]), L4LB_BACKEND_UP);
		check_int("keep: one that fell with it stays up",
			  backend_desired_state(b[1]), L4LB_BACKEND_UP);
		check_int("keep: one that fell long before stays down",
			  backend_desired_state(b[0]), L4LB_BACKEND_DOWN);
		check_int("keep: flagged", b[2]->last_healthy && b[1]->last_healthy &&
			  !b[0]->last_healthy, 1);
	} else {
		for (i = 0; i < 3; i++) {
			snprintf(d, sizeof(d), "refuse: b%d down", i);
			check_int(d, backend_desired_state(b[i]), L4LB_BACKEND_DOWN);
		}
		check_int("refuse: nothing flagged", b[1]->last_healthy ||
			  b[2]->last_healthy, 0);
	}
	{
		size_t healthy;

		vip_count(&v, &healthy);
		snprintf(d, sizeof(d), "%s: none counted healthy", m);
		check_int(d, (long)healthy, 0);
	}
	/* one recovers: it alone serves */
	set_health(b[0], HEALTH_UP);
	snprintf(d, sizeof(d), "%s: recovered one up", m);
	check_int(d, backend_desired_state(b[0]), L4LB_BACKEND_UP);
	snprintf(d, sizeof(d), "%s: the kept ones down again", m);
	check_int(d, backend_desired_state(b[2]) == L4LB_BACKEND_DOWN &&
		  backend_desired_state(b[1]) == L4LB_BACKEND_DOWN, 1);
	snprintf(d, sizeof(d), "%s: flags cleared", m);
	check_int(d, b[1]->last_healthy || b[2]->last_healthy, 0);
	vip_free(&v);
}

static void test_check_none(void)
{
	struct vip_cfg c;
	struct avip v;
	struct instance l[1];
	struct abackend *b;

	cfg_init(&c, 1, ALL_DOWN_KEEP);
	c.check.type = CHECK_NONE;
	vip_init(&v, &agent, &c);
	l[0] = inst("", "10.0.1.1:80", 0, false);
	vip_source_update(&v, 0, l, 1);
	b = find(&v, "10.0.1.1:80");
	check_int("check none: discovered is healthy", b && backend_is_healthy(b), 1);
	check_int("check none: up", b ? backend_desired_state(b) : -1, L4LB_BACKEND_UP);
	vip_free(&v);
}

int main(void)
{
	if (sd_event_new(&agent.ev) < 0) {
		fprintf(stderr, "sd_event_new failed\n");
		return 2;
	}
	log_level = LOG_LVL_ERROR;

	test_update();
	test_empty_first();
	test_drain_grace();
	test_two_sources();
	test_adopted();
	all_down(ALL_DOWN_KEEP);
	all_down(ALL_DOWN_REFUSE);
	test_check_none();

	sd_event_unref(agent.ev);
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
