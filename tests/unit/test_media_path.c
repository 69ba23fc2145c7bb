/* The worker media path on crafted mbufs over net_ring: SRTP -> RTP and
 * RTP -> SRTP byte for byte, RTCP on port + 1, tampered and replayed
 * packets dropped and counted, latching only on authenticated packets,
 * plain RTP latching on the first packet, sessions installed and removed
 * through the command ring. The peer is a second libsrtp2 context keyed
 * like the gateway (stock libsrtp2 interop: tests/integration/test_media.py
 * against pylibsrtp). Built twice: on the libsrtp2 engine, and with
 * MEDIA_PATH_BURST on the burst engine (intel-ipsec-mb), where datagrams
 * wait for the end of the worker's loop: the checks flush first. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "media/media.h"
#include "media/srtp_backend.h"
#include "test_net_harness.h"

#define EXT_LOCAL 20000
#define INT_LOCAL 30000
#define GW_PORT 4000
#define APP_PORT 5000

static struct media_worker *mw;
static struct media_session *sess;
static uint8_t rx_key[MEDIA_KEY_MAX], tx_key[MEDIA_KEY_MAX];

static struct media_session *make(bool srtp, enum umedge_srtp_suite suite, bool mux)
{
	struct media_session_params p;
	struct media_session *s;

	memset(&p, 0, sizeof(p));
	p.srtp = srtp;
	p.suite = suite;
	p.rtcp_mux = mux;
	p.ext_local = EXT_LOCAL;
	p.int_local = INT_LOCAL;
	p.ext_remote_ip = h_ip(H_GW_ADDR);
	p.ext_remote_port = GW_PORT;
	p.int_remote_ip = h_ip(H_APP_ADDR);
	p.int_remote_port = APP_PORT;
	memcpy(p.rx_key, rx_key, sizeof(rx_key));
	memcpy(p.tx_key, tx_key, sizeof(tx_key));
	cr_assert_eq(media_session_new(&p, 1, &s), 0);
	cr_assert_eq(s->mb_rx != NULL, srtp && media_srtp_burst(), "the engine chosen");
	return s;
}

static void setup(void)
{
	h_setup();
	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
	h_learn(NET_IFACE_INTERNAL, h_ip(H_APP_ADDR));
	cr_assert_eq(srtp_backend_register(), 0);
	char why[256];
#ifdef MEDIA_PATH_BURST
	if (srtp_mb_init() != 0)
		cr_skip_test("intel-ipsec-mb cannot run on this CPU (no AES-NI or PCLMULQDQ)");
	cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_IPSEC_MB, why, sizeof(why)), 0,
		     "%s", why);
	cr_assert(media_srtp_burst());
#else
	cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_LIBSRTP2, why, sizeof(why)), 0);
	cr_assert(!media_srtp_burst());
#endif
	mw = media_worker_new(0, 0);
	cr_assert(mw != NULL);
	media_worker_attach(mw, &h_ctx);
	for (unsigned i = 0; i < MEDIA_KEY_MAX; i++) {
		rx_key[i] = (uint8_t)(i * 7 + 1);
		tx_key[i] = (uint8_t)(i * 13 + 5);
	}
	sess = NULL;
}

static void teardown(void)
{
	if (sess != NULL) {
		media_worker_unlink(mw, sess);
		media_session_free(sess);
	}
	media_worker_free(mw);
	h_teardown();
}

TestSuite(media_path, .init = setup, .fini = teardown);

static srtp_t peer(enum umedge_srtp_suite suite, const uint8_t *key, bool inbound)
{
	srtp_t ctx;

	cr_assert_eq(srtp_backend_create(&ctx, suite, key,
					 inbound ? ssrc_any_inbound : ssrc_any_outbound),
		     0);
	return ctx;
}

static int rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, const char *payload)
{
	size_t n = strlen(payload);

	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	memset(buf + 4, 0, 4);
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	memcpy(buf + 12, payload, n);
	return (int)(12 + n);
}

static int rtcp_sr(uint8_t *buf, uint32_t ssrc)
{
	memset(buf, 0, 28);
	buf[0] = 0x80;
	buf[1] = 200;
	buf[3] = 6;
	buf[4] = (uint8_t)(ssrc >> 24);
	buf[7] = (uint8_t)ssrc;
	return 28;
}

static struct rte_mbuf *datagram(unsigned iface, const char *src, uint16_t sport,
				 uint16_t dport, const uint8_t *data, int len)
{
	uint8_t l4[1600], pkt[1700];
	uint32_t s = h_ip(src), d = h_ctx.ifaces[iface].addr;
	uint16_t l4len = h_udp(l4, s, d, sport, dport, data, (uint16_t)len);
	uint16_t plen = h_ipv4(pkt, s, d, IPPROTO_UDP, l4, l4len, 0, 9);

	return h_frame(iface, pkt, plen, RTE_ETHER_TYPE_IPV4);
}

/* The one frame sent on iface: its addresses, ports and payload. */
static int sent_one(unsigned iface, uint32_t *dst, uint16_t *sport, uint16_t *dport,
		    uint8_t *payload)
{
	struct rte_mbuf *out[4];
	unsigned n;

	media_worker_flush(mw);
	n = h_sent(iface, out, 4);

	cr_assert_eq(n, 1, "one frame on iface %u, got %u", iface, n);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[0], struct rte_ipv4_hdr *,
							  sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	cr_assert_eq(ip->src_addr, h_ctx.ifaces[iface].addr);
	cr_assert_eq(rte_ipv4_cksum(ip), 0, "IPv4 header checksum");
	cr_assert_eq(rte_ipv4_udptcp_cksum_verify(ip, uh), 0, "UDP checksum");
	*dst = ip->dst_addr;
	*sport = rte_be_to_cpu_16(uh->src_port);
	*dport = rte_be_to_cpu_16(uh->dst_port);
	int len = rte_be_to_cpu_16(uh->dgram_len) - 8;
	memcpy(payload, uh + 1, (size_t)len);
	h_free(out, 1);
	return len;
}

