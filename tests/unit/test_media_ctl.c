/* The media engine's main-lcore half: port pairs (even, both ports of a
 * pair and both legs of a session on one worker, exhaustion, free and
 * reuse), media.* requests against workers polled by a thread (add, list,
 * show, remove, refusals), the dispatch key of a pair. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_eal.h>

#include "dispatch.h"
#include "media/media_ctl.h"
#include "test_net_harness.h"

static struct media_engine *eng;
static atomic_bool stop;
static pthread_t poller;

static struct media_engine *engine(unsigned workers, uint16_t ext_first, uint16_t ext_last,
				   uint16_t int_first, uint16_t int_last)
{
	struct media_engine_conf c = {
		.n_workers = workers,
		.socket = 0,
		.local_addr = { h_ip(H_EXT_ADDR), h_ip(H_INT_ADDR) },
		.first = { ext_first, int_first },
		.last = { ext_last, int_last },
		.idle_timeout_s = 0,
	};
	struct media_engine *e = media_engine_new(&c);

	cr_assert(e != NULL);
	return e;
}

static void *poll_workers(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop))
		for (unsigned i = 0; i < n; i++)
			media_worker_poll(media_engine_worker(eng, i));
	return NULL;
}

static void start_poller(unsigned n)
{
	atomic_store(&stop, false);
	cr_assert_eq(pthread_create(&poller, NULL, poll_workers, (void *)(uintptr_t)n), 0);
}

static void setup(void)
{
	h_setup();
	eng = NULL;
	poller = 0;
}

static void teardown(void)
{
	if (poller != 0) {
		atomic_store(&stop, true);
		pthread_join(poller, NULL);
	}
	media_engine_free(eng);
	h_teardown();
}

TestSuite(media_ctl, .init = setup, .fini = teardown);

Test(media_ctl, a_pair_shares_a_worker)
{
	for (uint32_t p = 20000; p < 20400; p += 2)
		cr_assert_eq(dispatch_media_key((uint16_t)p), dispatch_media_key((uint16_t)(p + 1)));
	cr_assert_neq(dispatch_media_key(20000), dispatch_media_key(20002));
}

Test(media_ctl, pairs_owner_exhaustion_reuse)
{
	uint16_t p, q;

	eng = engine(2, 20001, 20040, 30000, 30999);
	/* an odd first port: pairs start at the next even one */
	cr_assert_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &p), 0);
	cr_assert_eq(p, 20002);
	for (unsigned i = 0; i < 50; i++) {
		unsigned owner = i % 2;
		cr_assert_eq(media_ports_take(eng, NET_IFACE_INTERNAL, (int)owner, &q), 0);
		cr_assert_eq(q % 2, 0);
		cr_assert_eq(dispatch_owner(dispatch_media_key(q), 2), owner);
		cr_assert_eq(dispatch_owner(dispatch_media_key((uint16_t)(q + 1)), 2), owner);
	}
	/* 20002..20039: 19 pairs in all (20040 has no 20041 in range) */
	unsigned n = 1;
	while (media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &p) == 0) {
		cr_assert_leq(p + 1, 20040);
		n++;
	}
	cr_assert_eq(n, 19);
	cr_assert_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &p), -ENOSPC);
	media_ports_put(eng, NET_IFACE_EXTERNAL, 20010);
	cr_assert_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &p), 0);
	cr_assert_eq(p, 20010, "a freed pair is taken again");
}

/* Pairs taken from several threads at once (the main lcore and workers
 * for their calls): each pair goes to exactly one taker. */
struct taker {
	int owner;
	unsigned n;
	uint16_t got[8192];
};

static void *take_all(void *arg)
{
	struct taker *t = arg;
	uint16_t p;

	while (t->n < 8192 && media_ports_take(eng, NET_IFACE_EXTERNAL, t->owner, &p) == 0)
		t->got[t->n++] = p;
	return NULL;
}

