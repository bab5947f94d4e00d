/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Discovery: parsing instance lists (instances.c, pure, unit tested) and
 * what the source_*.c files share (source.c).
 */
#ifndef L4LB_AGENT_INSTANCES_H
#define L4LB_AGENT_INSTANCES_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/*
 * The operator's answer or a BACKENDS_FILE: a JSON list of instances, or
 * {"instances": [...]}. Each: {"id", "address" (may carry ":port", IPv6 in
 * brackets then), "port", "weight", "state"}. Instances without a port get
 * @def_port, without a weight @def_weight. State running/healthy/up is
 * listed, draining/stopping is listed as draining (so is weight 0, as in
 * the kernel), anything else is left out. The same address:port twice:
 * the first one counts.
 *
 * Returns 0 with a malloc'd array in *@out (NULL when *@n is 0), or -1
 * with a message in @err saying which entry and what is wrong with it.
 */
int instances_parse_json(const char *text, size_t len, uint16_t def_port,
			 uint32_t def_weight, struct instance **out, size_t *n,
			 char *err, size_t errlen);

/* BACKENDS: "addr[:port],addr[:port],..." (IPv6 as [addr]:port). As above. */
int instances_parse_list(const char *list, uint16_t def_port,
			 uint32_t def_weight, struct instance **out, size_t *n,
			 char *err, size_t errlen);

/*
 * One address as an instance list writes it: "10.0.1.5", "10.0.1.5:8080",
 * "fd00::5", "[fd00::5]", "[fd00::5]:8080". Port 0 in @ep when none given.
 */
int instance_addr_parse(const char *s, struct endpoint *ep, const char **why);

/* ------------------------------------------- shared by source_*.c */

/*
 * A source's good answer, with the "empty after non-empty" rule applied
 * here too: an empty answer from a source whose last answer listed
 * instances is a failure (the last good set stays), never "remove all".
 * @last_n is the source's own record of its last delivered count; @what
 * names the source in the message ("operator URL", "BACKENDS_FILE PATH").
 */
void source_deliver(struct source_state *s, const char *what,
		    const struct instance *inst, size_t n, size_t *last_n);

/* The source's VIP's defaults for instances without a port or weight. */
uint16_t source_default_port(const struct source_state *s);
uint32_t source_default_weight(const struct source_state *s);
sd_event *source_event(const struct source_state *s);

extern const struct source_ops source_static_ops;
extern const struct source_ops source_operator_ops;
extern const struct source_ops source_file_ops;
extern const struct source_ops source_dns_ops;

#endif
