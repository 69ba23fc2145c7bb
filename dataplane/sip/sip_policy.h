/*
 * sip_policy.h: every dial plan's VoIP security mode, decided for one
 * request from the snapshot the worker holds (never waiting on control).
 * Pure functions: the proxy asks, the result says accept or refuse with
 * the status, reason phrase, Warning value and event an operator needs.
 *
 * External requests: the gateway by source address (UDP, TCP) or by the
 * FQDN its verified certificate names (TLS); the dial plan by hunt group
 * (gateway + pilot number, the Request-URI user; a hunt group without a
 * pilot matches any number; an exact pilot wins); the transport must fit
 * the mode (sip_secured and secured: mutual TLS only; unsecured: UDP or TCP
 * only). While no dial plan is associated with the server, the legacy
 * start_secured picks the mode for every known gateway.
 */
#ifndef UMEDGE_SIP_POLICY_H
#define UMEDGE_SIP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "umedge/events.h"
#include "umedge/modes.h"

#include "sip_msg.h"
#include "sip_txn.h"
#include "snapshot.h"

enum sip_policy_verdict {
	SIP_POLICY_ACCEPT = 0,
	SIP_POLICY_UNKNOWN_GATEWAY,	  /* 403, SipUnknownGateway */
	SIP_POLICY_NO_HUNT_GROUP,	  /* 404, SipNoDialPlan */
	SIP_POLICY_NOT_ASSOCIATED,	  /* 404, SipNoDialPlan */
	SIP_POLICY_TRANSPORT_MISMATCH,	  /* 403 with Warning, VoipSecurityMismatch */
};

struct sip_policy_result {
	enum sip_policy_verdict verdict;
	unsigned status;		  /* 0 when accepted */
	const char *reason;		  /* reason phrase of the refusal */
	char warning[256];		  /* a Warning value, "" when none */
	enum umedge_event_id event;	  /* valid when verdict != ACCEPT */
	char detail[640];		  /* what the event says, in words */
	const struct snapshot_gateway *gateway;	   /* NULL when unknown */
	const struct snapshot_dial_plan *dial_plan; /* NULL in legacy mode */
	enum umedge_security mode;	  /* the call's mode when accepted */
	bool legacy;			  /* decided by start_secured */
};

bool sip_policy_transport_fits(enum umedge_security mode, enum umedge_transport tp);

/* The gateway and dial plan of a request from the external side. tls_names
 * are the names the TLS layer verified in the peer's certificate (the
 * gateway's configured FQDN among them), none for UDP and TCP. */
void sip_policy_inbound(const struct dp_snapshot *s, const struct sip_peer *from,
			const char *const *tls_names, unsigned n_names, struct sip_str pilot,
			struct sip_policy_result *r);

/* A request inside a call set up in `mode` (it keeps that mode, whatever
 * the dial plan says now): the transport it came on must fit. */
void sip_policy_in_dialog(enum umedge_security mode, const char *gateway,
			  const char *dial_plan, const struct sip_peer *from,
			  struct sip_policy_result *r);

/* The application calling out: the gateway a Request-URI host names (its
 * name, FQDN or address) and the transport to reach it with. A gateway
 * serving dial plans of different modes is reached in the most secure of
 * its associated dial plans (the one its calls must use anyway): TLS for
 * sip_secured and secured, else UDP. Returns false when the host names no
 * gateway. */
bool sip_policy_outbound(const struct dp_snapshot *s, struct sip_str host, uint32_t ipv4,
			 struct sip_policy_result *r, enum umedge_transport *tp);

#endif
