/*
 * sip_proxy.c: see sip_proxy.h. Requests go through RFC 3261 16.3 (checks),
 * 16.4 (our Route values removed), the dial-plan policy, 16.6 (Via,
 * Max-Forwards, Record-Route) and a client transaction; responses come
 * back through the client transaction to the server one (16.7). A pair of
 * transactions is tied by a struct fwd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_proxy_int.h"
#include "siphash.h"

/* ---- small helpers ---- */

static const char *tp_upper(unsigned tp)
{
	static const char *const n[] = { "UDP", "TCP", "TLS" };

	return tp < 3 ? n[tp] : "UDP";
}

static bool is_us(const struct sip_proxy *px, const struct sip_uri *u)
{
	return u->ipv4 != 0 && (u->ipv4 == px->cfg.addr[0] || u->ipv4 == px->cfg.addr[1]);
}

static uint16_t our_port(const struct sip_proxy *px, unsigned tp)
{
	return tp == UMEDGE_TRANSPORT_TLS ? px->cfg.tls_port : px->cfg.port;
}

static uint8_t tp_of(struct sip_str t)
{
	if (t.len == 3 && strncasecmp(t.p, "tls", 3) == 0)
		return UMEDGE_TRANSPORT_TLS;
	if (t.len == 3 && strncasecmp(t.p, "tcp", 3) == 0)
		return UMEDGE_TRANSPORT_TCP;
	return UMEDGE_TRANSPORT_UDP;
}

/* Every send goes through here: the transport, then the out counters (a
 * look at the first bytes of what we built ourselves). */
int px_send(struct sip_proxy *px, const struct sip_peer *to, const char *buf, size_t len)
{
	int rc = px->io.send(px->io.arg, to, buf, len);

	if (rc != 0)
		return rc;
	if (len > 9 && memcmp(buf, "SIP/2.0 ", 8) == 0) {
		unsigned c = (unsigned)(buf[8] - '0');
		px->stats.out_responses[c >= 1 && c <= 6 ? c : 0]++;
	} else {
		const char *sp = memchr(buf, ' ', len);
		px->stats.out_requests[sip_method_from(buf, sp ? (size_t)(sp - buf) : 0)]++;
	}
	return 0;
}

void px_event(struct sip_proxy *px, enum umedge_event_id id, const char *gateway,
	      const char *detail)
{
	uint64_t key = sip_fnv1a(gateway, strlen(gateway), sip_fnv1a(&id, sizeof(id), SIP_FNV_BASIS));
	unsigned slot = (unsigned)(key % EVENT_SLOTS);

	if (px->io.event == NULL)
		return;
	if (px->ev[slot].key == key && px->now - px->ev[slot].last_ms < EVENT_GAP_MS) {
		px->stats.events_suppressed++;
		return;
	}
	px->ev[slot].key = key;
	px->ev[slot].last_ms = px->now;
	px->io.event(px->io.arg, id, detail);
}

static void px_to_tag(struct sip_proxy *px, char *buf, size_t len)
{
	snprintf(buf, len, "um%u.%llx", px->cfg.worker, (unsigned long long)++px->seq);
}

/* A response to m sent outside any transaction (to where m came from). */
static void reply_stateless(struct sip_proxy *px, const struct sip_msg *m,
			    const struct sip_peer *to, unsigned status, const char *reason,
			    const struct sip_hdr_out *extra, unsigned n_extra)
{
	char tag[32];
	long n;

	if (!m->is_request || m->method == SIP_METHOD_ACK)
		return;
	px_to_tag(px, tag, sizeof(tag));
	n = sip_reply_build(m, status, reason, tag, extra, n_extra, px->out, px->out_cap);
	if (n > 0 && px_send(px, to, px->out, (size_t)n) == 0)
		px->stats.stateless_responses++;
}

/* A response to m in its server transaction. */
void px_reply(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
	      unsigned status, const char *reason, const struct sip_hdr_out *extra,
	      unsigned n_extra)
{
	char tag[32];
	long n;

	px_to_tag(px, tag, sizeof(tag));
	n = sip_reply_build(m, status, reason, tag, extra, n_extra, px->out, px->out_cap);
	if (n > 0)
		(void)sip_txn_server_respond(st, px->out, (size_t)n);
}

/* ---- transactions' user ---- */

static struct fwd *fwd_new(struct sip_proxy *px)
{
	struct fwd *f = px->free_fwd;

	if (f != NULL) {
		px->free_fwd = f->next_free;
		memset(f, 0, sizeof(*f));
	}
	return f;
}

static void fwd_release(struct sip_proxy *px, struct fwd *f)
{
	if (f->st != NULL || f->ct != NULL)
		return;
	f->next_free = px->free_fwd;
	px->free_fwd = f;
}

static void on_terminated(void *arg, struct sip_txn *t)
{
	struct sip_proxy *px = arg;
	struct fwd *f = sip_txn_tu(t);

	if (f == NULL)
		return;
	if (f->st == t)
		f->st = NULL;
	if (f->ct == t)
		f->ct = NULL;
	fwd_release(px, f);
}

static int txn_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	struct sip_proxy *px = arg;

	return px_send(px, to, buf, len);
}

