/* Daily expiry events for the certificate in use, and their persisted
 * state (design "Certificates" point 5). */
#include "expiry.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fsutil.h"

#define EXPIRY_DAY 86400
#define EXPIRY_STATE_MAX 4096 /* the state is one line; anything bigger is not ours */

/* UTC day number, floored so times before 1970 don't share day 0. */
static int64_t day_of(time_t t)
{
	int64_t v = (int64_t)t;

	return v >= 0 ? v / EXPIRY_DAY : -((-v + EXPIRY_DAY - 1) / EXPIRY_DAY);
}

static void state_reset(struct expiry_state *st, const char *thumbprint)
{
	memset(st, 0, sizeof(*st));
	if (thumbprint)
		strncpy(st->thumbprint, thumbprint, sizeof(st->thumbprint) - 1);
	st->last_day = -1;
}

enum expiry_event expiry_check(struct expiry_state *st, const char *thumbprint,
			       time_t not_after, time_t now, int warning_days, int *days)
{
	int64_t left = (int64_t)not_after - (int64_t)now;
	int64_t today = day_of(now);
	enum expiry_event ev = EXPIRY_NONE;
	int64_t d = 0;

	if (!thumbprint)
		thumbprint = "";
	/* Another certificate: its countdown starts afresh. Compare only what
	 * st can hold, so an over-long id can't reset (and repeat) every call. */
	if (strncmp(st->thumbprint, thumbprint, sizeof(st->thumbprint) - 1) != 0)
		state_reset(st, thumbprint);
	if (left <= 0) {
		ev = EXPIRY_EXPIRED;
		d = -left / EXPIRY_DAY;
	} else if (warning_days > 0 && left <= (int64_t)warning_days * EXPIRY_DAY) {
		ev = EXPIRY_SOON;
		d = left / EXPIRY_DAY;
	}
	if (ev == EXPIRY_NONE)
		return EXPIRY_NONE;
	if (st->last_day == today && !(ev == EXPIRY_EXPIRED && st->last_event == EXPIRY_SOON))
		return EXPIRY_NONE;
	st->last_day = today;
	st->last_event = (int)ev;
	if (days)
		*days = d > INT32_MAX ? INT32_MAX : (int)d;
	return ev;
}

static bool thumb_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != CERTSTORE_THUMB_HEX - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int expiry_state_load(const char *path, struct expiry_state *st)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *root = NULL, *jt, *jd, *je;
	int rc;

	state_reset(st, NULL);
	rc = fsutil_read_file(path, EXPIRY_STATE_MAX, &buf, &len);
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	/* Too big is as good as corrupt: start afresh, like for bad JSON. */
	if (rc == -EFBIG) {
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	/* Corrupt state costs at most one repeated event: start empty. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	jt = json_object_get(root, "thumbprint_sha1");
	jd = json_object_get(root, "last_day");
	if (!json_is_string(jt) || !json_is_integer(jd) || !thumb_ok(json_string_value(jt)) ||
	    json_integer_value(jd) < -1)
		goto out;
	state_reset(st, json_string_value(jt));
	st->last_day = (int64_t)json_integer_value(jd);
	/* Older state files have no last_event: assume the stricter EXPIRED. */
	je = json_object_get(root, "last_event");
	st->last_event = json_is_string(je) && strcmp(json_string_value(je), "soon") == 0
				 ? EXPIRY_SOON
				 : EXPIRY_EXPIRED;
out:
	json_decref(root);
	free(buf);
	return rc;
}

int expiry_state_save(const char *path, const struct expiry_state *st)
{
	json_t *root = NULL;
	char *text = NULL, *nl;
	size_t len;
	int rc = -ENOMEM;

	root = json_pack("{s:s, s:I, s:s}", "thumbprint_sha1", st->thumbprint, "last_day",
			 (json_int_t)st->last_day, "last_event",
			 st->last_event == EXPIRY_SOON ? "soon" : "expired");
	if (!root)
		goto out;
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		goto out;
	len = strlen(text);
	/* A trailing newline so the file reads well with cat. */
	nl = realloc(text, len + 2);
	if (!nl)
		goto out;
	text = nl;
	text[len++] = '\n';
	text[len] = '\0';
	rc = fsutil_write_atomic(path, text, len, 0644);
out:
	free(text);
	json_decref(root);
	return rc;
}
