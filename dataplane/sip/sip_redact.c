/*
 * sip_redact.c: take secrets out of a SIP message before it leaves the
 * engine in a capture. Length-preserving (every secret byte becomes 'X'),
 * so Content-Length and the offsets of everything else stay right and the
 * capture still parses:
 *
 *   - SDES key material: each "inline:" key||salt of an a=crypto line
 *     (RFC 4568), up to its '|' lifetime / MKI or the end of the parameter;
 *   - a=key-mgmt data (RFC 4567) and an SDP k= key (RFC 4566 5.12);
 *   - the response= of Authorization and Proxy-Authorization (a digest of
 *     the password, open to offline guessing).
 *
 * Works line by line on any bytes (no NUL terminator needed); header lines
 * are those before the first empty line, body lines after it.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "sip_msg.h"

static bool starts(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0;
}

static unsigned blank(char *p, char *end)
{
	if (p >= end)
		return 0;
	memset(p, 'X', (size_t)(end - p));
	return 1;
}

/* a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:32;inline:KEY2 */
static unsigned crypto_line(char *p, char *end)
{
	unsigned n = 0;

	while ((p = memmem(p, (size_t)(end - p), "inline:", 7)) != NULL) {
		char *k = p + 7, *e = k;
		while (e < end && *e != '|' && *e != ';' && *e != ' ' && *e != '\t')
			e++;
		n += blank(k, e);
		p = e;
	}
	return n;
}

/* response="hex" or response=token, anywhere in the credentials */
static unsigned auth_line(char *p, char *end)
{
	unsigned n = 0;

	for (char *q = p; q < end; q++) {
		char *v, *e;
		if ((q != p && q[-1] != ' ' && q[-1] != ',' && q[-1] != '\t' && q[-1] != ':') ||
		    !starts(q, end, "response"))
			continue;
		v = q + 8;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == '"') {
			e = ++v;
			while (e < end && *e != '"')
				e++;
		} else {
			e = v;
			while (e < end && *e != ',' && *e != ' ' && *e != '\t')
				e++;
		}
		n += blank(v, e);
		q = e;
	}
	return n;
}

unsigned sip_redact_keys(char *msg, size_t len)
{
	char *p = msg, *end = msg + len;
	bool body = false, in_auth = false; /* folded lines continue a header */
	unsigned n = 0;

	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p)), *le;
		char *next = eol ? eol + 1 : end;
		le = eol ? eol : end;
		if (le > p && le[-1] == '\r')
			le--;
		if (!body) {
			bool auth = starts(p, le, "Authorization") ||
				    starts(p, le, "Proxy-Authorization");
			char *c = memchr(p, ':', (size_t)(le - p));
			if (le == p)
				body = true;
			else if (in_auth && (*p == ' ' || *p == '\t'))
				n += auth_line(p, le);
			else if (auth && c != NULL)
				n += auth_line(c + 1, le);
			in_auth = !body && (auth || (in_auth && (*p == ' ' || *p == '\t')));
		} else if (starts(p, le, "a=crypto:")) {
			n += crypto_line(p + 9, le);
		} else if (starts(p, le, "a=key-mgmt:")) {
			char *sp = memchr(p + 11, ' ', (size_t)(le - p - 11));
			n += sp ? blank(sp + 1, le) : 0;
		} else if (starts(p, le, "k=")) {
			char *c = memchr(p + 2, ':', (size_t)(le - p - 2));
			n += c ? blank(c + 1, le) : 0;
		}
		p = next;
	}
	return n;
}
