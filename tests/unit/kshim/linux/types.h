/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit-test shim: the kernel's type names over the system's UAPI types.
 * System headers may include <linux/types.h> too, so this one includes
 * nothing but the system's own and stdbool.
 */
#ifndef _KSHIM_LINUX_TYPES_H
#define _KSHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

/* The same types kmod/tcp_state.h names outside the kernel. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

typedef unsigned int gfp_t;

#endif
