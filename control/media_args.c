#include "media_args.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MEDIA_KEY_MAX 46 /* AES-256 key + 112-bit salt */

size_t media_args_key_len(enum umedge_srtp_suite suite)
{
	return umedge_srtp_key_salt_len(suite);
}

/* "IP:PORT" with an IPv4 address and a port 1..65535. */
static int check_endpoint(const char *what, const char *v, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN + 1];
	const char *colon = v ? strrchr(v, ':') : NULL;
	struct in_addr a;
	char *end;
	long port;

	if (!v) {
		snprintf(err, errlen, "missing --%s IP:PORT", what);
		return -1;
	}
	if (!colon || (size_t)(colon - v) >= sizeof(ip)) {
		snprintf(err, errlen, "--%s '%s' is not IP:PORT", what, v);
		return -1;
	}
	memcpy(ip, v, (size_t)(colon - v));
	ip[colon - v] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || *end || end == colon + 1 || port < 1 ||
	    port > 65535) {
		snprintf(err, errlen, "--%s '%s' is not IP:PORT (IPv4, port 1..65535)", what, v);
		return -1;
	}
	return 0;
}

/* A given key must decode to exactly len bytes; a missing one is made. */
static int key_or_new(json_t *out, const char *field, const char *opt, size_t len, char *err,
		      size_t errlen)
{
	const char *b64 = json_string_value(json_object_get(out, field));
	unsigned char raw[MEDIA_KEY_MAX + 3];
	char enc[((MEDIA_KEY_MAX + 2) / 3) * 4 + 1];
	int n, rc = -1;

	if (b64) {
		size_t blen = strlen(b64);

		/* EVP_DecodeBlock counts padding as zero bytes: reject by length. */
		if (blen != ((len + 2) / 3) * 4) {
			snprintf(err, errlen, "--%s must be base64 of %zu bytes (master key and salt)",
				 opt, len);
			goto out;
		}
		n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
		if (n < 0) {
			snprintf(err, errlen, "--%s is not valid base64", opt);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (RAND_bytes(raw, (int)len) != 1) {
		snprintf(err, errlen, "cannot generate a key: the CSPRNG failed");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)enc, raw, (int)len);
	json_object_set_new(out, field, json_string(enc));
	OPENSSL_cleanse(enc, sizeof(enc));
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

json_t *media_args_add(const json_t *args, char *err, size_t errlen)
{
	json_t *out = json_deep_copy(args ? args : json_object());
	const char *sec, *suite_name;
	int suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;

	if (!out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (check_endpoint("ext-remote", json_string_value(json_object_get(out, "ext_remote")),
			   err, errlen) < 0 ||
	    check_endpoint("int-remote", json_string_value(json_object_get(out, "int_remote")),
			   err, errlen) < 0)
		goto fail;
	sec = json_string_value(json_object_get(out, "security"));
	if (!sec || (strcmp(sec, "srtp") != 0 && strcmp(sec, "rtp") != 0)) {
		snprintf(err, errlen, "--security must be srtp or rtp");
		goto fail;
	}
	suite_name = json_string_value(json_object_get(out, "suite"));
	if (suite_name) {
		suite = umedge_srtp_suite_parse(suite_name);
		if (suite < 0) {
			snprintf(err, errlen, "unknown SRTP suite '%s'", suite_name);
			goto fail;
		}
	}
	if (strcmp(sec, "rtp") == 0) {
		if (suite_name || json_object_get(out, "ext_rx_key") ||
		    json_object_get(out, "ext_tx_key")) {
			snprintf(err, errlen, "--suite and keys only apply to --security srtp");
			goto fail;
		}
		return out;
	}
	json_object_set_new(out, "suite",
			    json_string(umedge_srtp_suite_name((enum umedge_srtp_suite)suite)));
	if (key_or_new(out, "ext_rx_key", "ext-rx-key",
		       media_args_key_len((enum umedge_srtp_suite)suite), err, errlen) < 0 ||
	    key_or_new(out, "ext_tx_key", "ext-tx-key",
		       media_args_key_len((enum umedge_srtp_suite)suite), err, errlen) < 0)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

int media_args_known(const json_t *args, const char *const *known, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v) {
		size_t i = 0;
		while (known[i] != NULL && strcmp(known[i], key) != 0)
			i++;
		if (known[i] == NULL) {
			snprintf(err, errlen, "unknown argument '%s'", key);
			return -1;
		}
	}
	return 0;
}

int media_args_id(const json_t *args, char *err, size_t errlen)
{
	json_t *id = json_object_get(args, "id");

	if (!json_is_integer(id) || json_integer_value(id) < 1) {
		snprintf(err, errlen, "an id is a positive number");
		return -1;
	}
	return 0;
}
