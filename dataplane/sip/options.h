/*
 * options.h: a small, strict SIP responder for what gateways send as a
 * keep-alive before the proxy exists: OPTIONS gets 200 OK, any other
 * well-formed request 501 Not Implemented. Messages are framed by
 * Content-Length; anything malformed is refused (the caller closes).
 */
#ifndef UMEDGE_SIP_OPTIONS_H
#define UMEDGE_SIP_OPTIONS_H

#include <stddef.h>

#define SIP_MSG_MAX 8192

/* Length of the first complete message in buf: > 0, 0 when more bytes are
 * needed, -EMSGSIZE when it cannot fit SIP_MSG_MAX, -EINVAL when the
 * framing is broken. */
int sip_frame(const char *buf, size_t len);

/* Answer the request msg[0..len) (one framed message) into out. to_tag is
 * added to To when the request's To has none. Returns the response length,
 * -EINVAL for a malformed request or a response (nothing to answer, the
 * caller closes), -ENOSPC when out is too small. */
int sip_options_answer(const char *msg, size_t len, const char *to_tag, char *out,
		       size_t cap);

#endif
