/* What the benchmarks say about the machine they ran on. */
#ifndef UMEDGE_BENCH_MACHINE_H
#define UMEDGE_BENCH_MACHINE_H

#include <stddef.h>

/* The CPU's "model name" from /proc/cpuinfo into buf, "?" when unknown. */
void bench_cpu_model(char *buf, size_t len);
/* Two lines: "NAME  <UTC time>", then the machine (CPU, cores, kernel, DPDK,
 * extra when not NULL, TSC frequency). Needs the EAL up (TSC). */
void bench_print_machine(const char *name, const char *extra);
/* Without the EAL: "NAME  <UTC time>", then cpu, kernel and load average
 * lines (the figures of a single-threaded benchmark depend on them). */
void bench_print_host(const char *name);

/* The instruction sets the crypto uses (from /proc/cpuinfo) and the load
 * average now, on one line. */
void bench_print_isa(void);

#endif
