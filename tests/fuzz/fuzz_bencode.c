/*
 * libFuzzer target: bencode (dataplane/ng/bencode.c). A document that
 * parses is written again with the writer; that must parse to the same
 * tree and write to the same bytes (the writer's form is canonical: what
 * the parser accepts has exactly one spelling, but key order is kept).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_node(const struct benc_doc *d, uint32_t i, struct benc_out *o)
{
	const struct benc_node *n = &d->nodes[i];

	switch (n->type) {
	case BENC_INT:
		benc_int(o, n->i);
		return;
	case BENC_STR:
		benc_str(o, n->s, n->len);
		return;
	default:
		if (n->type == BENC_DICT)
			benc_dict(o);
		else
			benc_list(o);
		for (uint32_t c = benc_first(d, i); c != 0; c = benc_sibling(d, i, c)) {
			write_node(d, c, o);
			if (n->type == BENC_DICT)
				write_node(d, c + 1, o);
		}
		benc_end(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct benc_node a[128], b[128];
	struct benc_doc da = { .nodes = a, .cap = 128 }, db = { .nodes = b, .cap = 128 };
	char *buf = malloc(size ? size : 1), *out = malloc(size + 16);
	struct benc_out o;

	if (buf == NULL || out == NULL)
		goto done;
	memcpy(buf, data, size);	/* exactly size bytes: ASan sees overreads */
	if (benc_parse(&da, buf, size) != BENC_E_OK)
		goto done;
	benc_out_init(&o, out, size + 16);
	write_node(&da, 0, &o);
	/* the input was the canonical spelling already: the same bytes */
	if (o.overflow || o.len != size || memcmp(out, buf, size) != 0)
		abort();
	if (benc_parse(&db, out, o.len) != BENC_E_OK || db.n != da.n)
		abort();
	for (uint32_t i = 0; i < da.n; i++)
		if (a[i].type != b[i].type || a[i].next != b[i].next || a[i].count != b[i].count ||
		    a[i].len != b[i].len || a[i].i != b[i].i)
			abort();
	(void)benc_get(&da, 0, "command");
done:
	free(buf);
	free(out);
	return 0;
}
