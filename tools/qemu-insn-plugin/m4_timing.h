/*
 * An ESTIMATE of Cortex-M4 execution cycles per Thumb / Thumb-2 instruction,
 * from the instruction timings of the Cortex-M4 Technical Reference Manual
 * (ARM DDI 0439, "Processor instruction timings"), for the insn_count plugin.
 * See README.md for the table and for what the estimate leaves out (flash wait
 * states, bus contention, interlocks beyond the table, IT folding).
 *
 * m4_decode() classifies one instruction from its opcode bytes (little-endian
 * halfwords, as they sit in memory). Its cycles are those of the instruction
 * when it does not branch; the pipeline refill of a taken branch
 * (M4_BRANCH_REFILL) is added by the plugin at run time, when the next block
 * executed does not start right after the branch.
 */
#ifndef M4_TIMING_H
#define M4_TIMING_H

#include <stddef.h>
#include <stdint.h>

/* Pipeline refill after a taken branch ("P" in the TRM: 1 to 3 cycles, by target alignment and width). */
#define M4_BRANCH_REFILL 2
/* SDIV / UDIV: 2 to 12 cycles, by the operands' magnitudes; the estimate takes the worst case. */
#define M4_DIVIDE_CYCLES 12
/* VDIV.F32 and VSQRT.F32. */
#define M4_FP_DIVIDE_CYCLES 14
/* VMLA, VMLS, VNMLA, VNMLS, VFMA and the other FP multiply-accumulates. */
#define M4_FP_MAC_CYCLES 3

/* Instruction classes, for the instruction mix the plugin prints. */
typedef enum m4_class {
    M4_ALU = 0,      /* data processing, extend, bit field, saturate, SIMD add, IT, hints: 1 */
    M4_MUL,          /* MUL, MLA, MLS, SMLAD/SMLALD/SMUAD..., SMULL/UMULL/SMLAL/UMLAL: 1 */
    M4_DIV,          /* SDIV, UDIV: M4_DIVIDE_CYCLES */
    M4_LDST,         /* LDR/STR single (any size, any addressing), PLD: 2, 1 after another */
    M4_LDST_DUAL,    /* LDRD, STRD: 1 + 2 */
    M4_LDST_MULTI,   /* LDM, STM, PUSH, POP: 1 + registers */
    M4_EXCLUSIVE,    /* LDREX, STREX: 2 */
    M4_BRANCH,       /* B, BL, BX, BLX, CBZ, CBNZ, TBB, TBH, anything writing PC: 1 (+ refill if taken) */
    M4_FP,           /* floating point: 1, loads/stores as memory, multiply-accumulate 3, divide 14 */
    M4_CLASS_COUNT
} m4_class;

typedef struct m4_insn {
    m4_class cls;
    uint8_t cycles;         /* when not branching (a taken branch adds M4_BRANCH_REFILL) */
    uint8_t writes_pc;      /* may branch: the plugin checks where execution goes next */
    uint8_t pipelines;      /* a single load/store that costs one cycle less after another */
    uint8_t blocks_next;    /* STR with register offset: nothing pipelines after it */
} m4_insn;

/* The name of a class, for reports. */
const char *m4_class_name(m4_class cls);

/*
 * Decodes the instruction at @p bytes (@p size: 2 or 4). Unknown or
 * undefined encodings count as one-cycle ALU instructions.
 */
m4_insn m4_decode(const uint8_t *bytes, size_t size);

/*
 * The cycles of @p insn given the instruction before it in the same block
 * (@p prev, or NULL at the start of a block): a single load or store after
 * another one pipelines and takes one cycle less.
 */
unsigned m4_cycles_after(const m4_insn *insn, const m4_insn *prev);

/*
 * The extra cycles of a single load or store of @p size bytes at @p address
 * when it is not aligned (Cortex-M4 TRM, load/store timings): a halfword at an
 * odd address is done as two bytes (+1), a word at an address 2 mod 4 as two
 * halfwords (+1), a word at an odd address as a byte, a halfword and a byte
 * (+2); 0 when aligned, and for bytes. Only LDR, LDRH, LDRSH, STR, STRH (and
 * their T forms) can be unaligned on ARMv7-M; other accesses fault instead.
 */
unsigned m4_unaligned_extra(unsigned size, uint64_t address);

#endif
