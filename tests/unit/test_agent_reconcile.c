// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of l4lb-agent's reconcile decisions
 * (userspace/agent/reconcile.c): what the model wants and what the kernel
 * has in, the requests out. Output is TAP.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "reconcile.h"

#include "tap.h"

static struct rc_backend be(const char *s, int state, uint32_t weight)
{
	struct rc_backend b;

	memset(&b, 0, sizeof(b));
	if (endpoint_parse(s, &b.ep, NULL))
		fprintf(stderr, "bad endpoint %s\n", s);
	b.state = state;
	b.weight = weight;
	return b;
}

/* "new 10.0.1.1:80 w1 s0; set ...; del ..." : the ops as one line */
static const char *ops_str(const struct rc_op *ops, size_t n)
{
	static const char *const names[] = {
		[RC_VIP_NEW] = "vipnew", [RC_VIP_SET] = "vipset",
		[RC_BACKEND_NEW] = "new", [RC_BACKEND_SET] = "set",
		[RC_BACKEND_DEL] = "del", [RC_BACKEND_ADOPT] = "adopt",
	};
	static char out[1024];
	char ep[ADDR_STRLEN];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct rc_op *o = &ops[i];

		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
					i ? "; " : "", names[o->type]);
		if (o->type == RC_VIP_NEW || o->type == RC_VIP_SET) {
			if (o->sched)
				len += (size_t)snprintf(out + len, sizeof(out) - len,
							" sched %s", o->sched);
			if (o->mode >= 0)
				len += (size_t)snprintf(out + len, sizeof(out) - len,
							" mode %d", o->mode);
			continue;
		}
		len += (size_t)snprintf(out + len, sizeof(out) - len, " %s",
					endpoint_format(&o->ep, ep, sizeof(ep)));
		if (o->weight >= 0)
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						" w%lld", (long long)o->weight);
		if (o->state >= 0)
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						" s%lld", (long long)o->state);
	}
	return out;
}

#define UP	L4LB_BACKEND_UP
#define DRAIN	L4LB_BACKEND_DRAIN
#define DOWN	L4LB_BACKEND_DOWN

static void test_vip(void)
{
	struct rc_vip want = { .sched = "rr", .mode = -1 };
	struct rc_vip have = { .present = false, .mode = -1 };
	struct rc_op op;
	size_t n;

	n = rc_vip_ops(&want, &have, &op);
	check_str("missing VIP: created with its scheduler",
		  ops_str(&op, n), "vipnew sched rr");

	want.mode = L4LB_FWD_SNAT;
	strcpy(want.sched, "round-robin");
	n = rc_vip_ops(&want, &have, &op);
	check_str("missing VIP: alias sent as the name, mode sent",
		  ops_str(&op, n), "vipnew sched rr mode 1");

	have.present = true;
	strcpy(have.sched, "rr");
	have.mode = L4LB_FWD_SNAT;
	n = rc_vip_ops(&want, &have, &op);
	check_int("same VIP (alias vs name): nothing sent", (long)n, 0);

	strcpy(have.sched, "wrr");
	have.mode = L4LB_FWD_DNAT;
	n = rc_vip_ops(&want, &have, &op);
	check_str("other scheduler and mode: set both",
		  ops_str(&op, n), "vipset sched rr mode 1");

	have.mode = L4LB_FWD_SNAT;
	n = rc_vip_ops(&want, &have, &op);
	check_str("other scheduler only: only it is sent",
		  ops_str(&op, n), "vipset sched rr");

	want.sched[0] = '\0';
	want.mode = -1;
	n = rc_vip_ops(&want, &have, &op);
	check_int("kernel defaults wanted: an existing VIP is left alone",
		  (long)n, 0);

	have.present = false;
	n = rc_vip_ops(&want, &have, &op);
	check_str("kernel defaults wanted: created with the key alone",
		  ops_str(&op, n), "vipnew");

	/* a kernel that reports no mode or scheduler: never set again and again */
	want.mode = L4LB_FWD_DSR;
	strcpy(want.sched, "maglev");
	have.present = true;
	have.sched[0] = '\0';
	have.mode = -1;
	n = rc_vip_ops(&want, &have, &op);
	check_int("values the kernel does not report: nothing sent", (long)n, 0);
}

