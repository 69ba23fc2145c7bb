/*
 * options.c: see options.h. All the parsing is the message layer's; this
 * file only decides the answer.
 */
#include "options.h"

#include <errno.h>

static const struct sip_hdr_out options_200[] = {
	{ "Allow", "OPTIONS" },
	{ "Server", "umedge" },
};

long sip_options_answer(const char *msg, size_t len, const struct sip_limits *lim,
			const char *to_tag, char *out, size_t cap, enum sip_error *err)
{
	static __thread struct sip_msg m; /* 5 KB: not on a worker's stack */
	const struct sip_hdr_out *extra = NULL;
	unsigned status, n_extra = 0;
	const char *reason;
	enum sip_error e;
	long n;

	e = sip_msg_parse(&m, msg, len, lim);
	if (e == SIP_E_OK)
		e = sip_msg_check(&m);
	*err = e;
	if (!m.is_request || m.method == SIP_METHOD_ACK)
		return e == SIP_E_OK || m.method == SIP_METHOD_ACK ? 0 : -EINVAL;
	if (e != SIP_E_OK) {
		status = (unsigned)sip_error_status(e);
		reason = sip_error_reason(e);
	} else if (m.method == SIP_METHOD_OPTIONS) {
		status = 200;
		reason = "OK";
		extra = options_200;
		n_extra = sizeof(options_200) / sizeof(options_200[0]);
	} else {
		status = 501;
		reason = "Not Implemented";
	}
	if (!sip_msg_answerable(&m, e))
		return -EINVAL;
	n = sip_reply_build(&m, status, reason, to_tag, extra, n_extra, out, cap);
	return n < 0 ? -ENOSPC : n;
}
