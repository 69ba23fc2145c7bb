/* The connectivity probe's state, shared by its OPTIONS half (sip_probe.c)
 * and its test call (sip_phone.c). Worker 0 owns it from ARMED to DONE;
 * before ARMED and after DONE only the main lcore touches it. Everything
 * the worker holds for a call (media ports, the media hook, libsrtp2
 * contexts, the connection) is given back before DONE. */
#ifndef UMEDGE_DP_SIP_PROBE_INT_H
#define UMEDGE_DP_SIP_PROBE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "media/rtp_phone.h"
#include "sip/sdp.h"
#include "sip/sip_msg.h"
#include "tls/tls.h"
#include "worker_sip_int.h"

#define PROBE_MSG_MAX 2048

enum { PROBE_IDLE, PROBE_ARMED, PROBE_RUNNING, PROBE_DONE };

enum phone_state {
	PHONE_OFF = 0,		/* an OPTIONS probe */
	PHONE_INVITING,		/* INVITE sent, no final answer */
	PHONE_CANCELLING,	/* not answered in time: CANCEL sent */
	PHONE_TALKING,		/* answered, ACKed, the tone goes out */
	PHONE_HANGING_UP,	/* BYE sent */
};

#define PHONE_NUMBER_MAX 64
#define PHONE_SECONDS_MAX 60

/* The test call (sip_phone.c). */
struct sip_phone {
	/* the request: main lcore, before ARMED */
	char number[PHONE_NUMBER_MAX];
	uint32_t seconds;
	bool srtp;
	enum umedge_srtp_suite suites[UMEDGE_SRTP_SUITE_COUNT]; /* offered, in order */
	unsigned n_suites;
	uint64_t ntp_at_zero;		/* NTP time at the worker's microsecond 0 */
	/* the worker's, while RUNNING */
	uint8_t state;
	uint16_t port;			/* our RTP port (RTCP + 1), 0: none taken */
	uint8_t keys[UMEDGE_SRTP_SUITE_COUNT][SDP_KEY_SALT_MAX]; /* ours, one a suite;
								    wiped at the end */
	enum umedge_srtp_suite suite;	/* the one the answer chose */
	char tag[24];
	char to[256];			/* the answer's To, with its tag */
	char target[256];		/* its Contact: the dialog's remote target */
	char routes[512];		/* Route fields from its Record-Route */
	uint32_t remote_addr;		/* the answer's media, host order */
	uint16_t remote_port, remote_rtcp;
	uint64_t cancel_ms, media_end_ms, bye_ms, end_ms, rtx_ms, rtx_every;
	char req[PROBE_MSG_MAX];	/* the last in-dialog request (ACK, BYE) */
	size_t req_len;
	struct sip_msg inv;		/* the INVITE (pr->msg), for its ACK and CANCEL */
	struct sdp sdp;
	struct rtp_phone rtp;
	/* the result, published with DONE */
	bool answered, ringing, by_gateway, bye_answered, cancelled;
	unsigned status, bye_status;
	char reason[64];
	double ring_ms, answer_ms, talk_s;
	char media_to[32];		/* the answer's media address:port */
	char media_from[32];		/* where the gateway's media came from */
	struct rtp_phone_report rep;
};

struct sip_probe {
	uint32_t state;
	/* the request: main lcore, before ARMED */
	uint64_t id;
	uint8_t transport;
	uint32_t addr;			/* host order */
	uint16_t port;
	char fqdn[CONFIG_FQDN_MAX];
	uint32_t timeout_ms;
	/* the worker's, while RUNNING */
	char msg[PROBE_MSG_MAX];	/* OPTIONS, or the INVITE */
	size_t msg_len;
	char call_id[96];
	uint64_t start_ms, sent_ms, rtx_ms, rtx_every, deadline_ms;
	uint64_t stream;		/* handle of our TCP/TLS stream, 0: none */
	struct sip_msg m;
	/* the result: the worker's, published with DONE */
	bool answered, provisional, tls_up;
	unsigned status;
	char reason[64];
	char server[128];
	double rtt_ms, handshake_ms;
	unsigned sends;
	int err;			/* a negative errno of the transport, 0 */
	struct tls_conn_desc tls;
	char error[256];
	struct sip_phone ph;
};

/* sip_probe.c, for the call */
void probe_ipstr(uint32_t host, char *out, size_t len);
const char *probe_tname(uint8_t t);
/* A message on the probe's transport: UDP to the gateway, or its stream.
 * 0 or a negative errno. */
int probe_send(struct worker_sip *ws, struct sip_probe *pr, const char *msg, size_t len);
/* The probe ends: the call's resources given back, its connection
 * closed, then DONE (pr is the main lcore's again). */
void probe_finish(struct worker_sip *ws, struct sip_probe *pr);
__attribute__((format(printf, 3, 4))) void probe_fail(struct worker_sip *ws,
						      struct sip_probe *pr, const char *fmt, ...);
/* The value of m's first header field called name, cut to len. */
void probe_header_text(const struct sip_msg *m, const char *name, char *out, size_t len);

/* sip_phone.c */
/* Build and send the INVITE: 0, or -1 with the probe failed. */
int sip_phone_start(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms);
void sip_phone_poll(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms);
/* A message of the call (its Call-ID): a response or the gateway's request. */
void sip_phone_input(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *m);
/* Give back what the call holds (idempotent); the report taken first. */
void sip_phone_release(struct worker_sip *ws, struct sip_probe *pr);
/* main lcore: the call's part of the result, and whether it passed */
json_t *sip_phone_json(const struct sip_probe *pr);
bool sip_phone_passed(const struct sip_probe *pr);
const char *sip_phone_verdict(const struct sip_probe *pr, char *out, size_t len);

#endif
