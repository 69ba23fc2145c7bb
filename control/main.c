/* umedge-control: the policy owner (see docs/architecture.md). */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server.h"
#include "state.h"
#include "umedge/ctlproto.h"

/* JSON messages carry the private key to the dataplane: every buffer jansson
 * frees is wiped first, so no key bytes linger in freed heap. */
static void *wiping_malloc(size_t n)
{
	return malloc(n);
}

static void wiping_free(void *p)
{
	if (p) {
		memset(p, 0, malloc_usable_size(p));
		free(p);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: umedge-control --config FILE [--socket PATH]\n"
		   "  --config FILE  YAML configuration (see docs/configuration.md)\n"
		   "  --socket PATH  control socket (default: $%s, else server.control_socket)\n"
		   "  --check        validate the configuration and exit\n",
		CTLPROTO_SOCKET_ENV);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *sock = NULL;
	char err[CONFIG_ERR_MAX];
	struct control ctl;
	bool check = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	json_set_alloc_funcs(wiping_malloc, wiping_free);
	if (check) {
		struct config *cfg = NULL;

		if (config_load(config, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		config_free(cfg);
		printf("%s: ok\n", config);
		return 0;
	}
	if (control_open(&ctl, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "umedge-control: %s\n", err);
		return 1;
	}
	if (!sock)
		sock = getenv(CTLPROTO_SOCKET_ENV);
	if (!sock || !*sock)
		sock = ctl.cfg->server.control_socket;
	rc = server_run(&ctl, sock, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "umedge-control: %s\n", err);
	control_close(&ctl);
	return rc < 0 ? 1 : 0;
}