static void test_backends(void)
{
	struct rc_backend want[8], have[8];
	struct endpoint removed[2];
	struct rc_op ops[16];
	size_t n;

	/* fresh start: nothing in the kernel */
	want[0] = be("10.0.1.1:80", UP, 1);
	want[1] = be("10.0.1.2:80", DRAIN, 3);
	want[2] = be("10.0.1.3:80", -1, 1);
	n = rc_backend_ops(want, 3, have, 0, NULL, 0, ops);
	check_str("missing backends added with state and weight; unwanted not added",
		  ops_str(ops, n), "new 10.0.1.1:80 w1 s0; new 10.0.1.2:80 w3 s1");

	/* the kernel matches: no op at all (no event loop on our own changes) */
	have[0] = be("10.0.1.1:80", UP, 1);
	have[1] = be("10.0.1.2:80", DRAIN, 3);
	n = rc_backend_ops(want, 3, have, 2, NULL, 0, ops);
	check_int("kernel matches the model: nothing sent", (long)n, 0);

	/* state and weight changes send only what differs */
	want[0].state = DOWN;
	want[1].weight = 5;
	n = rc_backend_ops(want, 2, have, 2, NULL, 0, ops);
	check_str("state change, weight change: set only the field that differs",
		  ops_str(ops, n), "set 10.0.1.1:80 s2; set 10.0.1.2:80 w5");

	/* wanted gone: deleted even before every source answered */
	want[0] = be("10.0.1.1:80", UP, 1);
	want[1] = be("10.0.1.2:80", -1, 3);
	n = rc_backend_ops(want, 2, have, 2, NULL, 0, ops);
	check_str("backend the model wants gone: deleted",
		  ops_str(ops, n), "del 10.0.1.2:80");

	/*
	 * A kernel backend the model does not know (an admin's l4ctl backend
	 * add): never cut at once, handed to the model with the kernel's
	 * state and weight, which drains it over DRAIN_GRACE.
	 */
	want[1] = be("10.0.1.2:80", DRAIN, 3);
	have[2] = be("10.0.9.9:80", DOWN, 4);
	n = rc_backend_ops(want, 2, have, 3, NULL, 0, ops);
	check_str("unknown kernel backend: adopted (kernel's weight and state), not deleted",
		  ops_str(ops, n), "adopt 10.0.9.9:80 w4 s2");
	/* only one the model drained and dropped itself is deleted */
	endpoint_parse("10.0.9.9:80", &removed[0], NULL);
	n = rc_backend_ops(want, 2, have, 3, removed, 1, ops);
	check_str("kernel backend the model dropped after DRAIN_GRACE: deleted",
		  ops_str(ops, n), "del 10.0.9.9:80");
	endpoint_parse("10.0.9.8:80", &removed[1], NULL);
	n = rc_backend_ops(want, 2, have, 3, &removed[1], 1, ops);
	check_str("another endpoint dropped by the model: this one still adopted",
		  ops_str(ops, n), "adopt 10.0.9.9:80 w4 s2");
	/* dropped by the model and listed again: wanted, so kept and set */
	want[2] = be("10.0.9.9:80", UP, 4);
	n = rc_backend_ops(want, 3, have, 3, removed, 1, ops);
	check_str("dropped, then wanted again: set, not deleted",
		  ops_str(ops, n), "set 10.0.9.9:80 s0");

	/* adds and sets before deletions: a swap never empties the VIP */
	want[0] = be("10.0.1.7:80", UP, 1);
	want[1] = be("10.0.1.1:80", -1, 1);
	have[0] = be("10.0.1.1:80", UP, 1);
	n = rc_backend_ops(want, 2, have, 1, NULL, 0, ops);
	check_str("replacement: the new one is added before the old one goes",
		  ops_str(ops, n), "new 10.0.1.7:80 w1 s0; del 10.0.1.1:80");

	/* same address, other port: another backend; IPv6 */
	want[0] = be("10.0.1.1:81", UP, 1);
	want[1] = be("[fd00::5]:8080", UP, 2);
	have[0] = be("10.0.1.1:80", UP, 1);
	have[1] = be("[fd00::5]:8080", UP, 1);
	n = rc_backend_ops(want, 2, have, 2, NULL, 0, ops);
	check_str("port is part of the key; IPv6 compared whole",
		  ops_str(ops, n),
		  "new 10.0.1.1:81 w1 s0; set [fd00::5]:8080 w2; adopt 10.0.1.1:80 w1 s0");

	/* a duplicate in the model: the first entry decides, one op only */
	want[0] = be("10.0.1.1:80", UP, 1);
	want[1] = be("10.0.1.1:80", DOWN, 1);
	n = rc_backend_ops(want, 2, have, 0, NULL, 0, ops);
	check_str("duplicate model entries: one request",
		  ops_str(ops, n), "new 10.0.1.1:80 w1 s0");

	/* an empty model deletes nothing it did not drop itself */
	have[0] = be("10.0.1.1:80", UP, 1);
	have[1] = be("10.0.1.2:80", DOWN, 1);
	n = rc_backend_ops(want, 0, have, 2, NULL, 0, ops);
	check_str("empty model: everything adopted, nothing deleted",
		  ops_str(ops, n), "adopt 10.0.1.1:80 w1 s0; adopt 10.0.1.2:80 w1 s2");
	endpoint_parse("10.0.1.2:80", &removed[0], NULL);
	n = rc_backend_ops(want, 0, have, 2, removed, 1, ops);
	check_str("empty model: the dropped one deleted, the other adopted",
		  ops_str(ops, n), "adopt 10.0.1.1:80 w1 s0; del 10.0.1.2:80");
}

int main(void)
{
	test_vip();
	test_backends();
	printf("1..%d\n", tap_tests);
	return tap_failed ? 1 : 0;
}
