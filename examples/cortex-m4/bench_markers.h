/*
 * Markers around the code whose instructions are counted under QEMU by the
 * insn_count plugin (tools/qemu-insn-plugin): it is given the addresses of
 * these two functions and counts what runs from one call to the other.
 *
 * fw_layer_timer is the runtime's timer hook (nnom_options.timer): the
 * runtime calls it before and after each layer it runs, so the plugin, given
 * its address too, splits the count by layer. It returns a tick that grows by
 * one per call. Which layer is the k-th timed one, the host lists
 * (examples/cortex-m4/host/make_headers writes NAME_layers.txt).
 */
#ifndef FW_BENCH_MARKERS_H
#define FW_BENCH_MARKERS_H

#include <stdint.h>

void fw_bench_begin(void);
void fw_bench_end(void);
uint32_t fw_layer_timer(void *ctx);

#endif
