/* umedge-dataplane: the DPDK primary process. The main lcore runs the channel
 * to control, the timers and telemetry; worker lcores run the stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "umedge/config.h"
#include "umedge/ctlproto.h"
#include "ctl.h"
#include "dp.h"
#include "port.h"
#include "snapshot.h"
#include "stats.h"
#include "telemetry.h"
#include "worker.h"
#include "sip_capture.h"
#include "sip_probe.h"
#include "worker_sip.h"
#include "worker_tls.h"
#include "media/media_ctl.h"

#define EAL_ARGV_MAX (CONFIG_EAL_ARGS_MAX + 16)
#define MAIN_TICK_MS 100
#define CAPTURE_TICK_MS 5
#define STATS_EVERY_MS 1000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: umedge-dataplane --config FILE\n"
		   "  EAL arguments come from the dataplane: section of FILE;\n"
		   "  %s overrides the control socket path.\n", CTLPROTO_SOCKET_ENV);
}

static bool has_arg(const struct config_dataplane *d, const char *const *names)
{
	for (int i = 0; i < d->n_eal; i++)
		for (const char *const *n = names; *n != NULL; n++)
			if (strncmp(d->eal[i], *n, strlen(*n)) == 0)
				return true;
	return false;
}

static bool hugepages_usable(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long free_pages = 0;
	bool mounted = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	f = fopen("/proc/mounts", "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " hugetlbfs ") != NULL)
			mounted = true;
	fclose(f);
	return free_pages >= 64 && mounted;
}

/* argv for rte_eal_init: the configured arguments, plus lcores, memory and a
 * file prefix when the configuration leaves them out. */
static int build_eal_argv(const struct config_dataplane *d, char **argv, char *lcores,
			  size_t lcores_len)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const mem_opts[] = { "--no-huge", "-m", "--socket-mem", NULL };
	static const char *const prefix_opts[] = { "--file-prefix", "--in-memory", NULL };
	int argc = 0;

	argv[argc++] = (char *)"umedge-dataplane";
	for (int i = 0; i < d->n_eal && argc < EAL_ARGV_MAX - 8; i++)
		argv[argc++] = d->eal[i];
	if (!has_arg(d, lcore_opts)) {
		snprintf(lcores, lcores_len, "0-%d", d->workers + d->crypto_lcores);
		argv[argc++] = (char *)"-l";
		argv[argc++] = lcores;
	}
	static const char *const pci_opts[] = { "-a", "--allow", "-b", "--block", "--no-pci", NULL };
	static const char *const nohuge_opt[] = { "--no-huge", NULL };
	/* real NICs are named with -a PCI; without one, leave PCI devices alone */
	if (!has_arg(d, pci_opts))
		argv[argc++] = (char *)"--no-pci";
	bool no_huge = has_arg(d, nohuge_opt);
	if (!has_arg(d, mem_opts) && !hugepages_usable()) {
		argv[argc++] = (char *)"--no-huge";
		argv[argc++] = (char *)"-m";
		argv[argc++] = (char *)"512";
		no_huge = true;
	}
	if (!has_arg(d, prefix_opts)) {
		/* the prefix names the telemetry socket folder */
		argv[argc++] = (char *)"--file-prefix=umedge";
		/* no hugepage files left behind (--no-huge is already in memory) */
		if (!no_huge)
			argv[argc++] = (char *)"--in-memory";
	}
	argv[argc] = NULL;
	return argc;
}

static void iface_from_config(struct net_iface *ifc, const struct config_interface *c)
{
	memset(ifc, 0, sizeof(*ifc));
	if (c->addr.s_addr == 0)
		return;
	ifc->up = true;
	ifc->port_id = c->port_id;
	ifc->addr = c->addr.s_addr;
	ifc->mask = c->prefix_len == 0 ? 0 :
		    htonl(c->prefix_len >= 32 ? UINT32_MAX : ~(UINT32_MAX >> c->prefix_len));
	ifc->gateway = c->has_gateway ? c->gateway.s_addr : 0;
	ifc->mtu = NET_MTU;
}

static unsigned pool_size(const struct dp *dp)
{
	unsigned n = 0, need;

	for (unsigned i = 0; i < NET_N_IFACES; i++)
		if (dp->ifaces[i].up)
			n += PORT_RX_DESC * dp->n_workers + PORT_TX_DESC * dp->n_workers;
	n += dp->n_workers * (DP_RING_SIZE + DP_LEARN_RING_SIZE + NET_ARP_PENDING +
			      128 * (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1) +
			      NET_BURST * (NET_MAX_PORTS + DP_MAX_WORKERS + 2) + 512);
	n += 2048;
	for (need = 1024; need - 1 < n; need <<= 1)
		;
	return need - 1;
}

