// SPDX-License-Identifier: GPL-2.0
/* Persistence: see persist.h. */
#include "persist.h"
#include "service.h"

struct l4lb_backend *l4lb_persist_get(struct l4lb_net *ln,
				      struct l4lb_vip *vip,
				      const struct l4lb_tuple *t)
{
	return NULL;
}

void l4lb_persist_note(struct l4lb_net *ln, struct l4lb_vip *vip,
		       const struct l4lb_tuple *t, struct l4lb_backend *be)
{
}