static void nothing_sent(void)
{
	struct rte_mbuf *out[4];

	media_worker_flush(mw);
	for (unsigned i = 0; i < NET_N_IFACES; i++)
		cr_assert_eq(h_sent(i, out, 4), 0, "nothing sent on %u", i);
}

static void both_ways(enum umedge_srtp_suite suite)
{
	uint8_t plain[256], wire[256], got[256];
	uint32_t dst;
	uint16_t sp, dp;
	srtp_t gw_tx = peer(suite, rx_key, false), gw_rx = peer(suite, tx_key, true);

	sess = make(true, suite, false);
	media_worker_install(mw, sess);
	for (uint16_t seq = 100; seq < 105; seq++) {
		int plen = rtp(plain, seq, 0xabc, "gateway to application");
		int len = plen;
		memcpy(wire, plain, (size_t)plen);
		cr_assert_eq(srtp_protect(gw_tx, wire, &len), srtp_err_status_ok);
		eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire,
					   len));
		int n = sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got);
		cr_assert_eq(n, plen);
		cr_assert_eq(memcmp(got, plain, (size_t)plen), 0, "exact RTP");
		cr_assert_eq(dst, h_ip(H_APP_ADDR));
		cr_assert_eq(sp, INT_LOCAL);
		cr_assert_eq(dp, APP_PORT);

		plen = rtp(plain, seq, 0xdef, "application to gateway");
		eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, H_APP_ADDR, APP_PORT, INT_LOCAL, plain,
					   plen));
		n = sent_one(NET_IFACE_EXTERNAL, &dst, &sp, &dp, got);
		cr_assert_gt(n, plen, "a tag was added");
		cr_assert_eq(dst, h_ip(H_GW_ADDR));
		cr_assert_eq(sp, EXT_LOCAL);
		cr_assert_eq(dp, GW_PORT);
		cr_assert_eq(srtp_unprotect(gw_rx, got, &n), srtp_err_status_ok);
		cr_assert_eq(n, plen);
		cr_assert_eq(memcmp(got, plain, (size_t)plen), 0, "the gateway reads the RTP");
	}
	/* RTCP on port + 1, both ways */
	int plen = rtcp_sr(plain, 0xabc), len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect_rtcp(gw_tx, wire, &len), srtp_err_status_ok);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT + 1, EXT_LOCAL + 1, wire,
				   len));
	int n = sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got);
	cr_assert_eq(n, plen);
	cr_assert_eq(memcmp(got, plain, (size_t)plen), 0);
	cr_assert_eq(sp, INT_LOCAL + 1);
	cr_assert_eq(dp, APP_PORT + 1);
	plen = rtcp_sr(plain, 0xdef);
	eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, H_APP_ADDR, APP_PORT + 1, INT_LOCAL + 1,
				   plain, plen));
	n = sent_one(NET_IFACE_EXTERNAL, &dst, &sp, &dp, got);
	cr_assert_eq(sp, EXT_LOCAL + 1);
	cr_assert_eq(dp, GW_PORT + 1);
	cr_assert_eq(srtp_unprotect_rtcp(gw_rx, got, &n), srtp_err_status_ok);
	cr_assert_eq(memcmp(got, plain, (size_t)plen), 0);
	cr_assert_eq(sess->st[MEDIA_DIR_IN].packets, 6);
	cr_assert_eq(sess->st[MEDIA_DIR_OUT].packets, 6);
	cr_assert_eq(sess->st[MEDIA_DIR_IN].rtcp_packets, 1);
	cr_assert_eq(h_drops(), 0);
	srtp_dealloc(gw_tx);
	srtp_dealloc(gw_rx);
}