/* The CANCEL of the INVITE a client transaction carries. */
static void send_cancel(struct sip_proxy *px, struct sip_txn *ct)
{
	static __thread struct sip_msg inv;
	struct sip_txn *cancel;
	size_t len;
	const char *req = sip_txn_message(ct, &len);
	char buf[4096];
	long n;

	if (req == NULL || sip_msg_parse(&inv, req, len, &px->lim) != SIP_E_OK)
		return;
	n = sip_cancel_build(&inv, buf, sizeof(buf));
	if (n > 0)
		(void)sip_txn_client_start(px->tt, buf, (size_t)n, sip_txn_peer(ct), NULL, &cancel);
}

/* ACK or BYE inside the dialog a 2xx to our INVITE (in ct) made: to the
 * peer the INVITE went to, Route from the Record-Route values the far side
 * and the proxies after us added (those above ours, reversed). */
void px_send_in_dialog(struct sip_proxy *px, struct sip_txn *ct, const struct sip_msg *rsp,
		       const char *method)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_nameaddr contact, na;
	struct sip_cseq cs;
	struct sip_str routes[8];
	unsigned n_routes = 0;
	const struct sip_peer *to = sip_txn_peer(ct);
	char buf[4096], ip[INET_ADDRSTRLEN], line[160];
	struct sip_out o = { buf, 0, sizeof(buf), false };
	struct sip_txn *bye;
	long n;

	if (sip_msg_cseq(rsp, &cs) != 0 || sip_list_next(rsp, SIP_HDR_CONTACT, &it, &item) != 1 ||
	    sip_nameaddr_parse(&contact, item.value.p, item.value.len) != 0)
		return;
	it = (struct sip_list_iter){ 0, 0 };
	while (sip_list_next(rsp, SIP_HDR_RECORD_ROUTE, &it, &item) == 1 && n_routes < 8) {
		if (sip_nameaddr_parse(&na, item.value.p, item.value.len) != 0 || is_us(px, &na.uri))
			break;
		routes[n_routes++] = item.value;
	}
	sip_ipv4_str(ip, sizeof(ip), px->cfg.addr[to->side]);
	sip_out_str(&o, method);
	sip_out_put(&o, " ", 1);
	sip_out_put(&o, contact.uri_str.p, contact.uri_str.len);
	snprintf(line, sizeof(line), " SIP/2.0\r\nVia: SIP/2.0/%s %s:%u;branch=z9hG4bKum%u.%s%llx;rport\r\n",
		 tp_upper(to->transport), ip, our_port(px, to->transport), px->cfg.worker, method,
		 (unsigned long long)++px->seq);
	sip_out_str(&o, line);
	while (n_routes > 0) {
		n_routes--;
		sip_out_str(&o, "Route: ");
		sip_out_put(&o, routes[n_routes].p, routes[n_routes].len);
		sip_out_put(&o, "\r\n", 2);
	}
	sip_out_field(&o, rsp, rsp->first[SIP_HDR_FROM]);
	sip_out_field(&o, rsp, rsp->first[SIP_HDR_TO]);
	sip_out_field(&o, rsp, rsp->first[SIP_HDR_CALL_ID]);
	snprintf(line, sizeof(line), "CSeq: %u %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 strcmp(method, "BYE") == 0 ? cs.num + 1 : cs.num, method);
	sip_out_str(&o, line);
	if (o.overflow)
		return;
	n = (long)o.n;
	if (strcmp(method, "ACK") == 0)
		(void)px_send(px, to, buf, (size_t)n);
	else
		(void)sip_txn_client_start(px->tt, buf, (size_t)n, to, NULL, &bye);
}

static void on_response(void *arg, struct sip_txn *ct, const struct sip_msg *rsp,
			const struct sip_peer *from)
{
	struct sip_proxy *px = arg;
	struct fwd *f = sip_txn_tu(ct);
	struct sip_edits *ed = &px->ed;
	long n;

	(void)from;
	if (f == NULL || f->st == NULL || rsp->status == 100)
		return; /* 100 is hop by hop; a CANCEL's answer is ours */
	sip_edits_init(ed, rsp);
	sip_edit_via_pop(ed);
	if (!px_response_media(px, f, ct, rsp))
		return;
	n = sip_edits_apply(ed, px->out, px->out_cap);
	if (n < 0 || sip_txn_server_respond(f->st, px->out, (size_t)n) != 0)
		return;
	px->stats.forwarded_responses++;
	if (rsp->status >= 200)
		f->answered = true;
	px_call_progress(px, f, ct, rsp);
}

/* A final response of our own to the request f forwarded in ct: built
 * from the forwarded copy with our Via taken off, which carries the
 * caller's Vias, From, To, Call-ID and CSeq. */
void px_answer_upstream(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
			unsigned status, const char *reason, const struct sip_hdr_out *extra,
			unsigned n_extra)
{
	static __thread struct sip_msg req;
	static __thread char tmp[65536];
	struct sip_edits ed;
	char tag[32];
	size_t len;
	const char *buf = sip_txn_message(ct, &len);
	long n;

	if (f->st == NULL || f->answered || buf == NULL ||
	    sip_msg_parse(&req, buf, len, &px->lim) != SIP_E_OK)
		return;
	sip_edits_init(&ed, &req);
	sip_edit_via_pop(&ed);
	n = sip_edits_apply(&ed, tmp, sizeof(tmp));
	if (n < 0 || sip_msg_parse(&req, tmp, (size_t)n, &px->lim) != SIP_E_OK)
		return;
	px_to_tag(px, tag, sizeof(tag));
	n = sip_reply_build(&req, status, reason, tag, extra, n_extra, px->out, px->out_cap);
	if (n > 0 && sip_txn_server_respond(f->st, px->out, (size_t)n) == 0)
		f->answered = true;
}

