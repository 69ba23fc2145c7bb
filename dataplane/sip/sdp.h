/*
 * sdp.h: SDP (RFC 4566, RFC 8866) and SDES (RFC 4568), zero-copy.
 *
 * sdp_parse() indexes a session description in place: every line with its
 * offsets (so a writer can keep, drop or replace it), the session fields
 * the engine reads (o=, c=) and each m= section with the attributes media
 * anchoring needs (rtpmap, fmtp, ptime, maxptime, direction, rtcp,
 * rtcp-mux, crypto). Unknown lines and attributes stay indexed as they
 * are, to be passed on untouched. sdp_crypto_parse() reads one a=crypto
 * value and decodes its keys with OpenSSL's base64.
 *
 * sdp_write() writes a parsed SDP again for the other side of the engine;
 * sdp_offer() and sdp_answer() take an offer and its answer through the
 * engine per security mode, re-offers included.
 */
#ifndef UMEDGE_SDP_H
#define UMEDGE_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umedge/modes.h"

#include "sip_msg.h"

#define SDP_MAX_LINES 256
#define SDP_MAX_MEDIA 16
#define SDP_MAX_CRYPTO 8	  /* a=crypto lines per m= section */
#define SDP_MAX_FORMATS 32	  /* payload types per m= line */

#define SDP_ERRORS(X)                                                        \
	X(OK, "ok", "well formed")                                          \
	X(EMPTY, "sdp_empty", "empty SDP")                                  \
	X(LINE, "sdp_bad_line", "a line is not type=value")                 \
	X(ORDER, "sdp_order", "v=, o=, s= missing or out of order")         \
	X(VERSION, "sdp_version", "v= is not 0")                            \
	X(ORIGIN, "sdp_origin", "malformed o= line")                        \
	X(CONNECTION, "sdp_connection", "malformed c= line")                \
	X(MEDIA, "sdp_media", "malformed m= line")                          \
	X(NO_CONNECTION, "sdp_no_connection", "a stream has no c= address") \
	X(TOO_MANY_LINES, "sdp_too_many_lines", "too many lines")           \
	X(TOO_MANY_MEDIA, "sdp_too_many_media", "too many m= lines")        \
	X(TOO_MANY_CRYPTO, "sdp_too_many_crypto", "too many a=crypto lines") \
	X(ATTRIBUTE, "sdp_attribute", "malformed attribute the engine reads")

enum sdp_error {
#define SDP_ERROR_ENUM(id, name, text) SDP_E_##id,
	SDP_ERRORS(SDP_ERROR_ENUM)
#undef SDP_ERROR_ENUM
	SDP_E_COUNT
};

const char *sdp_error_name(enum sdp_error e);  /* counter name */
const char *sdp_error_text(enum sdp_error e);  /* for a Warning */

/* One line as it came: [off, end) covers "x=value" and its line end. */
struct sdp_line {
	char type;		  /* 'v', 'o', 'm', 'a', ... */
	uint8_t media;		  /* 0: session level; i + 1: in media[i] */
	struct sip_str value;	  /* after "x=" */
	uint32_t off, end;
};

enum sdp_direction {
	SDP_SENDRECV = 0,	  /* the default */
	SDP_SENDONLY,
	SDP_RECVONLY,
	SDP_INACTIVE,
};

struct sdp_connection {
	bool present;
	struct sip_str addr;	  /* as written */
	uint32_t ipv4;		  /* host order when IN IP4 dotted quad, else 0 */
	bool ip6;
	bool hold;		  /* 0.0.0.0 (RFC 2543 hold) */
};

struct sdp_media {
	struct sip_str type;	  /* "audio" */
	uint16_t port;
	uint16_t n_ports;	  /* 1 unless "port/n" */
	struct sip_str proto;	  /* "RTP/AVP", "RTP/SAVP", ... */
	bool savp;		  /* RTP/SAVP (or SAVPF) */
	uint8_t fmts[SDP_MAX_FORMATS]; /* RTP payload types */
	uint8_t n_fmts;
	uint16_t m_line;	  /* index of its m= line in lines[] */
	uint16_t first, last;	  /* its lines: (m_line, last] */
	struct sdp_connection c;  /* its own, else the session's */
	enum sdp_direction dir;
	bool rtcp_mux;
	uint16_t rtcp_port;	  /* a=rtcp (RFC 3605), 0: none */
	uint16_t ptime, maxptime; /* ms, 0: none */
	int16_t telephone_event;  /* payload type of telephone-event, -1: none */
	bool telephone_event_8k;  /* ... and it is the 8000 Hz one */
	uint16_t crypto[SDP_MAX_CRYPTO]; /* lines of a=crypto */
	uint8_t n_crypto;
};

