/* Internal to the configuration parser: a small YAML tree built from
 * libyaml events (so anchors, aliases, tags and depth are refused before
 * anything is interpreted) and typed getters that report "file:line: what".
 * Not for use outside control/config_*.c. */
#ifndef UMEDGE_CONFIG_TREE_H
#define UMEDGE_CONFIG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "umedge/config.h"

enum config_ykind {
	CONFIG_YSCALAR,
	CONFIG_YMAP, /* kids alternate key, value; keys are scalars */
	CONFIG_YSEQ,
};

struct config_ynode {
	enum config_ykind kind;
	int line;    /* 1-based */
	bool quoted; /* any non-plain scalar style: never null, never a number */
	char *text;  /* scalar only, NUL-terminated, no embedded NUL */
	struct config_ynode **kids;
	size_t n_kids, cap;
};

/* Where errors go. */
struct config_yctx {
	const char *name; /* file name for messages */
	char *err;
	size_t errlen;
};

/* Write "name:line: msg" (or "name: msg" when line <= 0). Returns -1 so a
 * caller can `return config_yerr(...)`-style propagate. */
int config_yerr(struct config_yctx *y, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Build the tree of buf; *root is NULL for an empty stream. Returns 0/-1. */
int config_ytree_load(struct config_yctx *y, const char *buf, size_t len,
		      struct config_ynode **root);
void config_ytree_free(struct config_ynode *n);

/* A plain empty, "~" or "null" scalar. */
bool config_ynull(const struct config_ynode *n);

/* n must be a mapping (a null counts as an empty one) whose keys are all
 * in allowed (NULL-terminated) and unique. where names it in messages. */
int config_ymap_check(struct config_yctx *y, const struct config_ynode *n,
		      const char *where, const char *const *allowed);
/* Value for key, or NULL (also for a null n). */
const struct config_ynode *config_ymap_get(const struct config_ynode *m, const char *key);
/* Line of key in m (for "the dataplane: section" style pointers). */
int config_ymap_key_line(const struct config_ynode *m, const char *key);
/* Like config_ymap_get but a missing key is an error at m's line. */
int config_yrequire(struct config_yctx *y, const struct config_ynode *m,
		    const char *where, const char *key, const struct config_ynode **v);

/* n must be a sequence of at most max items (null: empty). */
int config_yseq(struct config_yctx *y, const struct config_ynode *n,
		const char *where, const char *key, size_t max, size_t *count);
/* Item i of a sequence checked by config_yseq. */
const struct config_ynode *config_yitem(const struct config_ynode *n, size_t i);

/* Typed scalars; where.key names the value in messages. */
int config_ystr(struct config_yctx *y, const struct config_ynode *v,
		const char *where, const char *key, char *dst, size_t size);
int config_yname(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, char *dst, size_t size);
int config_yfqdn(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, char *dst, size_t size);
int config_yint(struct config_yctx *y, const struct config_ynode *v,
		const char *where, const char *key, long min, long max, long *out);
int config_yport(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key, uint16_t *out);
int config_yipv4(struct config_yctx *y, const struct config_ynode *v,
		 const char *where, const char *key,
		 char dst[INET_ADDRSTRLEN], struct in_addr *addr);
/* One of names[0..n); "unknown <what> 'x' (expected a, b, c)" otherwise. */
int config_yenum(struct config_yctx *y, const struct config_ynode *v,
		 const char *what, const char *const *names, int n, int *out);

/* The dataplane: section (config_parse_dataplane.c). */
int config_parse_dataplane(struct config_yctx *y, const struct config_ynode *n,
			   int line, struct config_dataplane *dp);

#endif
