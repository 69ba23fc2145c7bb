/*
 * sip_edit.c: a forwarded message is the received bytes plus a list of
 * edits at offsets (insert, delete, replace), applied in one pass into an
 * output buffer; bytes no edit touches leave exactly as they came. The
 * helpers are what RFC 3261 16.6 asks of a proxy.
 */
#include <stdio.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

void sip_edits_init(struct sip_edits *ed, const struct sip_msg *m)
{
	ed->m = m;
	ed->n = 0;
	ed->error = false;
	ed->arena_used = 0;
}

void sip_edit_replace(struct sip_edits *ed, uint32_t off, uint32_t del, const char *text,
		      uint32_t len)
{
	if (ed->error || ed->n == SIP_EDITS_MAX || off > ed->m->len || del > ed->m->len - off ||
	    (len > 0 && text == NULL)) {
		ed->error = true;
		return;
	}
	ed->e[ed->n++] = (struct sip_edit){ off, del, text, len };
}

void sip_edit_insert(struct sip_edits *ed, uint32_t off, const char *text, uint32_t len)
{
	sip_edit_replace(ed, off, 0, text, len);
}

void sip_edit_delete(struct sip_edits *ed, uint32_t off, uint32_t del)
{
	sip_edit_replace(ed, off, del, NULL, 0);
}

/* Text in the arena: the concatenation of up to three pieces. */
static const char *arena_cat(struct sip_edits *ed, const char *a, uint32_t la, const char *b,
			     uint32_t lb, const char *c, uint32_t lc, uint32_t *len)
{
	char *out = ed->arena + ed->arena_used;
	uint32_t n = la + lb + lc;

	if (ed->error || n > SIP_EDITS_TEXT - ed->arena_used) {
		ed->error = true;
		return NULL;
	}
	if (la > 0)
		memcpy(out, a, la);
	if (lb > 0)
		memcpy(out + la, b, lb);
	if (lc > 0)
		memcpy(out + la + lb, c, lc);
	ed->arena_used += n;
	*len = n;
	return out;
}

void sip_edit_insert_copy(struct sip_edits *ed, uint32_t off, const char *text, uint32_t len)
{
	uint32_t n;
	const char *t = arena_cat(ed, text, len, NULL, 0, NULL, 0, &n);

	if (t != NULL)
		sip_edit_insert(ed, off, t, n);
}

/* "Name: value\r\n" inserted at off. */
static void insert_field(struct sip_edits *ed, uint32_t off, const char *name, const char *value,
			 uint32_t len)
{
	char head[64];
	int hn = snprintf(head, sizeof(head), "%s: ", name);
	uint32_t n;
	const char *t;

	if (hn < 0 || (size_t)hn >= sizeof(head)) {
		ed->error = true;
		return;
	}
	t = arena_cat(ed, head, (uint32_t)hn, value, len, "\r\n", 2, &n);
	if (t != NULL)
		sip_edit_insert(ed, off, t, n);
}

/* On top of the fields of id: before the first of them, else right after
 * the start line. */
static uint32_t top_of(const struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned i = m->first[id];

	return i != 0 ? m->hdrs[i].off : m->start_end;
}

void sip_edit_via_push(struct sip_edits *ed, const char *value, uint32_t len)
{
	insert_field(ed, top_of(ed->m, SIP_HDR_VIA), "Via", value, len);
}

void sip_edit_record_route_push(struct sip_edits *ed, const char *value, uint32_t len)
{
	insert_field(ed, top_of(ed->m, SIP_HDR_RECORD_ROUTE), "Record-Route", value, len);
}

void sip_edit_route_push(struct sip_edits *ed, const char *value, uint32_t len)
{
	insert_field(ed, top_of(ed->m, SIP_HDR_ROUTE), "Route", value, len);
}

void sip_edit_header_add(struct sip_edits *ed, const char *name, const char *value, uint32_t len)
{
	insert_field(ed, ed->m->headers_end, name, value, len);
}

void sip_edit_header_remove(struct sip_edits *ed, unsigned hdr)
{
	const struct sip_hdr *h;

	if (hdr == 0 || hdr > ed->m->n_hdrs) {
		ed->error = true;
		return;
	}
	h = &ed->m->hdrs[hdr];
	sip_edit_delete(ed, h->off, h->end - h->off);
}

