/*
 * sip_parse_ref.h: the reference parsers of perf/sip_parse_bench, libosip2
 * and libre, each in its own file (libre's struct sip_msg is not ours).
 * Each parse reads the fields a proxy reads and returns a digest of them,
 * the same digest sip_parse_bench computes from umedge's accessors, so
 * the three are seen to read the same values.
 */
#ifndef UMEDGE_SIP_PARSE_REF_H
#define UMEDGE_SIP_PARSE_REF_H

#include <stddef.h>

/* What the digest adds up: lengths of the top Via branch, From tag, To tag,
 * Call-ID, first Route URI host and Request-URI user, plus CSeq number and
 * Max-Forwards. -1 when the parse failed. */
int ref_osip_init(void);
long ref_osip_parse(const char *buf, size_t len);

int ref_re_init(void);
/* libre decodes from its own buffer type: made once per message. */
void *ref_re_buffer(const char *buf, size_t len);
long ref_re_parse(void *mb);
void ref_re_buffer_free(void *mb);

#endif
