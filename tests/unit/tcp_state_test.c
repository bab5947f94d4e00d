// SPDX-License-Identifier: GPL-2.0
/* Unit test of the kernel's TCP state machine (kmod/tcp_state.c), on the host. */
#include <stdio.h>

#include "tcp_state.h"

static int failures, checks;

#define SYN L4LB_TCPF_SYN
#define ACK L4LB_TCPF_ACK
#define FIN L4LB_TCPF_FIN
#define RST L4LB_TCPF_RST

static const char *const names[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "TIME_WAIT", "CLOSE",
};

/* Feed a sequence of (reply, flags) segments and check the end state. */
struct seg {
	int reply;
	unsigned char flags;
};

/* One-way flows (DSR, tunnel): every segment is the client's, reply is 0. */
static void check_seq_mode(const char *desc, const struct seg *segs, int n,
			   u8 want, int oneway)
{
	u8 s = L4LB_TCP_NONE;
	int i;

	for (i = 0; i < n; i++)
		s = oneway ? l4lb_tcp_next_oneway(s, segs[i].flags) :
			     l4lb_tcp_next_state(s, segs[i].reply, segs[i].flags);
	checks++;
	if (s == want) {
		printf("ok %d - %s\n", checks, desc);
	} else {
		failures++;
		printf("not ok %d - %s\n#   got %s, want %s\n", checks, desc,
		       names[s], names[want]);
	}
}

#define SEQ_MODE(oneway, desc, want, ...) do {				\
	const struct seg s_[] = { __VA_ARGS__ };			\
	check_seq_mode(desc, s_, sizeof(s_) / sizeof(s_[0]), want,	\
		       oneway);						\
} while (0)
#define SEQ(desc, want, ...) SEQ_MODE(0, desc, want, __VA_ARGS__)
#define SEQ1(desc, want, ...) SEQ_MODE(1, "one-way: " desc, want, __VA_ARGS__)

/*
 * The outcome the counters take (kmod/conn.c): the first one the states
 * along the segments tell, kept once known.
 */
static void check_outcome_mode(const char *desc, const struct seg *segs,
			       int n, enum l4lb_tcp_outcome want, int oneway)
{
	static const char *const out[] = { "PENDING", "ESTABLISHED", "FAILED" };
	enum l4lb_tcp_outcome got = L4LB_TCP_PENDING;
	u8 s = L4LB_TCP_NONE;
	int i;

	for (i = 0; i < n; i++) {
		s = oneway ? l4lb_tcp_next_oneway(s, segs[i].flags) :
			     l4lb_tcp_next_state(s, segs[i].reply, segs[i].flags);
		if (got == L4LB_TCP_PENDING)
			got = l4lb_tcp_outcome(s);
	}
	checks++;
	if (got == want) {
		printf("ok %d - outcome: %s\n", checks, desc);
	} else {
		failures++;
		printf("not ok %d - outcome: %s\n#   got %s, want %s\n", checks,
		       desc, out[got], out[want]);
	}
}

#define OUTCOME_MODE(oneway, desc, want, ...) do {			\
	const struct seg s_[] = { __VA_ARGS__ };			\
	check_outcome_mode(desc, s_, sizeof(s_) / sizeof(s_[0]), want,	\
			   oneway);					\
} while (0)
#define OUTCOME(desc, want, ...) OUTCOME_MODE(0, desc, want, __VA_ARGS__)