struct sdp {
	const char *buf;
	uint32_t len;
	struct sdp_line lines[SDP_MAX_LINES];
	uint16_t n_lines;
	/* o= */
	struct sip_str o_user, o_sess_id, o_sess_version, o_addr;
	struct sdp_connection c;  /* session level */
	enum sdp_direction dir;	  /* session-level default */
	struct sdp_media media[SDP_MAX_MEDIA];
	uint8_t n_media;
};

/* Index buf[0..len): lines end with CRLF or LF (RFC 8866 allows both). */
enum sdp_error sdp_parse(struct sdp *s, const char *buf, size_t len);

/* The value of an a= line after "name:" (absent for a flag attribute). */
struct sip_str sdp_attr_value(const struct sdp_line *l);

/* ---- SDES ---- */

#define SDP_CRYPTO_MAX_KEYS 4
#define SDP_KEY_SALT_MAX 46	  /* AES_256_CM: 32 + 14 */

enum sdp_crypto_status {
	SDP_CRYPTO_USABLE = 0,
	SDP_CRYPTO_MALFORMED,	  /* not the grammar of RFC 4568 */
	SDP_CRYPTO_UNKNOWN_SUITE, /* a suite the media engine does not have */
	SDP_CRYPTO_BAD_KEY,	  /* bad base64 or the wrong length */
	SDP_CRYPTO_SESSION_PARAM, /* a session parameter we do not honour */
	SDP_CRYPTO_MKI,		  /* an MKI: the media engine has none */
	SDP_CRYPTO_MANY_KEYS,	  /* more than one key */
	SDP_CRYPTO_LIFETIME,	  /* a lifetime beyond 2^48 packets */
};

struct sdp_crypto_key {
	uint8_t key_salt[SDP_KEY_SALT_MAX]; /* decoded; wiped by sdp_crypto_wipe */
	uint8_t len;
	uint64_t lifetime;	  /* packets, 0: none given */
	uint32_t mki, mki_len;	  /* mki_len 0: none */
};

struct sdp_crypto {
	uint32_t tag;
	int suite;		  /* enum umedge_srtp_suite, -1: unknown */
	struct sip_str suite_str;
	struct sdp_crypto_key keys[SDP_CRYPTO_MAX_KEYS];
	uint8_t n_keys;
	struct sip_str session_params;
	enum sdp_crypto_status status;
};

/* Read one a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:..."). The
 * status says whether this line is usable, and if not, why: an unusable
 * line makes that line unusable, not the offer. */
void sdp_crypto_parse(struct sdp_crypto *c, struct sip_str value);
const char *sdp_crypto_status_text(enum sdp_crypto_status st);
/* The key and salt length each suite needs, in bytes. */
unsigned sdp_suite_key_salt_len(enum umedge_srtp_suite suite);
/* Wipe the decoded keys (OPENSSL_cleanse). */
void sdp_crypto_wipe(struct sdp_crypto *c);

/* A fresh key and salt for suite from OpenSSL's CSPRNG (RAND_bytes) into
 * key_salt (sdp_suite_key_salt_len bytes): that length, or -1. */
int sdp_crypto_new_key(enum umedge_srtp_suite suite, uint8_t *key_salt);
/* An a=crypto value "TAG SUITE inline:BASE64" (OpenSSL's base64): its
 * length, or -1. out holds a key: the caller wipes it after use. */
int sdp_crypto_format(char *out, size_t cap, unsigned tag, enum umedge_srtp_suite suite,
		      const uint8_t *key_salt);

/* ---- writing for the other side ---- */

struct sdp_rewrite_media {
	uint16_t port;		  /* the engine's port on that side; 0: stream refused */
	bool savp;		  /* RTP/SAVP towards that side, else RTP/AVP */
	const char *crypto[SDP_MAX_CRYPTO]; /* a=crypto values to write, in order */
	unsigned n_crypto;
};

struct sdp_rewrite {
	uint32_t addr;		  /* the engine's address on that side, host order */
	uint64_t o_version;	  /* the caller increments it on every change */
	struct sdp_rewrite_media media[SDP_MAX_MEDIA];
};

/* s written for the other side (see sdp_write.c): the length, or -1 when
 * out is too small. */
long sdp_write(const struct sdp *s, const struct sdp_rewrite *rw, char *out, size_t cap);

/* ---- offers per security mode (RFC 3264) ---- */

