/*
 * sip_txn.h: SIP transactions (RFC 3261 section 17, RFC 6026), free of I/O.
 *
 * The table holds client and server transactions, INVITE and non-INVITE,
 * matched as RFC 3261 17.1.3 and 17.2.3 say (with the RFC 2543 fallback for
 * branches without the magic cookie), bounded by configuration. Time is
 * the caller's clock in milliseconds, passed to sip_txn_advance(); timers
 * A to M run on the shared wheel (lib/twheel.h). Bytes leave through the
 * caller's send function; responses, timeouts and ends reach the
 * transaction user (the proxy) through callbacks. Retransmission timers
 * run only on unreliable transports.
 *
 * Memory: the transactions come from a pool made once; each keeps one
 * copy of the message it may have to send again (the request of a client
 * transaction, the last response of a server one), malloc'd to size and
 * freed when the transaction ends.
 */
#ifndef UMEDGE_SIP_TXN_H
#define UMEDGE_SIP_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umedge/modes.h"

#include "sip_msg.h"

enum sip_side {
	SIP_SIDE_EXTERNAL = 0,	  /* gateways and IP-PBXs */
	SIP_SIDE_INTERNAL = 1,	  /* the voice application */
};

/* Transports are umedge's (umedge/modes.h): UDP, TCP, TLS. */
static inline bool sip_tp_reliable(enum umedge_transport t)
{
	return t != UMEDGE_TRANSPORT_UDP;
}

/* Where a message came from or goes to. */
struct sip_peer {
	uint8_t side;		  /* enum sip_side */
	uint8_t transport;	  /* enum umedge_transport */
	uint16_t port;
	uint32_t addr;		  /* IPv4, host order */
	uint64_t conn;		  /* stream connection handle, 0: none */
};

/* Times in ms; t1/t2/t4 as RFC 3261 17.1.1.1 (defaults 500, 4000, 5000). */
struct sip_txn_config {
	uint32_t t1_ms, t2_ms, t4_ms;
	uint32_t timer_c_ms;	  /* proxy INVITE timer C, > 3 min (RFC 3261 16.6), 0: off */
	uint32_t max_txns;	  /* the table's bound */
};

#define SIP_TXN_CONFIG_DEFAULT_INIT { 500, 4000, 5000, 181000, 4096 }

enum sip_txn_kind {
	SIP_TXN_SERVER_INVITE,
	SIP_TXN_SERVER,		  /* non-INVITE */
	SIP_TXN_CLIENT_INVITE,
	SIP_TXN_CLIENT,		  /* non-INVITE */
};

enum sip_txn_state {
	SIP_TXN_TRYING,		  /* non-INVITE, nothing yet */
	SIP_TXN_CALLING,	  /* INVITE client, nothing yet */
	SIP_TXN_PROCEEDING,
	SIP_TXN_COMPLETED,
	SIP_TXN_CONFIRMED,	  /* INVITE server, ACK received */
	SIP_TXN_ACCEPTED,	  /* RFC 6026: a 2xx went through */
	SIP_TXN_TERMINATED,	  /* ends at the next advance */
};

/* Why a client transaction reports a failure to its user. */
enum sip_txn_failure {
	SIP_TXN_TIMER_B,	  /* INVITE unanswered: 408 */
	SIP_TXN_TIMER_F,	  /* non-INVITE unanswered: 408 */
	SIP_TXN_TIMER_C,	  /* proxy: no final answer in time: CANCEL, 408 */
	SIP_TXN_TRANSPORT,	  /* the transport could not send: 503 */
};

struct sip_txn;
struct sip_txn_table;

struct sip_txn_ops {
	/* Send buf to peer: 0, or a negative errno when the transport cannot
	 * (unreachable, connection lost). */
	int (*send)(void *user, const struct sip_peer *to, const char *buf, size_t len);
	/* Client transactions: a response for the user (provisional, the
	 * first final, and in Accepted every 2xx). */
	void (*response)(void *user, struct sip_txn *ct, const struct sip_msg *rsp,
			 const struct sip_peer *from);
	/* Client transactions: a failure (the transaction ends after it,
	 * except after timer C, which leaves the INVITE waiting for its 487). */
	void (*failure)(void *user, struct sip_txn *ct, enum sip_txn_failure why);
	/* Any transaction is about to be freed: drop every pointer to it. */
	void (*terminated)(void *user, struct sip_txn *t);
};

