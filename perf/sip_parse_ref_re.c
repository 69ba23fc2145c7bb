/* sip_parse_ref_re.c: libre (baresip's library, sip_msg_decode) for
 * sip_parse_bench. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <re.h>

#include "sip_parse_ref.h"

int ref_re_init(void)
{
	return libre_init();
}

void *ref_re_buffer(const char *buf, size_t len)
{
	struct mbuf *mb = mbuf_alloc(len);

	if (mb == NULL)
		return NULL;
	if (mbuf_write_mem(mb, (const uint8_t *)buf, len) != 0) {
		mem_deref(mb);
		return NULL;
	}
	return mb;
}

void ref_re_buffer_free(void *mb)
{
	mem_deref(mb);
}

long ref_re_parse(void *arg)
{
	struct mbuf *mb = arg;
	struct sip_msg *m = NULL;
	const struct sip_hdr *h;
	struct sip_addr addr;
	long d = 0;

	mb->pos = 0;
	if (sip_msg_decode(&m, mb) != 0)
		return -1;
	d += (long)m->via.branch.l + (long)m->from.tag.l + (long)m->to.tag.l +
	     (long)m->callid.l + (long)m->cseq.num + (long)pl_u32(&m->maxfwd);
	h = sip_msg_hdr(m, SIP_HDR_ROUTE);
	if (h != NULL && sip_addr_decode(&addr, &h->val) == 0)
		d += (long)addr.uri.host.l;
	if (m->req)
		d += (long)m->uri.user.l;
	mem_deref(m);
	return d;
}
