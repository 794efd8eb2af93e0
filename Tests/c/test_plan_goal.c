/*
 * The plan's goal (nnom_options.plan_goal): the fastest plan that fits max_arena_bytes against the
 * smallest plan (the default).
 *
 * Random chains of convolutions, depthwise convolutions, pools and zero paddings (tiling_util), int8
 * and float32, each compiled for the smallest plan and for the fastest under several limits: none
 * (the plain plan: no convolution in place, no tiling, its arena the one the smallest plan reports
 * as plain), the smallest plan's arena, a random limit between it and the plain arena, 4 bytes
 * below the plain arena. Every fastest plan that compiles has an arena within its limit and gives
 * the smallest plan's output bytes on the same random input; one whose limit holds the plain plan
 * is the plain plan, one whose limit does not runs windows in place or tiled. Below the smallest
 * arena the load fails with NNOM_ERR_NO_MEMORY naming the limit and the smallest arena (unless a
 * tiling the smallest plan does not take fits). The smallest plan loads under a limit equal to its
 * arena, also when its plain plan is past it, and is refused 4 bytes below. The default is the smallest plan, for options
 * of today's size, of the size before plan_goal was appended and for NULL options; a goal that is
 * neither is refused, naming the field.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tiling_util.h"

#define CASES 200
#define ALIGN 4u /* the planner's offsets: a limit 4 bytes lower is a different arena */

static int cases, smaller_cases, budget_cases, refused_cases, limited_cases;

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static nnom_plan_info plan_of(nnom_model *m)
{
    nnom_plan_info p = NNOM_PLAN_INFO_INIT;
    TU_OK(m, nnom_model_plan(m, &p));
    return p;
}

static nnom_options options(int32_t goal, uint32_t limit)
{
    nnom_options o;
    nnom_options_init(&o);
    o.plan_goal = goal;
    o.max_arena_bytes = limit;
    return o;
}

/* nnom_plan_text() of @p p: the goal, what the plan uses and the figures that explain it, each
 * derived here from the plan's fields; cut short and NUL-terminated in a small buffer. */
static void check_text(const nnom_plan_info *p, int t)
{
    char text[NNOM_PLAN_TEXT_MAX], want[NNOM_PLAN_TEXT_MAX];
    nnom_plan_text(p, text, sizeof text);
    const char *used = p->windows_in_place && p->tiled ? "(convolutions in place, tiled)"
                       : p->windows_in_place             ? "(convolutions in place)"
                       : p->tiled                        ? "(tiled)"
                                                         : "(nothing in place or tiled)";
    if (p->goal == NNOM_PLAN_FASTEST && !p->windows_in_place && !p->tiled)
        snprintf(want, sizeof want, "the plain plan fits the %u-byte limit", (unsigned)p->max_arena_bytes);
    else if (p->goal == NNOM_PLAN_FASTEST)
        snprintf(want, sizeof want, "the plain plan needs %u bytes", (unsigned)p->plain_arena_bytes);
    else if (p->plain_arena_bytes > p->arena_bytes)
        snprintf(want, sizeof want, "%u bytes below the plain plan's %u", (unsigned)(p->plain_arena_bytes - p->arena_bytes),
                 (unsigned)p->plain_arena_bytes);
    else
        snprintf(want, sizeof want, "(the plain plan's)");
    TU_CHECK(strncmp(text, p->goal == NNOM_PLAN_FASTEST ? "fastest " : "smallest ", 8) == 0 && contains(text, used) &&
                 contains(text, want),
             "case %d: plan text '%s' (want %s and '%s')", t, text, used, want);
    char small[12];
    nnom_plan_text(p, small, sizeof small);
    TU_CHECK(strlen(small) == sizeof small - 1 && strncmp(small, text, sizeof small - 1) == 0,
             "case %d: plan text cut to %zu bytes: '%s'", t, sizeof small, small);
}

