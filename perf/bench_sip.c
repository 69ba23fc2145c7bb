/* The SIP peers of the call benchmarks (bench_sip.h). */
#include "bench_sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_sip_routes(const struct sip_msg *m, char *buf, size_t cap)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	size_t n = 0;

	buf[0] = '\0';
	while (sip_list_next(m, SIP_HDR_RECORD_ROUTE, &it, &item) == 1 && n < cap) {
		int k = snprintf(buf + n, cap - n, "%s%.*s", n ? ", " : "", (int)item.value.len,
				 item.value.p);

		if (k < 0)
			break;
		n += (size_t)k;
	}
}

long bench_sip_app_reply(const char *req, size_t len, unsigned status, const char *reason,
			 const char *tag, bool dialog, char *out, size_t cap)
{
	static struct sip_msg m;
	struct sip_hdr_out ex[2];
	char rr[512];
	unsigned n = 0;

	if (sip_msg_parse(&m, req, len, NULL) != SIP_E_OK || !m.is_request)
		return -1;
	if (dialog) {
		bench_sip_routes(&m, rr, sizeof(rr));
		ex[n++] = (struct sip_hdr_out){ "Record-Route", rr };
		ex[n++] = (struct sip_hdr_out){ "Contact", "<sip:4000@198.51.100.20:5060>" };
	}
	return sip_reply_build(&m, status, reason, tag, ex, n, out, cap);
}

long bench_sip_with_body(char *out, size_t len, size_t cap, const char *ctype, const char *body)
{
	static const char cl0[] = "Content-Length: 0\r\n\r\n";
	char tail[2048];
	size_t head;
	int n;

	if (len < sizeof(cl0) - 1 || memcmp(out + len - (sizeof(cl0) - 1), cl0, sizeof(cl0) - 1))
		return -1;
	head = len - (sizeof(cl0) - 1);
	n = snprintf(tail, sizeof(tail), "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
		     ctype, strlen(body), body);
	if (n < 0 || (size_t)n >= sizeof(tail) || head + (size_t)n >= cap)
		return -1;
	memcpy(out + head, tail, (size_t)n + 1);
	return (long)(head + (size_t)n);
}

unsigned bench_sip_sdp_port(const char *msg)
{
	const char *m = strstr(msg, "\r\nm=audio ");

	return m != NULL ? (unsigned)strtoul(m + 10, NULL, 10) : 0;
}
