/* VoIP security modes, SRTP suites and transports: the vocabulary shared by
 * control, dataplane and CLI. Names are the configuration spelling. */
#ifndef UMEDGE_MODES_H
#define UMEDGE_MODES_H

#include <stddef.h>
#include <string.h>

enum umedge_security {
	UMEDGE_SEC_UNSECURED = 0, /* SIP over UDP/TCP 5060, RTP */
	UMEDGE_SEC_SIP_SECURED,   /* SIP over mutual TLS 5061, RTP */
	UMEDGE_SEC_SECURED,       /* SIP over mutual TLS 5061, SRTP */
	UMEDGE_SEC_COUNT
};

enum umedge_srtp_suite {
	UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32,
	UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80,
	UMEDGE_SRTP_AEAD_AES_128_GCM,
	UMEDGE_SRTP_AEAD_AES_256_GCM,
	UMEDGE_SRTP_SUITE_COUNT
};

enum umedge_transport {
	UMEDGE_TRANSPORT_UDP = 0,
	UMEDGE_TRANSPORT_TCP,
	UMEDGE_TRANSPORT_TLS,
	UMEDGE_TRANSPORT_COUNT
};

enum umedge_key_type {
	UMEDGE_KEY_RSA2048 = 0,
	UMEDGE_KEY_ECDSA_P256,
	UMEDGE_KEY_COUNT
};

#define UMEDGE_SIP_PORT 5060
#define UMEDGE_SIPS_PORT 5061

static const char *const umedge_security_names[UMEDGE_SEC_COUNT] = {
	"unsecured", "sip_secured", "secured"
};
static const char *const umedge_srtp_suite_names[UMEDGE_SRTP_SUITE_COUNT] = {
	"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
	"AES_256_CM_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"
};
static const char *const umedge_transport_names[UMEDGE_TRANSPORT_COUNT] = {
	"udp", "tcp", "tls"
};
static const char *const umedge_key_type_names[UMEDGE_KEY_COUNT] = {
	"rsa2048", "ecdsa-p256"
};

/* Master key + salt bytes of a suite (RFC 3711, RFC 6188, RFC 7714): what
 * an SDES inline: key carries and what the media engine is keyed with;
 * 0 for an unknown suite. */
static inline size_t umedge_srtp_key_salt_len(enum umedge_srtp_suite suite)
{
	switch (suite) {
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80:
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 16 + 14;
	case UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80:
		return 32 + 14;
	case UMEDGE_SRTP_AEAD_AES_128_GCM:
		return 16 + 12;
	case UMEDGE_SRTP_AEAD_AES_256_GCM:
		return 32 + 12;
	default:
		return 0;
	}
}

/* Index of s in a name table, or -1. */
static inline int umedge_name_lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static inline const char *umedge_security_name(enum umedge_security s)
{
	return (unsigned)s < UMEDGE_SEC_COUNT ? umedge_security_names[s] : "?";
}

static inline int umedge_security_parse(const char *s)
{
	return umedge_name_lookup(umedge_security_names, UMEDGE_SEC_COUNT, s);
}

static inline const char *umedge_srtp_suite_name(enum umedge_srtp_suite s)
{
	return (unsigned)s < UMEDGE_SRTP_SUITE_COUNT ? umedge_srtp_suite_names[s] : "?";
}

static inline int umedge_srtp_suite_parse(const char *s)
{
	return umedge_name_lookup(umedge_srtp_suite_names, UMEDGE_SRTP_SUITE_COUNT, s);
}

static inline const char *umedge_transport_name(enum umedge_transport t)
{
	return (unsigned)t < UMEDGE_TRANSPORT_COUNT ? umedge_transport_names[t] : "?";
}

static inline int umedge_transport_parse(const char *s)
{
	return umedge_name_lookup(umedge_transport_names, UMEDGE_TRANSPORT_COUNT, s);
}

static inline const char *umedge_key_type_name(enum umedge_key_type k)
{
	return (unsigned)k < UMEDGE_KEY_COUNT ? umedge_key_type_names[k] : "?";
}

static inline int umedge_key_type_parse(const char *s)
{
	return umedge_name_lookup(umedge_key_type_names, UMEDGE_KEY_COUNT, s);
}

#endif