static void test_outcomes(void)
{
	OUTCOME("a SYN alone is pending", L4LB_TCP_PENDING, { 0, SYN },
		{ 0, SYN });
	OUTCOME("the SYN-ACK alone is pending", L4LB_TCP_PENDING, { 0, SYN },
		{ 1, SYN | ACK });
	OUTCOME("the handshake: established", L4LB_TCP_WAS_ESTABLISHED,
		{ 0, SYN }, { 1, SYN | ACK }, { 0, ACK });
	OUTCOME("ACK and FIN in one segment: established",
		L4LB_TCP_WAS_ESTABLISHED, { 0, SYN }, { 1, SYN | ACK },
		{ 0, ACK | FIN });
	OUTCOME("established, then reset: established",
		L4LB_TCP_WAS_ESTABLISHED, { 0, SYN }, { 1, SYN | ACK },
		{ 0, ACK }, { 1, RST });
	OUTCOME("the backend resets the SYN: failed", L4LB_TCP_FAILED,
		{ 0, SYN }, { 1, RST | ACK });
	OUTCOME("the client resets in the handshake: failed", L4LB_TCP_FAILED,
		{ 0, SYN }, { 1, SYN | ACK }, { 0, RST });
	OUTCOME("a FIN in the handshake: failed", L4LB_TCP_FAILED,
		{ 0, SYN }, { 1, SYN | ACK }, { 0, FIN });
	OUTCOME_MODE(1, "one-way: the client's ACK establishes",
		     L4LB_TCP_WAS_ESTABLISHED, { 0, SYN }, { 0, ACK });
	OUTCOME_MODE(1, "one-way: a RST after the SYN fails", L4LB_TCP_FAILED,
		     { 0, SYN }, { 0, RST });
}