/* The fastest plan under @p limit, which must fit; compared with the smallest plan @p small. */
static void check_fits(const tt_chain *ch, nnom_dtype dt, nnom_model *small, int32_t percent, uint32_t max_arena, int t)
{
    const nnom_plan_info sp = plan_of(small);
    nnom_options o = options(NNOM_PLAN_FASTEST, max_arena);
    o.tiling_max_extra_macs_percent = percent;
    nnom_error err;
    nnom_model *fast = tt_build_chain_with(ch, dt, &o, &err);
    TU_REQUIRE(fast != NULL, "case %d: the fastest plan under %u bytes (smallest %u) refused: %s", t, (unsigned)max_arena,
               (unsigned)sp.arena_bytes, err.message);
    const nnom_plan_info fp = plan_of(fast);
    check_text(&fp, t);
    const uint32_t limit = max_arena ? max_arena : fp.max_arena_bytes; /* 0: the default limit */
    TU_CHECK(fp.goal == NNOM_PLAN_FASTEST && fp.arena_bytes == nnom_model_arena_size(fast) && fp.arena_bytes <= limit,
             "case %d: goal %d, arena %u, limit %u", t, (int)fp.goal, (unsigned)fp.arena_bytes, (unsigned)limit);
    TU_CHECK(fp.plain_arena_bytes == sp.plain_arena_bytes, "case %d: plain arena %u, the smallest plan says %u", t,
             (unsigned)fp.plain_arena_bytes, (unsigned)sp.plain_arena_bytes);
    if (limit >= sp.plain_arena_bytes)
        TU_CHECK(!fp.windows_in_place && !fp.tiled && fp.arena_bytes == sp.plain_arena_bytes,
                 "case %d: limit %u holds the plain plan (%u), yet windows in place %d, tiled %d, arena %u", t,
                 (unsigned)limit, (unsigned)sp.plain_arena_bytes, (int)fp.windows_in_place, (int)fp.tiled,
                 (unsigned)fp.arena_bytes);
    else
        TU_CHECK(fp.windows_in_place || fp.tiled, "case %d: limit %u below the plain plan (%u), plain plan taken", t,
                 (unsigned)limit, (unsigned)sp.plain_arena_bytes);
    for (int r = 0; r < 2; r++)
        TU_CHECK(tt_same_outputs(fast, small, dt), "case %d (%s, limit %u: windows in place %d, tiled %d): the fastest "
                 "plan's output differs from the smallest's", t, dt == NNOM_DTYPE_S8 ? "int8" : "float32",
                 (unsigned)limit, (int)fp.windows_in_place, (int)fp.tiled);
    budget_cases++;
    nnom_model_destroy(fast);
}

static void one_case(nnom_dtype dt, int t)
{
    tt_chain ch;
    tt_random_chain(&ch, dt);
    const int32_t percent = tu_rand_int(0, 1) ? 0 : tu_rand_int(1, 300);
    nnom_options o = options(NNOM_PLAN_SMALLEST, 0);
    o.tiling_max_extra_macs_percent = percent;
    nnom_error err;
    nnom_model *small = tt_build_chain_with(&ch, dt, &o, &err);
    TU_REQUIRE(small != NULL, "case %d: the smallest plan: %s", t, err.message);
    const nnom_plan_info sp = plan_of(small);
    TU_CHECK(sp.goal == NNOM_PLAN_SMALLEST && sp.arena_bytes == nnom_model_arena_size(small) &&
                 sp.arena_bytes <= sp.plain_arena_bytes,
             "case %d: smallest plan: goal %d, arena %u, plain %u", t, (int)sp.goal, (unsigned)sp.arena_bytes,
             (unsigned)sp.plain_arena_bytes);
    const uint32_t smallest = sp.arena_bytes, plain = sp.plain_arena_bytes;
    if (smallest < plain) smaller_cases++;
    check_text(&sp, t);

    /* the default: today's size, the size before plan_goal, and no options plan the same */
    nnom_options older = o;
    older.struct_size = (uint32_t)offsetof(nnom_options, plan_goal);
    nnom_model *old = tt_build_chain_with(&ch, dt, &older, &err);
    TU_REQUIRE(old != NULL, "case %d: options before plan_goal: %s", t, err.message);
    const nnom_plan_info op = plan_of(old);
    TU_CHECK(op.goal == NNOM_PLAN_SMALLEST && op.arena_bytes == smallest && op.windows_in_place == sp.windows_in_place &&
                 op.tiled == sp.tiled,
             "case %d: older options planned %u bytes, the smallest plan %u", t, (unsigned)op.arena_bytes,
             (unsigned)smallest);
    nnom_model_destroy(old);

    /* the smallest plan under a limit of its own arena: its candidates are planned whole, so a chain
     * whose plain plan is past the limit still gets it; 4 bytes less is refused, naming the option */
    nnom_options exact = options(NNOM_PLAN_SMALLEST, smallest);
    exact.tiling_max_extra_macs_percent = percent;
    nnom_model *fit = tt_build_chain_with(&ch, dt, &exact, &err);
    TU_CHECK(fit != NULL, "case %d: the smallest plan under a limit of its arena (%u, plain %u) refused: %s", t,
             (unsigned)smallest, (unsigned)plain, err.message);
    if (fit) {
        TU_CHECK(nnom_model_arena_size(fit) == smallest && tt_same_outputs(fit, small, dt),
                 "case %d: the smallest plan under its limit: arena %u, not %u, or other outputs", t,
                 (unsigned)nnom_model_arena_size(fit), (unsigned)smallest);
        if (smallest < plain) limited_cases++;
        nnom_model_destroy(fit);
    }
    if (smallest > ALIGN) {
        exact.max_arena_bytes = smallest - ALIGN;
        fit = tt_build_chain_with(&ch, dt, &exact, &err);
        TU_CHECK(fit == NULL && err.status == NNOM_ERR_NO_MEMORY && contains(err.message, "max_arena_bytes"),
                 "case %d: the smallest plan under %u bytes (its arena %u): status %d, '%s'", t,
                 (unsigned)(smallest - ALIGN), (unsigned)smallest, (int)err.status, fit ? "loaded" : err.message);
        if (fit) nnom_model_destroy(fit);
    }

    check_fits(&ch, dt, small, percent, 0, t); /* no limit but the default */
    check_fits(&ch, dt, small, percent, smallest, t);
    check_fits(&ch, dt, small, percent, (uint32_t)tu_rand_int((int32_t)smallest, (int32_t)plain), t);
    if (plain - ALIGN >= smallest && plain >= ALIGN) check_fits(&ch, dt, small, percent, plain - ALIGN, t);

    if (smallest > ALIGN) { /* below the smallest plan */
        const uint32_t limit = smallest - ALIGN;
        nnom_options below = options(NNOM_PLAN_FASTEST, limit);
        below.tiling_max_extra_macs_percent = percent;
        nnom_model *m = tt_build_chain_with(&ch, dt, &below, &err);
        if (m) { /* a tiling with windows not in place may be smaller than the smallest plan's */
            TU_CHECK(nnom_model_arena_size(m) <= limit && plan_of(m).tiled, "case %d: arena %u under limit %u", t,
                     (unsigned)nnom_model_arena_size(m), (unsigned)limit);
            nnom_model_destroy(m);
        } else {
            char want_limit[40], want_smallest[40];
            snprintf(want_limit, sizeof want_limit, "%u bytes", (unsigned)limit);
            snprintf(want_smallest, sizeof want_smallest, "%u bytes", (unsigned)smallest);
            TU_CHECK(err.status == NNOM_ERR_NO_MEMORY && contains(err.message, want_limit) &&
                         contains(err.message, want_smallest) && contains(err.message, "max_arena_bytes"),
                     "case %d: below the smallest plan (%u < %u): status %d, '%s'", t, (unsigned)limit,
                     (unsigned)smallest, (int)err.status, err.message);
            refused_cases++;
        }
    }
    cases++;
    nnom_model_destroy(small);
    tt_free_chain(&ch);
}