Test(media_path, aes_cm_128_sha1_80_both_ways) { both_ways(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80); }
Test(media_path, aes_cm_128_sha1_32_both_ways) { both_ways(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32); }
Test(media_path, aes_256_cm_sha1_80_both_ways) { both_ways(UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80); }
Test(media_path, aead_aes_128_gcm_both_ways) { both_ways(UMEDGE_SRTP_AEAD_AES_128_GCM); }
Test(media_path, aead_aes_256_gcm_both_ways) { both_ways(UMEDGE_SRTP_AEAD_AES_256_GCM); }

Test(media_path, tamper_replay_and_latching)
{
	enum umedge_srtp_suite suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
	uint8_t plain[256], wire[256], got[256];
	uint32_t dst;
	uint16_t sp, dp;
	srtp_t gw_tx = peer(suite, rx_key, false), forger = peer(suite, tx_key, false);
	unsigned base = h_in_use();

	sess = make(true, suite, false);
	media_worker_install(mw, sess);
	int plen = rtp(plain, 1, 0x77, "first"), len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect(gw_tx, wire, &len), srtp_err_status_ok);
	/* tampered: one payload bit */
	wire[14] ^= 1;
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire, len));
	nothing_sent();
	cr_assert_eq(sess->st[MEDIA_DIR_IN].auth_fail, 1);
	cr_assert_eq(mw->cnt.auth_fail, 1);
	wire[14] ^= 1;
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire, len));
	cr_assert_eq(sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got), plen);
	/* replayed */
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire, len));
	nothing_sent();
	cr_assert_eq(sess->st[MEDIA_DIR_IN].replay, 1);
	cr_assert_eq(mw->cnt.replay, 1);
	/* a forged packet from a new source (wrong key) is not learnt */
	plen = rtp(plain, 2, 0x77, "forged");
	len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect(forger, wire, &len), srtp_err_status_ok);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, 4100, EXT_LOCAL, wire, len));
	nothing_sent();
	cr_assert_eq(sess->gw_port[0], GW_PORT);
	/* an authentic one from there is */
	plen = rtp(plain, 3, 0x77, "moved");
	len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect(gw_tx, wire, &len), srtp_err_status_ok);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, 4100, EXT_LOCAL, wire, len));
	cr_assert_eq(sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got), plen);
	cr_assert_eq(sess->gw_port[0], 4100);
	/* and the application's media goes there */
	plen = rtp(plain, 1, 0x99, "reply");
	eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, H_APP_ADDR, APP_PORT, INT_LOCAL, plain,
				   plen));
	sent_one(NET_IFACE_EXTERNAL, &dst, &sp, &dp, got);
	cr_assert_eq(dp, 4100);
	/* media from a stranger on the internal side is refused */
	eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, "198.51.100.99", APP_PORT, INT_LOCAL,
				   plain, plen));
	nothing_sent();
	cr_assert_eq(mw->cnt.foreign, 1);
	/* a media port without a session */
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL + 2, wire,
				   len));
	cr_assert_eq(mw->cnt.no_session, 1);
	cr_assert_eq(h_in_use(), base, "no mbuf leaked");
	srtp_dealloc(gw_tx);
	srtp_dealloc(forger);
}

/* Many datagrams of both directions before the worker's loop ends: on the
 * burst engine one burst, the forged and replayed ones dropped alone, the
 * rest sent in arrival order. */