static void on_failure(void *arg, struct sip_txn *ct, enum sip_txn_failure why)
{
	struct sip_proxy *px = arg;
	struct fwd *f = sip_txn_tu(ct);
	struct sip_call *c;

	if (f == NULL || f->st == NULL || f->answered)
		return;
	if (why == SIP_TXN_TIMER_C)
		send_cancel(px, ct);
	if (why == SIP_TXN_TRANSPORT)
		px_answer_upstream(px, f, ct, 503, "Service Unavailable", NULL, 0);
	else
		px_answer_upstream(px, f, ct, 408, "Request Timeout", NULL, 0);
	c = px_fwd_call(f);
	if (c != NULL && c->state != SIP_CALL_ANSWERED)
		px_call_end(px, c, why == SIP_TXN_TRANSPORT ? "unreachable" : "timeout",
			    why == SIP_TXN_TRANSPORT ? 503 : 408);
	else if (c != NULL)
		sip_call_offer_failed(c);
}

/* ---- the proxy ---- */

struct sip_proxy *sip_proxy_new(const struct sip_proxy_config *cfg, const struct sip_proxy_io *io,
				uint64_t now_ms)
{
	static const struct sip_txn_ops txn_ops = { txn_send, on_response, on_failure,
						    on_terminated };
	struct sip_proxy *px;

	/* a proxy needs timer C (RFC 3261 16.6): without it an INVITE that got
	 * a provisional answer could wait forever */
	if (cfg == NULL || io == NULL || io->send == NULL || io->media == NULL ||
	    cfg->port == 0 || cfg->tls_port == 0 || cfg->txn.timer_c_ms == 0)
		return NULL;
	px = calloc(1, sizeof(*px));
	if (px == NULL)
		return NULL;
	px->cfg = *cfg;
	px->lim = cfg->limits != NULL ? *cfg->limits : sip_limits_default;
	px->io = *io;
	px->now = now_ms;
	px->out_cap = px->lim.max_message + 4096;
	px->out = malloc(px->out_cap);
	px->sdp_out = malloc(px->lim.max_message);
	px->fwds = calloc(cfg->txn.max_txns ? cfg->txn.max_txns : 1, sizeof(*px->fwds));
	px->tt = sip_txn_table_new(&cfg->txn, &txn_ops, px, now_ms);
	px->calls_swept_ms = now_ms;
	px->media_checked_ms = now_ms;
	if (px->out == NULL || px->sdp_out == NULL || px->fwds == NULL || px->tt == NULL ||
	    sip_call_table_init(&px->calls, cfg->max_calls ? cfg->max_calls : cfg->txn.max_txns,
				cfg->worker + 1, cfg->n_workers ? cfg->n_workers : 1) != 0) {
		sip_proxy_free(px);
		return NULL;
	}
	for (uint32_t i = cfg->txn.max_txns; i-- > 0;) {
		px->fwds[i].next_free = px->free_fwd;
		px->free_fwd = &px->fwds[i];
	}
	return px;
}

void sip_proxy_free(struct sip_proxy *px)
{
	if (px == NULL)
		return;
	sip_txn_table_free(px->tt);
	/* every call's media goes back to the engine */
	for (uint32_t i = 0; px->calls.pool != NULL && i < px->calls.cap; i++)
		if (px->calls.pool[i].key != 0)
			sip_call_end(&px->calls, &px->calls.pool[i], px->io.media, NULL);
	sip_call_table_fini(&px->calls);
	free(px->fwds);
	free(px->sdp_out);
	free(px->out);
	free(px);
}

const struct sip_proxy_stats *sip_proxy_stats(const struct sip_proxy *px)
{
	return &px->stats;
}

unsigned sip_proxy_transactions(const struct sip_proxy *px)
{
	return sip_txn_count(px->tt);
}

const struct sip_call_table *sip_proxy_call_table(const struct sip_proxy *px)
{
	return &px->calls;
}

unsigned sip_proxy_calls(const struct sip_proxy *px)
{
	return px->calls.answered;
}

void sip_proxy_advance(struct sip_proxy *px, uint64_t now_ms)
{
	px->now = now_ms;
	sip_txn_advance(px->tt, now_ms);
	if (now_ms != px->media_checked_ms) {
		px_calls_check_media(px, now_ms - px->media_checked_ms);
		px->media_checked_ms = now_ms;
	}
	if (now_ms - px->calls_swept_ms >= CALLS_SWEEP_MS) {
		px->calls_swept_ms = now_ms;
		px->stats.calls_expired +=
			sip_call_expire(&px->calls, px->io.media, now_ms, SIP_PROXY_CALL_IDLE_MS);
	}
}

/* The value of a URI parameter ("um") in u's parameters, or NULL. */
static struct sip_str uri_param(const struct sip_uri *u, const char *name)
{
	size_t nl = strlen(name);
	const char *p = u->params.p, *e;

