/*
 * sip_frame.c: message boundaries on a stream (RFC 3261 18.3): the header
 * section ends at the first empty line and Content-Length, mandatory on
 * streams, gives the body. Between messages, "\r\n\r\n" is an RFC 5626
 * keep-alive ping and a lone "\r\n" its pong.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

static void verdict(struct sip_frame *f, enum sip_frame_kind kind, uint32_t len,
		    enum sip_error err)
{
	f->kind = kind;
	f->len = len;
	f->err = err;
}

/* Content-Length of the header section [p, hend) (hend: the empty line),
 * long or compact form, at a line start; folds are white space. -1 when it
 * is absent, present twice or not a number. */
static long content_length(const char *p, const char *hend)
{
	long cl = -1;

	for (const char *ls = memchr(p, '\n', (size_t)(hend - p)); ls != NULL && ls + 1 < hend;
	     ls = memchr(ls + 1, '\n', (size_t)(hend - ls - 1))) {
		const char *n = ls + 1, *c = n;
		long v = 0;
		int digits = 0;

		while (c < hend && sip_is_token(*c))
			c++;
		if (sip_hdr_lookup(n, (size_t)(c - n)) != SIP_HDR_CONTENT_LENGTH)
			continue;
		while (c < hend && (*c == ' ' || *c == '\t'))
			c++;
		if (c == hend || *c != ':')
			continue; /* not a field name after all */
		c = sip_skip_lws(c + 1, hend);
		while (c < hend && sip_is_digit(*c)) {
			if (++digits > 9)
				return -1;
			v = v * 10 + (*c++ - '0');
		}
		c = sip_skip_lws(c, hend);
		if (digits == 0 || (c != hend && c[-1] != '\n') || cl >= 0)
			return -1;
		cl = v;
	}
	return cl;
}

void sip_frame(const char *buf, size_t len, const struct sip_limits *lim, struct sip_frame *f)
{
	const char *hend;
	size_t head, total;
	long cl;

	if (lim == NULL)
		lim = &sip_limits_default;
	verdict(f, SIP_FRAME_MORE, 0, SIP_E_OK);
	if (len == 0)
		return;
	if (buf[0] == '\r') {
		/* between messages: a ping, a pong, or wait for the rest */
		if (len < 2)
			return;
		if (buf[1] != '\n') {
			verdict(f, SIP_FRAME_BAD, 0, SIP_E_START_LINE);
			return;
		}
		if (len == 2 || (len == 3 && buf[2] == '\r'))
			return;
		if (buf[2] == '\r' && buf[3] == '\n')
			verdict(f, SIP_FRAME_PING, 4, SIP_E_OK);
		else
			verdict(f, SIP_FRAME_PONG, 2, SIP_E_OK);
		return;
	}
	/* the empty line; a header section that cannot end within the limit
	 * is refused before it completes */
	hend = memmem(buf, len < lim->max_message ? len : lim->max_message, "\r\n\r\n", 4);
	if (hend == NULL) {
		if (len >= lim->max_message)
			verdict(f, SIP_FRAME_BAD, 0, SIP_E_TOO_BIG);
		return;
	}
	hend += 2;
	head = (size_t)(hend + 2 - buf);
	cl = content_length(buf, hend);
	if (cl < 0) {
		verdict(f, SIP_FRAME_BAD, 0, SIP_E_CONTENT_LENGTH);
		return;
	}
	total = head + (size_t)cl;
	if (total > lim->max_message) {
		verdict(f, SIP_FRAME_BAD, 0, SIP_E_TOO_BIG);
		return;
	}
	if (total <= len)
		verdict(f, SIP_FRAME_MESSAGE, (uint32_t)total, SIP_E_OK);
}
