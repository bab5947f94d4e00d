/* SPDX-License-Identifier: GPL-2.0 */
/* Unit-test shim: see tests/unit/kshim/kshim.h */
#include "../kshim.h"