	if (p == NULL)
		return (struct sip_str){ NULL, 0 };
	e = p + u->params.len;
	while (p < e) {
		const char *end = memchr(p, ';', (size_t)(e - p));

		if (end == NULL)
			end = e;
		if ((size_t)(end - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
			return (struct sip_str){ p + nl + 1, (uint32_t)(end - p - (long)nl - 1) };
		p = end + 1;
	}
	return (struct sip_str){ NULL, 0 };
}

/* Our branch for m (RFC 3261 16.6 step 8): a hash of the Request-URI,
 * the tags, Call-ID and CSeq number, not of the Vias, so that the same
 * request coming back through a loop gets the same branch (16.3 step 4)
 * while a spiral (a new Request-URI) does not. */
static void branch_of(struct sip_proxy *px, const struct sip_msg *m, char *buf, size_t len)
{
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_str cid = { "", 0 };
	uint64_t h = SIP_FNV_BASIS;

	h = sip_fnv1a(m->ruri.p, m->ruri.len, h);
	if (sip_msg_from(m, &na) == 0 && na.tag.p)
		h = sip_fnv1a(na.tag.p, na.tag.len, h);
	if (sip_msg_to(m, &na) == 0 && na.tag.p)
		h = sip_fnv1a(na.tag.p, na.tag.len, h);
	if (sip_msg_call_id(m, &cid) == 0)
		h = sip_fnv1a(cid.p, cid.len, h);
	if (sip_msg_cseq(m, &cs) == 0)
		h = sip_fnv1a(&cs.num, sizeof(cs.num), h);
	if (m->method == SIP_METHOD_ACK)
		h = sip_fnv1a("ACK", 3, h); /* the ACK of a 2xx is a transaction of its own */
	snprintf(buf, len, "z9hG4bKum%u.%016llx", px->cfg.worker, (unsigned long long)h);
}

static bool looped(const struct sip_proxy *px, const struct sip_msg *m, const char *branch)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_via v;

	while (sip_list_next(m, SIP_HDR_VIA, &it, &item) == 1)
		if (sip_via_parse(&v, item.value.p, item.value.len) == 0 &&
		    (v.ipv4 == px->cfg.addr[0] || v.ipv4 == px->cfg.addr[1]) &&
		    v.branch.len == strlen(branch) && memcmp(v.branch.p, branch, v.branch.len) == 0)
			return true;
	return false;
}

/* The signature of a call's mode: SipHash of the mode and the Call-ID,
 * so that a peer can neither weaken its call's mode nor move a signed
 * value to another call. */
static uint64_t mode_mac(const struct sip_proxy *px, int mode, struct sip_str call_id)
{
	uint8_t msg[1 + 256];
	size_t n = call_id.len < 256 ? call_id.len : 256;

	msg[0] = (uint8_t)mode;
	memcpy(msg + 1, call_id.p, n);
	return siphash24(px->cfg.route_key, msg, 1 + n);
}

/* The mode of a um value, -1 when absent, -2 when its signature is bad. */
static int mode_of(const struct sip_proxy *px, struct sip_str um, struct sip_str call_id)
{
	char hex[17];
	int mode;

	if (um.p == NULL)
		return -1;
	if (um.len != 18 || um.p[0] < '0' || um.p[0] >= '0' + UMEDGE_SEC_COUNT || um.p[1] != '.')
		return -2;
	mode = um.p[0] - '0';
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)mode_mac(px, mode, call_id));
	return memcmp(hex, um.p + 2, 16) == 0 ? mode : -2;
}

/* Our Route values on top (RFC 5658: one per side, consecutive): removed
 * from the copy, the call's mode read from them (um=N), the next hop's
 * URI in *next when a Route value remains. */
static int strip_routes(struct sip_proxy *px, const struct sip_msg *m, int *mode,
			struct sip_uri *next, bool *has_next)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	unsigned cur_hdr = 0;
	uint32_t del_from = 0;
	int rc;

	*has_next = false;
	*mode = -1;
	while ((rc = sip_list_next(m, SIP_HDR_ROUTE, &it, &item)) == 1) {
		struct sip_nameaddr na;
		struct sip_str um;

		if (sip_nameaddr_parse(&na, item.value.p, item.value.len) != 0)
			return -1;
		if (item.hdr != cur_hdr) {
			cur_hdr = item.hdr;
			del_from = (uint32_t)(item.value.p - m->buf);
		}
		if (!is_us(px, &na.uri)) {
			/* the first value not ours: drop ours before it in its field */
			if ((uint32_t)(item.value.p - m->buf) > del_from)
				sip_edit_delete(&px->ed, del_from,
						(uint32_t)(item.value.p - m->buf) - del_from);
			*next = na.uri;
			*has_next = true;
			return 0;
		}
		um = uri_param(&na.uri, "um");
		if (um.p != NULL) {
			struct sip_str cid = { "", 0 };
			int md;

			(void)sip_msg_call_id(m, &cid);
			md = mode_of(px, um, cid);
			if (md == -2) {
				px->stats.forged_routes++;
				return -2;
			}
			*mode = md;
		}
		if (item.last_in_hdr)
			sip_edit_header_remove(&px->ed, item.hdr);
	}
	return rc < 0 ? -1 : 0;
}

/* Where a URI sends us: IPv4 literal only (no DNS on the workers). */
static bool uri_dest(const struct sip_uri *u, uint8_t side, struct sip_peer *to)
{
	struct sip_str t = u->transport;

	if (u->ipv4 == 0)
		return false;
	to->side = side;
	to->addr = u->ipv4;
	to->conn = 0;
	to->transport = u->scheme == SIP_URI_SIPS ? UMEDGE_TRANSPORT_TLS : tp_of(t);
	to->port = u->port ? u->port
			   : to->transport == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT : UMEDGE_SIP_PORT;
	return true;
}

