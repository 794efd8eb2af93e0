/*
 * Markers around the code whose instructions are counted under QEMU by the
 * insn_count plugin (tools/qemu-insn-plugin): it is given the addresses of
 * these two functions and counts what runs from one call to the other.
 */
#ifndef FW_BENCH_MARKERS_H
#define FW_BENCH_MARKERS_H

void fw_bench_begin(void);
void fw_bench_end(void);

#endif
