/* Benchmarks leave nothing behind: the EAL's runtime folder goes too. */
#ifndef UMEDGE_BENCH_EAL_H
#define UMEDGE_BENCH_EAL_H

/* Remove a flat folder and the files in it (an EAL runtime folder). */
void bench_remove_dir(const char *dir);
/* rte_eal_cleanup(), then remove the runtime folder it leaves. */
void bench_eal_cleanup(void);

#endif