/* "<sip:ADDR:PORT;transport=x;lr;um=N.MAC>" for one side. */
static int rr_value(const struct sip_proxy *px, char *buf, size_t len, unsigned side, unsigned tp,
		    int mode, struct sip_str call_id)
{
	char ip[INET_ADDRSTRLEN];
	static const char *const tpl[] = { "udp", "tcp", "tls" };

	sip_ipv4_str(ip, sizeof(ip), px->cfg.addr[side]);
	return snprintf(buf, len, "<sip:%s:%u;transport=%s;lr;um=%d.%016llx>", ip,
			our_port(px, tp), tpl[tp < 3 ? tp : 0], mode,
			(unsigned long long)mode_mac(px, mode, call_id));
}


/* SDP, which must not pass without the engine anchoring its media: a
 * body typed application/sdp, or a multipart one that may hold it. */
bool px_has_sdp(const struct sip_msg *m)
{
	struct sip_str ct;

	if (m->body.len == 0 || sip_msg_content_type(m, &ct) != 0)
		return m->body.len > 0 && m->first[SIP_HDR_CONTENT_TYPE] == 0;
	return (ct.len >= 15 && strncasecmp(ct.p, "application/sdp", 15) == 0) ||
	       (ct.len >= 10 && strncasecmp(ct.p, "multipart/", 10) == 0);
}

const struct sip_hdr_out px_retry_after[1] = { { "Retry-After", "5" } };

/* RFC 3581 and RFC 3261 18.2.1 on the top Via of a request we forward:
 * rport gets the source port, received the source address, so that the
 * responses find a gateway behind NAT. */
static void mark_source(struct sip_proxy *px, const struct sip_msg *m, const struct sip_peer *from)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item top;
	struct sip_via v;
	char ip[INET_ADDRSTRLEN], text[40];
	int n;

	if (sip_list_next(m, SIP_HDR_VIA, &it, &top) != 1 ||
	    sip_via_parse(&v, top.value.p, top.value.len) != 0)
		return;
	if (v.rport && v.rport_value < 0) {
		/* the valueless "rport": its end in the parameters */
		const char *p = v.params.p, *e = v.params.p + v.params.len;

		while (p != NULL && p < e) {
			const char *end = memchr(p, ';', (size_t)(e - p)), *ne;

			if (end == NULL)
				end = e;
			ne = p;
			while (ne < end && *ne != ' ' && *ne != '\t' && *ne != '\r')
				ne++;
			if (ne - p == 5 && strncasecmp(p, "rport", 5) == 0) {
				n = snprintf(text, sizeof(text), "=%u", from->port);
				sip_edit_insert_copy(&px->ed, (uint32_t)(ne - m->buf), text,
						     (uint32_t)n);
				break;
			}
			p = end + 1;
		}
	}
	if (v.received.p == NULL && (v.rport || v.ipv4 != from->addr)) {
		sip_ipv4_str(ip, sizeof(ip), from->addr);
		n = snprintf(text, sizeof(text), ";received=%s", ip);
		sip_edit_insert_copy(&px->ed, (uint32_t)(top.value.p + top.value.len - m->buf),
				     text, (uint32_t)n);
	}
}

/* Forward m (edits in px->ed already started) to `to` in a new client
 * transaction tied to st, for call c (NULL: none). false: refused here,
 * answered already. */
static bool forward(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
		    const struct sip_peer *to, const char *branch, struct sip_call *c)
{
	char via[160], ip[INET_ADDRSTRLEN];
	struct sip_txn *ct;
	struct fwd *f;
	long n;
	int rc;

	sip_ipv4_str(ip, sizeof(ip), px->cfg.addr[to->side]);
	snprintf(via, sizeof(via), "SIP/2.0/%s %s:%u;branch=%s;rport", tp_upper(to->transport), ip,
		 our_port(px, to->transport), branch);
	sip_edit_via_push(&px->ed, via, (uint32_t)strlen(via));
	sip_edit_max_forwards_dec(&px->ed);
	n = sip_edits_apply(&px->ed, px->out, px->out_cap);
	if (n < 0) {
		px_reply(px, st, m, 500, "Message Too Large To Forward", NULL, 0);
		return false;
	}
	f = fwd_new(px);
	if (f == NULL) {
		px_reply(px, st, m, 503, "Service Unavailable", px_retry_after, 1);
		return false;
	}
	f->st = st;
	f->invite = m->method == SIP_METHOD_INVITE;
	f->call = c;
	f->call_id = c != NULL ? c->id : 0;
	sip_txn_set_tu(st, f);
	rc = sip_txn_client_start(px->tt, px->out, (size_t)n, to, f, &ct);
	if (rc != 0) {
		/* unreachable, table full, or a branch clash */
		px_reply(px, st, m, 503, "Service Unavailable", rc == -ENOSPC ? px_retry_after : NULL,
		      rc == -ENOSPC ? 1 : 0);
		return false;
	}
	f->ct = ct;
	px->stats.forwarded_requests++;
	return true;
}

static void refuse_policy(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
			  const struct sip_policy_result *r)
{
	struct sip_hdr_out warn = { "Warning", r->warning };

	px->stats.refused_policy++;
	px_event(px, r->event, r->gateway ? r->gateway->name : r->detail, r->detail);
	px_reply(px, st, m, r->status, r->reason, &warn, r->warning[0] ? 1 : 0);
}

/* An ACK for a 2xx, or another request outside any transaction of ours:
 * routed like an in-dialog request, without a transaction. */