Test(media_path, a_loop_of_datagrams)
{
	enum umedge_srtp_suite suite = UMEDGE_SRTP_AEAD_AES_128_GCM;
	uint8_t plain[256], wire[40][256];
	int wlen[40];
	srtp_t gw_tx = peer(suite, rx_key, false), gw_rx = peer(suite, tx_key, true);
	struct rte_mbuf *out[64];
	unsigned n, base = h_in_use();

	sess = make(true, suite, false);
	media_worker_install(mw, sess);
	for (int i = 0; i < 40; i++) {
		int plen = rtp(plain, (uint16_t)(500 + i), 0x55, "in a burst");

		wlen[i] = plen;
		memcpy(wire[i], plain, (size_t)plen);
		cr_assert_eq(srtp_protect(gw_tx, wire[i], &wlen[i]), srtp_err_status_ok);
	}
	wire[7][20] ^= 1;			/* forged */
	for (int i = 0; i < 40; i++) {
		eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL,
					   wire[i], wlen[i]));
		if (i == 20)			/* a replay */
			eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL,
						   wire[3], wlen[3]));
		int plen = rtp(plain, (uint16_t)(900 + i), 0x66, "app side");
		eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, H_APP_ADDR, APP_PORT, INT_LOCAL,
					   plain, plen));
	}
	media_worker_flush(mw);
	n = h_sent(NET_IFACE_INTERNAL, out, 64);
	cr_assert_eq(n, 39);
	for (unsigned i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
			out[i], struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		const uint8_t *p = (const uint8_t *)(ip + 1) + 8;
		unsigned want = 500 + i + (i >= 7);

		cr_assert_eq((unsigned)(p[2] << 8 | p[3]), want, "in order");
	}
	h_free(out, n);
	n = h_sent(NET_IFACE_EXTERNAL, out, 64);
	cr_assert_eq(n, 40);
	for (unsigned i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
			out[i], struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
		int len = rte_be_to_cpu_16(uh->dgram_len) - 8;

		cr_assert_eq(srtp_unprotect(gw_rx, (uint8_t *)(uh + 1), &len), srtp_err_status_ok);
		cr_assert_eq(((uint8_t *)(uh + 1))[3], (uint8_t)(900 + i));
	}
	h_free(out, n);
	cr_assert_eq(sess->st[MEDIA_DIR_IN].auth_fail, 1);
	cr_assert_eq(sess->st[MEDIA_DIR_IN].replay, 1);
	cr_assert_eq(sess->st[MEDIA_DIR_IN].packets, 39);
	cr_assert_eq(sess->st[MEDIA_DIR_OUT].packets, 40);
#ifdef MEDIA_PATH_BURST
	cr_assert_eq(mw->cnt.burst_packets, 81);
	cr_assert_eq(mw->cnt.bursts, 2, "64 then 17");
#endif
	cr_assert_eq(h_in_use(), base, "no mbuf leaked");
	srtp_dealloc(gw_tx);
	srtp_dealloc(gw_rx);
}

/* A worker stopped between a datagram's arrival and the end of its loop:
 * what waited for the burst is freed with the worker, not leaked. */
Test(media_path, freed_with_datagrams_waiting)
{
	enum umedge_srtp_suite suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
	uint8_t plain[64], wire[128];
	srtp_t gw_tx = peer(suite, rx_key, false);
	unsigned base = h_in_use();

	sess = make(true, suite, false);
	media_worker_install(mw, sess);
	int plen = rtp(plain, 7, 0x42, "waiting"), len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect(gw_tx, wire, &len), srtp_err_status_ok);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire, len));
	cr_assert_eq(mw->n_pend, media_srtp_burst() ? 1u : 0u);
	media_worker_free(mw);
	media_session_free(sess);
	sess = NULL;
	mw = media_worker_new(0, 0);	/* for teardown; h_ctx sees no more input */
	cr_assert(mw != NULL);
	struct rte_mbuf *out[4];
	h_free(out, h_sent(NET_IFACE_INTERNAL, out, 4));
	cr_assert_eq(h_in_use(), base, "nothing leaked");
	srtp_dealloc(gw_tx);
}

Test(media_path, plain_rtp_latches_on_the_first_packet)
{
	uint8_t plain[64], got[64];
	uint32_t dst;
	uint16_t sp, dp;

	sess = make(false, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, false);
	media_worker_install(mw, sess);
	int plen = rtp(plain, 1, 5, "plain");
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, 4200, EXT_LOCAL, plain, plen));
	cr_assert_eq(sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got), plen);
	cr_assert_eq(memcmp(got, plain, (size_t)plen), 0);
	cr_assert_eq(sess->gw_port[0], 4200);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, 4300, EXT_LOCAL, plain, plen));
	nothing_sent();
	cr_assert_eq(mw->cnt.foreign, 1);
	eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, H_APP_ADDR, APP_PORT, INT_LOCAL, plain, plen));
	cr_assert_eq(sent_one(NET_IFACE_EXTERNAL, &dst, &sp, &dp, got), plen);
	cr_assert_eq(dp, 4200);
	cr_assert_eq(memcmp(got, plain, (size_t)plen), 0, "unchanged");
}

