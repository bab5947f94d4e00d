// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters. Out-of-range values refuse the load with a log line
 * naming the parameter and its bounds: silently clamping would run the load
 * balancer with settings its operator did not choose.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/time64.h>

#include "params.h"

static unsigned int conn_max = 1 << 20;
module_param(conn_max, uint, 0444);
MODULE_PARM_DESC(conn_max,
		 "Maximum tracked flows per network namespace (1024-67108864, default 1048576)");

static unsigned int vip_max = 65536;
module_param(vip_max, uint, 0444);
MODULE_PARM_DESC(vip_max,
		 "Maximum VIPs per network namespace (1-1048576, default 65536)");

static unsigned int backend_max = 1 << 20;
module_param(backend_max, uint, 0444);
MODULE_PARM_DESC(backend_max,
		 "Maximum backends per network namespace, all VIPs together (1-16777216, default 1048576)");

/*
 * Any user may create a user and network namespace and configure l4lb in it:
 * these cap what such a namespace can make the kernel allocate.
 */
static unsigned int netns_conn_max = 1 << 18;
module_param(netns_conn_max, uint, 0444);
MODULE_PARM_DESC(netns_conn_max,
		 "Cap on conn_max outside the initial network namespace (1024-67108864, default 262144)");

static unsigned int netns_vip_max = 1024;
module_param(netns_vip_max, uint, 0444);
MODULE_PARM_DESC(netns_vip_max,
		 "Cap on vip_max outside the initial network namespace (1-1048576, default 1024)");

static unsigned int netns_backend_max = 16384;
module_param(netns_backend_max, uint, 0444);
MODULE_PARM_DESC(netns_backend_max,
		 "Cap on backend_max outside the initial network namespace (1-16777216, default 16384)");

static unsigned int gc_interval_ms = 1000;
module_param(gc_interval_ms, uint, 0444);
MODULE_PARM_DESC(gc_interval_ms,
		 "How often the whole flow table is scanned for expired flows, in ms (10-60000, default 1000)");

static unsigned int tcp_timeout_unreplied = 10;
module_param(tcp_timeout_unreplied, uint, 0444);
MODULE_PARM_DESC(tcp_timeout_unreplied,
		 "Idle timeout of TCP flows whose backend has not answered the SYN, in s (1-86400, default 10)");

static unsigned int tcp_timeout_syn = 60;
module_param(tcp_timeout_syn, uint, 0444);
MODULE_PARM_DESC(tcp_timeout_syn,
		 "Idle timeout of TCP flows in handshake after the backend's SYN-ACK, in s (1-86400, default 60)");

static unsigned int tcp_timeout_established = 900;
module_param(tcp_timeout_established, uint, 0444);
MODULE_PARM_DESC(tcp_timeout_established,
		 "Idle timeout of established TCP flows, in s (1-604800, default 900)");

static unsigned int tcp_timeout_fin = 120;
module_param(tcp_timeout_fin, uint, 0444);
MODULE_PARM_DESC(tcp_timeout_fin,
		 "Idle timeout of closing TCP flows (FIN seen), in s (1-86400, default 120)");

static unsigned int tcp_timeout_close = 10;
module_param(tcp_timeout_close, uint, 0444);
MODULE_PARM_DESC(tcp_timeout_close,
		 "Idle timeout of reset TCP flows (RST seen), in s (1-3600, default 10)");

static unsigned int udp_timeout_unreplied = 30;
module_param(udp_timeout_unreplied, uint, 0444);
MODULE_PARM_DESC(udp_timeout_unreplied,
		 "Idle timeout of UDP flows without a reply, or with a single exchange, in s (1-86400, default 30)");

static unsigned int udp_timeout = 300;
module_param(udp_timeout, uint, 0444);
MODULE_PARM_DESC(udp_timeout,
		 "Idle timeout of UDP conversations (the client sent again after a reply), in s (1-86400, default 300)");

/*
 * Flow events cost a message each: a flood of new flows must not become a
 * flood of messages (see conn_event.c).
 */
static unsigned int flow_events_rate = 1000;
module_param(flow_events_rate, uint, 0444);
MODULE_PARM_DESC(flow_events_rate,
		 "Flow events (l4ctl monitor flows) sent per second and network namespace at most, in bursts of as many; the others are counted as suppressed (1-1000000, default 1000)");

struct l4lb_params l4lb_params __read_mostly;

struct l4lb_param_bounds {
	const char *name;
	const unsigned int *value;
	unsigned int min, max;
};