enum sdp_from {
	SDP_FROM_GATEWAY = 0,	  /* the external side */
	SDP_FROM_APPLICATION = 1, /* the internal side */
};

enum { SDP_TO_GATEWAY = 0, SDP_TO_APPLICATION = 1 }; /* index of addr[], port[] */

/* Why an offer is refused: worded for a Warning and an event. */
enum sdp_refusal {
	SDP_R_OK = 0,
	SDP_R_RTP_TO_SECURED,
	SDP_R_SRTP_TO_UNSECURED,
	SDP_R_NO_USABLE_CRYPTO,
	SDP_R_NO_COMMON_SUITE,
	SDP_R_MALFORMED,
	SDP_R_NO_AUDIO,
	SDP_R_SRTP_FROM_APPLICATION,
};

const char *sdp_refusal_text(enum sdp_refusal r);

struct sdp_oa {
	enum umedge_security mode;	  /* the call's dial plan */
	const enum umedge_srtp_suite *suites; /* its srtp_suites, in order */
	unsigned n_suites;
	enum sdp_from from;
	uint32_t addr[2];		  /* the engine's address towards each side */
	uint16_t port[2];		  /* the RTP ports allocated on each side */
	uint64_t o_version;		  /* of the SDP written */
	/* a re-offer (re-INVITE, UPDATE) of a call: the stream as the last
	 * exchange left it; NULL for the first offer */
	const struct sdp_stream *prev;
	bool rekey;			  /* the engine draws new keys of its own */
};

/* What the media engine needs of the anchored stream. Keys are wiped by
 * sdp_stream_wipe(). */
struct sdp_stream {
	unsigned stream;		  /* index of the anchored m= section */
	uint32_t remote_addr;		  /* the offerer's media address (host order) */
	uint16_t remote_port;
	enum sdp_direction dir;
	bool rtcp_mux;
	int16_t telephone_event;
	uint8_t pts[SDP_MAX_FORMATS];
	uint8_t n_pts;
	bool srtp;			  /* towards the gateway */
	enum umedge_srtp_suite suite;
	uint32_t tag;			  /* of the gateway's chosen a=crypto line */
	uint8_t key_gateway[SDP_KEY_SALT_MAX]; /* the gateway's key (it sends with it) */
	uint8_t key_engine[SDP_KEY_SALT_MAX];  /* ours towards the gateway, fresh */
	uint8_t key_len;
	/* an offer to a gateway: the key offered with each suite of the plan */
	uint8_t key_offered[UMEDGE_SRTP_SUITE_COUNT][SDP_KEY_SALT_MAX];
	/* the answer: the answerer's media address and port */
	uint32_t answer_addr;
	uint16_t answer_port;
	/* against oa->prev: which directions change keys (both on a first
	 * offer); the media engine re-keys only those */
	bool rekeyed_gateway, rekeyed_engine;
};

/* An offer from oa->from: the offer for the other side into out
 * (*out_len) and the stream's parameters, or a refusal. secured from the
 * gateway: RTP/SAVP with an a=crypto line of a suite in the dial plan
 * (the first in the dial plan's order wins; the engine's own key is drawn
 * for the answer), RTP/AVP to the application. secured from the
 * application: RTP/AVP in, the dial plan's suites in order with fresh keys
 * to the gateway. sip_secured and unsecured: RTP/AVP both ways.
 *
 * A re-offer (oa->prev) keeps what it can: the suite in use when the
 * offer still carries it, the engine's key unless oa->rekey or the suite
 * changes; a new key from the gateway re-keys that direction only; the
 * application's re-offer goes to the gateway with the suite in use and the
 * engine's key. A new remote address or port, and hold and resume
 * (a=sendonly, a=inactive, c=0.0.0.0), are the new stream's values. */
/* st is cleared first: it must not be oa->prev. */
enum sdp_refusal sdp_offer(const struct sdp_oa *oa, const struct sdp *offer, char *out,
			   size_t cap, long *out_len, struct sdp_stream *st);
/* The answer to an offer that sdp_offer() let through (st from it, oa the
 * same): the answer for the offerer into out and st completed, or a
 * refusal. To a secured gateway's offer the engine answers the suite it
 * chose, with the tag of the gateway's line and its own key; a secured
 * gateway answering the engine's offer must pick one suite the engine
 * offered, with one usable key. */
enum sdp_refusal sdp_answer(const struct sdp_oa *oa, const struct sdp *answer, char *out,
			    size_t cap, long *out_len, struct sdp_stream *st);
void sdp_stream_wipe(struct sdp_stream *st);

#endif
