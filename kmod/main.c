// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb: a Layer-4 load balancer in the netfilter PREROUTING hook.
 * Module entry: parameters, per-netns state and the netlink family.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/l4lb.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "conn.h"
#include "hook.h"
#include "net.h"
#include "netlink.h"
#include "params.h"
#include "service.h"

unsigned int l4lb_net_id __read_mostly;

static int __net_init l4lb_net_init(struct net *net)
{
	struct l4lb_net *ln = l4lb_pernet(net);
	int err;

	ln->net = net;
	ln->gen = 1;
	mutex_init(&ln->lock);
	INIT_LIST_HEAD(&ln->vips);
	/* The initial netns is the host's own; any other may belong to an
	 * unprivileged user (see netns_* parameters).
	 */
	ln->limits = net_eq(net, &init_net) ? l4lb_params.init_net :
					       l4lb_params.other_net;
	ln->stats = l4lb_net_stats_alloc();
	if (!ln->stats)
		return -ENOMEM;
	err = l4lb_service_net_init(ln);
	if (err)
		goto err_stats;
	err = l4lb_conn_net_init(ln);
	if (err)
		goto err_service;
	return 0;

err_service:
	l4lb_service_net_exit(ln);
err_stats:
	free_percpu(ln->stats);
	return err;
}

/* The core waits one grace period for the whole batch of namespaces after
 * this: CPUs still in the hooks are done by .exit.
 */
static void __net_exit l4lb_net_pre_exit(struct net *net)
{
	struct l4lb_net *ln = l4lb_pernet(net);

	/* No listener is left, but the GC may still end flows: say nothing. */
	WRITE_ONCE(ln->flow_events.dying, true);
	if (ln->hooked) {
		l4lb_hook_unregister(net);
		WRITE_ONCE(ln->hooked, false);
	}
}

static void __net_exit l4lb_net_exit(struct net *net)
{
	struct l4lb_net *ln = l4lb_pernet(net);

	l4lb_vip_flush_all(ln);
	l4lb_conn_net_exit(ln);
	l4lb_service_net_exit(ln);
	free_percpu(ln->stats);
	l4lb_memcg_put(ln->memcg);
}

static struct pernet_operations l4lb_net_ops = {
	.init = l4lb_net_init,
	.pre_exit = l4lb_net_pre_exit,
	.exit = l4lb_net_exit,
	.id = &l4lb_net_id,
	.size = sizeof(struct l4lb_net),
};

static int __init l4lb_init(void)
{
	int err;

	err = l4lb_params_init();
	if (err)
		return err;
	err = l4lb_conn_module_init();
	if (err)
		return err;
	err = register_pernet_subsys(&l4lb_net_ops);
	if (err)
		goto err_conn;
	err = l4lb_genl_init();
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&l4lb_net_ops);
	rcu_barrier();
err_conn:
	l4lb_conn_module_exit();
	return err;
}

static void __exit l4lb_exit(void)
{
	l4lb_genl_exit();
	unregister_pernet_subsys(&l4lb_net_ops);
	/*
	 * The RCU callbacks freeing backends, VIPs and dest sets; a backend's
	 * may queue its VIP's, hence twice.
	 */
	rcu_barrier();
	rcu_barrier();
	l4lb_conn_module_exit();
}

module_init(l4lb_init);
module_exit(l4lb_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Layer-4 load balancer (DNAT) in the netfilter PREROUTING hook");
MODULE_AUTHOR("The l4lb authors");
MODULE_VERSION(L4LB_VERSION);
MODULE_ALIAS_GENL_FAMILY(L4LB_GENL_NAME);
