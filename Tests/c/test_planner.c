/*
 * The arena placement (nnom_plan_place) on random sets of buffers: chains of
 * buffers written in place over each other (groups) and lone buffers with
 * random lifetimes and sizes. Checked against facts computed here:
 *  - every buffer 4-byte aligned, every member of a group at one offset;
 *  - no two buffers of different groups alive at the same step overlap
 *    (every pair is checked);
 *  - the arena is exactly the highest end;
 *  - the lower bound equals the most bytes alive at one step, computed here
 *    independently, and the arena is at least that;
 *  - without groups, the arena is never larger than a plain greedy by size
 *    (largest first, lowest offset that fits: TFLite Micro's planner),
 *    written here;
 *  - a limit below the arena stores no offsets and names the top buffer.
 * Also a handful of hand-made cases whose optimum is known.
 */
#include <string.h>

#include "core/model_internal.h"
#include "test_util.h"

#define MAX_BUFFERS 96
#define MAX_STEPS 48

static uint64_t r4(uint64_t v) { return (v + 3u) & ~(uint64_t)3u; }

static int alive_together(const nnom_buffer *a, const nnom_buffer *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* The most bytes alive at one step, a group counted by its largest member alive then. */
static uint64_t live_peak(const nnom_buffer *b, int32_t n)
{
    uint64_t peak = 0;
    for (int32_t t = 0; t < MAX_STEPS + 2; t++) {
        uint64_t live = 0;
        for (int32_t g = 0; g < n; g++) {
            uint64_t most = 0;
            for (int32_t i = 0; i < n; i++)
                if (b[i].group == g && b[i].first <= t && t <= b[i].last && b[i].bytes > most) most = b[i].bytes;
            live += most;
        }
        if (live > peak) peak = live;
    }
    return peak;
}

/* Greedy by size without groups: largest first (ties: earliest, then index), each at the lowest offset
 * where it overlaps no placed buffer alive at the same time. */
static uint64_t greedy_by_size(const nnom_buffer *src, int32_t n)
{
    nnom_buffer b[MAX_BUFFERS];
    int placed[MAX_BUFFERS] = {0};
    memcpy(b, src, (size_t)n * sizeof *b);
    uint64_t arena = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t pick = -1;
        for (int32_t i = 0; i < n; i++) {
            if (placed[i]) continue;
            if (pick < 0 || r4(b[i].bytes) > r4(b[pick].bytes) ||
                (r4(b[i].bytes) == r4(b[pick].bytes) && b[i].first < b[pick].first))
                pick = i;
        }
        uint64_t best = UINT64_MAX;
        for (int32_t c = -1; c < n; c++) {
            if (c >= 0 && !placed[c]) continue;
            const uint64_t x = c < 0 ? 0 : b[c].offset + r4(b[c].bytes);
            int ok = 1;
            for (int32_t p = 0; p < n && ok; p++)
                if (placed[p] && alive_together(&b[p], &b[pick]) && x < b[p].offset + r4(b[p].bytes) &&
                    b[p].offset < x + r4(b[pick].bytes))
                    ok = 0;
            if (ok && x < best) best = x;
        }
        b[pick].offset = (uint32_t)best;
        placed[pick] = 1;
        if (best + b[pick].bytes > arena) arena = best + b[pick].bytes;
    }
    return arena;
}

static int case_count;

/* Places @p b and checks the plan; returns the arena. */
static uint64_t check(nnom_buffer *b, int32_t n, const char *what)
{
    static uint64_t work[8192];
    TU_REQUIRE(nnom_plan_work_bytes(n) <= sizeof work, "work area");
    uint64_t lower = 0;
    int32_t top = -1;
    for (int32_t i = 0; i < n; i++) b[i].offset = 0xDEADBEEFu;
    const uint64_t arena = nnom_plan_place(b, n, NNOM_PLAN_LIMIT, work, &lower, &top);
    uint64_t highest = 0;
    for (int32_t i = 0; i < n; i++) {
        TU_CHECK(b[i].offset % 4 == 0, "%s %d: buffer %d at %u", what, case_count, (int)i, (unsigned)b[i].offset);
        if ((uint64_t)b[i].offset + b[i].bytes > highest) highest = (uint64_t)b[i].offset + b[i].bytes;
        for (int32_t j = i + 1; j < n; j++) {
            if (b[i].group == b[j].group) {
                TU_CHECK(b[i].offset == b[j].offset, "%s %d: group members %d, %d apart", what, case_count, (int)i,
                         (int)j);
                continue;
            }
            const int overlap = b[i].offset < b[j].offset + b[j].bytes && b[j].offset < b[i].offset + b[i].bytes;
            TU_CHECK(!(alive_together(&b[i], &b[j]) && overlap),
                     "%s %d: buffers %d [%u,+%u) steps %d..%d and %d [%u,+%u) steps %d..%d overlap", what,
                     case_count, (int)i, (unsigned)b[i].offset, (unsigned)b[i].bytes, (int)b[i].first,
                     (int)b[i].last, (int)j, (unsigned)b[j].offset, (unsigned)b[j].bytes, (int)b[j].first,
                     (int)b[j].last);
        }
    }
    TU_CHECK(arena == highest, "%s %d: arena %llu, highest end %llu", what, case_count, (unsigned long long)arena,
             (unsigned long long)highest);
    const uint64_t peak = live_peak(b, n);
    TU_CHECK(lower == peak, "%s %d: lower bound %llu, most alive %llu", what, case_count, (unsigned long long)lower,
             (unsigned long long)peak);
    TU_CHECK(arena >= lower, "%s %d: arena %llu below its lower bound %llu", what, case_count,
             (unsigned long long)arena, (unsigned long long)lower);
    TU_CHECK(n == 0 || (top >= 0 && top < n && (uint64_t)b[top].offset + b[top].bytes == highest),
             "%s %d: top buffer %d", what, case_count, (int)top);

    /* a limit one byte short: nothing stored, the same arena reported */
    if (arena > 0) {
        nnom_buffer copy[MAX_BUFFERS];
        memcpy(copy, b, (size_t)n * sizeof *b);
        for (int32_t i = 0; i < n; i++) copy[i].offset = 12345u * 4u;
        const uint64_t again = nnom_plan_place(copy, n, arena - 1, work, &lower, &top);
        TU_CHECK(again == arena, "%s %d: %llu with a limit, %llu without", what, case_count,
                 (unsigned long long)again, (unsigned long long)arena);
        int untouched = 1;
        for (int32_t i = 0; i < n; i++) untouched &= copy[i].offset == 12345u * 4u;
        TU_CHECK(untouched, "%s %d: offsets stored past the limit", what, case_count);
    }
    case_count++;
    return arena;
}