void sip_edit_list_remove(struct sip_edits *ed, const struct sip_list_item *item)
{
	const struct sip_msg *m = ed->m;
	const char *vs = item->value.p, *ve = vs + item->value.len, *q;
	const struct sip_hdr *h;

	if (item->hdr == 0 || item->hdr > m->n_hdrs) {
		ed->error = true;
		return;
	}
	h = &m->hdrs[item->hdr];
	if (item->first_in_hdr && item->last_in_hdr) {
		sip_edit_delete(ed, h->off, h->end - h->off);
		return;
	}
	if (item->first_in_hdr) {
		/* the value, its comma and the white space before the next */
		const char *he = m->buf + h->val_off + h->val_len;

		q = sip_skip_lws(ve, he);
		if (q == he || *q != ',') {
			ed->error = true;
			return;
		}
		q = sip_skip_lws(q + 1, he);
		sip_edit_delete(ed, (uint32_t)(vs - m->buf), (uint32_t)(q - vs));
		return;
	}
	/* the comma before it (and the white space around) and the value */
	q = sip_trim_lws(m->buf + h->val_off, vs);
	if (q == m->buf + h->val_off || q[-1] != ',') {
		ed->error = true;
		return;
	}
	q = sip_trim_lws(m->buf + h->val_off, q - 1);
	sip_edit_delete(ed, (uint32_t)(q - m->buf), (uint32_t)(ve - q));
}

void sip_edit_via_pop(struct sip_edits *ed)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;

	if (sip_list_next(ed->m, SIP_HDR_VIA, &it, &item) != 1) {
		ed->error = true;
		return;
	}
	sip_edit_list_remove(ed, &item);
}

void sip_edit_ruri(struct sip_edits *ed, const char *uri, uint32_t len)
{
	const struct sip_msg *m = ed->m;

	if (!m->is_request || m->ruri.p == NULL) {
		ed->error = true;
		return;
	}
	sip_edit_replace(ed, (uint32_t)(m->ruri.p - m->buf), m->ruri.len, uri, len);
}

/* A decimal in the arena. */
static const char *arena_num(struct sip_edits *ed, unsigned long v, uint32_t *len)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lu", v);

	return arena_cat(ed, num, (uint32_t)n, NULL, 0, NULL, 0, len);
}

static void replace_value(struct sip_edits *ed, unsigned hdr, unsigned long v)
{
	const struct sip_hdr *h = &ed->m->hdrs[hdr];
	uint32_t n;
	const char *t = arena_num(ed, v, &n);

	if (t != NULL)
		sip_edit_replace(ed, h->val_off, h->val_len, t, n);
}

void sip_edit_max_forwards_dec(struct sip_edits *ed)
{
	const struct sip_msg *m = ed->m;
	unsigned mf;
	int rc = sip_msg_max_forwards(m, &mf);

	if (rc == 1) {
		/* RFC 3261 16.6 step 3 */
		sip_edit_header_add(ed, "Max-Forwards", "70", 2);
		return;
	}
	if (rc != 0 || mf == 0) {
		ed->error = true;
		return;
	}
	replace_value(ed, m->first[SIP_HDR_MAX_FORWARDS], mf - 1);
}

void sip_edit_body(struct sip_edits *ed, const char *body, uint32_t len)
{
	const struct sip_msg *m = ed->m;
	unsigned cl = m->first[SIP_HDR_CONTENT_LENGTH];

	if (cl != 0) {
		replace_value(ed, cl, len);
	} else {
		uint32_t n;
		const char *t = arena_num(ed, len, &n);

		if (t != NULL)
			sip_edit_header_add(ed, "Content-Length", t, n);
	}
	sip_edit_replace(ed, m->headers_end + 2, m->len - (m->headers_end + 2), body, len);
}

/* Edits in order of offset; at one offset the pure inserts first, in the
 * order they were made. */
static void sorted(const struct sip_edits *ed, uint8_t *order)
{
	for (unsigned i = 0; i < ed->n; i++) {
		unsigned j = i;

		while (j > 0) {
			const struct sip_edit *a = &ed->e[order[j - 1]], *b = &ed->e[i];

			if (a->off < b->off || (a->off == b->off && (a->del == 0 || b->del != 0)))
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = (uint8_t)i;
	}
}

long sip_edits_size(const struct sip_edits *ed)
{
	long size;

	if (ed->error)
		return -1;
	size = (long)ed->m->len;
	for (unsigned i = 0; i < ed->n; i++)
		size += (long)ed->e[i].len - (long)ed->e[i].del;
	return size;
}

long sip_edits_apply(const struct sip_edits *ed, char *out, size_t cap)
{
	const struct sip_msg *m = ed->m;
	uint8_t order[SIP_EDITS_MAX];
	uint32_t pos = 0;
	size_t n = 0;
	long size = sip_edits_size(ed);

	if (size < 0 || (size_t)size > cap)
		return -1;
	sorted(ed, order);
	for (unsigned i = 0; i < ed->n; i++) {
		const struct sip_edit *e = &ed->e[order[i]];

		if (e->off < pos)
			return -1; /* overlaps the edit before */
		memcpy(out + n, m->buf + pos, e->off - pos);
		n += e->off - pos;
		if (e->len > 0)
			memcpy(out + n, e->text, e->len);
		n += e->len;
		pos = e->off + e->del;
	}
	memcpy(out + n, m->buf + pos, m->len - pos);
	n += m->len - pos;
	return (long)n;
}
