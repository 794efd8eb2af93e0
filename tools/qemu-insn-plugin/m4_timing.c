/*
 * Cortex-M4 cycle estimate per instruction: see m4_timing.h and README.md.
 * Encodings from the ARMv7-M Architecture Reference Manual (ARM DDI 0403),
 * chapter A5 "The Thumb Instruction Set Encoding"; timings from the Cortex-M4
 * TRM, table "Cortex-M4 instruction set summary".
 */
#include "m4_timing.h"

/* Cycles of the one-cycle classes, and of the instructions the TRM gives as 2. */
enum { ONE = 1, LDST_FIRST = 2, EXCLUSIVE = 2, TABLE_BRANCH = 2, LOAD_PC = 2, DUAL = 3, PC = 15 };

static const char *const class_names[M4_CLASS_COUNT] = {
    [M4_ALU] = "alu",     [M4_MUL] = "mul",       [M4_DIV] = "div",
    [M4_LDST] = "ldst",   [M4_LDST_DUAL] = "ldst_dual", [M4_LDST_MULTI] = "ldst_multi",
    [M4_EXCLUSIVE] = "exclusive", [M4_BRANCH] = "branch", [M4_FP] = "fp",
};

const char *m4_class_name(m4_class cls) { return cls < M4_CLASS_COUNT ? class_names[cls] : "?"; }

static unsigned popcount16(unsigned v)
{
    unsigned n = 0;
    for (v &= 0xFFFFu; v; v &= v - 1) n++;
    return n;
}

static m4_insn make(m4_class cls, unsigned cycles)
{
    m4_insn i = {cls, (uint8_t)cycles, 0, 0, 0};
    return i;
}

static m4_insn branch(unsigned cycles)
{
    m4_insn i = make(M4_BRANCH, cycles);
    i.writes_pc = 1;
    return i;
}

static m4_insn ldst(int no_pipeline_after)
{
    m4_insn i = make(M4_LDST, LDST_FIRST);
    i.pipelines = 1;
    i.blocks_next = (uint8_t)no_pipeline_after;
    return i;
}

/* LDM/STM/PUSH/POP of n registers; a load of PC branches. */
static m4_insn multiple(unsigned n, int loads_pc)
{
    m4_insn i = make(M4_LDST_MULTI, 1 + n);
    i.writes_pc = (uint8_t)loads_pc;
    return i;
}

static m4_insn decode16(unsigned h)
{
    if ((h & 0xF800u) == 0x4800u) return ldst(0);                       /* LDR (literal) */
    if ((h & 0xF000u) == 0x5000u) return ldst(((h >> 9) & 7u) <= 2u);   /* register offset; STR/STRH/STRB block */
    if ((h & 0xE000u) == 0x6000u || (h & 0xE000u) == 0x8000u) return ldst(0); /* immediate, halfword, SP-relative */
    if ((h & 0xFF00u) == 0x4700u) return branch(ONE);                   /* BX, BLX (register) */
    if ((h & 0xFD00u) == 0x4400u && (((h >> 4) & 8u) | (h & 7u)) == PC) return branch(ONE); /* ADD/MOV pc, Rm */
    if ((h & 0xFFC0u) == 0x4340u) return make(M4_MUL, ONE);             /* MULS */
    if ((h & 0xFE00u) == 0xB400u) return multiple(popcount16(h & 0x1FFu), 0); /* PUSH (bit 8: LR) */
    if ((h & 0xFE00u) == 0xBC00u) return multiple(popcount16(h & 0x1FFu), (h & 0x100u) != 0); /* POP (bit 8: PC) */
    if ((h & 0xF500u) == 0xB100u) return branch(ONE);                   /* CBZ, CBNZ */
    if ((h & 0xF000u) == 0xC000u) return multiple(popcount16(h & 0xFFu), 0); /* STMIA, LDMIA */
    if ((h & 0xF000u) == 0xD000u && ((h >> 8) & 0xFu) < 0xEu) return branch(ONE); /* B<cond> */
    if ((h & 0xF800u) == 0xE000u) return branch(ONE);                   /* B */
    return make(M4_ALU, ONE);
}

/* Coprocessor space (EC00-EFFF, FC00-FFFF): the FPU's instructions. */
static m4_insn decode_fp(unsigned h1, unsigned h2)
{
    if ((h1 & 0xFE00u) == 0xEC00u && (h1 & 0xFFA0u) != 0xEC00u) {       /* extension register load/store */
        if ((h1 & 0xFF20u) == 0xED00u) {                                 /* VLDR, VSTR */
            m4_insn i = make(M4_FP, LDST_FIRST);
            return i;
        }
        if ((h1 & 0xFFE0u) == 0xEC40u) return make(M4_FP, ONE);          /* VMOV of two core registers */
        return make(M4_FP, 1 + (h2 & 0xFFu));                            /* VLDM, VSTM, VPUSH, VPOP: 1 + words */
    }
    if ((h1 & 0xFF00u) == 0xEE00u && (h2 & 0x0E10u) == 0x0A00u) {       /* VFP data processing */
        const unsigned opc1 = ((h1 >> 4) & 0xBu);
        if (opc1 == 0x0u || opc1 == 0x1u || opc1 == 0x9u || opc1 == 0xAu) return make(M4_FP, M4_FP_MAC_CYCLES);
        if (opc1 == 0x8u) return make(M4_FP, M4_FP_DIVIDE_CYCLES);       /* VDIV */
        if (opc1 == 0xBu && (h1 & 0xFu) == 1u && (h2 & 0xC0u) == 0xC0u) return make(M4_FP, M4_FP_DIVIDE_CYCLES); /* VSQRT */
    }
    return make(M4_FP, ONE);
}

