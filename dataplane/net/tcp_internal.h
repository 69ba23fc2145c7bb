/*
 * tcp_internal.h: types and functions shared by the tcp_*.c files. Not for
 * users of the stack (they include tcp.h only); the unit tests use it to
 * test the pieces one by one.
 */
#ifndef UMEDGE_TCP_INTERNAL_H
#define UMEDGE_TCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp.h"
#include "siphash.h"
#include "twheel.h"
#include "tcp_seq.h"

struct rte_mbuf;

enum tcp_state {
	TCP_S_CLOSED,
	TCP_S_LISTEN,
	TCP_S_SYN_SENT,
	TCP_S_SYN_RECEIVED,
	TCP_S_ESTABLISHED,
	TCP_S_FIN_WAIT_1,
	TCP_S_FIN_WAIT_2,
	TCP_S_CLOSE_WAIT,
	TCP_S_CLOSING,
	TCP_S_LAST_ACK,
	TCP_S_TIME_WAIT,
	TCP_S_NSTATES
};

const char *tcp_state_name(int state);

/* TCP header flags. */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_HDR_LEN 20
#define TCP_MAX_WSCALE 14
#define TCP_DEFAULT_MSS 536	/* RFC 9293 3.7.1: when the peer sends no MSS */

/* ---- byte ring (tcp_ring.c): send buffer and receive buffer ---- */
struct tcp_ring {
	uint8_t *data;
	uint32_t size, mask;
	uint32_t head;		/* index of the first byte */
	uint32_t len;		/* bytes held from head */
};

void tcp_ring_init(struct tcp_ring *r, uint8_t *mem, uint32_t size);
/* Copy n bytes at offset off from head (no bounds beyond size checked by
 * the caller: off + n <= size). */
void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);
void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n);
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);
/* Contiguous bytes from head: pointer in *p, count returned. */
uint32_t tcp_ring_peek(const struct tcp_ring *r, const uint8_t **p);
static inline uint32_t tcp_ring_free(const struct tcp_ring *r) { return r->size - r->len; }

/* ---- out-of-order ranges over the receive ring (tcp_ooo.c) ---- */
#define TCP_OOO_MAX 16
struct tcp_ooo {
	uint16_t n, max;
	struct { uint32_t start, end; } r[TCP_OOO_MAX];	/* sorted, disjoint */
};

void tcp_ooo_init(struct tcp_ooo *o, uint16_t max);
/* Record [start, end) as held. 0, or -ENOSPC when too many ranges. */
int tcp_ooo_add(struct tcp_ooo *o, uint32_t start, uint32_t end);
/* Drop ranges below nxt and merge the one starting at nxt (or covering it):
 * returns the new rcv_nxt. */
uint32_t tcp_ooo_advance(struct tcp_ooo *o, uint32_t nxt);
uint32_t tcp_ooo_bytes(const struct tcp_ooo *o);

/* ---- RTO estimator, RFC 6298 (tcp_rto.c) ---- */
struct tcp_rto {
	uint32_t srtt_us, rttvar_us;
	uint32_t rto_ms;	/* base, before back-off */
	uint32_t min_ms, max_ms;
	uint8_t backoff;
	bool has_sample;
};

void tcp_rto_init(struct tcp_rto *r, uint32_t init_ms, uint32_t min_ms, uint32_t max_ms);
void tcp_rto_sample(struct tcp_rto *r, uint32_t rtt_us);
void tcp_rto_backoff(struct tcp_rto *r);
uint32_t tcp_rto_get(const struct tcp_rto *r);

/* ---- timer wheel, 1 ms ticks: the shared wheel (lib/twheel.h) with its
 * slots on the stack's NUMA socket (tcp_wheel.c) ---- */
int tcp_wheel_init(struct twheel *w, uint32_t nslots, uint64_t now, int socket_id);
void tcp_wheel_fini(struct twheel *w);

/* ---- SYN cookies (tcp_cookie.c) ---- */

struct tcp_cookie_in {
	uint32_t saddr, daddr;	/* remote, local */
	uint16_t sport, dport;
	uint32_t peer_isn;
};
/* Encode the peer's MSS and window scale (rounded down to what fits; -1 =
 * none) in our ISN; count = now_ms / TCP_COOKIE_PERIOD_MS. */
#define TCP_COOKIE_PERIOD_MS 64000u
#define TCP_COOKIE_MAX_AGE 2
uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_cookie_in *in,
			 uint64_t count, uint16_t mss, int wscale);
/* 0 and the decoded options, or -EINVAL (tampered) / -ETIME (expired). */
int tcp_cookie_check(const uint8_t key[16], const struct tcp_cookie_in *in,
		     uint64_t count, uint32_t cookie, uint16_t *mss, int *wscale);

