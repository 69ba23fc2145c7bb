/* Helpers shared by the SRTP crypto tests: deterministic packets and keys,
 * libsrtp2 sessions per suite, and running a scenario in a child process
 * that keeps the stock (unregistered) libsrtp2 primitives. */
#ifndef TEST_SRTP_UTIL_H
#define TEST_SRTP_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "srtp_backend.h"

/* The stock types: exported by libsrtp2.so (its ABI), declared only in
 * its private headers. Used to compare ours with them type by type. */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_icm_256;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_256;
extern const srtp_auth_type_t srtp_hmac;

#define TSRTP_PKT_MAX 1600
#define TSRTP_MAX_PACKETS 48

struct tsrtp_run {
	enum umedge_srtp_suite suite;
	uint32_t ssrc;
	uint16_t first_seq;
	uint32_t roc;   /* ROC the sender starts with */
	int n_rtp;      /* <= TSRTP_MAX_PACKETS */
	int n_rtcp;     /* <= TSRTP_MAX_PACKETS */
	int xtn_enc;    /* encrypt header extension element id 1 (RFC 6904) */
};

struct tsrtp_rec {
	int status; /* srtp_err_status_t */
	int len;
	uint8_t buf[TSRTP_PKT_MAX];
};

/* Everything one side computes for a run: what the sender produced and
 * what a fresh receiver made of it. */
struct tsrtp_result {
	struct tsrtp_rec rtp[TSRTP_MAX_PACKETS];
	struct tsrtp_rec rtcp[TSRTP_MAX_PACKETS];
	struct tsrtp_rec rtp_clear[TSRTP_MAX_PACKETS];
	struct tsrtp_rec rtcp_clear[TSRTP_MAX_PACKETS];
	uint32_t recv_roc;
};

/* Master key and salt for a suite, deterministic per (suite, salt_seed). */
void tsrtp_master_key(enum umedge_srtp_suite suite, int seed, uint8_t key[SRTP_MAX_KEY_LEN]);

/* The i-th RTP packet of a run (sizes, CSRCs and header extensions vary
 * with i). Returns its length. */
int tsrtp_rtp_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, int i);
int tsrtp_rtcp_packet(uint8_t *buf, uint32_t ssrc, int i);

/* srtp_init() once per process, unless the backend registration did. */
int tsrtp_init(void);

/* A session with one specific-SSRC stream, or -1 on error. */
int tsrtp_session(srtp_t *s, const struct tsrtp_run *run, const uint8_t *key);

/* Protect every packet of the run, then unprotect them with a fresh
 * receiver; fills res. 0, or -1 if a session could not be set up. */
int tsrtp_run_scenario(const struct tsrtp_run *run, struct tsrtp_result *res);

/* tsrtp_run_scenario in a forked child that never registers the backend,
 * result passed back over a pipe. Call before srtp_backend_register(). */
int tsrtp_run_stock(const struct tsrtp_run *run, struct tsrtp_result *res);

#endif
