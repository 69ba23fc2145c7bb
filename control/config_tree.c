/* config_tree: libyaml events -> a small tree, refusing what a configuration
 * never needs (anchors, aliases, tags, several documents, deep nesting) at
 * the event that shows it, so hostile input costs no more than its size. */
#include "config_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <yaml.h>

/* The 1 MiB input cap bounds this too, but a flow list of single
 * characters would still make half a million nodes. */
#define TREE_NODES_MAX 100000

struct tree_build {
	struct config_yctx *y;
	struct config_ynode *root;
	struct config_ynode *stack[CONFIG_DEPTH_MAX];
	int depth;
	size_t nodes;
	int documents;
};

int config_yerr(struct config_yctx *y, int line, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote the input and end up on terminals and in logs: no
	 * control characters (escape sequences, fake extra lines). */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!y->err || y->errlen == 0)
		return -1;
	if (line > 0)
		snprintf(y->err, y->errlen, "%s:%d: %s", y->name, line, msg);
	else
		snprintf(y->err, y->errlen, "%s: %s", y->name, msg);
	return -1;
}

void config_ytree_free(struct config_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		config_ytree_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

/* Line of a byte offset, for reader errors that only carry an offset. */
static int line_of_offset(const char *buf, size_t len, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

static int parser_error(struct config_yctx *y, const yaml_parser_t *p,
			const char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return config_yerr(y, 0, "out of memory");
	case YAML_READER_ERROR:
		return config_yerr(y, line_of_offset(buf, len, p->problem_offset),
				   "malformed YAML: %s", problem);
	default:
		if (p->context)
			return config_yerr(y, (int)p->problem_mark.line + 1,
					   "malformed YAML: %s %s", p->context, problem);
		return config_yerr(y, (int)p->problem_mark.line + 1,
				   "malformed YAML: %s", problem);
	}
}

static int attach(struct tree_build *b, struct config_ynode *n)
{
	struct config_ynode *parent;

	if (b->depth == 0) {
		/* A document holds exactly one node; the parser guarantees it. */
		b->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == CONFIG_YMAP && parent->n_kids % 2 == 0 &&
	    n->kind != CONFIG_YSCALAR)
		return config_yerr(b->y, n->line, "mapping keys must be scalars");
	if (parent->n_kids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct config_ynode **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k)
			return config_yerr(b->y, 0, "out of memory");
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n_kids++] = n;
	return 0;
}

static int refuse_decorations(struct config_yctx *y, int line,
			      const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		return config_yerr(y, line, "anchors and aliases are not supported");
	if (tag)
		return config_yerr(y, line, "YAML tags are not supported");
	return 0;
}

