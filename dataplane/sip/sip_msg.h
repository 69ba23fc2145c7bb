/*
 * sip_msg.h: the SIP message layer (RFC 3261 sections 7, 18.3, 19, 20, 25).
 *
 * Zero-copy: sip_msg_parse() indexes one framed message in place. Every
 * string is a span (struct sip_str) into the caller's buffer, which must
 * outlive the struct sip_msg. Nothing is allocated and nothing is copied.
 * The parse finds the start line, the header fields (name, value, offsets)
 * and the body; the typed accessors parse a header only when asked.
 *
 * Then, for a proxy:
 *   sip_msg_check()   the validation of RFC 3261 section 16.3 as an error
 *                     code with a status and a reason phrase;
 *   sip_frame()       message boundaries on a TCP or TLS stream;
 *   struct sip_edits  insert / delete / replace at offsets, applied once
 *                     into an output buffer: untouched bytes leave as they
 *                     came;
 *   sip_reply_build() a response to a request.
 *
 * No DPDK here: unit tests, fuzzers and benchmarks build these files alone.
 */
#ifndef UMEDGE_SIP_MSG_H
#define UMEDGE_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- spans ---- */

struct sip_str {
	const char *p;		  /* NULL when absent */
	uint32_t len;
};

static inline bool sip_str_present(struct sip_str s)
{
	return s.p != NULL;
}

bool sip_str_ieq(struct sip_str s, const char *lit);	  /* ASCII case-insensitive */
bool sip_str_eq(struct sip_str a, struct sip_str b);	  /* byte-exact */
bool sip_str_ieq_str(struct sip_str a, struct sip_str b); /* ASCII case-insensitive */

/* ---- limits ---- */

/* Every limit breaks with its own error code. The header index lives in
 * struct sip_msg, so max_headers is at most SIP_HDRS_CAP. */
#define SIP_HDRS_CAP 255

struct sip_limits {
	uint32_t max_message;	  /* bytes, start line to end of body */
	uint32_t max_headers;	  /* header fields, <= SIP_HDRS_CAP */
	uint32_t max_header_line; /* one field, name to CRLF, folds included */
	uint32_t max_vias;	  /* via-parm values over all Via fields */
	uint32_t max_uri;	  /* Request-URI and name-addr URI bytes */
};

/* Defaults: room for RFC 4475's longreq (34 Vias, 3.5 KB) and for a Via
 * per hop of the default Max-Forwards 70. */
#define SIP_LIMITS_DEFAULT_INIT { 16384, 128, 4096, 70, 1024 }
extern const struct sip_limits sip_limits_default;

/* ---- methods and header names ---- */

enum sip_method {
	SIP_METHOD_OTHER = 0,	  /* an extension method: see the span */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_INFO,
	SIP_METHOD_UPDATE,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_COUNT
};

extern const char *const sip_method_names[SIP_METHOD_COUNT];
/* Methods are case-sensitive (RFC 3261 7.1): "invite" is an extension. */
enum sip_method sip_method_from(const char *p, size_t len);

/* Header fields with an id; compact forms (RFC 3261 7.3.3 and the
 * extensions that define one) map to the same id. */
