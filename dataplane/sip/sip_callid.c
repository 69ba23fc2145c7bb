/* The Call-ID scan that decides a call's owning worker (sip_msg.h). It
 * reads raw bytes (a datagram straight off the port, or a framed stream
 * message) and never trusts them: bounded by len, no NUL assumptions. */
#include <strings.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

/* The header name at line[0..n) followed by optional blanks and ':'?
 * Returns the offset after the colon, or 0. */
static size_t name_colon(const char *line, size_t n, const char *name, size_t nlen)
{
	size_t i = nlen;

	if (n <= nlen || strncasecmp(line, name, nlen) != 0)
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < n && line[i] == ':' ? i + 1 : 0;
}

bool sip_call_id_hash(const char *buf, size_t len, uint64_t *hash)
{
	size_t pos = 0;
	bool first = true;

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
		size_t v, e;

		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 && !first)
			return false;	/* end of the header section */
		if (first) {
			first = n == 0;	/* leading CRLFs before the start line */
			continue;
		}
		v = name_colon(line, n, "call-id", 7);
		if (v == 0)
			v = name_colon(line, n, "i", 1);
		if (v == 0)
			continue;
		while (v < n && (line[v] == ' ' || line[v] == '\t'))
			v++;
		e = n;
		while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t'))
			e--;
		*hash = sip_fnv1a(line + v, e - v, SIP_FNV_BASIS);
		return true;
	}
	return false;
}
