#include "capture_args.h"

#include <stdio.h>
#include <string.h>

#include "media_args.h"

static int limit(const json_t *args, const char *key, json_int_t max, char *err, size_t errlen)
{
	const json_t *v = json_object_get(args, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
		snprintf(err, errlen, "--%s must be a number 1..%lld", key, (long long)max);
		return -1;
	}
	return 1;
}

json_t *capture_args_start(const struct config *cfg, const json_t *args, char *err,
			   size_t errlen)
{
	static const char *const known[] = { "path", "gateway", "seconds", "count", "keep_keys",
					     NULL };
	const char *path = json_string_value(json_object_get(args, "path"));
	const json_t *gw = json_object_get(args, "gateway"), *keep = json_object_get(args, "keep_keys");
	const struct config_gateway *g = NULL;
	json_t *out;
	int s, c;

	if (media_args_known(args, known, err, errlen) < 0)
		return NULL;
	if (path == NULL || path[0] != '/' || strlen(path) >= 4096) {
		snprintf(err, errlen, "--out needs a file name (made absolute by umedgectl)");
		return NULL;
	}
	if (gw != NULL) {
		g = json_is_string(gw) ? config_find_gateway(cfg, json_string_value(gw)) : NULL;
		if (g == NULL) {
			snprintf(err, errlen, "unknown gateway '%s' (umedgectl gateway list)",
				 json_is_string(gw) ? json_string_value(gw) : "?");
			return NULL;
		}
	}
	if (keep != NULL && !json_is_boolean(keep)) {
		snprintf(err, errlen, "keep_keys must be true or false");
		return NULL;
	}
	s = limit(args, "seconds", CAPTURE_ARGS_MAX_SECONDS, err, errlen);
	c = s < 0 ? -1 : limit(args, "count", CAPTURE_ARGS_MAX_COUNT, err, errlen);
	if (s < 0 || c < 0)
		return NULL;
	if (s > 0 && c > 0) {
		snprintf(err, errlen, "give --seconds or --count, not both");
		return NULL;
	}
	out = json_deep_copy(args);
	if (out != NULL && g != NULL)
		json_object_set_new(out, "gateway_addr", json_string(g->address));
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
	return out;
}
