/*
 * insn_count: a QEMU TCG plugin that counts executed guest instructions, in
 * total and inside a region of the program delimited by two marker functions.
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,begin=0x1234,end=0x1240
 *
 * begin / end are the addresses of two functions the program calls around the
 * code to measure (see examples/cortex-m4/bench_markers.c); give the values
 * `arm-none-eabi-nm` prints (the Thumb bit is ignored). At exit the plugin
 * prints one line to QEMU's log (stderr unless -D is given):
 *
 *   insn_count: total=<n> region=<n> regions=<n>
 *
 * With `profile=N` it also prints the N translated blocks that executed the
 * most instructions over the whole run, as "insn_count: block 0x<addr>
 * insns=<n> execs=<n>"; `addr2line -f -e app.elf 0x<addr>` names the function
 * (benchmarks/firmware/run.sh does this with PROFILE=1).
 *
 * region is the sum, over every begin ... end pair, of the instructions
 * executed from the first instruction of the begin function up to, but not
 * including, the first instruction of the end function; regions is the number
 * of completed pairs. The few instructions of the begin function itself are
 * part of it (a constant, under ten per pair).
 *
 * How: every translated block gets an inline counter increment of its
 * instruction count (no callback, so counting costs little); only the blocks
 * that start a marker function also get a callback, which reads the running
 * total. A block is counted when it starts; an exception that leaves a block
 * part way through would count its tail anyway, which does not happen in the
 * measured code.
 *
 * Debian's QEMU exports the plugin API but ships no header, so the few
 * declarations used are written out below from the API of QEMU 7.2
 * (include/qemu/qemu-plugin.h, API version 1; the functions used here are
 * unchanged from version 0 through 1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of qemu-plugin.h this plugin uses ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_API_VERSION 1
/* ---- end of the API subset ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_API_VERSION;

/* One vCPU (the M-profile boards have one), so plain counters suffice. */
static uint64_t total;        /* instructions of every executed block */
static uint64_t region;       /* inside begin ... end */
static uint64_t region_start; /* total when the last begin ran */
static uint64_t regions;      /* completed begin ... end pairs */
static int inside;
static uint64_t begin_addr = UINT64_MAX, end_addr = UINT64_MAX;

/* Profile: one record per translated block start address (open addressing). */
typedef struct {
    uint64_t pc;
    uint64_t n_insns;
    uint64_t execs;
} block_stat;
#define PROFILE_SLOTS (1u << 16)
static block_stat *profile;
static unsigned profile_top;

static block_stat *block_of(uint64_t pc, size_t n)
{
    uint64_t h = (pc >> 1) * 0x9E3779B97F4A7C15ull;
    for (unsigned probe = 0; probe < PROFILE_SLOTS; probe++) {
        block_stat *b = &profile[(h + probe) & (PROFILE_SLOTS - 1)];
        if (b->n_insns == 0 || (b->pc == pc && b->n_insns == n)) {
            b->pc = pc;
            b->n_insns = n;
            return b;
        }
    }
    return NULL; /* table full: the block goes uncounted in the profile */
}

/* The inline add of the block runs before this callback, so subtracting the
 * block's own count makes the region start at the block's first instruction. */
static void on_begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    region_start = total - (uint64_t)(uintptr_t)udata;
    inside = 1;
}

static void on_end(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    if (!inside) return;
    region += total - (uint64_t)(uintptr_t)udata - region_start;
    regions++;
    inside = 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    const size_t n = qemu_plugin_tb_n_insns(tb);
    const uint64_t pc = qemu_plugin_tb_vaddr(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
    if (profile) {
        block_stat *b = block_of(pc, n);
        if (b) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
    }
    if (pc == begin_addr)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_begin, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    else if (pc == end_addr)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
}

static void on_exit_report(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    char line[160];
    snprintf(line, sizeof line, "insn_count: total=%" PRIu64 " region=%" PRIu64 " regions=%" PRIu64 "\n", total,
             region, regions);
    qemu_plugin_outs(line);
    if (!profile) return;
    for (unsigned k = 0; k < profile_top; k++) {
        block_stat *best = NULL;
        for (unsigned i = 0; i < PROFILE_SLOTS; i++) {
            block_stat *b = &profile[i];
            if (b->execs && (!best || b->execs * b->n_insns > best->execs * best->n_insns)) best = b;
        }
        if (!best) break;
        snprintf(line, sizeof line, "insn_count: block 0x%08" PRIx64 " insns=%" PRIu64 " execs=%" PRIu64 "\n", best->pc,
                 best->execs * best->n_insns, best->execs);
        qemu_plugin_outs(line);
        best->execs = 0;
    }
}

/* Parses "begin=0x..." / "end=0x..."; the Thumb bit of a function address is cleared. */
static int parse_arg(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    char *rest;
    const uint64_t v = strtoull(eq + 1, &rest, 0);
    if (rest == eq + 1 || *rest) return -1;
    if (!strncmp(arg, "profile=", 8)) profile_top = (unsigned)v;
    else if (!strncmp(arg, "begin=", 6)) begin_addr = v & ~(uint64_t)1;
    else if (!strncmp(arg, "end=", 4)) end_addr = v & ~(uint64_t)1;
    else return -1;
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (parse_arg(argv[i]) != 0) {
            fprintf(stderr, "insn_count: unknown argument '%s' (expected begin=ADDR, end=ADDR, profile=N)\n", argv[i]);
            return -1;
        }
    }
    if (profile_top) {
        profile = calloc(PROFILE_SLOTS, sizeof *profile);
        if (!profile) return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_report, NULL);
    return 0;
}