int main(void)
{
	test_outcomes();
	SEQ("client SYN opens", L4LB_TCP_SYN_SENT, { 0, SYN });
	SEQ("SYN-ACK from backend", L4LB_TCP_SYN_RECV, { 0, SYN }, { 1, SYN | ACK });
	SEQ("three-way handshake establishes", L4LB_TCP_ESTABLISHED,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK });
	SEQ("client ACK alone does not establish (no answer from the backend)",
	    L4LB_TCP_SYN_SENT, { 0, SYN }, { 0, ACK });
	SEQ("ACK with FIN after the SYN-ACK establishes, then closes",
	    L4LB_TCP_FIN_WAIT, { 0, SYN }, { 1, SYN | ACK }, { 0, ACK | FIN });
	SEQ("backend ACK does not establish", L4LB_TCP_SYN_SENT,
	    { 0, SYN }, { 1, ACK });
	SEQ("client FIN", L4LB_TCP_FIN_WAIT,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 0, FIN | ACK });
	SEQ("backend FIN", L4LB_TCP_CLOSE_WAIT,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 1, FIN | ACK });
	SEQ("both FINs", L4LB_TCP_TIME_WAIT,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 0, FIN | ACK },
	    { 1, FIN | ACK }, { 0, ACK });
	SEQ("RST closes from any state", L4LB_TCP_CLOSE,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 1, RST });
	SEQ("a SYN after TIME_WAIT leaves the state (the hook reschedules)",
	    L4LB_TCP_TIME_WAIT, { 0, SYN }, { 1, SYN | ACK }, { 0, ACK },
	    { 0, FIN }, { 1, FIN }, { 0, SYN });
	SEQ("SYN retransmit keeps ESTABLISHED", L4LB_TCP_ESTABLISHED,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 0, SYN });
	SEQ("a repeated FIN keeps FIN_WAIT", L4LB_TCP_FIN_WAIT,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 0, FIN }, { 0, FIN });
	SEQ("a FIN during the handshake is not alive", L4LB_TCP_TIME_WAIT,
	    { 0, SYN }, { 0, FIN });

	SEQ1("client SYN opens", L4LB_TCP_SYN_SENT, { 0, SYN });
	SEQ1("SYN retransmit stays in the handshake", L4LB_TCP_SYN_SENT,
	     { 0, SYN }, { 0, SYN });
	SEQ1("the client's ACK establishes (no SYN-ACK is ever seen)",
	     L4LB_TCP_ESTABLISHED, { 0, SYN }, { 0, ACK });
	SEQ1("data keeps it established", L4LB_TCP_ESTABLISHED,
	     { 0, SYN }, { 0, ACK }, { 0, ACK }, { 0, ACK });
	SEQ1("an ACK without a SYN before establishes nothing", L4LB_TCP_NONE,
	     { 0, ACK });
	SEQ1("client FIN closes", L4LB_TCP_FIN_WAIT,
	     { 0, SYN }, { 0, ACK }, { 0, FIN | ACK });
	SEQ1("ACKs after the FIN (half-close: the backend goes on) keep FIN_WAIT",
	     L4LB_TCP_FIN_WAIT, { 0, SYN }, { 0, ACK }, { 0, FIN | ACK },
	     { 0, ACK }, { 0, ACK });
	SEQ1("ACK with FIN right after the SYN establishes, then closes",
	     L4LB_TCP_FIN_WAIT, { 0, SYN }, { 0, FIN | ACK });
	SEQ1("a FIN without ACK during the handshake is not alive",
	     L4LB_TCP_TIME_WAIT, { 0, SYN }, { 0, FIN });
	SEQ1("RST ends it", L4LB_TCP_CLOSE, { 0, SYN }, { 0, ACK }, { 0, RST });
	SEQ1("RST in the handshake ends it", L4LB_TCP_CLOSE, { 0, SYN },
	     { 0, RST });
	SEQ1("a SYN does not disturb an established flow", L4LB_TCP_ESTABLISHED,
	     { 0, SYN }, { 0, ACK }, { 0, SYN });
	SEQ1("a SYN on a closing flow is the next connection", L4LB_TCP_SYN_SENT,
	     { 0, SYN }, { 0, ACK }, { 0, FIN | ACK }, { 0, ACK }, { 0, SYN });
	SEQ1("... whose ACK establishes it again", L4LB_TCP_ESTABLISHED,
	     { 0, SYN }, { 0, ACK }, { 0, FIN | ACK }, { 0, SYN }, { 0, ACK });
	SEQ1("a SYN after RST leaves the state (the hook reschedules)",
	     L4LB_TCP_CLOSE, { 0, SYN }, { 0, ACK }, { 0, RST }, { 0, SYN });
	SEQ1("a SYN-ACK from the client changes nothing", L4LB_TCP_SYN_SENT,
	     { 0, SYN }, { 0, SYN | ACK });

	checks++;
	if (l4lb_tcp_next_oneway(200, ACK) == L4LB_TCP_NONE) {
		printf("ok %d - one-way: an out-of-range state is treated as NONE\n",
		       checks);
	} else {
		failures++;
		printf("not ok %d - one-way: an out-of-range state is treated as NONE\n",
		       checks);
	}

	checks++;
	if (l4lb_tcp_evict_oneway(L4LB_TCP_ESTABLISHED) == L4LB_EVICT_LAST &&
	    l4lb_tcp_evict_oneway(L4LB_TCP_FIN_WAIT) == L4LB_EVICT_LAST &&
	    l4lb_tcp_evict_oneway(L4LB_TCP_SYN_SENT) == L4LB_EVICT_UNPROVEN &&
	    l4lb_tcp_evict_oneway(L4LB_TCP_TIME_WAIT) == L4LB_EVICT_ENDED &&
	    l4lb_tcp_evict_oneway(L4LB_TCP_CLOSE) == L4LB_EVICT_ENDED &&
	    L4LB_EVICT_LAST > L4LB_EVICT_NEVER &&
	    L4LB_EVICT_LAST < L4LB_EVICT_UNPROVEN) {
		printf("ok %d - one-way: established flows are unproven, evicted last\n",
		       checks);
	} else {
		failures++;
		printf("not ok %d - one-way: established flows are unproven, evicted last\n",
		       checks);
	}

	checks++;
	if (l4lb_tcp_next_state(200, 0, ACK) == L4LB_TCP_NONE) {
		printf("ok %d - an out-of-range state is treated as NONE\n", checks);
	} else {
		failures++;
		printf("not ok %d - an out-of-range state is treated as NONE\n", checks);
	}

	checks++;
	if (l4lb_tcp_is_opening(SYN) && !l4lb_tcp_is_opening(SYN | ACK) &&
	    !l4lb_tcp_is_opening(SYN | RST) && !l4lb_tcp_is_opening(ACK)) {
		printf("ok %d - only a bare SYN opens a flow\n", checks);
	} else {
		failures++;
		printf("not ok %d - only a bare SYN opens a flow\n", checks);
	}

	checks++;
	if (l4lb_tcp_evict(L4LB_TCP_SYN_SENT) == L4LB_EVICT_UNPROVEN &&
	    l4lb_tcp_evict(L4LB_TCP_SYN_RECV) == L4LB_EVICT_UNPROVEN &&
	    l4lb_tcp_evict(L4LB_TCP_TIME_WAIT) == L4LB_EVICT_ENDED &&
	    l4lb_tcp_evict(L4LB_TCP_CLOSE) == L4LB_EVICT_ENDED &&
	    l4lb_tcp_evict(L4LB_TCP_ESTABLISHED) == L4LB_EVICT_NEVER &&
	    l4lb_tcp_evict(L4LB_TCP_FIN_WAIT) == L4LB_EVICT_NEVER &&
	    l4lb_tcp_evict(L4LB_TCP_CLOSE_WAIT) == L4LB_EVICT_NEVER &&
	    L4LB_EVICT_ENDED > L4LB_EVICT_UNPROVEN) {
		printf("ok %d - ended connections go first, open established ones never\n",
		       checks);
	} else {
		failures++;
		printf("not ok %d - ended connections go first, open established ones never\n",
		       checks);
	}

	/* The RST window: exact, a little behind, ahead, far off, wrapping. */
	{
		static const struct {
			u32 nxt, seq;
			bool ok;
			const char *what;
		} rst[] = {
			{ 1000, 1000, true, "RST at nxt is believed" },
			{ 1000, 1000 - L4LB_TCP_SEQ_STEP, true,
			  "RST one step behind nxt is believed" },
			{ 1000, 1000 + L4LB_TCP_SEQ_WINDOW - 1, true,
			  "RST at the end of the window is believed" },
			{ 1000, 1000 + L4LB_TCP_SEQ_WINDOW, false,
			  "RST past the window is ignored" },
			{ 1000, 1000 + (1U << 31), false,
			  "blind RST half the space away is ignored" },
			{ 0xfffffff0U, 0x10, true, "RST across the wrap is believed" },
			{ 1000, 1000 - L4LB_TCP_SEQ_STEP - 1, false,
			  "RST too far behind is ignored" },
		};
		unsigned int i;

		for (i = 0; i < sizeof(rst) / sizeof(rst[0]); i++) {
			checks++;
			if (l4lb_tcp_in_window(rst[i].nxt, rst[i].seq) ==
			    rst[i].ok) {
				printf("ok %d - %s\n", checks, rst[i].what);
			} else {
				failures++;
				printf("not ok %d - %s\n", checks, rst[i].what);
			}
		}
	}

	checks++;
	if (!l4lb_tcp_seq_advances(1000, 1000, 1000 + L4LB_TCP_SEQ_STEP - 1) &&
	    l4lb_tcp_seq_advances(1000, 1000, 1000 + L4LB_TCP_SEQ_STEP) &&
	    !l4lb_tcp_seq_advances(1000, 1000 + L4LB_TCP_SEQ_WINDOW,
				   1000 + L4LB_TCP_SEQ_WINDOW + 100) &&
	    /* a GRO packet longer than the window, starting in it */
	    l4lb_tcp_seq_advances(1000, 2000, 2000 + 2 * L4LB_TCP_SEQ_WINDOW) &&
	    !l4lb_tcp_seq_advances(1000, 900, 999)) {
		printf("ok %d - nxt moves in steps, never backwards or by a leap\n",
		       checks);
	} else {
		failures++;
		printf("not ok %d - nxt moves in steps, never backwards or by a leap\n",
		       checks);
	}

	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