/* ---- connections ---- */
enum tcp_timer_kind {
	TCP_T_RETX,		/* retransmission (incl. SYN, SYN-ACK, FIN) */
	TCP_T_PERSIST,		/* zero-window probe */
	TCP_T_DELACK,
	TCP_T_KEEPALIVE,
	TCP_T_2MSL,		/* TIME_WAIT, FIN_WAIT_2 limit */
	TCP_T_N
};

#define TCP_F_USER		0x0001	/* the app holds it: on_closed is due */
#define TCP_F_ACTIVE		0x0002
#define TCP_F_CLOSE_REQ		0x0004	/* app closed: FIN after the data */
#define TCP_F_FIN_SENT		0x0008
#define TCP_F_FIN_RCVD		0x0010
#define TCP_F_WSCALE		0x0020
#define TCP_F_WANT_WRITE	0x0040
#define TCP_F_ACK_NOW		0x0080
#define TCP_F_DEAD		0x0100
#define TCP_F_HALF_OPEN		0x0200
#define TCP_F_RECOVERY		0x0400
#define TCP_F_RTT		0x0800
#define TCP_F_FIN_DELIVERED	0x1000
#define TCP_F_FIN_OOO		0x2000	/* peer FIN seen beyond rcv_nxt */
#define TCP_F_FW2_PROBED	0x4000	/* FIN_WAIT_2 silence: ACK re-sent */
#define TCP_F_SRC_COUNTED	0x8000	/* counted for its source address */

struct tcp_listener {
	uint16_t port;
	bool used;
	const struct tcp_callbacks *cb;
	void *ctx;
};

struct tcp_conn {
	struct tcp_conn *hnext;		/* hash chain */
	struct tcp_conn *fnext;		/* free or reap list */
	struct tcp_conn *tw_next, *tw_prev;	/* TIME_WAIT list, oldest first */
	struct tcp_stack *st;
	struct twheel_node tnode;
	uint64_t tdl[TCP_T_N];		/* deadlines in ms, 0 = off */

	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint8_t state;
	uint8_t retries;		/* consecutive timeouts */
	uint8_t dupacks;
	uint8_t snd_wscale, rcv_wscale;
	uint8_t ka_sent;
	uint32_t flags;
	int err;			/* reason given to on_closed */

	const struct tcp_callbacks *cb;
	void *user;
	struct tcp_listener *listener;

	/* send side (BSD-style snd_max = highest sequence sent) */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	uint32_t fin_seq;
	uint16_t smss;
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	struct tcp_rto rto;
	struct tcp_ring sndq;		/* from snd_una (after SYN) */

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv;	/* rcv_adv: right edge advertised */
	uint32_t rfin_seq;		/* peer FIN position when TCP_F_FIN_OOO */
	uint32_t unacked_segs;
	uint64_t last_rx_ms;
	struct tcp_ring rcvq;		/* in-order undelivered, then OOO */
	struct tcp_ooo ooo;

	struct tcp_conn_stats stats;
};

struct tcp_src_entry {
	uint32_t addr;
	uint32_t count;			/* 0 = empty slot */
};

struct tcp_fault {
	uint64_t prng;
	struct rte_mbuf *rx_held;
	uint32_t rx_src, rx_dst;
	uint64_t rx_held_ms;
	struct rte_mbuf *tx_held;
	uint32_t tx_src, tx_dst;
	uint64_t tx_held_ms;
};

struct tcp_stack {
	struct tcp_config cfg;
	uint64_t now_ms, now_us;
	struct twheel wheel;

	struct tcp_conn *conns;
	uint8_t *bufmem;
	struct tcp_conn *free_list;
	struct tcp_conn *tw_head, *tw_tail;	/* recycled when the pool is empty */
	uint32_t nconns;		/* in use, incl. TIME_WAIT */
	uint32_t half_open;
	uint32_t per_state[TCP_S_NSTATES];
	struct tcp_conn **buckets;
	uint32_t bucket_mask;
	struct tcp_src_entry *src;
	uint32_t src_mask;
	struct tcp_listener *listeners;

	uint8_t cookie_key[16];
	uint64_t cookie_last_ms;	/* last SYN cookie sent */
	bool cookie_used;
	uint8_t isn_key[16];
	uint64_t chall_sec;
	uint32_t chall_count;
	uint16_t next_port;
	uint8_t rcv_wscale;		/* what we offer */

	struct tcp_conn *reap;		/* released, freed when depth is 0 */
	unsigned depth;

	struct tcp_fault fault;
	struct tcp_stats stats;
};

/* tcp_stack.c */
void tcp_stack_enter(struct tcp_stack *st, uint64_t now);
void tcp_stack_leave(struct tcp_stack *st);

/* tcp_conn.c: pool, 4-tuple table, per-source counts */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport);
/* A free connection, hashed, counted for its source; NULL with the drop
 * counted when a limit is hit. */
