/* bencode: the parser and the writer (bencode.h). */
#include "bencode.h"

#include <stdio.h>
#include <string.h>

static const char *const error_names[BENC_E_COUNT] = {
#define BENC_ERROR_NAME(id, name, text) name,
	BENC_ERRORS(BENC_ERROR_NAME)
#undef BENC_ERROR_NAME
};

static const char *const error_texts[BENC_E_COUNT] = {
#define BENC_ERROR_TEXT(id, name, text) text,
	BENC_ERRORS(BENC_ERROR_TEXT)
#undef BENC_ERROR_TEXT
};

const char *benc_error_name(enum benc_error e)
{
	return (unsigned)e < BENC_E_COUNT ? error_names[e] : "?";
}

const char *benc_error_text(enum benc_error e)
{
	return (unsigned)e < BENC_E_COUNT ? error_texts[e] : "?";
}

struct parser {
	struct benc_doc *d;
	const char *b;
	size_t len, pos;
};

static enum benc_error fail(struct parser *ps, enum benc_error e)
{
	ps->d->err_off = (uint32_t)ps->pos;
	return e;
}

/* Digits at pos up to the byte term: no leading zero but "0" itself, at
 * most 19 of them (an int64 magnitude) */
static enum benc_error digits(struct parser *ps, char term, uint64_t *v, enum benc_error bad)
{
	size_t start = ps->pos;
	uint64_t x = 0;

	while (ps->pos < ps->len && ps->b[ps->pos] >= '0' && ps->b[ps->pos] <= '9') {
		if (ps->pos - start >= 19)
			return fail(ps, bad);
		x = x * 10 + (uint64_t)(ps->b[ps->pos] - '0');
		ps->pos++;
	}
	if (ps->pos >= ps->len)
		return fail(ps, BENC_E_TRUNCATED);
	if (ps->pos == start || ps->b[ps->pos] != term ||
	    (ps->b[start] == '0' && ps->pos - start > 1))
		return fail(ps, bad);
	ps->pos++; /* the terminator */
	*v = x;
	return BENC_E_OK;
}

static enum benc_error value(struct parser *ps, unsigned depth, uint32_t *idx);

static enum benc_error integer(struct parser *ps, struct benc_node *n)
{
	bool neg = false;
	uint64_t v;
	enum benc_error e;

	ps->pos++; /* 'i' */
	if (ps->pos < ps->len && ps->b[ps->pos] == '-') {
		neg = true;
		ps->pos++;
	}
	e = digits(ps, 'e', &v, BENC_E_INTEGER);
	if (e != BENC_E_OK)
		return e;
	if ((neg && v == 0) || v > (uint64_t)INT64_MAX)
		return fail(ps, BENC_E_INTEGER); /* "-0", or beyond int64 */
	n->type = BENC_INT;
	n->i = neg ? -(int64_t)v : (int64_t)v;
	return BENC_E_OK;
}

static enum benc_error string(struct parser *ps, struct benc_node *n)
{
	uint64_t l;
	enum benc_error e = digits(ps, ':', &l, BENC_E_STRING);

	if (e != BENC_E_OK)
		return e;
	if (l > ps->len - ps->pos || l > UINT32_MAX)
		return fail(ps, BENC_E_TRUNCATED);
	n->type = BENC_STR;
	n->s = ps->b + ps->pos;
	n->len = (uint32_t)l;
	ps->pos += (size_t)l;
	return BENC_E_OK;
}

/* a key equal to one before it in the same dictionary (first .. key) */
static bool dup_key(const struct benc_doc *d, uint32_t first, uint32_t key)
{
	for (uint32_t k = first; k != key; k = d->nodes[k + 1].next)
		if (d->nodes[k].len == d->nodes[key].len &&
		    memcmp(d->nodes[k].s, d->nodes[key].s, d->nodes[key].len) == 0)
			return true;
	return false;
}

static enum benc_error container(struct parser *ps, unsigned depth, uint32_t me)
{
	struct benc_doc *d = ps->d;
	bool dict = ps->b[ps->pos] == 'd';
	uint32_t count = 0, child, first = me + 1;
	enum benc_error e;

	if (depth >= d->max_depth)
		return fail(ps, BENC_E_DEPTH);
	ps->pos++;
	for (;;) {
		if (ps->pos >= ps->len)
			return fail(ps, BENC_E_TRUNCATED);
		if (ps->b[ps->pos] == 'e')
			break;
		if (dict && (ps->b[ps->pos] < '0' || ps->b[ps->pos] > '9'))
			return fail(ps, BENC_E_KEY);
		e = value(ps, depth + 1, &child);
		if (e != BENC_E_OK)
			return e;
		if (dict) {
			if (dup_key(d, first, child))
				return fail(ps, BENC_E_DUP_KEY);
			if (ps->pos >= ps->len)
				return fail(ps, BENC_E_TRUNCATED);
			if (ps->b[ps->pos] == 'e')
				return fail(ps, BENC_E_SYNTAX); /* a key without a value */
			e = value(ps, depth + 1, &child);
			if (e != BENC_E_OK)
				return e;
		}
		count++;
	}
	ps->pos++; /* 'e' */
	d->nodes[me].type = dict ? BENC_DICT : BENC_LIST;
	d->nodes[me].count = count;
	return BENC_E_OK;
}