static int dp_setup(struct dp *dp, const struct config *cfg)
{
	const struct config_dataplane *d = &cfg->dataplane;
	int socket = (int)rte_socket_id();

	dp->cfg = cfg;
	dp->n_workers = (unsigned)d->workers;
	dp->idle = d->idle;
	if (dp->n_workers < 1 || dp->n_workers > DP_MAX_WORKERS ||
	    rte_lcore_count() < dp->n_workers + 1) {
		RTE_LOG(ERR, USER1, "%u workers need %u lcores, EAL has %u\n", dp->n_workers,
			dp->n_workers + 1, rte_lcore_count());
		return -EINVAL;
	}
	iface_from_config(&dp->ifaces[NET_IFACE_EXTERNAL], &d->external);
	iface_from_config(&dp->ifaces[NET_IFACE_INTERNAL], &d->internal);
	dp->udp.echo_port = d->udp_echo_port;
	dp->udp.sip_port = UMEDGE_SIP_PORT;
	dp->udp.ng_port = cfg->ng.present ? cfg->ng.port : 0;
	dp->udp.media_first[NET_IFACE_EXTERNAL] = d->media_external.first;
	dp->udp.media_last[NET_IFACE_EXTERNAL] = d->media_external.last;
	dp->udp.media_first[NET_IFACE_INTERNAL] = d->media_internal.first;
	dp->udp.media_last[NET_IFACE_INTERNAL] = d->media_internal.last;

	unsigned n = pool_size(dp);
	dp->pool = rte_pktmbuf_pool_create("umedge_mbuf", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   socket);
	dp->pool_indirect = rte_pktmbuf_pool_create("umedge_indirect", 4095, 64, 0, 0, socket);
	if (dp->pool == NULL || dp->pool_indirect == NULL) {
		RTE_LOG(ERR, USER1, "mbuf pools (%u mbufs): %s; give the EAL more memory (-m)\n",
			n, rte_strerror(rte_errno));
		return -ENOMEM;
	}

	dp->rss = dp->n_workers > 1;
	for (unsigned i = 0; i < NET_N_IFACES; i++)
		if (dp->ifaces[i].up && !port_has_rss(dp->ifaces[i].port_id, dp->n_workers))
			dp->rss = false;
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		if (!dp->ifaces[i].up)
			continue;
		if (i == NET_IFACE_INTERNAL && dp->ifaces[0].up &&
		    dp->ifaces[0].port_id == dp->ifaces[1].port_id) {
			RTE_LOG(ERR, USER1, "external and internal use the same port\n");
			return -EINVAL;
		}
		int rc = port_start(dp, i, dp->ifaces[i].port_id,
				    dp->rss ? (uint16_t)dp->n_workers : 1);
		if (rc != 0)
			return rc;
	}
	if (snapshot_init(dp->n_workers) != 0)
		return -ENOMEM;
	unsigned idx = 0, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (idx == dp->n_workers)
			break;
		dp->workers[idx] = worker_new(dp, idx, lcore);
		if (dp->workers[idx] == NULL) {
			RTE_LOG(ERR, USER1, "worker %u: set-up failed\n", idx);
			return -ENOMEM;
		}
		idx++;
	}
	return 0;
}

static void dp_teardown(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_workers; i++) {
		worker_free(dp->workers[i]);
		dp->workers[i] = NULL;
	}
	port_stop_all(dp);
	snapshot_fini();
	if (dp->pool != NULL) {
		unsigned in_use = rte_mempool_in_use_count(dp->pool);
		if (in_use != 0)
			RTE_LOG(WARNING, USER1, "%u mbufs still in use at exit\n", in_use);
	}
	rte_mempool_free(dp->pool_indirect);
	rte_mempool_free(dp->pool);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *media_request(void *arg, const char *req, json_t *args, char *err,
			     size_t errlen)
{
	return media_ctl_request(arg, req, args, err, errlen);
}

static void media_notify(void *arg, const char *id, json_t *fields)
{
	ctl_send_event(arg, id, fields);
}

/* The media engine: per-worker state attached to each worker's stack, and
 * media.* requests from control. */