static int32_t random_buffers(nnom_buffer *b, int grouped)
{
    const int32_t steps = tu_rand_int(2, MAX_STEPS);
    const int32_t want = tu_rand_int(1, MAX_BUFFERS - 4);
    const uint32_t max_bytes = (uint32_t)tu_rand_int(4, 4096);
    int32_t n = 0;
    while (n < want) {
        const int32_t head = n;
        const int32_t chain = grouped ? tu_rand_int(1, 4) : 1;
        int32_t first = tu_rand_int(0, steps - 1);
        for (int32_t k = 0; k < chain && n < MAX_BUFFERS && first < steps; k++) {
            const int32_t short_lived = tu_rand_int(0, 3) == 0; /* scratch-like: one step */
            const int32_t last = short_lived ? first : tu_rand_int(first, steps - 1);
            b[n].bytes = (uint32_t)tu_rand_int(1, (int32_t)max_bytes);
            b[n].first = first;
            b[n].last = last;
            b[n].group = head;
            b[n].holds_input = 0;
            n++;
            first = last; /* the next member is written over this one where it dies */
            if (k + 1 < chain && last == steps - 1) break;
        }
    }
    return n;
}

/* Small cases with a known optimum. */
static void known_cases(void)
{
    nnom_buffer b[4];
    memset(b, 0, sizeof b);
    /* a chain a -> b -> c of 100, 200, 100 bytes: at most two alive, 300 */
    b[0] = (nnom_buffer){0, 100, 0, 1, 0, 0};
    b[1] = (nnom_buffer){0, 200, 1, 2, 0, 1};
    b[2] = (nnom_buffer){0, 100, 2, 3, 0, 2};
    TU_CHECK(check(b, 3, "chain") == 300, "a chain of 100, 200, 100 bytes");
    /* the same chain written in place: one group, as large as its largest member */
    b[1].group = 0;
    b[2].group = 0;
    TU_CHECK(check(b, 3, "in place") == 200, "an in-place chain of 100, 200, 100 bytes");
    /* a scratch of one step fits in the hole left by a buffer that died */
    b[0] = (nnom_buffer){0, 400, 0, 0, 0, 0};
    b[1] = (nnom_buffer){0, 400, 0, 3, 0, 1};
    b[2] = (nnom_buffer){0, 200, 2, 2, 0, 2};
    b[3] = (nnom_buffer){0, 200, 3, 3, 0, 3};
    TU_CHECK(check(b, 4, "scratch") == 800, "scratch placed in the freed space");
    TU_CHECK(check(b, 0, "empty") == 0, "no buffers");
}

int main(void)
{
    tu_seed(0x504C414EULL);
    known_cases();
    nnom_buffer b[MAX_BUFFERS];
    int worse = 0, better = 0;
    uint64_t sum_arena = 0, sum_lower = 0, sum_greedy = 0;
    for (int t = 0; t < 300; t++) {
        const int32_t n = random_buffers(b, 0);
        const uint64_t greedy = greedy_by_size(b, n);
        uint64_t lower = 0;
        const uint64_t arena = check(b, n, "lone buffers");
        TU_CHECK(arena <= greedy, "lone buffers %d: arena %llu, greedy by size %llu", t, (unsigned long long)arena,
                 (unsigned long long)greedy);
        worse += arena > greedy;
        better += arena < greedy;
        lower = live_peak(b, n);
        sum_arena += arena;
        sum_lower += lower;
        sum_greedy += greedy;
    }
    for (int t = 0; t < 300; t++) {
        const int32_t n = random_buffers(b, 1);
        check(b, n, "groups");
    }
    printf("lone buffers, 300 random sets: arena %llu, greedy by size %llu, lower bound %llu bytes in all; "
           "smaller than greedy in %d sets\n",
           (unsigned long long)sum_arena, (unsigned long long)sum_greedy, (unsigned long long)sum_lower, better);
    (void)worse;
    return tu_finish("test_planner");
}