static void forward_ack(struct sip_proxy *px, const struct sip_msg *m, const struct sip_rx *rx)
{
	struct sip_uri next, ru;
	struct sip_peer to;
	char branch[48], via[160], ip[INET_ADDRSTRLEN];
	bool has_next;
	int mode;
	long n;

	sip_edits_init(&px->ed, m);
	if (px_has_sdp(m) && !px_ack_answer(px, m, rx->from.side)) {
		/* media must not bypass the engine: the ACK goes on without SDP */
		sip_edit_body(&px->ed, "", 0);
	}
	mark_source(px, m, &rx->from);
	if (strip_routes(px, m, &mode, &next, &has_next) != 0 ||
	    (!has_next && sip_msg_ruri(m, &ru) != 0)) {
		px->stats.dropped++;
		return;
	}
	if (!uri_dest(has_next ? &next : &ru, rx->from.side ^ 1, &to) ||
	    (rx->from.side == SIP_SIDE_EXTERNAL && mode >= 0 &&
	     !sip_policy_transport_fits((enum umedge_security)mode,
					(enum umedge_transport)rx->from.transport))) {
		px->stats.dropped++;
		return;
	}
	branch_of(px, m, branch, sizeof(branch));
	sip_ipv4_str(ip, sizeof(ip), px->cfg.addr[to.side]);
	snprintf(via, sizeof(via), "SIP/2.0/%s %s:%u;branch=%s;rport", tp_upper(to.transport), ip,
		 our_port(px, to.transport), branch);
	sip_edit_via_push(&px->ed, via, (uint32_t)strlen(via));
	sip_edit_max_forwards_dec(&px->ed);
	n = sip_edits_apply(&px->ed, px->out, px->out_cap);
	if (n > 0 && px_send(px, &to, px->out, (size_t)n) == 0)
		px->stats.forwarded_requests++;
}

static void cancel(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m)
{
	struct sip_txn *inv = sip_txn_find_invite(px->tt, m);
	struct fwd *f = inv != NULL ? sip_txn_tu(inv) : NULL;

	if (inv == NULL) {
		px_reply(px, st, m, 481, "Call/Transaction Does Not Exist", NULL, 0);
		return;
	}
	px_reply(px, st, m, 200, "OK", NULL, 0);
	if (f == NULL || f->answered)
		return;
	if (f->ct != NULL)
		send_cancel(px, f->ct);
	/* the INVITE gets its 487 now, built from the INVITE we forwarded;
	 * the far side's 487 is ACKed and absorbed by the client transaction */
	if (f->ct != NULL)
		px_answer_upstream(px, f, f->ct, 487, "Request Terminated", NULL, 0);
	if (px_fwd_call(f) != NULL && px_fwd_call(f)->state != SIP_CALL_ANSWERED)
		px_call_end(px, px_fwd_call(f), "cancel", 487);
}

/* A Request-URI naming us (our address or the server's FQDN, no user). */
static bool for_us(const struct sip_proxy *px, const struct dp_snapshot *snap,
		   const struct sip_uri *u)
{
	if (is_us(px, u))
		return true;
	return snap->fqdn[0] != '\0' && u->host.len == strlen(snap->fqdn) &&
	       strncasecmp(u->host.p, snap->fqdn, u->host.len) == 0;
}

/* OPTIONS to the engine itself: a gateway's keep-alive or capability
 * query, answered here. The gateway must be known (an unknown source gets
 * the policy's 403 and its event); no dial plan is involved. From our own
 * address it is the engine testing its listeners (test-connectivity
 * --local): the stack carries our source only for frames it looped back
 * itself, so no gateway can pass for it. */
static void options(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
		    const struct sip_rx *rx)
{
	static const struct sip_hdr_out hdrs[] = {
		{ "Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, REFER, "
			   "NOTIFY, SUBSCRIBE, MESSAGE" },
		{ "Accept", "application/sdp" },
		{ "Server", "umedge" },
	};
	struct sip_policy_result pr;

	if (rx->from.side == SIP_SIDE_EXTERNAL &&
	    rx->from.addr != px->cfg.addr[SIP_SIDE_EXTERNAL]) {
		sip_policy_inbound(px->snap, &rx->from, rx->tls_names, rx->n_names,
				   (struct sip_str){ NULL, 0 }, &pr);
		if (pr.gateway == NULL) {
			refuse_policy(px, st, m, &pr);
			return;
		}
	}
	px->stats.options_answered++;
	px_reply(px, st, m, 200, "OK", hdrs, sizeof(hdrs) / sizeof(hdrs[0]));
}

/* A request inside a call: BYE ends it, an offer (re-INVITE, UPDATE)
 * goes through the engine; then it goes on to `to`. */
static void in_dialog_request(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
			      const struct sip_rx *rx, const struct sip_peer *to,
			      const char *branch)
{
	struct sip_call *c = px_call_of(px, m);

	if (c != NULL) {
		sip_call_touch(&px->calls, c, px->now);
		px_call_request_seen(c, rx->from.side, m);
	}
	if (px_has_sdp(m) && (m->method == SIP_METHOD_INVITE || m->method == SIP_METHOD_UPDATE ||
			   m->method == SIP_METHOD_PRACK)) {
		if (c == NULL) {
			px_reply(px, st, m, 481, "Call/Transaction Does Not Exist", NULL, 0);
			return;
		}
		if (!px_media_offer(px, st, m, c, rx->from.side))
			return;
	}
	if (!forward(px, st, m, to, branch, m->method == SIP_METHOD_INVITE ? c : NULL))
		return;
	if (m->method == SIP_METHOD_BYE)
		px_call_end(px, c, "bye", 0);
}