#define SIP_HEADERS(X)                                                   \
	X(VIA, "Via", 'v')                                               \
	X(FROM, "From", 'f')                                             \
	X(TO, "To", 't')                                                 \
	X(CALL_ID, "Call-ID", 'i')                                       \
	X(CSEQ, "CSeq", 0)                                               \
	X(MAX_FORWARDS, "Max-Forwards", 0)                               \
	X(ROUTE, "Route", 0)                                             \
	X(RECORD_ROUTE, "Record-Route", 0)                               \
	X(CONTACT, "Contact", 'm')                                       \
	X(CONTENT_LENGTH, "Content-Length", 'l')                         \
	X(CONTENT_TYPE, "Content-Type", 'c')                             \
	X(CONTENT_ENCODING, "Content-Encoding", 'e')                     \
	X(SUBJECT, "Subject", 's')                                       \
	X(SUPPORTED, "Supported", 'k')                                   \
	X(REQUIRE, "Require", 0)                                         \
	X(PROXY_REQUIRE, "Proxy-Require", 0)                             \
	X(UNSUPPORTED, "Unsupported", 0)                                 \
	X(EXPIRES, "Expires", 0)                                         \
	X(ALLOW, "Allow", 0)                                             \
	X(WARNING, "Warning", 0)                                         \
	X(RETRY_AFTER, "Retry-After", 0)                                 \
	X(EVENT, "Event", 'o')                                           \
	X(ALLOW_EVENTS, "Allow-Events", 'u')                             \
	X(REFER_TO, "Refer-To", 'r')                                     \
	X(REFERRED_BY, "Referred-By", 'b')                               \
	X(ACCEPT_CONTACT, "Accept-Contact", 'a')                         \
	X(REJECT_CONTACT, "Reject-Contact", 'j')                         \
	X(REQUEST_DISPOSITION, "Request-Disposition", 'd')               \
	X(SESSION_EXPIRES, "Session-Expires", 'x')                       \
	X(IDENTITY, "Identity", 'y')                                     \
	X(IDENTITY_INFO, "Identity-Info", 'n')

enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
#define SIP_HDR_ENUM(id, name, compact) SIP_HDR_##id,
	SIP_HEADERS(SIP_HDR_ENUM)
#undef SIP_HDR_ENUM
	SIP_HDR_COUNT
};

extern const char *const sip_hdr_names[SIP_HDR_COUNT]; /* canonical, "" for OTHER */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);

/* ---- errors ---- */

/* Why a message is refused: counter name, status, reason phrase. The
 * reason phrase names the problem, so a 400 tells the peer what to fix. */
#define SIP_ERRORS(X)                                                             \
	X(OK, "ok", 200, "OK")                                                    \
	X(TOO_BIG, "too_big", 513, "Message Too Large")                           \
	X(TOO_MANY_HEADERS, "too_many_headers", 400, "Too Many Header Fields")    \
	X(HEADER_TOO_LONG, "header_too_long", 400, "Header Field Too Long")       \
	X(TOO_MANY_VIAS, "too_many_vias", 400, "Too Many Via Values")             \
	X(URI_TOO_LONG, "uri_too_long", 414, "Request-URI Too Long")              \
	X(NO_END_OF_HEADERS, "no_end_of_headers", 400, "Missing Empty Line")      \
	X(BODY_SHORT, "body_short", 400, "Content-Length Exceeds Body")           \
	X(START_LINE, "bad_start_line", 400, "Malformed Start Line")              \
	X(STATUS, "bad_status_code", 400, "Bad Status Code")                      \
	X(VERSION, "bad_version", 505, "Version Not Supported")                   \
	X(HEADER, "bad_header", 400, "Malformed Header Field")                    \
	X(CONTENT_LENGTH, "bad_content_length", 400, "Bad Content-Length")        \
	X(REQUEST_URI, "bad_request_uri", 400, "Bad Request-URI")                 \
	X(URI_SCHEME, "unsupported_uri_scheme", 416, "Unsupported URI Scheme")    \
	X(MISSING_VIA, "missing_via", 400, "Missing Via")                         \
	X(MISSING_FROM, "missing_from", 400, "Missing From")                      \
	X(MISSING_TO, "missing_to", 400, "Missing To")                            \
	X(MISSING_CALL_ID, "missing_call_id", 400, "Missing Call-ID")             \
	X(MISSING_CSEQ, "missing_cseq", 400, "Missing CSeq")                      \
	X(DUPLICATE, "duplicate_header", 400, "Duplicate Header Field")           \
	X(VIA, "bad_via", 400, "Bad Via")                                         \
	X(FROM, "bad_from", 400, "Bad From")                                      \
	X(TO, "bad_to", 400, "Bad To")                                            \
	X(CALL_ID, "bad_call_id", 400, "Bad Call-ID")                             \
	X(CSEQ, "bad_cseq", 400, "Bad CSeq")                                      \
	X(CSEQ_METHOD, "cseq_method_mismatch", 400, "CSeq Method Mismatch")       \
	X(MAX_FORWARDS, "bad_max_forwards", 400, "Bad Max-Forwards")              \
	X(ROUTE, "bad_route", 400, "Bad Route")                                   \
	X(CONTACT, "bad_contact", 400, "Bad Contact")