Test(media_path, rtcp_mux_on_one_port)
{
	enum umedge_srtp_suite suite = UMEDGE_SRTP_AEAD_AES_128_GCM;
	uint8_t plain[64], wire[128], got[128];
	uint32_t dst;
	uint16_t sp, dp;
	srtp_t gw_tx = peer(suite, rx_key, false);

	sess = make(true, suite, true);
	media_worker_install(mw, sess);
	int plen = rtcp_sr(plain, 3), len = plen;
	memcpy(wire, plain, (size_t)plen);
	cr_assert_eq(srtp_protect_rtcp(gw_tx, wire, &len), srtp_err_status_ok);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL, wire, len));
	cr_assert_eq(sent_one(NET_IFACE_INTERNAL, &dst, &sp, &dp, got), plen);
	cr_assert_eq(memcmp(got, plain, (size_t)plen), 0);
	cr_assert_eq(dp, APP_PORT, "rtcp-mux: the RTP port");
	/* port + 1 is not in use with rtcp-mux */
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, H_GW_ADDR, GW_PORT, EXT_LOCAL + 1, wire, len));
	nothing_sent();
	cr_assert_eq(mw->cnt.no_session, 1);
	srtp_dealloc(gw_tx);
}

/* dataplane.srtp_engine: what each choice gives, in this build, on this CPU
 * (the tests need AES-NI and PCLMULQDQ where intel-ipsec-mb is built). */
Test(media_path, engine_choice)
{
	char why[256];
	int rc = media_srtp_engine_init(CONFIG_SRTP_ENGINE_IPSEC_MB, why, sizeof(why));

#ifdef UMEDGE_HAVE_SRTP_MB
	if (srtp_mb_init() != 0) {	/* a CPU it cannot run on */
		cr_assert_eq(rc, -ENOTSUP);
		cr_assert(strstr(why, "cannot run on this CPU") != NULL, "%s", why);
		cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_AUTO, why, sizeof(why)), 0);
		cr_assert(!media_srtp_burst(), "auto falls back");
	} else {
		cr_assert_eq(rc, 0, "%s", why);
		cr_assert(media_srtp_burst());
		cr_assert(strstr(why, "SRTP on intel-ipsec-mb") != NULL, "%s", why);
		cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_AUTO, why, sizeof(why)), 0);
		cr_assert(media_srtp_burst());
	}
#else
	cr_assert_eq(rc, -ENOTSUP);
	cr_assert(!media_srtp_burst());
	cr_assert(strstr(why, "this build has no intel-ipsec-mb") != NULL, "%s", why);
	cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_AUTO, why, sizeof(why)), 0);
	cr_assert(!media_srtp_burst(), "auto falls back");
#endif
	cr_assert_eq(media_srtp_engine_init(CONFIG_SRTP_ENGINE_LIBSRTP2, why, sizeof(why)), 0);
	cr_assert(!media_srtp_burst());
	cr_assert_str_eq(why, "SRTP on libsrtp2 with umedge's OpenSSL primitives "
			      "(dataplane.srtp_engine: libsrtp2)");
}

Test(media_path, commands_through_the_ring)
{
	void *ack;

	sess = make(false, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, false);
	cr_assert_eq(rte_ring_enqueue(mw->cmd, sess), 0);
	media_worker_poll(mw);
	cr_assert_eq(mw->slot[NET_IFACE_EXTERNAL][EXT_LOCAL], sess);
	cr_assert_eq(mw->slot[NET_IFACE_EXTERNAL][EXT_LOCAL + 1], sess);
	cr_assert_eq(mw->slot[NET_IFACE_INTERNAL][INT_LOCAL + 1], sess);
	cr_assert_eq(rte_ring_dequeue(mw->done, &ack), 0);
	cr_assert_eq(ack, sess);
	cr_assert_eq(rte_ring_enqueue(mw->cmd, (void *)((uintptr_t)sess | 1)), 0);
	media_worker_poll(mw);
	cr_assert_null(mw->slot[NET_IFACE_EXTERNAL][EXT_LOCAL]);
	cr_assert_null(mw->slot[NET_IFACE_INTERNAL][INT_LOCAL]);
	cr_assert_eq(rte_ring_dequeue(mw->done, &ack), 0);
	cr_assert_eq((uintptr_t)ack, (uintptr_t)sess | 1);
	cr_assert_eq(mw->n_sessions, 0);
	media_session_free(sess);
	sess = NULL;
}