Test(media_ctl, pairs_taken_concurrently)
{
	static struct taker t[4];
	static uint8_t seen[65536];
	pthread_t th[4];
	unsigned total = 0;

	eng = engine(2, 20000, 29999, 30000, 39999);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 4; i++) {
		t[i].owner = i < 2 ? -1 : i - 2; /* two "main lcores", one taker per worker */
		t[i].n = 0;
		cr_assert_eq(pthread_create(&th[i], NULL, take_all, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		for (unsigned k = 0; k < t[i].n; k++) {
			uint16_t p = t[i].got[k];

			cr_assert_eq(seen[p]++, 0, "pair %u taken twice", p);
			if (t[i].owner >= 0)
				cr_assert_eq(dispatch_owner(dispatch_media_key(p), 2),
					     (unsigned)t[i].owner);
		}
		total += t[i].n;
	}
	cr_expect_eq(total, 5000, "every pair of 20000-29999 taken once");
	/* one of worker 0's pairs given back: worker 0 gets exactly it */
	{
		uint16_t back = 0, again = 0;

		for (uint32_t p = 20000; p < 30000 && back == 0; p += 2)
			if (dispatch_owner(dispatch_media_key((uint16_t)p), 2) == 0)
				back = (uint16_t)p;
		media_ports_put(eng, NET_IFACE_EXTERNAL, back);
		cr_assert_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, 0, &again), 0);
		cr_expect_eq(again, back, "a pair given back is taken again");
		cr_expect_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &again), -ENOSPC);
	}
}

static json_t *req(const char *name, const char *args_json, char *err)
{
	json_error_t je;
	json_t *args = json_loads(args_json, 0, &je);

	cr_assert(args != NULL, "%s", je.text);
	err[0] = '\0';
	json_t *r = media_ctl_request(eng, name, args, err, 256);
	json_decref(args);
	return r;
}

Test(media_ctl, add_list_show_remove)
{
	char err[256];
	const char *key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"; /* 30 octets */
	char add[512];

	eng = engine(2, 20000, 20099, 30000, 30099);
	start_poller(2);
	snprintf(add, sizeof(add),
		 "{\"ext_remote\":\"192.0.2.10:4000\",\"int_remote\":\"198.51.100.20:5000\","
		 "\"security\":\"srtp\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\","
		 "\"ext_rx_key\":\"%s\",\"ext_tx_key\":\"%s\"}", key, key);
	json_t *r = req("media.add", add, err);
	cr_assert(r != NULL, "%s", err);
	cr_assert_str_eq(json_string_value(json_object_get(r, "ext_local")), "192.0.2.1:20000");
	const char *il = json_string_value(json_object_get(r, "int_local"));
	cr_assert(strncmp(il, "198.51.100.1:300", 16) == 0, "%s", il);
	cr_assert_str_eq(json_string_value(json_object_get(r, "ext_rx_key")), key);
	json_int_t id = json_integer_value(json_object_get(r, "id"));
	unsigned w = (unsigned)json_integer_value(json_object_get(r, "worker"));
	struct media_worker *mw = media_engine_worker(eng, w);
	cr_assert(mw->slot[NET_IFACE_EXTERNAL][20000] != NULL, "installed on its worker");
	cr_assert(mw->slot[NET_IFACE_EXTERNAL][20001] != NULL);
	json_decref(r);

	r = req("media.add", "{\"ext_remote\":\"192.0.2.10:4002\",\"int_remote\":\"198.51.100.20:5002\","
			     "\"security\":\"rtp\",\"rtcp-mux\":true}", err);
	cr_assert(r != NULL, "%s", err);
	cr_assert(json_is_null(json_object_get(r, "suite")));
	cr_assert(json_is_true(json_object_get(r, "rtcp_mux")));
	json_decref(r);

	r = req("media.list", "{}", err);
	cr_assert_eq(json_array_size(r), 2);
	json_decref(r);
	char show[64];
	snprintf(show, sizeof(show), "{\"id\":%lld}", (long long)id);
	r = req("media.show", show, err);
	cr_assert(r != NULL, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "gateway_to_app"),
							"packets")), 0);
	cr_assert(json_is_null(json_object_get(json_object_get(r, "app_to_gateway"),
					       "last_packet")));
	cr_assert_str_eq(json_string_value(json_object_get(r, "gateway_rtp")), "192.0.2.10:4000");
	json_decref(r);

	r = req("media.remove", show, err);
	cr_assert(r != NULL, "%s", err);
	json_decref(r);
	cr_assert_null(mw->slot[NET_IFACE_EXTERNAL][20000], "unlinked");
	cr_assert_null(req("media.show", show, err));
	cr_assert_null(req("media.remove", show, err));
	r = req("media.list", "{}", err);
	cr_assert_eq(json_array_size(r), 1);
	json_decref(r);
	json_t *st = media_engine_stats(eng);
	cr_assert_eq(json_integer_value(json_object_get(st, "sessions")), 1);
	cr_assert_eq(json_integer_value(json_object_get(st, "sessions_removed")), 1);
	json_decref(st);
}