enum sip_error {
#define SIP_ERROR_ENUM(id, name, status, reason) SIP_E_##id,
	SIP_ERRORS(SIP_ERROR_ENUM)
#undef SIP_ERROR_ENUM
	SIP_E_COUNT
};

const char *sip_error_name(enum sip_error e);	/* counter name */
int sip_error_status(enum sip_error e);		/* 400, 416, 505, ... */
const char *sip_error_reason(enum sip_error e); /* "Missing Call-ID" */

/* ---- URIs (RFC 3261 19.1, RFC 3966) ---- */

enum sip_uri_scheme {
	SIP_URI_OTHER = 0,	  /* any other scheme: kept opaque */
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
};

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_str scheme_str;
	struct sip_str user;	  /* sip: userinfo before ':'; tel: the number */
	struct sip_str password;
	struct sip_str host;	  /* name, dotted quad, or "[v6]" with brackets */
	uint32_t ipv4;		  /* host order when host is a dotted quad, else 0 */
	uint16_t port;		  /* 0: none written */
	struct sip_str params;	  /* after the first ';', up to '?' */
	struct sip_str headers;	  /* after '?' */
	struct sip_str opaque;	  /* other schemes: everything after ':' */
	/* the parameters a proxy reads */
	struct sip_str transport, maddr, user_param, ttl, method;
	bool lr;
};

/* Parameters (and, apart, headers) one URI may carry: more is refused,
 * as is a parameter name given twice (RFC 3261 19.1.1). */
#define SIP_URI_MAX_PARAMS 32

/* 0, or -1 when p[0..len) is not a URI of its scheme's grammar. */
int sip_uri_parse(struct sip_uri *u, const char *p, size_t len);
/* RFC 3261 19.1.4 (and RFC 3966 section 4 for tel:): escapes equal what
 * they encode, user and password compare case-sensitively, host and
 * parameters case-insensitively, user/ttl/method/maddr/transport must match
 * when either has them, other parameters when both have them, headers all.
 * Both must have parsed. */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);
/* Dotted quad in host order; 0 when p[0..len) is not one. */
uint32_t sip_ipv4_parse(const char *p, size_t len);

/* ---- header values, parsed on demand ---- */

/* name-addr or addr-spec with header parameters (From, To, Contact,
 * Route, Record-Route, Refer-To...). */
struct sip_nameaddr {
	struct sip_str display;	  /* quotes kept when quoted */
	struct sip_str uri_str;	  /* without <> */
	bool angle;		  /* written as name-addr */
	struct sip_uri uri;
	struct sip_str tag;	  /* tag= */
	struct sip_str params;	  /* header parameters, after the first ';' */
};

int sip_nameaddr_parse(struct sip_nameaddr *na, const char *p, size_t len);

struct sip_via {
	struct sip_str transport; /* "UDP", "TCP", "TLS", ... as written */
	struct sip_str host;	  /* sent-by host; "[v6]" with brackets */
	uint32_t ipv4;		  /* host order when a dotted quad, else 0 */
	uint16_t port;		  /* 0: none written */
	struct sip_str branch, received, maddr;
	bool rport;		  /* rport present */
	int32_t rport_value;	  /* -1: without value */
	int32_t ttl;		  /* -1: absent */
	struct sip_str params;	  /* all of them, after the first ';' */
};

int sip_via_parse(struct sip_via *v, const char *p, size_t len);
/* An RFC 3261 branch: the magic cookie and something after it. */
bool sip_via_branch_is_3261(const struct sip_via *v);

