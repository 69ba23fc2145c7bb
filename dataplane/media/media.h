/* The media engine: RTP <-> SRTP bridging per call on the worker cores.
 *
 * A session has an external leg (gateway side, SRTP or RTP) and an internal
 * leg (application side, RTP). Its two local ports (ext_local, int_local,
 * both even; RTCP on port + 1 unless rtcp-mux) are chosen so that one worker
 * owns all of them (dispatch keys media by port & ~1). That worker alone
 * touches the session's SRTP contexts, latching state and counters: no lock
 * on the media path.
 *
 * Life of a session (docs/media.md):
 *   main lcore: media_session_new (srtp_create, it allocates), ports taken,
 *     command ring -> owning worker;
 *   worker: installs it in its port table, acknowledges on the completion
 *     ring; main lcore replies to control;
 *   a call's media (worker/worker_sip_media.c) lives on its worker only:
 *     a session from the worker's own pool, built, installed, updated and
 *     removed there, with no ring and no lock;
 *   removal: worker unlinks and acknowledges, main lcore frees (srtp_dealloc,
 *     keys wiped) and gives the ports back. */
#ifndef UMEDGE_MEDIA_H
#define UMEDGE_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <srtp2/srtp.h>

#include "umedge/config.h"
#include "umedge/modes.h"
#include "net/net.h"
#include "srtp_mb.h"

#define MEDIA_KEY_MAX 46          /* AES-256 master key + 112-bit salt */
#define MEDIA_CMD_RING 256        /* commands in flight per worker */
#define MEDIA_PORTS 65536
#define MEDIA_BURST 64            /* SRTP packets a worker hands the burst engine at once */

/* Directions: IN is gateway -> application (ext_local rx, SRTP checked and
 * decrypted), OUT is application -> gateway (int_local rx, encrypted). */
enum media_dir { MEDIA_DIR_IN = 0, MEDIA_DIR_OUT, MEDIA_N_DIRS };

/* Per direction; written only by the owning worker, read by the main lcore
 * (plain 64-bit words, one writer). */
struct media_dir_stats {
	uint64_t packets, bytes;       /* forwarded */
	uint64_t rtcp_packets;         /* of which RTCP */
	uint64_t auth_fail;            /* decrypt / authentication failures */
	uint64_t replay;               /* replayed or too old */
	uint64_t dropped;              /* other refusals (source, size, SRTP error) */
	uint64_t last_tsc;             /* last forwarded packet, 0: never */
};

struct media_session {
	/* fixed once installed */
	uint32_t id;
	bool srtp;                     /* false: plain RTP on both legs */
	bool rtcp_mux;
	enum umedge_srtp_suite suite;
	uint16_t ext_local, int_local; /* host order, even */
	uint32_t ext_remote_ip, int_remote_ip;        /* network order */
	uint16_t ext_remote_port, int_remote_port;    /* host order */
	unsigned worker;
	/* SRTP on the burst engine (srtp_mb.h), or else on libsrtp2 */
	struct srtp_mb_ctx *mb_rx, *mb_tx;
	srtp_t rx;                     /* unprotect: gateway -> us */
	srtp_t tx;                     /* protect: us -> gateway */

	/* the owning worker's: where the gateway's RTP [0] and RTCP [1] go,
	 * learnt from authenticated packets (SRTP) or the first packet (RTP) */
	uint32_t gw_ip[2] __rte_cache_aligned;
	uint16_t gw_port[2];
	bool latched[2];
	struct media_dir_stats st[MEDIA_N_DIRS];

	/* the main lcore's */
	uint64_t created_tsc __rte_cache_aligned;
	uint64_t idle_mark;            /* last_tsc at the last idle event */
	bool idle_raised;
	bool installed;
	bool removing;
};

/* Worker-level counters (one writer, summed on read). */
struct media_counters {
	uint64_t rx_packets;           /* reached the media path */
	uint64_t tx_packets;           /* left it */
	uint64_t auth_fail, replay;
	uint64_t no_session;           /* a media port with no session */
	uint64_t foreign;              /* a source the session does not accept */
	uint64_t bad_packet;           /* too short, no room for the tag, ... */
	uint64_t srtp_error;           /* other libsrtp2 refusals */
	uint64_t bursts;               /* burst engine: calls into the crypto */
	uint64_t burst_packets;        /* and the SRTP packets they took */
} __rte_cache_aligned;

/* A datagram waiting for its burst's SRTP work. */
struct media_pending {
	struct rte_mbuf *m;
	struct media_session *s;
	uint8_t *pkt;                  /* the RTP/RTCP packet in m */
	int len;                       /* its length */
	bool in;                       /* gateway -> application (unprotect) */
	bool rtcp;
};

