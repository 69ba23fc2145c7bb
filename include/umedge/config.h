/* The configuration model: parsed and validated once, in control, into plain
 * structs (style habit 8). The dataplane reads its own section from the same
 * file through this module too. Ownership: a struct config and everything it
 * points to is owned by whoever holds the pointer and freed by config_free. */
#ifndef UMEDGE_CONFIG_H
#define UMEDGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "umedge/modes.h"

#define CONFIG_NAME_MAX 64    /* dial plan, gateway names incl. NUL */
#define CONFIG_FQDN_MAX 254   /* RFC 1035 name incl. NUL */
#define CONFIG_PATH_MAX 1024
#define CONFIG_PILOT_MAX 33   /* digits, '+', '*', '#' */
#define CONFIG_ERR_MAX 512    /* size of an error buffer: "file:line: what" */
#define CONFIG_EAL_ARGS_MAX 64
#define CONFIG_EAL_ARG_MAX 4096      /* one EAL argument, incl. NUL */
#define CONFIG_FILE_MAX (1024 * 1024) /* input cap: a config is never this big */
#define CONFIG_DEPTH_MAX 16          /* nesting cap; the schema needs 4 */
#define CONFIG_LIST_MAX 10000        /* items per list (dial plans, ...) */

/* Defaults for keys left out of the file (docs/configuration.md). */
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/umedge/control.sock"
#define CONFIG_DEFAULT_SELF_SIGNED_DAYS 365
#define CONFIG_DEFAULT_EXPIRY_WARNING_DAYS 30
#define CONFIG_DEFAULT_WORKERS 1
#define CONFIG_DEFAULT_MEDIA_EXTERNAL_FIRST 20000
#define CONFIG_DEFAULT_MEDIA_EXTERNAL_LAST 29999
#define CONFIG_DEFAULT_MEDIA_INTERNAL_FIRST 30000
#define CONFIG_DEFAULT_MEDIA_INTERNAL_LAST 39999
#define CONFIG_DEFAULT_MEDIA_IDLE_TIMEOUT_S 60  /* MediaSessionIdle after this much silence */
#define CONFIG_DEFAULT_TCP_MAX_CONNECTIONS 512  /* per worker, TIME_WAIT included */
#define CONFIG_DEFAULT_TCP_MAX_PER_SOURCE 256
#define CONFIG_DEFAULT_TCP_HALF_OPEN 128        /* then SYN cookies */
#define CONFIG_DEFAULT_TCP_BUFFER_KIB 32        /* send and receive, each */
/* dataplane.sip: the SIP message layer's limits (dataplane/sip/sip_msg.h) */
#define CONFIG_DEFAULT_SIP_MAX_MESSAGE 16384
#define CONFIG_DEFAULT_SIP_MAX_HEADERS 128
#define CONFIG_DEFAULT_SIP_MAX_HEADER_LINE 4096
#define CONFIG_DEFAULT_SIP_MAX_VIAS 70
#define CONFIG_DEFAULT_SIP_MAX_URI 1024
#define CONFIG_DEFAULT_SIP_T1_MS 500
#define CONFIG_DEFAULT_SIP_T2_MS 4000
#define CONFIG_DEFAULT_SIP_T4_MS 5000
#define CONFIG_DEFAULT_SIP_MAX_TRANSACTIONS 16384
#define CONFIG_DEFAULT_SIP_KEEPALIVE_S 30
#define CONFIG_DEFAULT_SIP_MAX_CALLS 8192
#define CONFIG_DEFAULT_SIP_MEDIA_TIMEOUT_S 60

struct config_dial_plan {
	char name[CONFIG_NAME_MAX];
	enum umedge_security security;
	/* Offer order as configured; defaults to all suites when none given. */
	enum umedge_srtp_suite suites[UMEDGE_SRTP_SUITE_COUNT];
	int n_suites;
	int line; /* 0 when it did not come from a file */
};

struct config_gateway {
	char name[CONFIG_NAME_MAX];
	char address[INET_ADDRSTRLEN];
	struct in_addr addr;
	uint16_t port; /* 0: the mode's default (5060 / 5061) */
	char fqdn[CONFIG_FQDN_MAX];
	int line;
};

struct config_hunt_group {
	char gateway[CONFIG_NAME_MAX];
	char pilot[CONFIG_PILOT_MAX];
	char dial_plan[CONFIG_NAME_MAX];
	int line;
};

struct config_application {
	char address[INET_ADDRSTRLEN];
	struct in_addr addr;
	uint16_t port;
	enum umedge_transport transport;
	bool present;
};