struct sip_cseq {
	uint32_t num;
	enum sip_method method;
	struct sip_str method_str;
};

/* ---- the message ---- */

/* One header field: [off, end) is the name through the CRLF that ends
 * the field, folds included, so a field can be dropped or copied whole. */
struct sip_hdr {
	uint8_t id;		  /* enum sip_hdr_id */
	uint8_t next;		  /* next field with the same id, 0: none */
	uint16_t name_len;
	uint32_t off, end;
	uint32_t val_off, val_len; /* trimmed of surrounding LWS */
};

struct sip_msg {
	const char *buf;
	uint32_t len;		  /* through the end of the body */
	const struct sip_limits *lim;
	bool is_request;
	/* request line */
	enum sip_method method;
	struct sip_str method_str;
	struct sip_str ruri;	  /* as written */
	/* status line */
	uint16_t status;
	struct sip_str reason;
	uint32_t start_end;	  /* offset after the start line's CRLF */
	uint32_t headers_end;	  /* offset of the empty line */
	int64_t content_length;	  /* -1: absent */
	struct sip_str body;
	uint16_t n_hdrs;
	uint16_t n_vias;	  /* via-parm values, counted by the parse */
	/* first field of each id, by index + 1 (0: none); hdrs[0] unused so
	 * that a zero-initialised chain ends */
	uint8_t first[SIP_HDR_COUNT];
	uint8_t count[SIP_HDR_COUNT];
	struct sip_hdr hdrs[SIP_HDRS_CAP + 1];
};

/*
 * Index the message buf[0..len): one datagram, or one message that
 * sip_frame() delimited. lim NULL means the defaults. Returns SIP_E_OK or
 * the first error; the start line and the fields before the error stay
 * indexed. A version other than 2.0 (505) or a Request-URI over the limit
 * (414) is returned only once the whole message is indexed, so that the
 * response can be formed. Content-Length, when present, must be a single number no
 * larger than the bytes after the empty line; the bytes beyond it are
 * not part of the message (RFC 3261 18.3). Without it the body is the
 * rest of the datagram.
 */
enum sip_error sip_msg_parse(struct sip_msg *m, const char *buf, size_t len,
			     const struct sip_limits *lim);

/*
 * What a proxy checks before it acts (RFC 3261 16.3 steps 1 to 3, and the
 * well-formedness it relies on): Via, From, To, Call-ID and CSeq present
 * and parseable, single where they must be; CSeq method equal to the
 * request's; Max-Forwards a number 0..255; a Request-URI of scheme sip,
 * sips or tel without headers (anything else 416). Option tags (420) and
 * loops are the proxy's to judge.
 */
enum sip_error sip_msg_check(const struct sip_msg *m);

/* Header fields: index of the first field of id (0: none), then next. */
static inline unsigned sip_msg_hdr_first(const struct sip_msg *m, enum sip_hdr_id id)
{
	return m->first[id];
}

static inline unsigned sip_msg_hdr_next(const struct sip_msg *m, unsigned i)
{
	return m->hdrs[i].next;
}

static inline struct sip_str sip_msg_hdr_value(const struct sip_msg *m, unsigned i)
{
	return (struct sip_str){ m->buf + m->hdrs[i].val_off, m->hdrs[i].val_len };
}

static inline struct sip_str sip_msg_hdr_name(const struct sip_msg *m, unsigned i)
{
	return (struct sip_str){ m->buf + m->hdrs[i].off, m->hdrs[i].name_len };
}

/* Comma-separated values over every field of one id, commas inside quotes
 * and <> not splitting. Start with it zeroed. */
struct sip_list_iter {
	unsigned hdr;		  /* field being walked, 0 before the start */
	uint32_t pos;		  /* offset of the next value in the message */
};

struct sip_list_item {
	struct sip_str value;	  /* trimmed */
	unsigned hdr;		  /* its field */
	bool first_in_hdr, last_in_hdr;
};

/* 1 with the next value, 0 at the end, -1 on an empty value or an
 * unterminated quote or bracket. */
