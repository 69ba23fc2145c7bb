/*
 * sip_proxy_int.h: the proxy's insides, shared by its files: the request
 * and response paths (sip_proxy.c) and the calls with their media
 * (sip_proxy_calls.c). Not for other modules.
 */
#ifndef UMEDGE_SIP_PROXY_INT_H
#define UMEDGE_SIP_PROXY_INT_H

#include "sip_call.h"
#include "sip_msg_int.h"
#include "sip_proxy.h"

#define EVENT_SLOTS 64
#define EVENT_GAP_MS 1000	  /* one event per second per event and gateway */
#define CALLS_SWEEP_MS 60000	  /* how often idle calls are looked for */
#define MEDIA_CHECK_MS 1000	  /* how often the calls' media is looked at */

/* A forwarded request: the server transaction it came in, the client one
 * it went out in. Freed when both have ended. */
struct fwd {
	struct fwd *next_free;
	struct sip_txn *st, *ct;
	bool invite, answered;
	struct sip_call *call;	  /* the call of an INVITE, checked by id */
	uint32_t call_id;
};

struct sip_proxy {
	struct sip_proxy_config cfg;
	struct sip_limits lim;
	struct sip_proxy_io io;
	struct sip_txn_table *tt;
	struct sip_call_table calls;
	uint64_t calls_swept_ms, media_checked_ms;
	uint32_t media_cursor;	  /* where the next media check starts */
	struct fwd *fwds, *free_fwd;
	struct sip_proxy_stats stats;
	const struct dp_snapshot *snap; /* during one input only */
	uint64_t now, seq;
	struct {
		uint64_t key, last_ms;
	} ev[EVENT_SLOTS];
	struct sip_msg m;	  /* the message in hand */
	struct sip_edits ed;
	size_t out_cap;
	char *out;
	char *sdp_out;		  /* the SDP written for the other side */
};

extern const struct sip_hdr_out px_retry_after[1];

/* sip_proxy.c */
int px_send(struct sip_proxy *px, const struct sip_peer *to, const char *buf, size_t len);
void px_event(struct sip_proxy *px, enum umedge_event_id id, const char *gateway,
	      const char *detail);
void px_reply(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
	      unsigned status, const char *reason, const struct sip_hdr_out *extra,
	      unsigned n_extra);
void px_answer_upstream(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
			unsigned status, const char *reason, const struct sip_hdr_out *extra,
			unsigned n_extra);
void px_send_in_dialog(struct sip_proxy *px, struct sip_txn *ct, const struct sip_msg *rsp,
		       const char *method);
bool px_has_sdp(const struct sip_msg *m);

/* sip_proxy_calls.c */
struct sip_call *px_call_of(struct sip_proxy *px, const struct sip_msg *m);
struct sip_call *px_fwd_call(const struct fwd *f);
/* The call ends: counted (answered calls by reason, the others as
 * failures by status), CallEnded raised for an answered call, the media
 * gone. */
void px_call_end(struct sip_proxy *px, struct sip_call *c, const char *reason, unsigned status);
bool px_response_media(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
		       const struct sip_msg *rsp);
void px_call_progress(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
		      const struct sip_msg *rsp);
/* The calls' media idle past the timeout ends them: a slice of the table
 * for elapsed_ms, so that the whole of it is looked at once per
 * MEDIA_CHECK_MS and never in one tick. */
void px_calls_check_media(struct sip_proxy *px, uint64_t elapsed_ms);
/* The answer to a late offer in an ACK from side `from` (edits in
 * px->ed). false: the ACK goes on without it (no late offer waits: the
 * SDP is dropped, counted; refused: the call ends both ways). */
bool px_ack_answer(struct sip_proxy *px, const struct sip_msg *m, uint8_t from);
/* End an answered call from the engine: BYE both ways. 0, -ENOENT, -EBUSY. */
int px_call_drop(struct sip_proxy *px, struct sip_call *c, const char *reason);
/* A request from `side` in call c went on: its CSeq is remembered. */
void px_call_request_seen(struct sip_call *c, uint8_t side, const struct sip_msg *m);
bool px_media_offer(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
		    struct sip_call *c, uint8_t from);
struct sip_call *px_call_begin(struct sip_proxy *px, struct sip_txn *st,
			       const struct sip_msg *m, const struct sip_rx *rx,
			       const struct sip_peer *to, const struct sip_policy_result *pr);

#endif
