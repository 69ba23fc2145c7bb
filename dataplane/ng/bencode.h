/*
 * bencode.h: bencode (BitTorrent BEP 3), as rtpengine's ng control
 * protocol carries it: integers, byte strings, lists and dictionaries.
 *
 * benc_parse() indexes a whole document in place into a caller-owned
 * node array (no allocation, strings point into the input), bounded in
 * nodes and depth; anything else than exactly one well-formed value is
 * refused with a reason. Dictionary keys are byte strings in any order
 * (rtpengine does not sort them and neither do its clients); a key given
 * twice is refused. The writer appends to a caller's buffer and notes an
 * overflow instead of writing past it.
 */
#ifndef UMEDGE_BENCODE_H
#define UMEDGE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENC_ERRORS(X)                                                  \
	X(OK, "ok", "well formed")                                     \
	X(EMPTY, "benc_empty", "empty document")                       \
	X(TRUNCATED, "benc_truncated", "the document ends inside a value") \
	X(SYNTAX, "benc_syntax", "not a bencode value")                \
	X(INTEGER, "benc_integer", "malformed or out-of-range integer") \
	X(STRING, "benc_string", "malformed string length")            \
	X(KEY, "benc_key", "a dictionary key is not a string")         \
	X(DUP_KEY, "benc_dup_key", "a dictionary key is given twice")  \
	X(DEPTH, "benc_depth", "nested too deep")                      \
	X(NODES, "benc_nodes", "too many values")                      \
	X(TRAILING, "benc_trailing", "bytes after the value")

enum benc_error {
#define BENC_ERROR_ENUM(id, name, text) BENC_E_##id,
	BENC_ERRORS(BENC_ERROR_ENUM)
#undef BENC_ERROR_ENUM
	BENC_E_COUNT
};

const char *benc_error_name(enum benc_error e);
const char *benc_error_text(enum benc_error e);

enum benc_type { BENC_INT = 1, BENC_STR, BENC_LIST, BENC_DICT };

/* One value. Children of a list or dictionary follow their parent in the
 * array, in document order (a dictionary's as key, value, key, value);
 * next jumps over a value's whole subtree. */
struct benc_node {
	uint8_t type;
	uint32_t next;			/* index after this value's subtree */
	uint32_t count;			/* list: elements; dict: pairs */
	const char *s;			/* string bytes (not terminated) */
	uint32_t len;
	int64_t i;
};

struct benc_doc {
	struct benc_node *nodes;	/* the caller's */
	uint32_t cap, n;
	unsigned max_depth;
	uint32_t err_off;		/* where a refusal was found */
};

/* Index buf[0..len) into d->nodes[0..cap): the root is nodes[0]. */
enum benc_error benc_parse(struct benc_doc *d, const char *buf, size_t len);

/* The value of key in dictionary node dict (an index), or 0: keys are
 * never node 0, so 0 means absent (or dict is not a dictionary). */
uint32_t benc_get(const struct benc_doc *d, uint32_t dict, const char *key);
/* The value under key if it is a string (else NULL); its length in *len. */
const char *benc_get_str(const struct benc_doc *d, uint32_t dict, const char *key,
			 uint32_t *len);
/* Whether node i is the string lit. */
bool benc_is(const struct benc_doc *d, uint32_t i, const char *lit);
/* The first child of a list or dictionary (0: none), and the next sibling
 * of child i within parent (0: none). */
uint32_t benc_first(const struct benc_doc *d, uint32_t parent);
uint32_t benc_sibling(const struct benc_doc *d, uint32_t parent, uint32_t i);

/* ---- writing ---- */

struct benc_out {
	char *p;
	size_t len, cap;
	bool overflow;			/* something did not fit: the output is cut */
};

void benc_out_init(struct benc_out *o, char *buf, size_t cap);
void benc_raw(struct benc_out *o, const void *p, size_t n); /* bytes as they are */
void benc_dict(struct benc_out *o);	/* 'd' */
void benc_list(struct benc_out *o);	/* 'l' */
void benc_end(struct benc_out *o);	/* 'e' */
void benc_str(struct benc_out *o, const void *s, size_t n);
void benc_cstr(struct benc_out *o, const char *s);
void benc_int(struct benc_out *o, int64_t v);
/* key and value in a dictionary */
void benc_kv_str(struct benc_out *o, const char *key, const char *val);
void benc_kv_int(struct benc_out *o, const char *key, int64_t val);

#endif