int sip_list_next(const struct sip_msg *m, enum sip_hdr_id id, struct sip_list_iter *it,
		  struct sip_list_item *item);

/* Accessors. 0 on success, 1 when absent (and out untouched), -1 when
 * malformed (or, for the single-valued ones, present twice). */
int sip_msg_call_id(const struct sip_msg *m, struct sip_str *out);
int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *out);
int sip_msg_max_forwards(const struct sip_msg *m, unsigned *out);
int sip_msg_expires(const struct sip_msg *m, uint32_t *out);
int sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *out);
int sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *out);
int sip_msg_content_type(const struct sip_msg *m, struct sip_str *out);
int sip_msg_top_via(const struct sip_msg *m, struct sip_via *out);
int sip_msg_ruri(const struct sip_msg *m, struct sip_uri *out);
/* Option tags of Require, Proxy-Require, Supported or Unsupported, one
 * token per call through the iterator; 1, 0 at the end, -1 malformed. */
int sip_msg_option_tag(const struct sip_msg *m, enum sip_hdr_id id, struct sip_list_iter *it,
		       struct sip_str *tag);

/* ---- stream framing (RFC 3261 18.3, RFC 5626 3.5.1) ---- */

enum sip_frame_kind {
	SIP_FRAME_MORE = 0,	  /* need more bytes; nothing to consume */
	SIP_FRAME_MESSAGE,	  /* a message of len bytes */
	SIP_FRAME_PING,		  /* "\r\n\r\n": consume len (4), answer "\r\n" */
	SIP_FRAME_PONG,		  /* a lone "\r\n": consume len (2) */
	SIP_FRAME_BAD,		  /* close the connection; err says why */
};

struct sip_frame {
	enum sip_frame_kind kind;
	uint32_t len;
	enum sip_error err;	  /* TOO_BIG, CONTENT_LENGTH, HEADER_TOO_LONG */
};

/* Look at what a connection has received so far, buf[0..len). Stateless:
 * call again after consuming len bytes or receiving more. Content-Length
 * is mandatory on streams; a header section or a message over
 * lim->max_message is bad before it is complete, so nothing is buffered
 * without bound. */
void sip_frame(const char *buf, size_t len, const struct sip_limits *lim, struct sip_frame *f);

/* ---- ownership ---- */

/* A hash of the Call-ID value of the message in buf[0..len), found by a
 * scan of the header lines (full or compact name, any case, value trimmed)
 * without parsing: cheap enough for the RX core, and the same answer for
 * the same bytes everywhere, so every worker agrees on a call's owner.
 * Returns false (and *hash untouched) when no Call-ID line is found in the
 * header section. */
bool sip_call_id_hash(const char *buf, size_t len, uint64_t *hash);

/* ---- editing for forwarding ---- */

#define SIP_EDITS_MAX 32
#define SIP_EDITS_TEXT 1024

/* Replace [off, off + del) of the message with text[0..len). */
struct sip_edit {
	uint32_t off, del;
	const char *text;
	uint32_t len;
};

/* An edit list over one parsed message. Text handed to it must outlive
 * the apply, except what the helpers format: that goes in .arena. An edit
 * that does not fit sets .error and the apply fails. */
struct sip_edits {
	const struct sip_msg *m;
	unsigned n;
	bool error;
	uint32_t arena_used;
	struct sip_edit e[SIP_EDITS_MAX];
	char arena[SIP_EDITS_TEXT];
};

void sip_edits_init(struct sip_edits *ed, const struct sip_msg *m);
/* Primitive edits; offsets are into m->buf. */
void sip_edit_replace(struct sip_edits *ed, uint32_t off, uint32_t del, const char *text,
		      uint32_t len);
void sip_edit_insert(struct sip_edits *ed, uint32_t off, const char *text, uint32_t len);
void sip_edit_delete(struct sip_edits *ed, uint32_t off, uint32_t del);
/* Insert a copy of text, kept in the edit list's arena (for text the
 * caller formats on its stack). */