static void request(struct sip_proxy *px, const struct sip_msg *m, const struct sip_rx *rx)
{
	const struct dp_snapshot *snap = px->snap;
	struct sip_policy_result pr;
	struct sip_call *c;
	struct sip_txn *st;
	struct sip_uri ru, next;
	struct sip_nameaddr to_na;
	struct sip_peer to;
	char branch[48];
	bool has_next, in_dialog;
	unsigned mf;
	int mode;

	switch (sip_txn_server_recv(px->tt, m, &rx->from, &st)) {
	case SIP_TXN_RX_NEW:
		break;
	case SIP_TXN_RX_ACK_2XX:
		forward_ack(px, m, rx);
		return;
	case SIP_TXN_RX_FULL:
		reply_stateless(px, m, &rx->from, 503, "Service Unavailable", px_retry_after, 1);
		return;
	case SIP_TXN_RX_UNMATCHABLE:
		reply_stateless(px, m, &rx->from, 400, "Bad Request", NULL, 0);
		return;
	default:
		return; /* absorbed */
	}
	if (m->method == SIP_METHOD_INVITE)
		px_reply(px, st, m, 100, "Trying", NULL, 0);
	if (m->method == SIP_METHOD_CANCEL) {
		cancel(px, st, m);
		return;
	}
	if (snap == NULL) {
		px_reply(px, st, m, 503, "Service Unavailable", px_retry_after, 1);
		return;
	}
	if (rx->from.side == SIP_SIDE_INTERNAL &&
	    (!snap->has_application || rx->from.addr != ntohl(snap->app_addr))) {
		/* the internal side speaks for the application only: another
		 * host there does not get to call out through the gateways */
		static const struct sip_hdr_out w = {
			"Warning", "399 umedge \"requests on the internal side come from the "
				   "configured application only\""
		};

		px->stats.refused_policy++;
		px_reply(px, st, m, 403, "Not The Application", &w, 1);
		return;
	}
	/* RFC 3261 16.3 */
	if (sip_msg_max_forwards(m, &mf) == 0 && mf == 0) {
		px->stats.too_many_hops++;
		px_reply(px, st, m, 483, "Too Many Hops", NULL, 0);
		return;
	}
	branch_of(px, m, branch, sizeof(branch));
	if (looped(px, m, branch)) {
		px->stats.loops++;
		px_reply(px, st, m, 482, "Loop Detected", NULL, 0);
		return;
	}
	if (m->first[SIP_HDR_PROXY_REQUIRE] != 0) {
		/* we support no extension: every tag goes back in Unsupported */
		struct sip_hdr_out un = { "Unsupported", "" };
		char tags[256] = "";
		struct sip_list_iter it = { 0, 0 };
		struct sip_str tag;

		while (sip_msg_option_tag(m, SIP_HDR_PROXY_REQUIRE, &it, &tag) == 1 &&
		       strlen(tags) + tag.len + 2 < sizeof(tags))
			snprintf(tags + strlen(tags), sizeof(tags) - strlen(tags), "%s%.*s",
				 tags[0] ? ", " : "", (int)tag.len, tag.p);
		un.value = tags;
		px->stats.bad_extension++;
		px_reply(px, st, m, 420, "Bad Extension", &un, tags[0] ? 1 : 0);
		return;
	}
	/* RFC 3261 16.4: our own Route values off the top */
	sip_edits_init(&px->ed, m);
	mark_source(px, m, &rx->from);
	switch (strip_routes(px, m, &mode, &next, &has_next)) {
	case 0:
		break;
	case -2:
		px_reply(px, st, m, 403, "Route Signature Invalid", NULL, 0);
		return;
	default:
		px_reply(px, st, m, 400, "Bad Route", NULL, 0);
		return;
	}
	if (sip_msg_ruri(m, &ru) != 0) {
		px_reply(px, st, m, 400, "Bad Request-URI", NULL, 0);
		return;
	}
	in_dialog = sip_msg_to(m, &to_na) == 0 && to_na.tag.p != NULL;
	if (in_dialog && mode >= 0) {
		/* the call keeps the mode it was set up with (in our Route) */
		if (rx->from.side == SIP_SIDE_EXTERNAL) {
			sip_policy_in_dialog((enum umedge_security)mode, "-", "-", &rx->from, &pr);
			if (pr.verdict != SIP_POLICY_ACCEPT) {
				refuse_policy(px, st, m, &pr);
				return;
			}
		}
		if (!uri_dest(has_next ? &next : &ru, rx->from.side ^ 1, &to)) {
			px_reply(px, st, m, 404, "Not Found", NULL, 0);
			return;
		}
		in_dialog_request(px, st, m, rx, &to, branch);
		return;
	}
	if (px_has_sdp(m) && (m->method == SIP_METHOD_UPDATE || m->method == SIP_METHOD_PRACK)) {
		/* an offer for a call that did not come through us */
		px_reply(px, st, m, 481, "Call/Transaction Does Not Exist", NULL, 0);
		return;
	}
	if (m->method == SIP_METHOD_OPTIONS && !has_next && ru.user.p == NULL &&
	    for_us(px, snap, &ru)) {
		options(px, st, m, rx);
		return;
	}
	if (rx->from.side == SIP_SIDE_EXTERNAL) {
		sip_policy_inbound(snap, &rx->from, rx->tls_names, rx->n_names, ru.user, &pr);
		if (pr.verdict != SIP_POLICY_ACCEPT) {
			refuse_policy(px, st, m, &pr);
			return;
		}
		if (!snap->has_application) {
			px_reply(px, st, m, 503, "Application Not Configured", NULL, 0);
			return;
		}
		to = (struct sip_peer){ SIP_SIDE_INTERNAL, (uint8_t)snap->app_transport,
					snap->app_port, ntohl(snap->app_addr), 0 };
		mode = pr.mode;
	} else {
		enum umedge_transport tp;

		if (!sip_policy_outbound(snap, ru.host, ru.ipv4, &pr, &tp)) {
			px_reply(px, st, m, 404, "Not A Gateway", NULL, 0);
			return;
		}
		if (pr.verdict != SIP_POLICY_ACCEPT) {
			refuse_policy(px, st, m, &pr);
			return;
		}
		to = (struct sip_peer){ SIP_SIDE_EXTERNAL, (uint8_t)tp,
					pr.gateway->port ? pr.gateway->port
					: tp == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT
								     : UMEDGE_SIP_PORT,
					ntohl(pr.gateway->addr), 0 };
		mode = pr.mode;
	}
	if (!in_dialog && (m->method == SIP_METHOD_INVITE || m->method == SIP_METHOD_SUBSCRIBE ||
			   m->method == SIP_METHOD_REFER)) {
		/* RFC 5658 double Record-Route: the far side's value on top */
		char rr[128];

		struct sip_str cid = { "", 0 };

		(void)sip_msg_call_id(m, &cid);
		rr_value(px, rr, sizeof(rr), to.side, to.transport, mode, cid);
		sip_edit_record_route_push(&px->ed, rr, (uint32_t)strlen(rr));
		rr_value(px, rr, sizeof(rr), rx->from.side, rx->from.transport, mode, cid);
		sip_edit_record_route_push(&px->ed, rr, (uint32_t)strlen(rr));
	}
	if (in_dialog) {
		/* in a call, without our Route (a peer that ignores Record-Route) */
		in_dialog_request(px, st, m, rx, &to, branch);
		return;
	}
	if (m->method != SIP_METHOD_INVITE) {
		forward(px, st, m, &to, branch, NULL);
		return;
	}
	c = px_call_begin(px, st, m, rx, &to, &pr);
	if (c == NULL)
		return;
	if (px_has_sdp(m) && !px_media_offer(px, st, m, c, rx->from.side))
		px_call_end(px, c, "refused", 488);
	else if (!forward(px, st, m, &to, branch, c))
		px_call_end(px, c, "unreachable", 503);
}