#define SIP_TXN_COUNTERS(X)                                                    \
	X(created)		    /* transactions made */                   \
	X(ended)		    /* and freed */                           \
	X(table_full)		    /* requests refused: answer 503 */        \
	X(retransmissions)	    /* requests and responses we resent */    \
	X(absorbed)		    /* retransmissions received, absorbed */  \
	X(stray_responses)	    /* responses matching no transaction */  \
	X(timeouts_b)                                                         \
	X(timeouts_f)                                                         \
	X(timeouts_c)                                                         \
	X(timeouts_h)		    /* no ACK for our non-2xx final */       \
	X(transport_errors)                                                   \
	X(unmatchable)		    /* a request too odd to key: refused */

struct sip_txn_stats {
#define SIP_TXN_COUNTER_FIELD(name) uint64_t name;
	SIP_TXN_COUNTERS(SIP_TXN_COUNTER_FIELD)
#undef SIP_TXN_COUNTER_FIELD
};

/* A table for one worker; NULL on a bad configuration or no memory. */
struct sip_txn_table *sip_txn_table_new(const struct sip_txn_config *cfg,
					const struct sip_txn_ops *ops, void *user, uint64_t now_ms);
/* Frees every transaction (terminated callbacks run) and the table. */
void sip_txn_table_free(struct sip_txn_table *tt);
/* Run the timers due at now_ms. */
void sip_txn_advance(struct sip_txn_table *tt, uint64_t now_ms);
unsigned sip_txn_count(const struct sip_txn_table *tt);
const struct sip_txn_stats *sip_txn_stats(const struct sip_txn_table *tt);

/* ---- server transactions ---- */

enum sip_txn_rx {
	SIP_TXN_RX_NEW,		  /* a new transaction in *st: the user acts */
	SIP_TXN_RX_ABSORBED,	  /* a retransmission, or the ACK of our non-2xx */
	SIP_TXN_RX_ACK_2XX,	  /* an ACK matching no non-2xx: end to end, the user's */
	SIP_TXN_RX_FULL,	  /* the table is full: answer 503 with Retry-After */
	SIP_TXN_RX_UNMATCHABLE,	  /* no Via, no CSeq...: answer 400 statelessly */
};

/* A request m (checked by sip_msg_check) received from `from`. Responses
 * of the server transaction go back to `from` (source address and port,
 * or the connection): RFC 3581 symmetric response routing. */
enum sip_txn_rx sip_txn_server_recv(struct sip_txn_table *tt, const struct sip_msg *m,
				    const struct sip_peer *from, struct sip_txn **st);
/* Send a response (status from its status line) on st and keep it for
 * retransmissions. 0, -EINVAL (not a response, wrong state) or the
 * transport's error (the transaction then ends). */
int sip_txn_server_respond(struct sip_txn *st, const char *buf, size_t len);

/* The INVITE server transaction that CANCEL m refers to (RFC 3261 9.2),
 * or NULL. */
struct sip_txn *sip_txn_find_invite(struct sip_txn_table *tt, const struct sip_msg *cancel);

/* ---- client transactions ---- */

/* Send the request req[0..len) (its top Via carries our RFC 3261 branch)
 * to `to` in a new client transaction. 0 with *ct, -ENOSPC when the table
 * is full, -EINVAL when req is not a request with a branch, or the
 * transport's error (then no transaction is left). */
int sip_txn_client_start(struct sip_txn_table *tt, const char *req, size_t len,
			 const struct sip_peer *to, void *tu, struct sip_txn **ct);
/* A response received: 0 when a client transaction took it, -ENOENT when
 * none matches (a stray: forward statelessly by Via or drop). */
int sip_txn_client_recv(struct sip_txn_table *tt, const struct sip_msg *rsp,
			const struct sip_peer *from);

/* ---- either ---- */

enum sip_txn_kind sip_txn_kind(const struct sip_txn *t);
enum sip_txn_state sip_txn_state(const struct sip_txn *t);
const struct sip_peer *sip_txn_peer(const struct sip_txn *t);
void *sip_txn_tu(const struct sip_txn *t);
/* The message the transaction keeps: a client's request, a server's last
 * response (NULL before it has one). */
const char *sip_txn_message(const struct sip_txn *t, size_t *len);
void sip_txn_set_tu(struct sip_txn *t, void *tu);
/* End t now (the user gives up on it); its terminated callback runs. */
void sip_txn_terminate(struct sip_txn *t);

#endif
