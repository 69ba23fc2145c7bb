/* sip_parse_ref_osip.c: libosip2 (osip_message_parse) for sip_parse_bench. */
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip_parse_ref.h"

int ref_osip_init(void)
{
	return parser_init();
}

static size_t slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

long ref_osip_parse(const char *buf, size_t len)
{
	osip_message_t *m;
	osip_via_t *via;
	osip_generic_param_t *p;
	osip_header_t *h;
	osip_route_t *route;
	long d = 0;

	if (osip_message_init(&m) != 0)
		return -1;
	if (osip_message_parse(m, buf, len) != 0) {
		osip_message_free(m);
		return -1;
	}
	if (osip_message_get_via(m, 0, &via) >= 0 &&
	    osip_via_param_get_byname(via, "branch", &p) == 0 && p != NULL)
		d += (long)slen(p->gvalue);
	if (m->from != NULL && osip_from_param_get_byname(m->from, "tag", &p) == 0 && p != NULL)
		d += (long)slen(p->gvalue);
	if (m->to != NULL && osip_to_param_get_byname(m->to, "tag", &p) == 0 && p != NULL)
		d += (long)slen(p->gvalue);
	if (m->call_id != NULL)
		d += (long)slen(m->call_id->number) +
		     (m->call_id->host != NULL ? 1 + (long)slen(m->call_id->host) : 0);
	if (m->cseq != NULL && m->cseq->number != NULL)
		d += strtol(m->cseq->number, NULL, 10);
	if (osip_message_get_max_forwards(m, 0, &h) >= 0 && h != NULL && h->hvalue != NULL)
		d += strtol(h->hvalue, NULL, 10);
	if (osip_message_get_route(m, 0, &route) >= 0 && route != NULL && route->url != NULL)
		d += (long)slen(route->url->host);
	if (m->req_uri != NULL)
		d += (long)slen(m->req_uri->username);
	osip_message_free(m);
	return d;
}