void sip_edit_insert_copy(struct sip_edits *ed, uint32_t off, const char *text, uint32_t len);

/* What a proxy does to forward. Values are header values without name or
 * CRLF ("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "<sip:192.0.2.1;lr>"). */
void sip_edit_via_push(struct sip_edits *ed, const char *value, uint32_t len);
void sip_edit_via_pop(struct sip_edits *ed);	/* the top via-parm */
void sip_edit_record_route_push(struct sip_edits *ed, const char *value, uint32_t len);
void sip_edit_route_push(struct sip_edits *ed, const char *value, uint32_t len);
/* Remove one value of a list header (as sip_list_next() gave it): its
 * whole field when it is alone there, else it and one comma. */
void sip_edit_list_remove(struct sip_edits *ed, const struct sip_list_item *item);
void sip_edit_header_remove(struct sip_edits *ed, unsigned hdr);
/* A new field before the empty line. */
void sip_edit_header_add(struct sip_edits *ed, const char *name, const char *value,
			 uint32_t len);
void sip_edit_ruri(struct sip_edits *ed, const char *uri, uint32_t len);
/* Max-Forwards minus one, or "Max-Forwards: 70" added when absent. The
 * caller has refused 0 before (483). */
void sip_edit_max_forwards_dec(struct sip_edits *ed);
/* A new body, Content-Length set to its length (added when absent). */
void sip_edit_body(struct sip_edits *ed, const char *body, uint32_t len);

/* Bytes the output will take, or -1 when the list is in error. */
long sip_edits_size(const struct sip_edits *ed);
/* Write the edited message into out. The length, or -1 when the list is
 * in error (overlapping edits, overflow) or out is too small. */
long sip_edits_apply(const struct sip_edits *ed, char *out, size_t cap);

/* ---- responses built from a request ---- */

struct sip_hdr_out {
	const char *name;	  /* "Warning" */
	const char *value;	  /* "399 umedge \"TLS required\"" */
};

/* A response to req: status line, every Via field, From, To (";tag=" and
 * to_tag appended when To has no tag, to_tag non-NULL and status > 100),
 * Call-ID and CSeq copied, then extra[0..n_extra), then
 * "Content-Length: 0". Returns the length, or -1 when out is too small or
 * req lacks what a response needs. */
long sip_reply_build(const struct sip_msg *req, unsigned status, const char *reason,
		     const char *to_tag, const struct sip_hdr_out *extra, unsigned n_extra,
		     char *out, size_t cap);

/* Whether a request refused with e (or SIP_E_OK) can and should get a
 * response: not an ACK, the Via, From, To, Call-ID and CSeq a response
 * copies are indexed, and e is not a limit (the response would copy what
 * broke it, a 71st Via, back to the peer). */
bool sip_msg_answerable(const struct sip_msg *m, enum sip_error e);

/* The ACK of an INVITE client transaction for a non-2xx final response
 * (RFC 3261 17.1.1.3): the INVITE's Request-URI, its top Via only, its
 * Route fields, From, Call-ID, the response's To (with its tag), CSeq
 * with the INVITE's number and ACK, Max-Forwards 70, no body. Returns
 * the length, or -1 when out is too small or the messages lack a part. */
long sip_ack_build(const struct sip_msg *invite, const struct sip_msg *rsp, char *out,
		   size_t cap);
/* The CANCEL of an INVITE (RFC 3261 9.1): the same Request-URI, top Via,
 * Route, From, To, Call-ID and CSeq number, method CANCEL. The length or
 * -1. */
long sip_cancel_build(const struct sip_msg *invite, char *out, size_t cap);

/* Overwrite the secrets of a message with 'X' in place, for a capture:
 * the key material of every a=crypto "inline:" key, a=key-mgmt data, an
 * SDP k= key, and the response= of Authorization / Proxy-Authorization.
 * Length-preserving (Content-Length stays right); any bytes, no parse
 * needed. Returns how many secrets were blanked (sip_redact.c). */
unsigned sip_redact_keys(char *msg, size_t len);

#endif
