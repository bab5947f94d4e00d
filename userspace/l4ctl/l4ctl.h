/* SPDX-License-Identifier: GPL-2.0 */
/* What the object files (main, vip, backend, show, stats) offer each other. */
#ifndef L4CTL_L4CTL_H
#define L4CTL_L4CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vip;
struct backend;
struct net_info;

/* Object handlers: argv starts after the object name. Return exit status. */
int cmd_vip(int argc, char **argv);
int cmd_backend(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);

void vip_usage(FILE *f);
void backend_usage(FILE *f);
void stats_usage(FILE *f);

/* show.c: the single place deciding how objects look. */
void print_vip(const struct vip *v, bool with_backends);
void print_backend(const struct backend *b, const char *indent);
void print_vips(const struct vip *vips, size_t n, bool with_backends);
void print_net(const struct net_info *ni);

#endif