struct config_server {
	char fqdn[CONFIG_FQDN_MAX];
	char state_dir[CONFIG_PATH_MAX];
	char control_socket[108]; /* sizeof(sun_path) */
	int start_secured;        /* 0 or 1 */
	char (*dial_plans)[CONFIG_NAME_MAX]; /* associated dial plans */
	size_t n_dial_plans;
	int dial_plans_line;
};

struct config_certificates {
	char store[CONFIG_PATH_MAX];
	char trust[CONFIG_PATH_MAX];
	enum umedge_key_type self_signed_key;
	int self_signed_days;
	int expiry_warning_days;
};

struct config_port_range {
	uint16_t first, last; /* inclusive */
};

struct config_interface {
	uint16_t port_id;       /* DPDK port id */
	char address[INET_ADDRSTRLEN]; /* dotted quad, without the /len */
	struct in_addr addr;
	uint8_t prefix_len;            /* 1..32 */
	struct in_addr gateway; /* INADDR_ANY: none */
	bool has_gateway;
};

/* Which code protects and checks SRTP on the workers (docs/media-crypto.md). */
enum config_srtp_engine {
	CONFIG_SRTP_ENGINE_AUTO = 0,	/* intel-ipsec-mb where it runs, else libsrtp2 */
	CONFIG_SRTP_ENGINE_IPSEC_MB,	/* intel-ipsec-mb bursts, or the engine does not start */
	CONFIG_SRTP_ENGINE_LIBSRTP2,	/* libsrtp2 on umedge's OpenSSL primitives */
};

/* What crypto lcores do for TLS (with crypto_lcores > 0). */
enum config_tls_offload {
	CONFIG_TLS_OFFLOAD_HANDSHAKE = 0, /* every handshake step: the worker never signs,
					   * verifies or derives keys */
	CONFIG_TLS_OFFLOAD_KEYS = 1,      /* private-key operations only (SSL_MODE_ASYNC) */
};

enum config_idle {
	CONFIG_IDLE_BACKOFF = 0, /* sleep when idle: shared hosts and tests */
	CONFIG_IDLE_BUSY,        /* pure polling: production */
};

/* dataplane.tcp: limits of each worker's TCP stack (memory is fixed at
 * start: max_connections * 2 * buffer_kib per worker). */
struct config_tcp {
	uint32_t max_connections;  /* per worker, 16..65536 */
	uint32_t max_per_source;   /* per remote address and worker, 0 = no limit */
	uint32_t half_open;        /* SYN_RECEIVED entries before SYN cookies */
	uint32_t buffer_kib;       /* 4..1024, rounded up to a power of two */
};

/* dataplane.tcp_fault (tests only): fractions of TCP segments dropped and
 * reordered, in parts per million, both directions; 0 = off. */
struct config_tcp_fault {
	uint32_t drop_ppm, reorder_ppm;
};

/* dataplane.tcp_dial (diagnostic): at start-up the workers open
 * `connections` connections to address:port, send `bytes` bytes of
 * pseudo-random data on each and check that the same bytes come back. */
struct config_tcp_dial {
	bool on;
	struct in_addr addr;
	uint16_t port;
	uint32_t connections;      /* 1..10000 */
	uint32_t bytes;            /* per connection, 0..1 GiB */
};

/* dataplane.sip: limits of the SIP message layer; each breach is its own
 * counted error. Ranges are checked by the parser and config_validate. */
struct config_sip {
	uint32_t max_message_bytes;     /* 1024..65535, start line to end of body */
	uint32_t max_headers;           /* 16..255 header fields */
	uint32_t max_header_line_bytes; /* 256..65535, one field with its folds */
	uint32_t max_vias;              /* 2..255 Via values */
	uint32_t max_uri_bytes;         /* 64..8192 */
	/* the proxy's transactions (RFC 3261 17.1.1.1) and their table */
	uint32_t t1_ms;                 /* 50..5000, RTT estimate */
	uint32_t t2_ms;                 /* t1..60000, retransmission cap */
	uint32_t t4_ms;                 /* 100..60000, network lifetime */
	uint32_t max_transactions;      /* 64..1000000 per worker */
	uint32_t keepalive_s;           /* 0..3600: CRLFCRLF on idle outbound streams, 0 off */
	uint32_t max_calls;             /* 64..1000000 per worker */
	uint32_t media_timeout_s;       /* 0..86400: a call with no media this long ends, 0 off */
};

/* metrics: the Prometheus endpoint umedge-control serves (off unless
 * configured). `listen: ADDRESS:PORT`, IPv4. */
struct config_metrics {
	bool present;
	char address[INET_ADDRSTRLEN];
	struct in_addr addr;
	uint16_t port;
};