static struct config_ynode *node_new(struct tree_build *b, enum config_ykind kind,
				     const yaml_event_t *ev)
{
	struct config_ynode *n;

	if (++b->nodes > TREE_NODES_MAX) {
		config_yerr(b->y, (int)ev->start_mark.line + 1,
			    "too many YAML nodes (limit %d)", TREE_NODES_MAX);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		config_yerr(b->y, 0, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	return n;
}

static int on_scalar(struct tree_build *b, const yaml_event_t *ev)
{
	const size_t len = ev->data.scalar.length;
	struct config_ynode *n = NULL;
	int rc = -1;

	if (refuse_decorations(b->y, (int)ev->start_mark.line + 1,
			       ev->data.scalar.anchor, ev->data.scalar.tag) < 0)
		goto out;
	/* "\0" in a quoted scalar would silently cut the string short. */
	if (memchr(ev->data.scalar.value, '\0', len)) {
		config_yerr(b->y, (int)ev->start_mark.line + 1,
			    "NUL character in a string");
		goto out;
	}
	n = node_new(b, CONFIG_YSCALAR, ev);
	if (!n)
		goto out;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->text = malloc(len + 1);
	if (!n->text) {
		config_yerr(b->y, 0, "out of memory");
		goto out;
	}
	memcpy(n->text, ev->data.scalar.value, len);
	n->text[len] = '\0';
	if (attach(b, n) < 0)
		goto out;
	n = NULL;
	rc = 0;
out:
	config_ytree_free(n);
	return rc;
}

static int on_collection(struct tree_build *b, const yaml_event_t *ev)
{
	const bool map = ev->type == YAML_MAPPING_START_EVENT;
	const int line = (int)ev->start_mark.line + 1;
	struct config_ynode *n = NULL;
	int rc = -1;

	if (refuse_decorations(b->y, line,
			       map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor,
			       map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag) < 0)
		goto out;
	if (b->depth >= CONFIG_DEPTH_MAX) {
		config_yerr(b->y, line, "nested too deeply (limit %d levels)",
			    CONFIG_DEPTH_MAX);
		goto out;
	}
	n = node_new(b, map ? CONFIG_YMAP : CONFIG_YSEQ, ev);
	if (!n)
		goto out;
	if (attach(b, n) < 0)
		goto out;
	b->stack[b->depth++] = n;
	n = NULL;
	rc = 0;
out:
	config_ytree_free(n);
	return rc;
}

/* One event; sets *done at the end of the stream. */
static int on_event(struct tree_build *b, const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return config_yerr(b->y, (int)ev->start_mark.line + 1,
					   "only one YAML document is allowed");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	case YAML_ALIAS_EVENT:
		return config_yerr(b->y, (int)ev->start_mark.line + 1,
				   "anchors and aliases are not supported");
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:
		return 0;
	}
}

int config_ytree_load(struct config_yctx *y, const char *buf, size_t len,
		      struct config_ynode **root)
{
	struct tree_build b = { .y = y };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return config_yerr(y, 0, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(y, &parser, buf, len);
			goto out;
		}
		rc = on_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	*root = b.root;
	b.root = NULL;
	rc = 0;
out:
	config_ytree_free(b.root);
	yaml_parser_delete(&parser);
	return rc;
}

/* --- typed access ------------------------------------------------------ */

bool config_ynull(const struct config_ynode *n)
{
	if (!n || n->kind != CONFIG_YSCALAR || n->quoted)
		return false;
	return strcmp(n->text, "") == 0 || strcmp(n->text, "~") == 0 ||
	       strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
	       strcmp(n->text, "NULL") == 0;
}

static const char *kind_name(const struct config_ynode *n)
{
	if (config_ynull(n))
		return "nothing";
	switch (n->kind) {
	case CONFIG_YMAP:
		return "a mapping";
	case CONFIG_YSEQ:
		return "a list";
	default:
		return "a scalar";
	}
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

int config_ymap_check(struct config_yctx *y, const struct config_ynode *n,
		      const char *where, const char *const *allowed)
{
	if (config_ynull(n))
		return 0;
	if (n->kind != CONFIG_YMAP) {
		if (!*where)
			return config_yerr(y, n->line, "the top level must be a mapping, not %s",
					   kind_name(n));
		return config_yerr(y, n->line, "%s must be a mapping, not %s", where,
				   kind_name(n));
	}
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct config_ynode *k = n->kids[i];

		if (!in_list(allowed, k->text)) {
			if (!*where)
				return config_yerr(y, k->line, "unknown key '%s' at the top level",
						   k->text);
			return config_yerr(y, k->line, "unknown key '%s' in %s", k->text, where);
		}
		/* Keys are all allowed ones, so this inner loop stays short:
		 * a repeat shows up within the first |allowed|+1 keys. */
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(n->kids[j]->text, k->text) == 0)
				return config_yerr(y, k->line,
						   "duplicate key '%s' %s%s (first at line %d)",
						   k->text, *where ? "in " : "at the top level",
						   where, n->kids[j]->line);
	}
	return 0;
}

