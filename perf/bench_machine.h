/* What the benchmarks say about the machine they ran on. */
#ifndef UMEDGE_BENCH_MACHINE_H
#define UMEDGE_BENCH_MACHINE_H

#include <stddef.h>

/* The CPU's "model name" from /proc/cpuinfo into buf, "?" when unknown. */
void bench_cpu_model(char *buf, size_t len);

#endif
