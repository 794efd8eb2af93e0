/*
 * insn_count: a QEMU TCG plugin that counts executed guest instructions and
 * ESTIMATES Cortex-M4 cycles, in total, inside a region of the program
 * delimited by two marker functions, and per layer of a model.
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,begin=0x1234,end=0x1240[,layer=0x1250][,mix=1][,profile=N][,unaligned=1]
 *
 * begin / end are the addresses of two functions the program calls around the
 * code to measure (see examples/cortex-m4/bench_markers.c); give the values
 * `arm-none-eabi-nm` prints (the Thumb bit is ignored). At exit the plugin
 * prints to QEMU's log (stderr unless -D is given):
 *
 *   insn_count: total=<n> region=<n> regions=<n>
 *   insn_count: estimated_cycles total=<n> region=<n>
 *
 * region is the sum, over every begin ... end pair, of what executed from the
 * first instruction of the begin function up to, but not including, the first
 * instruction of the end function; regions is the number of completed pairs.
 * The few instructions of the begin function itself are part of it (a
 * constant, under ten per pair).
 *
 * Cycles are an ESTIMATE from the Cortex-M4 TRM's instruction timings (see
 * m4_timing.h and README.md): each instruction is decoded from its opcode
 * bytes when its block is translated, the block's cycles summed (with the
 * pipelining of neighbouring loads and stores), and a taken branch adds the
 * pipeline refill when the next block executed does not start right after it.
 *
 * layer=ADDR: the address of a function the program calls before and after
 * each layer it runs (the runtime's timer hook, see examples/cortex-m4/main.c).
 * Within each begin ... end pair, calls 1 and 2 delimit layer slot 0, calls 3
 * and 4 slot 1, and so on; the plugin prints, summed over the pairs,
 *
 *   insn_count: layer <slot> insns=<n> cycles=<n>
 *
 * mix=1: also the region's instruction mix, "insn_count: class <name> insns=<n> cycles=<n>".
 * profile=N: the N translated blocks that executed the most instructions over the
 * whole run, as "insn_count: block 0x<addr> insns=<n> execs=<n> cycles=<n>";
 * `addr2line -f -e app.elf 0x<addr>` names the function (benchmarks/firmware/run.sh
 * does this with PROFILE=1).
 *
 * unaligned=1: also charges the Cortex-M4 TRM's unaligned-access penalty (see
 * m4_unaligned_extra()) on the single loads and stores of a halfword or word
 * (LDR, LDRH, LDRSH, STR, STRH: the only ones ARMv7-M lets be unaligned; LDRD,
 * STRD, LDM, STM, LDREX, VLDR... fault instead). A memory callback on each of
 * them checks the address; the extra cycles go into every cycles figure
 * (total, region, layers) and the plugin also prints
 *
 *   insn_count: unaligned accesses=<n> extra_cycles=<n>
 *   insn_count: layer_unaligned <slot> accesses=<n> extra_cycles=<n>
 *
 * (inside the region, summed over the pairs; the second line for each layer
 * slot). Without it nothing is instrumented and the output is unchanged.
 *
 * How: every translated block gets a callback with a record of its
 * instruction count, its estimated cycles and where it falls through to. A
 * block is counted when it starts; an exception that leaves a block part way
 * through would count its tail anyway, which does not happen in the measured
 * code. One vCPU (the M-profile boards have one), so plain counters suffice.
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

typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_API_VERSION 1
struct qemu_plugin_insn;
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);

/* ---- end of the API subset ---- */

#include "m4_timing.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_API_VERSION;

/* What the plugin knows of one translated block. */
typedef struct block_stat {
    uint64_t pc;
    uint64_t fallthrough;      /* the address after its last instruction */
    uint32_t n_insns;
    uint32_t cycles;           /* estimated, branches not taken */
    int ends_in_branch;        /* its last instruction may write PC */
    uint64_t execs;
    uint32_t mix_insns[M4_CLASS_COUNT];
    uint32_t mix_cycles[M4_CLASS_COUNT];
} block_stat;

#define BLOCK_SLOTS (1u << 16)
#define MAX_LAYER_SLOTS 512

static block_stat *blocks;    /* open addressing by (pc, n_insns) */
static unsigned profile_top;
static int want_mix;
static int want_unaligned;
static uint64_t begin_addr = UINT64_MAX, end_addr = UINT64_MAX, layer_addr = UINT64_MAX;

