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

static void check_seq(const char *desc, const struct seg *segs, int n, u8 want)
{
	u8 s = L4LB_TCP_NONE;
	int i;

	for (i = 0; i < n; i++)
		s = l4lb_tcp_next_state(s, segs[i].reply, segs[i].flags);
	checks++;
	if (s == want) {
		printf("ok %d - %s\n", checks, desc);
	} else {
		failures++;
		printf("not ok %d - %s\n#   got %s, want %s\n", checks, desc,
		       names[s], names[want]);
	}
}

#define SEQ(desc, want, ...) do {					\
	const struct seg s_[] = { __VA_ARGS__ };			\
	check_seq(desc, s_, sizeof(s_) / sizeof(s_[0]), want);		\
} while (0)

int main(void)
{
	SEQ("client SYN opens", L4LB_TCP_SYN_SENT, { 0, SYN });
	SEQ("SYN-ACK from backend", L4LB_TCP_SYN_RECV, { 0, SYN }, { 1, SYN | ACK });
	SEQ("three-way handshake establishes", L4LB_TCP_ESTABLISHED,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK });
	SEQ("client ACK alone establishes (one-direction modes)",
	    L4LB_TCP_ESTABLISHED, { 0, SYN }, { 0, ACK });
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
	SEQ("new SYN reopens after TIME_WAIT (port reuse)", L4LB_TCP_SYN_SENT,
	    { 0, SYN }, { 1, SYN | ACK }, { 0, ACK }, { 0, FIN }, { 1, FIN },
	    { 0, SYN });
	SEQ("SYN retransmit keeps ESTABLISHED", L4LB_TCP_ESTABLISHED,
	    { 0, SYN }, { 0, ACK }, { 0, SYN });
	SEQ("a repeated FIN keeps FIN_WAIT", L4LB_TCP_FIN_WAIT,
	    { 0, SYN }, { 0, ACK }, { 0, FIN }, { 0, FIN });

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

	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