const struct config_ynode *config_ymap_get(const struct config_ynode *m, const char *key)
{
	if (!m || m->kind != CONFIG_YMAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n_kids; i += 2)
		if (strcmp(m->kids[i]->text, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

int config_ymap_key_line(const struct config_ynode *m, const char *key)
{
	if (!m || m->kind != CONFIG_YMAP)
		return m ? m->line : 0;
	for (size_t i = 0; i + 1 < m->n_kids; i += 2)
		if (strcmp(m->kids[i]->text, key) == 0)
			return m->kids[i]->line;
	return m->line;
}

int config_yrequire(struct config_yctx *y, const struct config_ynode *m,
		    const char *where, const char *key, const struct config_ynode **v)
{
	*v = config_ymap_get(m, key);
	if (*v)
		return 0;
	if (!*where)
		return config_yerr(y, m ? m->line : 1, "missing required section '%s'", key);
	return config_yerr(y, m ? m->line : 1, "missing required key '%s' in %s", key, where);
}

int config_yseq(struct config_yctx *y, const struct config_ynode *n,
		const char *where, const char *key, size_t max, size_t *count)
{
	*count = 0;
	if (config_ynull(n))
		return 0;
	if (n->kind != CONFIG_YSEQ)
		return config_yerr(y, n->line, "%s%s%s must be a list, not %s", where,
				   *where ? "." : "", key, kind_name(n));
	if (n->n_kids > max)
		return config_yerr(y, n->line, "%s%s%s has %zu items (limit %zu)", where,
				   *where ? "." : "", key, n->n_kids, max);
	*count = n->n_kids;
	return 0;
}

const struct config_ynode *config_yitem(const struct config_ynode *n, size_t i)
{
	return n->kids[i];
}

/* A scalar with a value; text in *s. */
static int scalar(struct config_yctx *y, const struct config_ynode *v,
		  const char *where, const char *key, const char **s)
{
	if (config_ynull(v))
		return config_yerr(y, v->line, "%s.%s: missing value", where, key);
	if (v->kind != CONFIG_YSCALAR)
		return config_yerr(y, v->line, "%s.%s: expected a scalar, not %s", where,
				   key, kind_name(v));
	*s = v->text;
	return 0;
}

int config_ystr(struct config_yctx *y, const struct config_ynode *v,
		const char *where, const char *key, char *dst, size_t size)
{
	const char *s;
	size_t len;

	if (scalar(y, v, where, key, &s) < 0)
		return -1;
	len = strlen(s);
	if (len == 0)
		return config_yerr(y, v->line, "%s.%s: must not be empty", where, key);
	if (len >= size)
		return config_yerr(y, v->line, "%s.%s: too long (%zu characters, limit %zu)",
				   where, key, len, size - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

int config_yname(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, char *dst, size_t size)
{
	if (config_ystr(y, v, where, key, dst, size) < 0)
		return -1;
	if (!config_name_valid(dst))
		return config_yerr(y, v->line,
				   "%s.%s: '%s' is not a valid name (letters, digits, '_', '.', '-')",
				   where, key, dst);
	return 0;
}

int config_yfqdn(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, char *dst, size_t size)
{
	if (config_ystr(y, v, where, key, dst, size) < 0)
		return -1;
	if (!config_fqdn_valid(dst))
		return config_yerr(y, v->line, "%s.%s: '%s' is not a valid DNS name",
				   where, key, dst);
	return 0;
}

int config_yint(struct config_yctx *y, const struct config_ynode *v,
		const char *where, const char *key, long min, long max, long *out)
{
	const char *s, *p;
	long val = 0;
	bool neg;

	if (scalar(y, v, where, key, &s) < 0)
		return -1;
	/* Decimal only: 0x.., 1e3 or "5060" in quotes are typos here. */
	p = s;
	neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (v->quoted || *p == '\0' || strspn(p, "0123456789") != strlen(p))
		return config_yerr(y, v->line, "%s.%s: expected an integer, got '%s'",
				   where, key, s);
	for (; *p; p++) {
		if (val > (max + 1L) / 10 + 1) {
			val = max + 1L; /* clamp: anything this long is out of range */
			break;
		}
		val = val * 10 + (*p - '0');
	}
	if (neg)
		val = -val;
	if (val < min || val > max)
		return config_yerr(y, v->line, "%s.%s: %s is out of range (%ld..%ld)",
				   where, key, s, min, max);
	*out = val;
	return 0;
}

int config_yport(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, uint16_t *out)
{
	long val;

	if (config_yint(y, v, where, key, 1, 65535, &val) < 0)
		return -1;
	*out = (uint16_t)val;
	return 0;
}

int config_yipv4(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key,
		 char dst[INET_ADDRSTRLEN], struct in_addr *addr)
{
	const char *s;

	if (scalar(y, v, where, key, &s) < 0)
		return -1;
	if (strlen(s) >= INET_ADDRSTRLEN || inet_pton(AF_INET, s, addr) != 1)
		return config_yerr(y, v->line, "%s.%s: '%s' is not an IPv4 address",
				   where, key, s);
	/* Store the canonical spelling so emit and compare agree. */
	if (!inet_ntop(AF_INET, addr, dst, INET_ADDRSTRLEN))
		return config_yerr(y, v->line, "%s.%s: cannot format address", where, key);
	return 0;
}

int config_yenum(struct config_yctx *y, const struct config_ynode *v,
		 const char *what, const char *const *names, int n, int *out)
{
	char expected[256] = "";
	size_t used = 0;
	int i;

	if (v->kind == CONFIG_YSCALAR && !config_ynull(v)) {
		i = umedge_name_lookup(names, n, v->text);
		if (i >= 0) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; i < n && used < sizeof(expected); i++) {
		int w = snprintf(expected + used, sizeof(expected) - used, "%s%s",
				 i ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (v->kind != CONFIG_YSCALAR || config_ynull(v))
		return config_yerr(y, v->line, "%s: expected one of %s, not %s", what,
				   expected, kind_name(v));
	return config_yerr(y, v->line, "unknown %s '%s' (expected %s)", what, v->text,
			   expected);
}