static uint64_t total, cycles;             /* everything executed */
static uint64_t pending_fallthrough;       /* after a block ending in a branch: where not taking it goes */
static int pending;
static uint64_t region, region_cycles, regions;
static uint64_t start_insns, start_cycles; /* at the last begin */
static int inside;
static uint64_t mix_insns[M4_CLASS_COUNT], mix_cycles[M4_CLASS_COUNT];
static uint64_t layer_calls;                /* timer-hook calls since the last begin */
static uint64_t layer_start_insns, layer_start_cycles;
static uint64_t layer_insns[MAX_LAYER_SLOTS], layer_cycles[MAX_LAYER_SLOTS];
static unsigned layer_slots;
/* unaligned=1: unaligned accesses and their extra cycles (already in cycles), all and inside the region */
static uint64_t unaligned_all, unaligned_extra_all;
static uint64_t region_unaligned, region_unaligned_extra;
static uint64_t start_unaligned, start_unaligned_extra;
static uint64_t layer_start_unaligned, layer_start_unaligned_extra;
static uint64_t layer_unaligned[MAX_LAYER_SLOTS], layer_unaligned_extra[MAX_LAYER_SLOTS];

static block_stat *block_of(uint64_t pc, uint32_t n)
{
    uint64_t h = (pc >> 1) * 0x9E3779B97F4A7C15ull;
    for (unsigned probe = 0; probe < BLOCK_SLOTS; probe++) {
        block_stat *b = &blocks[(h + probe) & (BLOCK_SLOTS - 1)];
        if (b->n_insns == 0 || (b->pc == pc && b->n_insns == n)) return b;
    }
    return NULL; /* table full */
}

static void on_block(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    block_stat *b = (block_stat *)udata;
    if (pending && b->pc != pending_fallthrough) cycles += M4_BRANCH_REFILL; /* the branch before was taken */
    pending = b->ends_in_branch;
    pending_fallthrough = b->fallthrough;

    if (b->pc == begin_addr) {
        start_insns = total;
        start_cycles = cycles;
        start_unaligned = unaligned_all;
        start_unaligned_extra = unaligned_extra_all;
        layer_calls = 0;
        inside = 1;
    } else if (b->pc == end_addr && inside) {
        region += total - start_insns;
        region_cycles += cycles - start_cycles;
        region_unaligned += unaligned_all - start_unaligned;
        region_unaligned_extra += unaligned_extra_all - start_unaligned_extra;
        regions++;
        inside = 0;
    } else if (b->pc == layer_addr && inside) {
        const uint64_t slot = layer_calls / 2;
        if (layer_calls % 2 == 0) {
            layer_start_insns = total;
            layer_start_cycles = cycles;
            layer_start_unaligned = unaligned_all;
            layer_start_unaligned_extra = unaligned_extra_all;
        } else if (slot < MAX_LAYER_SLOTS) {
            layer_insns[slot] += total - layer_start_insns;
            layer_cycles[slot] += cycles - layer_start_cycles;
            layer_unaligned[slot] += unaligned_all - layer_start_unaligned;
            layer_unaligned_extra[slot] += unaligned_extra_all - layer_start_unaligned_extra;
            if (slot + 1 > layer_slots) layer_slots = (unsigned)slot + 1;
        }
        layer_calls++;
    }
    total += b->n_insns;
    cycles += b->cycles;
    b->execs++;
    if (want_mix && inside) {
        for (int k = 0; k < M4_CLASS_COUNT; k++) {
            mix_insns[k] += b->mix_insns[k];
            mix_cycles[k] += b->mix_cycles[k];
        }
    }
}

/* After a single load or store (unaligned=1): the TRM's penalty if its address is not aligned to its size. */
static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)vcpu;
    (void)udata;
    const unsigned extra = m4_unaligned_extra(1u << qemu_plugin_mem_size_shift(info), vaddr);
    if (extra) {
        unaligned_all++;
        unaligned_extra_all += extra;
        cycles += extra;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    const size_t n = qemu_plugin_tb_n_insns(tb);
    const uint64_t pc = qemu_plugin_tb_vaddr(tb);
    block_stat *b = block_of(pc, (uint32_t)n);
    if (!b) b = calloc(1, sizeof *b); /* not in the profile, still counted */
    if (!b) return;
    if (b->n_insns == 0) { /* first translation: decode */
        m4_insn prev = {M4_ALU, 1, 0, 0, 0};
        int have_prev = 0;
        b->pc = pc;
        b->n_insns = (uint32_t)n;
        for (size_t i = 0; i < n; i++) {
            const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
            const size_t size = qemu_plugin_insn_size(insn);
            const m4_insn d = m4_decode((const uint8_t *)qemu_plugin_insn_data(insn), size);
            const unsigned c = m4_cycles_after(&d, have_prev ? &prev : NULL);
            b->cycles += c;
            b->mix_insns[d.cls]++;
            b->mix_cycles[d.cls] += c;
            if (i + 1 == n) {
                b->ends_in_branch = d.writes_pc;
                b->fallthrough = qemu_plugin_insn_vaddr(insn) + size;
            }
            prev = d;
            have_prev = 1;
        }
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
    if (want_unaligned) { /* on every translation: a callback belongs to the translated code */
        for (size_t i = 0; i < n; i++) {
            struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
            const m4_insn d = m4_decode((const uint8_t *)qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));
            if (d.cls == M4_LDST) qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS,
                                                                   QEMU_PLUGIN_MEM_RW, NULL);
        }
    }
}