#define CONFIG_TLS_CIPHERS_MAX 256

struct config_dataplane {
	bool present;
	char *eal[CONFIG_EAL_ARGS_MAX]; /* owned strings */
	int n_eal;
	int workers;               /* >= 1 */
	enum config_idle idle;
	struct config_interface external, internal;
	struct config_port_range media_external, media_internal;
	uint32_t media_idle_timeout_s; /* MediaSessionIdle after this much silence, 0: never */
	uint16_t udp_echo_port;    /* 0: off (diagnostic RFC 862 service) */
	uint16_t tcp_echo_port;    /* 0: off */
	uint16_t tls_echo_port;    /* 0: off (diagnostic TLS echo, mutual TLS) */
	int crypto_lcores;         /* 0..8 TLS crypto lcores, 0: inline */
	enum config_tls_offload tls_offload; /* what they take from the workers */
	enum config_srtp_engine srtp_engine;
	char tls_ciphers[CONFIG_TLS_CIPHERS_MAX];      /* TLS 1.2 list, "": default */
	char tls_ciphersuites[CONFIG_TLS_CIPHERS_MAX]; /* TLS 1.3 list, "": default */
	struct config_tcp tcp;
	struct config_tcp_fault tcp_fault;
	struct config_tcp_dial tcp_dial;
	struct config_sip sip;
	int line;                  /* of the dataplane: section, 0 if none */
};

/* ng: rtpengine's ng control protocol (docs/ng.md), off unless configured.
 * umedge-dataplane serves it on its workers, on the internal side: listen
 * is the dataplane's internal address and a port. Read at start. */
#define CONFIG_DEFAULT_NG_TIMEOUT_S 60      /* rtpengine's --timeout */
#define CONFIG_DEFAULT_NG_MAX_CALLS 4096    /* per worker */
struct config_ng {
	bool present;
	char address[INET_ADDRSTRLEN];
	struct in_addr addr;
	uint16_t port;
	uint32_t timeout_s;        /* 1..86400: media idle this long ends the call */
	uint32_t max_calls;        /* 64..1000000 per worker */
	int line;                  /* of the ng: section, 0 if none */
};

struct config {
	char path[CONFIG_PATH_MAX]; /* file it was loaded from, "" if none */
	struct config_server server;
	struct config_certificates certificates;
	struct config_dial_plan *dial_plans;
	size_t n_dial_plans;
	struct config_gateway *gateways;
	size_t n_gateways;
	struct config_hunt_group *hunt_groups;
	size_t n_hunt_groups;
	struct config_application application;
	struct config_metrics metrics;
	struct config_ng ng;
	struct config_dataplane dataplane;
};

/* Fill c with the documented defaults (everything zero except what has a
 * non-zero default); c->path is left empty. */
void config_defaults(struct config *c);

/* Parse and validate a YAML file. On error returns -1 and writes
 * "file:line: what is wrong" into err; *out is untouched. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* Same, from memory; name is used in error messages and copied into
 * (*out)->path. */
int config_parse(const char *name, const char *buf, size_t len,
		 struct config **out, char *err, size_t errlen);

/* Semantic checks (duplicates, dangling references, ranges). Used after a
 * change made through the CLI; messages carry "file:line: " when the
 * offending item came from a file. Returns 0 or -1. */
int config_validate(const struct config *c, char *err, size_t errlen);

/* YAML text of c (malloc'd, caller frees) that config_parse accepts back. */
char *config_emit(const struct config *c);

/* Emit and write atomically (temp file, fsync, rename, fsync dir). */
int config_save(const struct config *c, const char *path, char *err, size_t errlen);

/* Deep copy, or NULL on allocation failure. */
struct config *config_dup(const struct config *c);

void config_free(struct config *c); /* NULL-safe */

/* Same model, ignoring where it came from (path, line numbers). */
bool config_equal(const struct config *a, const struct config *b);

/* The value rules of docs/configuration.md, for callers (the CLI) that
 * build values themselves: a name is 1..63 of [A-Za-z0-9_.-]; an FQDN is a
 * DNS name of <= 253 characters, labels 1..63, no trailing dot; a pilot is
 * 1..32 of digits, '+', '*', '#'. */
bool config_name_valid(const char *s);
bool config_fqdn_valid(const char *s);
bool config_pilot_valid(const char *s);

/* Lookups; NULL when absent. */
struct config_dial_plan *config_find_dial_plan(const struct config *c, const char *name);
struct config_gateway *config_find_gateway(const struct config *c, const char *name);
bool config_dial_plan_associated(const struct config *c, const char *name);

#endif