Test(media_ctl, request_keys_are_wiped)
{
	char err[256];
	const char *key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";
	char add[512];
	json_error_t je;

	eng = engine(1, 20000, 20099, 30000, 30099);
	start_poller(1);
	snprintf(add, sizeof(add),
		 "{\"ext_remote\":\"192.0.2.10:4000\",\"int_remote\":\"198.51.100.20:5000\","
		 "\"security\":\"srtp\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\","
		 "\"ext_rx_key\":\"%s\",\"ext_tx_key\":\"%s\"}", key, key);
	json_t *args = json_loads(add, 0, &je);
	cr_assert(args != NULL);
	json_t *r = media_ctl_request(eng, "media.add", args, err, sizeof(err));
	cr_assert(r != NULL, "%s", err);
	/* the reply has its own copies; the request's are cleared in place */
	cr_assert_str_eq(json_string_value(json_object_get(r, "ext_tx_key")), key);
	const char *rx = json_string_value(json_object_get(args, "ext_rx_key"));
	const char *tx = json_string_value(json_object_get(args, "ext_tx_key"));
	for (size_t i = 0; i < strlen(key); i++)
		cr_assert(rx[i] == 0 && tx[i] == 0, "octet %zu of a key left in the request", i);
	json_decref(r);
	json_decref(args);
}

Test(media_ctl, refusals)
{
	static const char *const bad[] = {
		"{\"int_remote\":\"198.51.100.20:5000\",\"security\":\"rtp\"}",
		"{\"ext_remote\":\"192.0.2.10\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"rtp\"}",
		"{\"ext_remote\":\"192.0.2.10:0\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"rtp\"}",
		"{\"ext_remote\":\"192.0.2.10:1\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"zrtp\"}",
		"{\"ext_remote\":\"192.0.2.10:1\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"srtp\"}",
		"{\"ext_remote\":\"192.0.2.10:1\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"srtp\","
		"\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"ext_rx_key\":\"AAAA\",\"ext_tx_key\":\"AAAA\"}",
		"{\"ext_remote\":\"192.0.2.10:1\",\"int_remote\":\"198.51.100.20:5000\",\"security\":\"rtp\","
		"\"rtcp-mux\":\"yes\"}",
	};
	char err[256];

	eng = engine(1, 20000, 20003, 30000, 30001);
	start_poller(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_null(req("media.add", bad[i], err), "%s", bad[i]);
		cr_assert_neq(err[0], '\0');
	}
	cr_assert_null(req("media.frobnicate", "{}", err));
	cr_assert_null(req("media.show", "{\"id\":\"x\"}", err));
	/* one internal pair: the second session finds none, and gives its
	 * external pair back */
	const char *ok = "{\"ext_remote\":\"192.0.2.10:1\",\"int_remote\":\"198.51.100.20:2\","
			 "\"security\":\"rtp\"}";
	json_t *r = req("media.add", ok, err);
	cr_assert(r != NULL, "%s", err);
	json_decref(r);
	cr_assert_null(req("media.add", ok, err));
	cr_assert(strstr(err, "no free") != NULL, "%s", err);
	uint16_t p;
	cr_assert_eq(media_ports_take(eng, NET_IFACE_EXTERNAL, -1, &p), 0, "external pair returned");
}