/* One worker's media state: its port table and its two rings. */
struct media_worker {
	struct media_counters cnt;
	/* The burst engine: SRTP datagrams wait here until the end of the
	 * worker's loop (or MEDIA_BURST of them), then go to the crypto in
	 * one call per direction. NULL: libsrtp2, a packet at a time. */
	struct srtp_mb *mb;
	struct net_ctx *ctx;           /* the stack the bursts are sent on */
	unsigned n_pend;
	struct media_pending pend[MEDIA_BURST];
	struct srtp_mb_pkt in[MEDIA_BURST], out[MEDIA_BURST];
	struct rte_ring *cmd;          /* main -> worker: tagged session pointers */
	struct rte_ring *done;         /* worker -> main: the same, acknowledged */
	net_l4_hook next_udp;          /* ports that are not media */
	void *next_udp_arg;
	void (*next_poll)(struct net_ctx *ctx, void *arg); /* e.g. TCP timers */
	void *next_poll_arg;
	unsigned idx;
	unsigned n_sessions;
	/* an endpoint of the worker's own on an external port pair (the test
	 * call, worker/sip_phone.c): datagrams to port or port + 1 that no
	 * session owns go to it; looked at only on the no-session path */
	void (*local_rx)(void *arg, struct net_ctx *ctx, struct rte_mbuf *m, uint16_t dport);
	void *local_arg;
	uint16_t local_port;		/* even, 0: none */
	/* local port -> session, per iface; port and port + 1 of a pair */
	struct media_session *slot[NET_N_IFACES][MEDIA_PORTS];
};

/* media_path.c (worker side) */
struct media_worker *media_worker_new(unsigned idx, int socket);
void media_worker_free(struct media_worker *mw);
/* Plug mw into ctx: udp_input on media ports goes to the media path, other
 * open ports to whatever the hook was before; the per-loop poll hook takes
 * the commands, then calls the previous hook (TCP timers). */
void media_worker_attach(struct media_worker *mw, struct net_ctx *ctx);
/* net_l4_hook: a UDP datagram (m at the IPv4 header) to one of our ports. */
void media_udp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg);
/* Finish the SRTP datagrams waiting for a burst, then apply pending
 * install/remove commands; once per worker loop. */
void media_worker_poll(struct media_worker *mw);
/* Finish the datagrams waiting for a burst (the poll does it; a caller
 * about to unlink or change a session need not: unlink does it). */
void media_worker_flush(struct media_worker *mw);
/* Install / unlink directly (tests and benchmarks, on the worker's thread). */
void media_worker_install(struct media_worker *mw, struct media_session *s);
void media_worker_unlink(struct media_worker *mw, struct media_session *s);

/* media_session.c (main lcore; init/fini also on a worker) */

/* The SRTP engine for sessions made from now on (once, at start-up, one
 * thread): intel-ipsec-mb bursts when built, wanted and the CPU has what it
 * needs, else libsrtp2. 0, or -ENOTSUP when ipsec_mb is demanded and
 * cannot run; why says what was chosen and why, for the start-up log. */
int media_srtp_engine_init(enum config_srtp_engine want, char *why, size_t whylen);
/* Whether sessions get burst contexts (srtp_mb.h tells its code path). */
bool media_srtp_burst(void);
struct media_session_params {
	bool srtp, rtcp_mux;
	enum umedge_srtp_suite suite;
	uint16_t ext_local, int_local;
	uint32_t ext_remote_ip, int_remote_ip;   /* network order */
	uint16_t ext_remote_port, int_remote_port;
	uint8_t rx_key[MEDIA_KEY_MAX], tx_key[MEDIA_KEY_MAX];  /* master key || salt */
};
/* Build a session (SRTP contexts made from the keys). Does not wipe p. */
int media_session_new(const struct media_session_params *p, uint32_t id,
		      struct media_session **out);
/* srtp_dealloc both contexts, wipe and free. NULL is fine. */
void media_session_free(struct media_session *s);
/* The same in memory the caller owns (a worker's pool of sessions): init
 * clears s first; fini deallocates the SRTP contexts and wipes s. */
int media_session_init(struct media_session *s, const struct media_session_params *p,
		       uint32_t id);
void media_session_fini(struct media_session *s);
/* New remote addresses and ports for s (keys and SRTP state stay); the
 * gateway is learnt again. On the owning worker only. */
void media_session_readdress(struct media_session *s, const struct media_session_params *p);

/* Is an RTP/RTCP packet (first octets) RTCP? For rtcp-mux (RFC 5761). */
static inline bool media_is_rtcp(const uint8_t *p, uint32_t len)
{
	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

#endif