struct tcp_conn *tcp_conn_alloc(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
				uint32_t raddr, uint16_t rport);
/* Unhash and queue for release at the end of the current entry point. */
void tcp_conn_release(struct tcp_conn *c);
void tcp_conn_reap(struct tcp_stack *st);
void tcp_conn_set_state(struct tcp_conn *c, int state);
struct tcp_listener *tcp_listener_find(struct tcp_stack *st, uint16_t port);
int tcp_conn_table_init(struct tcp_stack *st);
void tcp_conn_table_fini(struct tcp_stack *st);
/* Count the end and report it to the app (once). */
void tcp_conn_notify(struct tcp_conn *c, int err);
/* Notify and release. */
void tcp_conn_finish(struct tcp_conn *c, int err);
uint32_t tcp_conn_src_count(struct tcp_stack *st, uint32_t addr);

/* tcp_timer.c: per-connection timers over the wheel */
void tcp_timer_set(struct tcp_conn *c, int kind, uint32_t delay_ms);
void tcp_timer_clear(struct tcp_conn *c, int kind);
void tcp_timer_clear_all(struct tcp_conn *c);
static inline bool tcp_timer_armed(const struct tcp_conn *c, int kind) { return c->tdl[kind] != 0; }
void tcp_timers_run(struct tcp_stack *st);
/* Arm the retransmission timer with the current RTO if not armed. */
void tcp_timer_arm_retx(struct tcp_conn *c);

/* tcp_cc.c: NewReno (RFC 5681, RFC 6582) */
void tcp_cc_init(struct tcp_conn *c);
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked);	/* new data acked */
void tcp_cc_dupack(struct tcp_conn *c);
void tcp_cc_rto(struct tcp_conn *c);
uint32_t tcp_flight(const struct tcp_conn *c);

/* tcp_output.c */
struct tcp_seg_opts {
	uint16_t mss;		/* 0 = none */
	int wscale;		/* -1 = none */
};
/* Send what the windows allow (data, FIN, pending ACK). */
void tcp_output(struct tcp_conn *c);
/* Pure control segment from the connection's state. 0 or -errno. */
int tcp_send_ctl(struct tcp_conn *c, uint8_t flags, uint32_t seq);
int tcp_send_syn(struct tcp_conn *c);		/* SYN or SYN-ACK per state */
void tcp_send_ack(struct tcp_conn *c);
int tcp_send_probe(struct tcp_conn *c);		/* empty ACK at snd_una - 1 */
/* Retransmit one segment from snd_una. */
void tcp_retransmit_first(struct tcp_conn *c);
/* Segment without a connection (RST replies, cookie SYN-ACKs). */
int tcp_send_raw(struct tcp_stack *st, uint32_t saddr, uint32_t daddr, uint16_t sport,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		 const struct tcp_seg_opts *opts);
uint16_t tcp_rcv_window_field(struct tcp_conn *c);
uint32_t tcp_rcv_window(const struct tcp_conn *c);
/* Hand a finished segment to the worker (through fault injection). */
void tcp_xmit(struct tcp_stack *st, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr);
uint32_t tcp_new_isn(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
		     uint32_t raddr, uint16_t rport);

/* tcp_input.c / tcp_recv.c */
struct tcp_seg {
	uint32_t seq, ack;
	uint32_t len;		/* payload bytes */
	uint16_t wnd;
	uint8_t flags;
	uint16_t mss;		/* 0 = absent */
	int wscale;		/* -1 = absent */
	struct rte_mbuf *m;
	uint32_t hlen;		/* payload offset in m */
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};
/* Parse options; 0 or -EINVAL. Exposed for tests and fuzzing. */
int tcp_parse_options(const uint8_t *opt, uint32_t len, struct tcp_seg *seg);
void tcp_input_segment(struct tcp_stack *st, struct tcp_seg *seg);	/* after checks */
void tcp_recv_synchronized(struct tcp_conn *c, struct tcp_seg *seg);
void tcp_recv_deliver(struct tcp_conn *c);
void tcp_recv_syn_sent(struct tcp_conn *c, struct tcp_seg *seg);

/* tcp_fault.c */
void tcp_fault_init(struct tcp_stack *st);
bool tcp_fault_active(const struct tcp_stack *st);
/* Returns true if the segment was consumed (dropped or held). */
bool tcp_fault_rx(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src, uint32_t dst);
bool tcp_fault_tx(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src, uint32_t dst);
void tcp_fault_poll(struct tcp_stack *st);
void tcp_fault_fini(struct tcp_stack *st);
/* Input after fault injection. */
void tcp_input_nofault(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip);
/* Output callback after fault injection. */
void tcp_xmit_nofault(struct tcp_stack *st, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr);

#endif