static void on_exit_report(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    char line[200];
    snprintf(line, sizeof line, "insn_count: total=%" PRIu64 " region=%" PRIu64 " regions=%" PRIu64 "\n", total,
             region, regions);
    qemu_plugin_outs(line);
    snprintf(line, sizeof line, "insn_count: estimated_cycles total=%" PRIu64 " region=%" PRIu64 "\n", cycles,
             region_cycles);
    qemu_plugin_outs(line);
    for (unsigned k = 0; k < layer_slots; k++) {
        snprintf(line, sizeof line, "insn_count: layer %u insns=%" PRIu64 " cycles=%" PRIu64 "\n", k, layer_insns[k],
                 layer_cycles[k]);
        qemu_plugin_outs(line);
    }
    if (want_unaligned) {
        snprintf(line, sizeof line, "insn_count: unaligned accesses=%" PRIu64 " extra_cycles=%" PRIu64 "\n",
                 region_unaligned, region_unaligned_extra);
        qemu_plugin_outs(line);
        for (unsigned k = 0; k < layer_slots; k++) {
            snprintf(line, sizeof line, "insn_count: layer_unaligned %u accesses=%" PRIu64 " extra_cycles=%" PRIu64 "\n",
                     k, layer_unaligned[k], layer_unaligned_extra[k]);
            qemu_plugin_outs(line);
        }
    }
    if (want_mix) {
        for (int k = 0; k < M4_CLASS_COUNT; k++) {
            snprintf(line, sizeof line, "insn_count: class %s insns=%" PRIu64 " cycles=%" PRIu64 "\n",
                     m4_class_name((m4_class)k), mix_insns[k], mix_cycles[k]);
            qemu_plugin_outs(line);
        }
    }
    for (unsigned k = 0; k < profile_top; k++) {
        block_stat *best = NULL;
        for (unsigned i = 0; i < BLOCK_SLOTS; i++) {
            block_stat *b = &blocks[i];
            if (b->execs && (!best || b->execs * b->n_insns > best->execs * best->n_insns)) best = b;
        }
        if (!best) break;
        snprintf(line, sizeof line, "insn_count: block 0x%08" PRIx64 " insns=%" PRIu64 " execs=%" PRIu64
                 " cycles=%" PRIu64 "\n", best->pc, best->execs * best->n_insns, best->execs,
                 best->execs * best->cycles);
        qemu_plugin_outs(line);
        best->execs = 0;
    }
}

/* Parses "name=value"; the Thumb bit of a function address is cleared. */
static int parse_arg(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    char *rest;
    const uint64_t v = strtoull(eq + 1, &rest, 0);
    if (rest == eq + 1 || *rest) return -1;
    if (!strncmp(arg, "profile=", 8)) profile_top = (unsigned)v;
    else if (!strncmp(arg, "mix=", 4)) want_mix = v != 0;
    else if (!strncmp(arg, "unaligned=", 10)) want_unaligned = v != 0;
    else if (!strncmp(arg, "begin=", 6)) begin_addr = v & ~(uint64_t)1;
    else if (!strncmp(arg, "end=", 4)) end_addr = v & ~(uint64_t)1;
    else if (!strncmp(arg, "layer=", 6)) layer_addr = v & ~(uint64_t)1;
    else return -1;
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (parse_arg(argv[i]) != 0) {
            fprintf(stderr,
                    "insn_count: unknown argument '%s' (expected begin=ADDR, end=ADDR, layer=ADDR, mix=0|1, "
                    "profile=N, unaligned=0|1)\n",
                    argv[i]);
            return -1;
        }
    }
    blocks = calloc(BLOCK_SLOTS, sizeof *blocks);
    if (!blocks) return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_report, NULL);
    return 0;
}