static enum benc_error value(struct parser *ps, unsigned depth, uint32_t *idx)
{
	struct benc_doc *d = ps->d;
	uint32_t me;
	enum benc_error e;
	char c;

	if (ps->pos >= ps->len)
		return fail(ps, BENC_E_TRUNCATED);
	if (d->n >= d->cap)
		return fail(ps, BENC_E_NODES);
	me = d->n++;
	memset(&d->nodes[me], 0, sizeof(d->nodes[me]));
	c = ps->b[ps->pos];
	if (c == 'i')
		e = integer(ps, &d->nodes[me]);
	else if (c >= '0' && c <= '9')
		e = string(ps, &d->nodes[me]);
	else if (c == 'l' || c == 'd')
		e = container(ps, depth, me);
	else
		e = fail(ps, BENC_E_SYNTAX);
	if (e != BENC_E_OK)
		return e;
	d->nodes[me].next = d->n;
	*idx = me;
	return BENC_E_OK;
}

enum benc_error benc_parse(struct benc_doc *d, const char *buf, size_t len)
{
	struct parser ps = { .d = d, .b = buf, .len = len };
	uint32_t root;
	enum benc_error e;

	d->n = 0;
	d->err_off = 0;
	if (d->max_depth == 0)
		d->max_depth = 16;
	if (len == 0)
		return BENC_E_EMPTY;
	e = value(&ps, 0, &root);
	if (e == BENC_E_OK && ps.pos != len)
		e = fail(&ps, BENC_E_TRAILING);
	return e;
}

uint32_t benc_first(const struct benc_doc *d, uint32_t parent)
{
	const struct benc_node *p = &d->nodes[parent];

	return parent < d->n && (p->type == BENC_LIST || p->type == BENC_DICT) && p->count > 0
		       ? parent + 1 : 0;
}

uint32_t benc_sibling(const struct benc_doc *d, uint32_t parent, uint32_t i)
{
	uint32_t n = d->nodes[i].next;

	if (d->nodes[parent].type == BENC_DICT)
		n = d->nodes[n].next; /* over the key's value: i is a key */
	return n < d->nodes[parent].next ? n : 0;
}

uint32_t benc_get(const struct benc_doc *d, uint32_t dict, const char *key)
{
	size_t kl = strlen(key);

	if (dict >= d->n || d->nodes[dict].type != BENC_DICT)
		return 0;
	for (uint32_t k = benc_first(d, dict); k != 0; k = benc_sibling(d, dict, k))
		if (d->nodes[k].len == kl && memcmp(d->nodes[k].s, key, kl) == 0)
			return k + 1;
	return 0;
}

const char *benc_get_str(const struct benc_doc *d, uint32_t dict, const char *key,
			 uint32_t *len)
{
	uint32_t v = benc_get(d, dict, key);

	if (v == 0 || d->nodes[v].type != BENC_STR)
		return NULL;
	*len = d->nodes[v].len;
	return d->nodes[v].s;
}

bool benc_is(const struct benc_doc *d, uint32_t i, const char *lit)
{
	size_t n = strlen(lit);

	return i < d->n && d->nodes[i].type == BENC_STR && d->nodes[i].len == n &&
	       memcmp(d->nodes[i].s, lit, n) == 0;
}

/* ---- writing ---- */

void benc_out_init(struct benc_out *o, char *buf, size_t cap)
{
	o->p = buf;
	o->len = 0;
	o->cap = cap;
	o->overflow = false;
}

void benc_raw(struct benc_out *o, const void *p, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

void benc_dict(struct benc_out *o)
{
	benc_raw(o, "d", 1);
}

void benc_list(struct benc_out *o)
{
	benc_raw(o, "l", 1);
}

void benc_end(struct benc_out *o)
{
	benc_raw(o, "e", 1);
}

void benc_str(struct benc_out *o, const void *s, size_t n)
{
	char h[24];
	int k = snprintf(h, sizeof(h), "%zu:", n);

	benc_raw(o, h, (size_t)k);
	benc_raw(o, s, n);
}

void benc_cstr(struct benc_out *o, const char *s)
{
	benc_str(o, s, strlen(s));
}

void benc_int(struct benc_out *o, int64_t v)
{
	char h[24];
	int k = snprintf(h, sizeof(h), "i%llde", (long long)v);

	benc_raw(o, h, (size_t)k);
}

void benc_kv_str(struct benc_out *o, const char *key, const char *val)
{
	benc_cstr(o, key);
	benc_cstr(o, val);
}

void benc_kv_int(struct benc_out *o, const char *key, int64_t val)
{
	benc_cstr(o, key);
	benc_int(o, val);
}
