/*
 * options.h: the worker's SIP responder until the proxy exists, on the
 * SIP message layer: OPTIONS (gateways' keep-alive) gets 200 OK, any
 * other well-formed request 501 Not Implemented, ACK and responses
 * nothing. A request the message layer refuses is answered with its
 * status and reason ("400 Missing Call-ID", 505, 416) when a response can
 * be formed at all.
 */
#ifndef UMEDGE_SIP_OPTIONS_H
#define UMEDGE_SIP_OPTIONS_H

#include <stddef.h>

#include "sip_msg.h"

/*
 * Answer the framed message msg[0..len), parsed under lim (NULL: the
 * defaults), into out; to_tag goes on To when it has none. *err says what the message layer found (SIP_E_OK when the
 * message is fine), for the caller's counters. Returns the response
 * length; 0 when nothing is to be sent (ACK, a well-formed response);
 * -EINVAL when the message is too broken to answer (a stream closes);
 * -ENOSPC when out is too small.
 */
long sip_options_answer(const char *msg, size_t len, const struct sip_limits *lim,
			const char *to_tag, char *out, size_t cap, enum sip_error *err);

#endif
