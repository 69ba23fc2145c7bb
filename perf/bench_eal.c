#include "bench_eal.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

int bench_eal_init(const char *name, const char *tag, unsigned mem_mb)
{
	/* EAL may keep pointers into argv: static */
	static char prefix[64], mem[16], argv0[64];
	static char *eal[] = { argv0, "--no-huge", "-m", mem, "--no-pci", "--no-telemetry",
			       "--log-level=*:warning", prefix, "-l", "0", NULL };

	snprintf(argv0, sizeof(argv0), "%s", name);
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", tag, getpid());
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "%s: EAL: %s\n", name, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

void bench_remove_dir(const char *dir)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void bench_eal_cleanup(void)
{
	char dir[PATH_MAX];

	/* the name is gone with the EAL: take it first */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	bench_remove_dir(dir);
}