static void check_bad_goal(void)
{
    nnom_options o = options(7, 0);
    nnom_model *m = NULL;
    nnom_error err;
    TU_CHECK(nnom_model_create(NNOM_DTYPE_S8, &o, &m, &err) == NNOM_ERR_ARGUMENT && m == NULL &&
                 contains(err.message, "plan_goal is 7"),
             "goal 7: '%s'", err.message);
    o.plan_goal = NNOM_PLAN_FASTEST;
    TU_REQUIRE(nnom_model_create(NNOM_DTYPE_S8, &o, &m, &err) == NNOM_OK, "create: %s", err.message);
    nnom_plan_info p = NNOM_PLAN_INFO_INIT;
    TU_CHECK(nnom_model_plan(m, &p) == NNOM_ERR_STATE, "plan info before compile");
    p.struct_size = 4;
    TU_CHECK(nnom_model_plan(m, &p) == NNOM_ERR_ARGUMENT && contains(nnom_model_last_error(m), "nnom_plan_info"),
             "plan info of a bad size: '%s'", nnom_model_last_error(m));
    nnom_model_destroy(m);
}

int main(void)
{
    tu_seed(0x9A7E5ULL);
    check_bad_goal();
    for (int t = 0; t < CASES; t++) {
        const uint32_t next = tu_rand_u32();
        one_case(t % 2 ? NNOM_DTYPE_F32 : NNOM_DTYPE_S8, t);
        tu_seed(next);
    }
    printf("test_plan_goal: %d random chains (%d smaller than their plain plan), %d fastest plans equal to the "
           "smallest, %d refused below the smallest arena\n", cases, smaller_cases, budget_cases, refused_cases);
    TU_CHECK(smaller_cases > cases / 4, "only %d of %d chains smaller than their plain plan", smaller_cases, cases);
    TU_CHECK(limited_cases == smaller_cases, "the smallest plan under its own arena: %d of %d", limited_cases,
             smaller_cases);
    TU_CHECK(refused_cases > cases / 2, "only %d of %d refused below the smallest arena", refused_cases, cases);
    return tu_finish("test_plan_goal");
}