/* A response no client transaction took: routed back by its Via. */
static void stray_response(struct sip_proxy *px, const struct sip_msg *m)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_via ours, up;
	struct sip_peer to;
	long n;

	if (sip_list_next(m, SIP_HDR_VIA, &it, &item) != 1 ||
	    sip_via_parse(&ours, item.value.p, item.value.len) != 0 ||
	    (ours.ipv4 != px->cfg.addr[0] && ours.ipv4 != px->cfg.addr[1]) ||
	    sip_list_next(m, SIP_HDR_VIA, &it, &item) != 1 ||
	    sip_via_parse(&up, item.value.p, item.value.len) != 0) {
		px->stats.dropped++;
		return;
	}
	to.side = ours.ipv4 == px->cfg.addr[SIP_SIDE_EXTERNAL] ? SIP_SIDE_INTERNAL
							       : SIP_SIDE_EXTERNAL;
	to.transport = tp_of(up.transport);
	to.addr = up.received.p ? sip_ipv4_parse(up.received.p, up.received.len) : up.ipv4;
	to.port = up.rport_value > 0 ? (uint16_t)up.rport_value
				     : up.port ? up.port
					       : to.transport == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT
										 : UMEDGE_SIP_PORT;
	to.conn = 0;
	if (to.addr == 0) {
		px->stats.dropped++;
		return;
	}
	sip_edits_init(&px->ed, m);
	sip_edit_via_pop(&px->ed);
	n = sip_edits_apply(&px->ed, px->out, px->out_cap);
	if (n > 0 && px_send(px, &to, px->out, (size_t)n) == 0)
		px->stats.forwarded_responses++;
}

void sip_proxy_input(struct sip_proxy *px, const struct dp_snapshot *snap,
		     const struct sip_rx *rx, const char *buf, size_t len, uint64_t now_ms)
{
	struct sip_msg *m = &px->m;
	enum sip_error e;

	px->now = now_ms;
	px->snap = snap;
	sip_txn_advance(px->tt, now_ms);
	e = sip_msg_parse(m, buf, len, &px->lim);
	if (e == SIP_E_OK)
		e = sip_msg_check(m);
	if (m->is_request)
		px->stats.requests++;
	else
		px->stats.responses++;
	if (e != SIP_E_OK) {
		px->stats.malformed++;
		px->stats.errors[e]++;
		/* a request we can answer gets the reason; past a limit, nothing */
		if (sip_msg_answerable(m, e))
			reply_stateless(px, m, &rx->from, (unsigned)sip_error_status(e),
					sip_error_reason(e), NULL, 0);
		px->snap = NULL;
		return;
	}
	if (m->is_request) {
		px->stats.in_requests[m->method]++;
		request(px, m, rx);
	} else {
		px->stats.in_responses[m->status / 100 <= 6 ? m->status / 100 : 0]++;
		if (sip_txn_client_recv(px->tt, m, &rx->from) != 0)
			stray_response(px, m);
	}
	px->snap = NULL;
}