static struct media_engine *media_setup(struct dp *dp, struct ctl *ctl)
{
	struct media_engine_conf mc = {
		.n_workers = dp->n_workers,
		.socket = (int)rte_socket_id(),
		.idle_timeout_s = dp->cfg->dataplane.media_idle_timeout_s,
		.srtp_engine = dp->cfg->dataplane.srtp_engine,
		.notify = media_notify,
		.notify_arg = ctl,
	};
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		mc.local_addr[i] = dp->ifaces[i].addr;
		mc.first[i] = dp->udp.media_first[i];
		mc.last[i] = dp->udp.media_last[i];
	}
	struct media_engine *e = media_engine_new(&mc);
	if (e == NULL)
		return NULL;
	for (unsigned i = 0; i < dp->n_workers; i++)
		media_worker_attach(media_engine_worker(e, i), &dp->workers[i]->net);
	if (ctl_on_request(ctl, "media.", media_request, e) != 0) {
		media_engine_free(e);
		return NULL;
	}
	return e;
}

static void print_ready(const struct dp *dp)
{
	static const char *const names[NET_N_IFACES] = { "external", "internal" };
	char a[INET_ADDRSTRLEN];

	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		const struct net_iface *ifc = &dp->ifaces[i];
		if (!ifc->up)
			continue;
		inet_ntop(AF_INET, &ifc->addr, a, sizeof(a));
		printf("umedge-dataplane: %s port %u (%s) %s mac " RTE_ETHER_ADDR_PRT_FMT "\n",
		       names[i], ifc->port_id, dp->ports[i].name, a,
		       RTE_ETHER_ADDR_BYTES(&ifc->mac));
	}
	printf("umedge-dataplane: ready: %u worker(s), %s, idle %s, udp echo %s\n",
	       dp->n_workers, dp->rss ? "RSS" : "software dispatch",
	       dp->idle == CONFIG_IDLE_BUSY ? "busy" : "backoff",
	       dp->udp.echo_port ? "on" : "off");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char err[CONFIG_ERR_MAX];
	char *eal_argv[EAL_ARGV_MAX + 1];
	char lcores[32];
	struct config *cfg = NULL;
	struct dp dp;
	struct ctl ctl;
	struct media_engine *media = NULL;
	struct worker_tls_plane *tlsp = NULL;
	struct worker_sip_plane *sipp = NULL;
	struct sip_capture *capture = NULL;
	struct sip_probe_plane *probe = NULL;
	int opt, rc = 1;
	bool eal_up = false;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "umedge-dataplane: %s\n", err);
		return 1;
	}
	if (!cfg->dataplane.present) {
		fprintf(stderr, "umedge-dataplane: %s: no dataplane: section\n", path);
		goto out;
	}
	memset(&dp, 0, sizeof(dp));
	const char *sock = getenv(CTLPROTO_SOCKET_ENV);
	if (sock == NULL || *sock == '\0')
		sock = cfg->server.control_socket[0] ? cfg->server.control_socket :
		       CTLPROTO_DEFAULT_SOCKET;
	snprintf(dp.socket_path, sizeof(dp.socket_path), "%s", sock);

	int eal_argc = build_eal_argv(&cfg->dataplane, eal_argv, lcores, sizeof(lcores));
	/* The TAP PMD raises a signal for every packet it is handed (its RX
	 * trigger: SIGIO, or a real-time signal set with F_SETSIG). Only the
	 * workers poll the ports, so only they take it: blocked here, before
	 * EAL starts its threads, unblocked in worker_main. Otherwise the
	 * main lcore is woken out of poll() for every packet, a context
	 * switch each. */
	sigset_t rx_sigs;
	worker_rx_signals(&rx_sigs);
	pthread_sigmask(SIG_BLOCK, &rx_sigs, NULL);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "umedge-dataplane: EAL: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	eal_up = true;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* the engine reaching its own addresses (test-connectivity --local) */
	if (net_loopback_init() != 0)
		RTE_LOG(WARNING, USER1, "no mbuf flag for loopback: --local tests unavailable\n");
	if (dp_setup(&dp, cfg) != 0)
		goto teardown;
	ctl_init(&ctl, dp.socket_path);
	if (ctl_on_request(&ctl, "diag.", worker_tcp_diag_request, &dp) != 0)
		RTE_LOG(WARNING, USER1, "diag requests not registered\n");
	/* SIP first: the media path chains its UDP hook in front of it */
	sipp = worker_sip_setup(&dp);
	if (sipp == NULL) {
		RTE_LOG(ERR, USER1, "sip: set-up failed\n");
		goto teardown;
	}
	media = media_setup(&dp, &ctl);
	if (media == NULL) {
		RTE_LOG(ERR, USER1, "media engine: set-up failed\n");
		goto teardown;
	}
	if (worker_sip_set_media(sipp, media) != 0) {
		RTE_LOG(ERR, USER1, "sip: no memory for the calls' media sessions\n");
		goto teardown;
	}
	media_engine_on_list(media, worker_sip_media_rows, sipp);
	if (ctl_on_request(&ctl, "calls.", worker_sip_calls_request, sipp) != 0)
		RTE_LOG(WARNING, USER1, "calls requests not registered\n");
	probe = sip_probe_new(sipp);
	if (probe == NULL || ctl_on_request(&ctl, "probe.", sip_probe_request, probe) != 0)
		RTE_LOG(WARNING, USER1, "connectivity test requests not registered\n");
	capture = sip_capture_new(sipp);
	if (capture == NULL || ctl_on_request(&ctl, "capture.", sip_capture_request, capture) != 0)
		RTE_LOG(WARNING, USER1, "capture requests not registered\n");
	tlsp = worker_tls_setup(&dp, sipp);
	if (tlsp == NULL) {
		RTE_LOG(ERR, USER1, "tls: set-up failed\n");
		goto teardown;
	}
	if (telemetry_register(&dp, &ctl) != 0 || worker_sip_telemetry(sipp) != 0)
		RTE_LOG(WARNING, USER1, "telemetry commands not registered\n");
	for (unsigned i = 0; i < dp.n_workers; i++)
		rte_eal_remote_launch(worker_main, dp.workers[i], dp.workers[i]->lcore);
	if (worker_tls_launch(tlsp, &dp.quit) != 0)
		RTE_LOG(ERR, USER1, "tls: crypto lcores missing, key operations run inline\n");
	print_ready(&dp);

	uint64_t next_stats = mono_ms() + STATS_EVERY_MS;
	while (!got_signal) {
		/* a running capture is drained every few ms: its rings stay short */
		ctl_poll(&ctl, sip_capture_running(capture) ? CAPTURE_TICK_MS : MAIN_TICK_MS);
		sip_capture_poll(capture);
		snapshot_reclaim(false);
		media_engine_tick(media, mono_ms());
		worker_tls_tick(tlsp, &ctl, mono_ms());
		worker_sip_tick(sipp, &ctl);
		if (mono_ms() >= next_stats) {
			struct stats_sum s;
			next_stats += STATS_EVERY_MS;
			if (ctl_connected(&ctl)) {
				stats_collect(&dp, &s);
				json_t *j = stats_to_json(&s);
				if (j != NULL)
					json_object_set_new(j, "media", media_engine_stats(media));
				if (j != NULL)
					json_object_set_new(j, "tls", worker_tls_stats(tlsp));
				if (j != NULL)
					json_object_set_new(j, "sip", worker_sip_stats(sipp));
				ctl_send_stats(&ctl, j);
				json_decref(j);
			}
		}
	}
	printf("umedge-dataplane: signal %d, draining\n", (int)got_signal);
	fflush(stdout);
	dp.quit = true;
	rte_eal_mp_wait_lcore();
	/* the workers' last events, then what is queued for control (no
	 * reconnecting to control only to say goodbye) */
	if (ctl_connected(&ctl)) {
		worker_sip_tick(sipp, &ctl);
		ctl_poll(&ctl, 100);
	}
	ctl_close(&ctl);
	free(ctl.in);
	free(ctl.out);
	rc = 0;
teardown:
	if (rc != 0) {
		dp.quit = true;
		rte_eal_mp_wait_lcore();
	}
	sip_capture_free(capture); /* workers stopped: the file is closed */
	sip_probe_free(probe);
	worker_tls_free(tlsp);    /* workers and crypto lcores stopped */
	worker_sip_free(sipp);    /* its calls' media back to the engine */
	media_engine_free(media); /* workers stopped: nobody holds a session */
	dp_teardown(&dp);
out:
	if (eal_up)
		rte_eal_cleanup();
	config_free(cfg);
	if (rc == 0)
		printf("umedge-dataplane: stopped\n");
	return rc;
}