static m4_insn decode32(unsigned h1, unsigned h2)
{
    const unsigned op1 = (h1 >> 11) & 3u;
    if (op1 == 1u) {
        if ((h1 & 0xFE40u) == 0xE800u) {                                  /* LDM, STM, PUSH.W, POP.W */
            const int load = (h1 & 0x10u) != 0;
            return multiple(popcount16(h2), load && (h2 & 0x8000u));
        }
        if ((h1 & 0xFE40u) == 0xE840u) {                                  /* dual, exclusive, table branch */
            if ((h1 & 0xFFF0u) == 0xE8D0u && (h2 & 0xFFE0u) == 0xF000u) return branch(TABLE_BRANCH); /* TBB, TBH */
            if ((h1 & 0xFFE0u) == 0xE840u || (h1 & 0xFFE0u) == 0xE8C0u) return make(M4_EXCLUSIVE, EXCLUSIVE);
            return make(M4_LDST_DUAL, DUAL);                              /* LDRD, STRD */
        }
        if ((h1 & 0xEC00u) == 0xEC00u) return decode_fp(h1, h2);
        return make(M4_ALU, ONE);                                         /* data processing (shifted register) */
    }
    if (op1 == 2u) {
        if (h2 & 0x8000u) {                                               /* branches and miscellaneous control */
            if ((h2 & 0x5000u) == 0x0000u) {
                if (((h1 >> 6) & 0xEu) != 0xEu) return branch(ONE);      /* B<cond>.W */
                return make(M4_ALU, ONE);                                 /* MSR, MRS, hints, barriers */
            }
            return branch(ONE);                                           /* B.W, BL */
        }
        return make(M4_ALU, ONE);                                         /* data processing (immediate) */
    }
    /* op1 == 3 */
    if ((h1 & 0xFE00u) == 0xF800u) {                                      /* load / store single, PLD */
        const int load = (h1 & 0x10u) != 0;
        const unsigned size = (h1 >> 5) & 3u;
        if (load && size == 2u && (h2 >> 12) == PC) {                     /* LDR pc, ... */
            m4_insn i = branch(LOAD_PC);
            return i;
        }
        const int register_offset = (h1 & 0x80u) == 0 && (h2 & 0x0FC0u) == 0u;
        return ldst(!load && register_offset);
    }
    if ((h1 & 0xFF00u) == 0xFA00u) return make(M4_ALU, ONE);              /* register data processing, SIMD */
    if ((h1 & 0xFF80u) == 0xFB00u) return make(M4_MUL, ONE);              /* multiply (accumulate), SMLAD ... */
    if ((h1 & 0xFF80u) == 0xFB80u) {                                      /* long multiply, divide */
        const unsigned op = (h1 >> 4) & 7u;
        return op == 1u || op == 3u ? make(M4_DIV, M4_DIVIDE_CYCLES) : make(M4_MUL, ONE);
    }
    if ((h1 & 0xEC00u) == 0xEC00u) return decode_fp(h1, h2);
    return make(M4_ALU, ONE);
}

m4_insn m4_decode(const uint8_t *bytes, size_t size)
{
    const unsigned h1 = (unsigned)bytes[0] | (unsigned)bytes[1] << 8;
    if (size < 4) return decode16(h1);
    const unsigned h2 = (unsigned)bytes[2] | (unsigned)bytes[3] << 8;
    return decode32(h1, h2);
}

unsigned m4_cycles_after(const m4_insn *insn, const m4_insn *prev)
{
    if (insn->pipelines && prev && prev->pipelines && !prev->blocks_next) return insn->cycles - 1u;
    return insn->cycles;
}

/* The TRM's penalties: extra cycles by the number of pieces an unaligned access is split into, minus one. */
enum { HALFWORD_BYTES = 2, WORD_BYTES = 4, SPLIT_IN_TWO = 1, SPLIT_IN_THREE = 2 };

unsigned m4_unaligned_extra(unsigned size, uint64_t address)
{
    if (size == HALFWORD_BYTES) return (address & 1u) ? SPLIT_IN_TWO : 0u;
    if (size == WORD_BYTES) {
        if (address & 1u) return SPLIT_IN_THREE;
        return (address & 2u) ? SPLIT_IN_TWO : 0u;
    }
    return 0u;
}
