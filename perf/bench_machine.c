#include "bench_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_version.h>

void bench_cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "?");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && p != NULL) {
			snprintf(buf, len, "%s", p + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

void bench_print_host(const char *name)
{
	char model[256], when[64];
	struct utsname u;
	time_t t = time(NULL);
	double load[3];

	bench_cpu_model(model, sizeof(model));
	uname(&u);
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("%s  %s\n", name, when);
	printf("cpu        %s (%ld cores online)\n", model, sysconf(_SC_NPROCESSORS_ONLN));
	printf("kernel     %s %s\n", u.sysname, u.release);
	printf("loadavg    %.2f %.2f %.2f\n", load[0], load[1], load[2]);
}

void bench_print_machine(const char *name, const char *extra)
{
	struct utsname u;
	char model[256], when[64];
	time_t t = time(NULL);

	bench_cpu_model(model, sizeof(model));
	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("%s  %s\n", name, when);
	printf("machine: %s, %ld cores, %s %s, %s, %s%sTSC %.2f GHz\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, rte_version(),
	       extra != NULL ? extra : "", extra != NULL ? ", " : "",
	       (double)rte_get_tsc_hz() / 1e9);
}

void bench_print_isa(void)
{
	static const char *const want[] = { "aes", "pclmulqdq", "sha_ni", "avx2", "avx512f",
					    "vaes", "vpclmulqdq" };
	char *line = NULL;
	size_t cap = 0;
	double load[3];
	FILE *f = fopen("/proc/cpuinfo", "r");

	printf("isa:");
	while (f != NULL && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		line[strcspn(line, "\n")] = ' ';
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char w[32];

			snprintf(w, sizeof(w), " %s ", want[i]);
			printf(" %s=%d", want[i], strstr(line, w) != NULL);
		}
		break;
	}
	free(line);
	if (f != NULL)
		fclose(f);
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("; loadavg %.2f %.2f %.2f\n", load[0], load[1], load[2]);
}
