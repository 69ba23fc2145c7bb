/* Benchmarks leave nothing behind: the EAL's runtime folder goes too. */
#ifndef UMEDGE_BENCH_EAL_H
#define UMEDGE_BENCH_EAL_H

/* rte_eal_init for an in-process benchmark: one lcore (0), no hugepages,
 * mem_mb of memory, no PCI, no telemetry, warnings only, a file prefix of
 * its own (tag-PID). 0, or -1 with the reason printed under name. */
int bench_eal_init(const char *name, const char *tag, unsigned mem_mb);
/* Remove a flat folder and the files in it (an EAL runtime folder). */
void bench_remove_dir(const char *dir);
/* rte_eal_cleanup(), then remove the runtime folder it leaves. */
void bench_eal_cleanup(void);

#endif