static const struct l4lb_param_bounds l4lb_param_bounds[] = {
	{ "conn_max", &conn_max, 1024, 1 << 26 },
	{ "vip_max", &vip_max, 1, 1 << 20 },
	{ "backend_max", &backend_max, 1, 1 << 24 },
	{ "netns_conn_max", &netns_conn_max, 1024, 1 << 26 },
	{ "netns_vip_max", &netns_vip_max, 1, 1 << 20 },
	{ "netns_backend_max", &netns_backend_max, 1, 1 << 24 },
	{ "gc_interval_ms", &gc_interval_ms, 10, 60000 },
	{ "tcp_timeout_unreplied", &tcp_timeout_unreplied, L4LB_TIMEOUT_MIN,
	  L4LB_TIMEOUT_MAX },
	{ "tcp_timeout_syn", &tcp_timeout_syn, L4LB_TIMEOUT_MIN,
	  L4LB_TIMEOUT_MAX },
	{ "tcp_timeout_established", &tcp_timeout_established,
	  L4LB_TIMEOUT_MIN, L4LB_TIMEOUT_ESTABLISHED_MAX },
	{ "tcp_timeout_fin", &tcp_timeout_fin, L4LB_TIMEOUT_MIN,
	  L4LB_TIMEOUT_MAX },
	{ "tcp_timeout_close", &tcp_timeout_close, L4LB_TIMEOUT_MIN,
	  L4LB_TIMEOUT_CLOSE_MAX },
	{ "udp_timeout_unreplied", &udp_timeout_unreplied, L4LB_TIMEOUT_MIN,
	  L4LB_TIMEOUT_MAX },
	{ "udp_timeout", &udp_timeout, L4LB_TIMEOUT_MIN, L4LB_TIMEOUT_MAX },
	{ "flow_events_rate", &flow_events_rate, 1, 1000000 },
};

int l4lb_params_init(void)
{
	struct l4lb_params *p = &l4lb_params;
	int i, err = 0;

	for (i = 0; i < ARRAY_SIZE(l4lb_param_bounds); i++) {
		const struct l4lb_param_bounds *b = &l4lb_param_bounds[i];

		if (*b->value < b->min || *b->value > b->max) {
			pr_err("%s=%u is out of range [%u, %u]\n", b->name,
			       *b->value, b->min, b->max);
			err = -EINVAL;
		}
	}
	if (err)
		return err;

	p->init_net.conns = conn_max;
	p->init_net.vips = vip_max;
	p->init_net.backends = backend_max;
	p->other_net.conns = min(conn_max, netns_conn_max);
	p->other_net.vips = min(vip_max, netns_vip_max);
	p->other_net.backends = min(backend_max, netns_backend_max);

	p->gc_interval = msecs_to_jiffies(gc_interval_ms);
	p->flow_events_rate = flow_events_rate;
	p->flow_event_ns = NSEC_PER_SEC / flow_events_rate;
	l4lb_timeout_set(&p->timeouts, L4LB_TO_TCP_UNREPLIED,
			 tcp_timeout_unreplied);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_TCP_SYN, tcp_timeout_syn);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_TCP_ESTABLISHED,
			 tcp_timeout_established);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_TCP_FIN, tcp_timeout_fin);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_TCP_CLOSE, tcp_timeout_close);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_UDP_UNREPLIED,
			 udp_timeout_unreplied);
	l4lb_timeout_set(&p->timeouts, L4LB_TO_UDP, udp_timeout);
	return 0;
}

u32 l4lb_timeout_get(const struct l4lb_timeouts *t, enum l4lb_timeout i)
{
	switch (i) {
	case L4LB_TO_TCP_UNREPLIED:
		return t->tcp[L4LB_TCP_SYN_SENT] / HZ;
	case L4LB_TO_TCP_SYN:
		return t->tcp[L4LB_TCP_SYN_RECV] / HZ;
	case L4LB_TO_TCP_ESTABLISHED:
		return t->tcp[L4LB_TCP_ESTABLISHED] / HZ;
	case L4LB_TO_TCP_FIN:
		return t->tcp[L4LB_TCP_FIN_WAIT] / HZ;
	case L4LB_TO_TCP_CLOSE:
		return t->tcp[L4LB_TCP_CLOSE] / HZ;
	case L4LB_TO_UDP_UNREPLIED:
		return t->udp_unreplied / HZ;
	case L4LB_TO_UDP:
		return t->udp / HZ;
	default:
		return 0;
	}
}

/*
 * A flow picks its timeout from its state at each packet: a change reaches
 * the flows at their next packet, and their expiry until then stays.
 */
void l4lb_timeout_set(struct l4lb_timeouts *t, enum l4lb_timeout i, u32 secs)
{
	u32 j = secs * HZ;

	switch (i) {
	case L4LB_TO_TCP_UNREPLIED:
		WRITE_ONCE(t->tcp[L4LB_TCP_NONE], j);
		WRITE_ONCE(t->tcp[L4LB_TCP_SYN_SENT], j);
		break;
	case L4LB_TO_TCP_SYN:
		WRITE_ONCE(t->tcp[L4LB_TCP_SYN_RECV], j);
		break;
	case L4LB_TO_TCP_ESTABLISHED:
		WRITE_ONCE(t->tcp[L4LB_TCP_ESTABLISHED], j);
		break;
	case L4LB_TO_TCP_FIN:
		WRITE_ONCE(t->tcp[L4LB_TCP_FIN_WAIT], j);
		WRITE_ONCE(t->tcp[L4LB_TCP_CLOSE_WAIT], j);
		WRITE_ONCE(t->tcp[L4LB_TCP_TIME_WAIT], j);
		break;
	case L4LB_TO_TCP_CLOSE:
		WRITE_ONCE(t->tcp[L4LB_TCP_CLOSE], j);
		break;
	case L4LB_TO_UDP_UNREPLIED:
		WRITE_ONCE(t->udp_unreplied, j);
		break;
	case L4LB_TO_UDP:
		WRITE_ONCE(t->udp, j);
		break;
	default:
		break;
	}
}
