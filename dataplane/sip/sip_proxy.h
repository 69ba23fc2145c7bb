/*
 * sip_proxy.h: the transaction-stateful proxy of one worker (RFC 3261
 * section 16) between the gateways (external side) and the voice
 * application (internal side), free of I/O. It stands on the message
 * layer (sip_msg.h), the transactions (sip_txn.h) and the dial-plan
 * policy (sip_policy.h).
 *
 * In: one message's bytes with where they came from, the snapshot the
 * worker holds, and the time. Out: sends through io.send, events through
 * io.event. Nothing blocks, nothing waits on control.
 *
 * What it does today: 100 Trying for INVITE; its own Via with a branch
 * derived from the request (so a looped request is recognised, 482);
 * Max-Forwards (483 at 0, decremented); 420 for any Proxy-Require;
 * double Record-Route (RFC 5658) on dialog-creating requests, each value
 * carrying the call's security mode, signed; loose routing of in-dialog requests
 * (our own Route values removed); responses routed back through the
 * transactions, or by Via when stray; ACK of a 2xx end to end, of a
 * non-2xx hop by hop; CANCEL answered 200, sent on, and the INVITE
 * answered 487; 408 on timer B, F or C, 503 when the far side cannot be
 * reached or the table is full; the dial-plan policy on every request
 * from the external side; the application calling out through a gateway.
 *
 * Calls and their media (sip_call.h): every INVITE starts a call record;
 * the SDP of INVITE, UPDATE and their answers (1xx for early media, 2xx)
 * goes through the SDP library and the media engine (io.media), so the
 * media of every call is anchored on the engine: 488 with a Warning and
 * VoipSecurityMismatch for an offer the mode refuses, 400 for malformed
 * SDP. BYE, CANCEL and a failed INVITE end the call and its media.
 */
#ifndef UMEDGE_SIP_PROXY_H
#define UMEDGE_SIP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umedge/events.h"

#include "sip_call.h"
#include "sip_msg.h"
#include "sip_policy.h"
#include "sip_txn.h"
#include "snapshot.h"

struct sip_proxy;

struct sip_proxy_config {
	uint32_t addr[2];	  /* our IPv4 per side (enum sip_side), host order */
	uint16_t port;		  /* SIP over UDP and TCP, both sides: 5060 */
	uint16_t tls_port;	  /* SIP over TLS, external side: 5061 */
	unsigned worker;	  /* this worker's index: in branches and tags */
	/* signs the call's mode in our Record-Route (um=N.MAC, a SipHash of
	 * the mode and the Call-ID): random at start, the same on every
	 * worker of the process */
	uint8_t route_key[16];
	struct sip_txn_config txn;
	const struct sip_limits *limits; /* NULL: the defaults */
	unsigned n_workers;	  /* call ids: worker + 1, then every n_workers */
	uint32_t max_calls;	  /* call records (0: max_txns) */
	uint64_t media_timeout_ms; /* an answered call's silent media ends it; 0: off */
};

struct sip_proxy_io {
	/* 0, or a negative errno when the transport cannot send */
	int (*send)(void *arg, const struct sip_peer *to, const char *buf, size_t len);
	/* An event for control's log: id and "key=value ..." detail. The
	 * proxy already rate-limits them per event and gateway. */
	void (*event)(void *arg, enum umedge_event_id id, const char *detail);
	void *arg;
	/* the media engine of this worker (required) */
	const struct sip_media_ops *media;
};

/* Where a message came from. tls_names: the names the TLS layer verified
 * in the peer's certificate (TLS only). */
struct sip_rx {
	struct sip_peer from;
	const char *const *tls_names;
	unsigned n_names;
};

#define SIP_PROXY_COUNTERS(X)                                                  \
	X(requests)		    /* received */                            \
	X(responses)		    /* received */                            \
	X(forwarded_requests)                                                  \
	X(forwarded_responses)                                                 \
	X(stateless_responses)	    /* answered without a transaction */      \
	X(refused_policy)	    /* 403 / 404 of the dial-plan policy */    \
	X(refused_sdp)		    /* 488: media the call's mode refuses */   \
	X(malformed_sdp)	    /* 400: SDP that does not parse */        \
	X(media_unavailable)	    /* no media ports, or the engine failed */ \
	X(loops)		    /* 482 */                                 \
	X(too_many_hops)	    /* 483 */                                 \
	X(bad_extension)	    /* 420 */                                 \
	X(malformed)		    /* refused by the message layer */        \
	X(dropped)		    /* stray or unroutable, not answered */   \
	X(forged_routes)	    /* our Route with a bad mode signature */ \
	X(options_answered)	    /* OPTIONS to the engine itself: 200 */   \
	X(calls_started)	    /* 2xx to INVITE passed on */              \
	X(calls_ended)		    /* by BYE */                              \
	X(calls_failed)		    /* INVITE refused, cancelled, timed out */ \
	X(calls_expired)	    /* idle past SIP_PROXY_CALL_IDLE_MS */      \
	X(calls_media_timeout)	    /* ended by the engine: media silent */   \
	X(calls_dropped)	    /* ended by the operator */               \
	X(calls_table_full)	    /* INVITE answered 503: no call record */  \
	X(events_suppressed)	    /* over the rate limit */

struct sip_proxy_stats {
#define SIP_PROXY_COUNTER_FIELD(name) uint64_t name;
	SIP_PROXY_COUNTERS(SIP_PROXY_COUNTER_FIELD)
#undef SIP_PROXY_COUNTER_FIELD
	uint64_t errors[SIP_E_COUNT]; /* by message-layer reason */
	/* messages that parsed (in) and that the transport took (out): requests
	 * by method, responses by class (index 1..6; 0: unreadable status) */
	uint64_t in_requests[SIP_METHOD_COUNT], out_requests[SIP_METHOD_COUNT];
	uint64_t in_responses[7], out_responses[7];
	/* calls that failed before their answer, by final status (300..699) */
	uint64_t calls_failed_by_code[400];
};

/* NULL on a bad configuration or no memory. */
struct sip_proxy *sip_proxy_new(const struct sip_proxy_config *cfg, const struct sip_proxy_io *io,
				uint64_t now_ms);
void sip_proxy_free(struct sip_proxy *px);

/* One received message (a datagram, or what sip_frame() delimited). snap
 * is the snapshot the worker holds now (NULL: every request gets 503). */
void sip_proxy_input(struct sip_proxy *px, const struct dp_snapshot *snap,
		     const struct sip_rx *rx, const char *buf, size_t len, uint64_t now_ms);
/* The timers due at now_ms. */
void sip_proxy_advance(struct sip_proxy *px, uint64_t now_ms);

const struct sip_proxy_stats *sip_proxy_stats(const struct sip_proxy *px);
/* Transactions alive (0 when every call's signalling has ended). */
unsigned sip_proxy_transactions(const struct sip_proxy *px);
/* Calls in flight: answered and not yet ended by a BYE. A call no
 * signalling touches for this long ends: a call whose BYE never came
 * through the engine must not hold its media ports for ever. */
#define SIP_PROXY_CALL_IDLE_MS (12ull * 3600 * 1000)
unsigned sip_proxy_calls(const struct sip_proxy *px);

/* The call records, for the operator's list (read on the proxy's thread). */
const struct sip_call_table *sip_proxy_call_table(const struct sip_proxy *px);
/* End an answered call from the engine: BYE to both sides (with a Reason
 * header), the media removed, CallEnded with reason. 0, -ENOENT (no such
 * call), -EBUSY (not answered yet). */
int sip_proxy_call_drop(struct sip_proxy *px, uint32_t id, const char *reason);

#endif
