// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's exact profile (L4LB_BENCH_TBPROF=1, tests/bench/tbprof/):
 * a QEMU TCG plugin counting how often each translated block of the guest
 * runs. Under instruction counting (L4LB_VM_ICOUNT) that is each kernel
 * function's instructions per packet, to the instruction, where perf's
 * samples under TCG are noisy by a hundred.
 *
 * The guest marks a window by running a no-op instruction of its own
 * (mark.S: nopl 0x424c344c(%rax,%rax,1), "L4LB" in its displacement):
 * each mark writes the counts since the last one to OUT/snap-NNN.txt,
 * one line per block, "start-address instructions executions", and sets
 * them to zero. tests/bench/tbprof/report.py names the blocks.
 *
 * Debian packages no QEMU plugin header: the few calls used are declared
 * here, as QEMU 7.2 (bookworm) defines them (plugin API version 1). Not
 * atomic: meant for the instruction-count VM's one vCPU.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
	int op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
	void (*cb)(unsigned int, void *), int flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

/* One translation of a block; a block translated again gets another. */
struct block {
	uint64_t start;
	uint64_t runs;
	uint32_t insns;
};

static const unsigned char mark_insn[8] = {
	0x0f, 0x1f, 0x84, 0x00, 0x4c, 0x34, 0x4c, 0x42,
};
static struct block **blocks;
static size_t nblocks, blocks_cap;
static const char *out_dir = ".";
static unsigned int snaps;

static void snapshot(unsigned int vcpu __attribute__((unused)),
		     void *userdata __attribute__((unused)))
{
	char path[4096];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/snap-%03u.txt", out_dir, snaps++);
	f = fopen(path, "w");
	if (!f)
		perror(path);
	for (i = 0; i < nblocks; i++) {
		struct block *b = blocks[i];

		if (b->runs && f)
			fprintf(f, "%llx %u %llu\n", (unsigned long long)b->start,
				b->insns, (unsigned long long)b->runs);
		b->runs = 0;
	}
	if (f)
		fclose(f);
}

static void translated(qemu_plugin_id_t id __attribute__((unused)),
		       struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b));

	if (!b || (nblocks == blocks_cap &&
		   !(blocks = realloc(blocks, (blocks_cap = blocks_cap * 2 + 65536) *
					      sizeof(*blocks))))) {
		fputs("tbprof: out of memory\n", stderr);
		abort();
	}
	b->start = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	blocks[nblocks++] = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->runs, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(mark_insn) &&
		    !memcmp(qemu_plugin_insn_data(insn), mark_insn, sizeof(mark_insn)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, snapshot,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
			       const struct qemu_info_t *info __attribute__((unused)),
			       int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_dir = argv[i] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	return 0;
}
