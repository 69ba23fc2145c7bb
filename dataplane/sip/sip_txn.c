/*
 * sip_txn.c: the transaction table and the four state machines of RFC 3261
 * section 17 (with the Accepted state of RFC 6026). See sip_txn.h.
 *
 * Keys are strings: "s|METHOD|branch|host:port" for server transactions
 * (ACK looks up INVITE), "c|METHOD|branch" for client ones, and for a
 * request without an RFC 3261 branch "2|METHOD|" and a hash of the
 * Request-URI, From tag, Call-ID, CSeq number and top Via (RFC 2543
 * matching, To tag left out so that the ACK finds its INVITE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg_int.h"
#include "sip_txn.h"
#include "twheel.h"

#define KEY_MAX 160
#define WHEEL_SLOTS 4096	  /* ms; longer timers go round */
#define TIMER_D_MS 32000	  /* RFC 3261: > 32 s on unreliable transports */

enum {
	TIMER_RETX,		  /* A, E, G */
	TIMER_END,		  /* B, D, F, H, I, J, K, L, M, and the end itself */
	TIMER_C,
	TIMERS
};

/* A wheel node that knows which of its transaction's timers it is. */
struct txn_timer {
	struct twheel_node node;
	uint8_t which;
};

struct sip_txn {
	struct sip_txn *hnext;	  /* hash chain, or the free list */
	struct sip_txn_table *tt;
	uint8_t kind, state;
	bool reliable, in_use, failed;
	uint32_t interval;	  /* the current A, E or G interval, ms */
	uint64_t hash;
	uint16_t key_len;
	char key[KEY_MAX];
	struct sip_peer peer;	  /* client: destination; server: the requester */
	char *msg;		  /* client: the request; server: the last response */
	uint32_t msg_len;
	char *ack;		  /* client INVITE: our ACK for the non-2xx */
	uint32_t ack_len;
	struct txn_timer timers[TIMERS];
	void *tu;
};

#define t_retx timers[TIMER_RETX].node
#define t_end timers[TIMER_END].node
#define t_c timers[TIMER_C].node

struct sip_txn_table {
	struct sip_txn_config cfg;
	struct sip_txn_ops ops;
	void *user;
	uint64_t now;
	struct twheel wheel;
	struct twheel_node **slots;
	struct sip_txn **buckets;
	uint32_t bucket_mask;
	struct sip_txn *pool, *free_list;
	unsigned count;
	struct sip_txn_stats stats;
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* ---- keys ---- */

struct key {
	char s[KEY_MAX];
	uint16_t len;
	bool ok;
};

static void key_add(struct key *k, const char *p, size_t n)
{
	if (!k->ok || n > sizeof(k->s) - k->len) {
		k->ok = false;
		return;
	}
	memcpy(k->s + k->len, p, n);
	k->len = (uint16_t)(k->len + n);
}

static void key_add_lower(struct key *k, const char *p, size_t n)
{
	size_t at = k->len;

	key_add(k, p, n);
	for (size_t i = 0; k->ok && i < n; i++)
		if (k->s[at + i] >= 'A' && k->s[at + i] <= 'Z')
			k->s[at + i] = (char)(k->s[at + i] + 32);
}

static void key_str(struct key *k, struct sip_str s)
{
	key_add(k, s.p, s.len);
}

/* The key of a request m for server matching; ACK as INVITE. */
static bool server_key(const struct sip_msg *m, struct key *k)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item top;
	struct sip_via v;
	struct sip_nameaddr from;
	struct sip_cseq cs;
	struct sip_str cid;
	char port[8];

	k->len = 0;
	k->ok = true;
	if (!m->is_request || sip_list_next(m, SIP_HDR_VIA, &it, &top) != 1 ||
	    sip_via_parse(&v, top.value.p, top.value.len) != 0 || sip_msg_cseq(m, &cs) != 0)
		return false;
	if (sip_via_branch_is_3261(&v)) {
		key_add(k, "s|", 2);
		if (m->method == SIP_METHOD_ACK)
			key_add(k, "INVITE", 6);
		else
			key_str(k, m->method_str);
		key_add(k, "|", 1);
		key_str(k, v.branch);
		key_add(k, "|", 1);
		key_add_lower(k, v.host.p, v.host.len);
		snprintf(port, sizeof(port), ":%u", v.port);
		key_add(k, port, strlen(port));
		return k->ok;
	}
	/* RFC 2543: Request-URI, From tag, Call-ID, CSeq number, top Via */
	if (sip_msg_from(m, &from) != 0 || sip_msg_call_id(m, &cid) != 0)
		return false;
	{
		uint64_t h = SIP_FNV_BASIS;
		char hex[24];

		h = sip_fnv1a(m->ruri.p, m->ruri.len, h);
		h = sip_fnv1a("|", 1, h);
		if (from.tag.p != NULL)
			h = sip_fnv1a(from.tag.p, from.tag.len, h);
		h = sip_fnv1a("|", 1, h);
		h = sip_fnv1a(cid.p, cid.len, h);
		h = sip_fnv1a((const char *)&cs.num, sizeof(cs.num), h);
		h = sip_fnv1a(top.value.p, top.value.len, h);
		key_add(k, "2|", 2);
		if (m->method == SIP_METHOD_ACK)
			key_add(k, "INVITE", 6);
		else
			key_str(k, m->method_str);
		snprintf(hex, sizeof(hex), "|%016llx", (unsigned long long)h);
		key_add(k, hex, strlen(hex));
	}
	return k->ok;
}

/* The key of a client transaction: our branch and the method. */
static bool client_key(struct sip_str branch, struct sip_str method, struct key *k)
{
	k->len = 0;
	k->ok = true;
	key_add(k, "c|", 2);
	key_str(k, method);
	key_add(k, "|", 1);
	key_str(k, branch);
	return k->ok;
}

static struct sip_txn *lookup(struct sip_txn_table *tt, const struct key *k)
{
	uint64_t h = sip_fnv1a(k->s, k->len, SIP_FNV_BASIS);

	for (struct sip_txn *t = tt->buckets[h & tt->bucket_mask]; t != NULL; t = t->hnext)
		if (t->hash == h && t->key_len == k->len && memcmp(t->key, k->s, k->len) == 0)
			return t;
	return NULL;
}

/* ---- the table ---- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct sip_txn_table *sip_txn_table_new(const struct sip_txn_config *cfg,
					const struct sip_txn_ops *ops, void *user, uint64_t now_ms)
{
	struct sip_txn_table *tt;
	uint32_t nb;

	if (cfg == NULL || ops == NULL || ops->send == NULL || cfg->max_txns == 0 ||
	    cfg->max_txns > (1u << 20) || cfg->t1_ms == 0 || cfg->t2_ms < cfg->t1_ms ||
	    cfg->t4_ms == 0)
		return NULL;
	tt = calloc(1, sizeof(*tt));
	if (tt == NULL)
		return NULL;
	tt->cfg = *cfg;
	tt->ops = *ops;
	tt->user = user;
	tt->now = now_ms;
	nb = pow2_at_least(cfg->max_txns);
	tt->bucket_mask = nb - 1;
	tt->buckets = calloc(nb, sizeof(*tt->buckets));
	tt->slots = calloc(WHEEL_SLOTS, sizeof(*tt->slots));
	tt->pool = calloc(cfg->max_txns, sizeof(*tt->pool));
	if (tt->buckets == NULL || tt->slots == NULL || tt->pool == NULL ||
	    twheel_init(&tt->wheel, tt->slots, WHEEL_SLOTS, now_ms) != 0) {
		free(tt->buckets);
		free(tt->slots);
		free(tt->pool);
		free(tt);
		return NULL;
	}
	for (uint32_t i = cfg->max_txns; i-- > 0;) {
		tt->pool[i].hnext = tt->free_list;
		tt->free_list = &tt->pool[i];
	}
	return tt;
}

static void txn_free(struct sip_txn *t)
{
	struct sip_txn_table *tt = t->tt;
	struct sip_txn **pp = &tt->buckets[t->hash & tt->bucket_mask];

	twheel_cancel(&t->t_retx);
	twheel_cancel(&t->t_end);
	twheel_cancel(&t->t_c);
	if (tt->ops.terminated != NULL)
		tt->ops.terminated(tt->user, t);
	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp == t)
		*pp = t->hnext;
	free(t->msg);
	free(t->ack);
	memset(t, 0, sizeof(*t));
	t->hnext = tt->free_list;
	tt->free_list = t;
	tt->count--;
	tt->stats.ended++;
}

void sip_txn_table_free(struct sip_txn_table *tt)
{
	if (tt == NULL)
		return;
	for (uint32_t i = 0; i < tt->cfg.max_txns; i++)
		if (tt->pool[i].in_use)
			txn_free(&tt->pool[i]);
	free(tt->buckets);
	free(tt->slots);
	free(tt->pool);
	free(tt);
}

unsigned sip_txn_count(const struct sip_txn_table *tt)
{
	return tt->count;
}

const struct sip_txn_stats *sip_txn_stats(const struct sip_txn_table *tt)
{
	return &tt->stats;
}

static struct sip_txn *txn_new(struct sip_txn_table *tt, enum sip_txn_kind kind,
			       const struct key *k, const struct sip_peer *peer)
{
	struct sip_txn *t = tt->free_list;

	if (t == NULL) {
		tt->stats.table_full++;
		return NULL;
	}
	tt->free_list = t->hnext;
	memset(t, 0, sizeof(*t));
	t->tt = tt;
	t->in_use = true;
	for (uint8_t i = 0; i < TIMERS; i++)
		t->timers[i].which = i;
	t->kind = (uint8_t)kind;
	t->peer = *peer;
	t->reliable = sip_tp_reliable((enum umedge_transport)peer->transport);
	memcpy(t->key, k->s, k->len);
	t->key_len = k->len;
	t->hash = sip_fnv1a(k->s, k->len, SIP_FNV_BASIS);
	t->hnext = tt->buckets[t->hash & tt->bucket_mask];
	tt->buckets[t->hash & tt->bucket_mask] = t;
	tt->count++;
	tt->stats.created++;
	return t;
}

static void arm(struct sip_txn *t, struct twheel_node *n, uint64_t after_ms)
{
	twheel_schedule(&t->tt->wheel, n, t->tt->now + after_ms);
}

/* Terminated: freed at the next advance, so that no caller holding t in
 * this call sees it go. */
static void end_soon(struct sip_txn *t)
{
	t->state = SIP_TXN_TERMINATED;
	twheel_cancel(&t->t_retx);
	twheel_cancel(&t->t_c);
	arm(t, &t->t_end, 0);
}

static bool keep(char **dst, uint32_t *dlen, const char *buf, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p == NULL)
		return false;
	memcpy(p, buf, len);
	free(*dst);
	*dst = p;
	*dlen = (uint32_t)len;
	return true;
}

static int send_to(struct sip_txn *t, const char *buf, size_t len)
{
	int rc = t->tt->ops.send(t->tt->user, &t->peer, buf, len);

	if (rc < 0)
		t->tt->stats.transport_errors++;
	return rc;
}

/* ---- server transactions ---- */

enum sip_txn_rx sip_txn_server_recv(struct sip_txn_table *tt, const struct sip_msg *m,
				    const struct sip_peer *from, struct sip_txn **st)
{
	struct key k;
	struct sip_txn *t;

	*st = NULL;
	if (!server_key(m, &k)) {
		tt->stats.unmatchable++;
		return SIP_TXN_RX_UNMATCHABLE;
	}
	t = lookup(tt, &k);
	if (t != NULL && t->state != SIP_TXN_TERMINATED) {
		if (m->method == SIP_METHOD_ACK) {
			if (t->kind != SIP_TXN_SERVER_INVITE || t->state == SIP_TXN_ACCEPTED ||
			    t->state == SIP_TXN_PROCEEDING)
				return SIP_TXN_RX_ACK_2XX; /* the ACK of a 2xx: end to end */
			if (t->state == SIP_TXN_COMPLETED) {
				/* timer I: absorb ACK retransmissions a while */
				t->state = SIP_TXN_CONFIRMED;
				twheel_cancel(&t->t_retx);
				arm(t, &t->t_end, t->reliable ? 0 : tt->cfg.t4_ms);
			}
			tt->stats.absorbed++;
			return SIP_TXN_RX_ABSORBED;
		}
		/* a retransmitted request: the last response again, if any */
		tt->stats.absorbed++;
		if (t->msg != NULL && (t->state == SIP_TXN_PROCEEDING ||
				       t->state == SIP_TXN_COMPLETED)) {
			tt->stats.retransmissions++;
			(void)send_to(t, t->msg, t->msg_len);
		}
		return SIP_TXN_RX_ABSORBED;
	}
	if (m->method == SIP_METHOD_ACK)
		return SIP_TXN_RX_ACK_2XX;
	t = txn_new(tt, m->method == SIP_METHOD_INVITE ? SIP_TXN_SERVER_INVITE : SIP_TXN_SERVER,
		    &k, from);
	if (t == NULL)
		return SIP_TXN_RX_FULL;
	t->state = m->method == SIP_METHOD_INVITE ? SIP_TXN_PROCEEDING : SIP_TXN_TRYING;
	*st = t;
	return SIP_TXN_RX_NEW;
}

static unsigned status_of(const char *buf, size_t len)
{
	if (len < 12 || memcmp(buf, "SIP/2.0 ", 8) != 0 || buf[8] < '1' || buf[8] > '6' ||
	    buf[9] < '0' || buf[9] > '9' || buf[10] < '0' || buf[10] > '9')
		return 0;
	return (unsigned)((buf[8] - '0') * 100 + (buf[9] - '0') * 10 + (buf[10] - '0'));
}

int sip_txn_server_respond(struct sip_txn *st, const char *buf, size_t len)
{
	struct sip_txn_table *tt = st->tt;
	unsigned status = status_of(buf, len);
	int rc;

	if (status == 0 || st->kind > SIP_TXN_SERVER)
		return -EINVAL;
	/* after a final, only 2xx retransmissions in Accepted (RFC 6026) */
	if (st->state == SIP_TXN_COMPLETED || st->state == SIP_TXN_CONFIRMED ||
	    st->state == SIP_TXN_TERMINATED ||
	    (st->state == SIP_TXN_ACCEPTED && status / 100 != 2))
		return -EINVAL;
	if (!keep(&st->msg, &st->msg_len, buf, len))
		return -ENOMEM;
	rc = send_to(st, buf, len);
	if (rc < 0) {
		end_soon(st);
		return rc;
	}
	if (status < 200) {
		if (st->state == SIP_TXN_TRYING)
			st->state = SIP_TXN_PROCEEDING;
		return 0;
	}
	if (st->kind == SIP_TXN_SERVER) {
		/* timer J */
		st->state = SIP_TXN_COMPLETED;
		arm(st, &st->t_end, st->reliable ? 0 : 64ull * tt->cfg.t1_ms);
	} else if (status < 300) {
		/* timer L: absorb INVITE retransmissions, pass 2xx ones */
		if (st->state != SIP_TXN_ACCEPTED)
			arm(st, &st->t_end, 64ull * tt->cfg.t1_ms);
		st->state = SIP_TXN_ACCEPTED;
	} else {
		/* timers G and H */
		st->state = SIP_TXN_COMPLETED;
		st->interval = tt->cfg.t1_ms;
		if (!st->reliable)
			arm(st, &st->t_retx, st->interval);
		arm(st, &st->t_end, 64ull * tt->cfg.t1_ms);
	}
	return 0;
}

struct sip_txn *sip_txn_find_invite(struct sip_txn_table *tt, const struct sip_msg *cancel)
{
	struct key k;
	struct sip_txn *t;
	size_t skip;

	if (cancel->method != SIP_METHOD_CANCEL || !server_key(cancel, &k))
		return NULL;
	/* the same key with INVITE for CANCEL: both start "s|" or "2|" */
	skip = 2 + 6; /* "s|" "CANCEL" */
	{
		struct key ik = { .len = 0, .ok = true };

		key_add(&ik, k.s, 2);
		key_add(&ik, "INVITE", 6);
		key_add(&ik, k.s + skip, k.len - skip);
		if (!ik.ok)
			return NULL;
		t = lookup(tt, &ik);
	}
	return t != NULL && t->kind == SIP_TXN_SERVER_INVITE && t->state != SIP_TXN_TERMINATED
		       ? t
		       : NULL;
}

/* ---- client transactions ---- */

int sip_txn_client_start(struct sip_txn_table *tt, const char *req, size_t len,
			 const struct sip_peer *to, void *tu, struct sip_txn **ct)
{
	static __thread struct sip_msg m;
	struct sip_via v;
	struct key k;
	struct sip_txn *t;
	bool invite;
	int rc;

	*ct = NULL;
	if (sip_msg_parse(&m, req, len, NULL) != SIP_E_OK || !m.is_request ||
	    m.method == SIP_METHOD_ACK || sip_msg_top_via(&m, &v) != 0 ||
	    !sip_via_branch_is_3261(&v) || !client_key(v.branch, m.method_str, &k))
		return -EINVAL;
	if (lookup(tt, &k) != NULL)
		return -EEXIST;
	t = txn_new(tt, m.method == SIP_METHOD_INVITE ? SIP_TXN_CLIENT_INVITE : SIP_TXN_CLIENT, &k,
		    to);
	if (t == NULL)
		return -ENOSPC;
	t->tu = tu;
	if (!keep(&t->msg, &t->msg_len, req, len)) {
		txn_free(t);
		return -ENOMEM;
	}
	rc = send_to(t, req, len);
	if (rc < 0) {
		t->tu = NULL;
		txn_free(t);
		return rc;
	}
	invite = t->kind == SIP_TXN_CLIENT_INVITE;
	t->state = invite ? SIP_TXN_CALLING : SIP_TXN_TRYING;
	t->interval = tt->cfg.t1_ms;
	if (!t->reliable)
		arm(t, &t->t_retx, t->interval);	/* A or E */
	arm(t, &t->t_end, 64ull * tt->cfg.t1_ms);	/* B or F */
	if (invite && tt->cfg.timer_c_ms != 0)
		arm(t, &t->t_c, tt->cfg.timer_c_ms);
	*ct = t;
	return 0;
}

/* The ACK for a non-2xx, built once and kept for retransmitted finals. */
static void send_ack(struct sip_txn *t, const struct sip_msg *rsp)
{
	static __thread struct sip_msg inv;
	char buf[4096];
	long n;

	if (t->ack == NULL) {
		if (sip_msg_parse(&inv, t->msg, t->msg_len, NULL) != SIP_E_OK)
			return;
		n = sip_ack_build(&inv, rsp, buf, sizeof(buf));
		if (n < 0 || !keep(&t->ack, &t->ack_len, buf, (size_t)n))
			return;
	}
	(void)send_to(t, t->ack, t->ack_len);
}

static void deliver(struct sip_txn *t, const struct sip_msg *rsp, const struct sip_peer *from)
{
	if (t->tt->ops.response != NULL)
		t->tt->ops.response(t->tt->user, t, rsp, from);
}

int sip_txn_client_recv(struct sip_txn_table *tt, const struct sip_msg *rsp,
			const struct sip_peer *from)
{
	struct sip_via v;
	struct sip_cseq cs;
	struct key k;
	struct sip_txn *t;
	unsigned status = rsp->status;

	if (rsp->is_request || sip_msg_top_via(rsp, &v) != 0 || sip_msg_cseq(rsp, &cs) != 0 ||
	    !client_key(v.branch, cs.method == SIP_METHOD_ACK ? (struct sip_str){ "INVITE", 6 }
							       : cs.method_str,
			&k) ||
	    (t = lookup(tt, &k)) == NULL || t->state == SIP_TXN_TERMINATED) {
		tt->stats.stray_responses++;
		return -ENOENT;
	}
	if (t->kind == SIP_TXN_CLIENT_INVITE) {
		switch (t->state) {
		case SIP_TXN_CALLING:
		case SIP_TXN_PROCEEDING:
			if (status < 200) {
				t->state = SIP_TXN_PROCEEDING;
				twheel_cancel(&t->t_retx);
				/* B applies in Calling only; after timer C the end
				 * timer is the guard that ends the transaction */
				if (!t->failed)
					twheel_cancel(&t->t_end);
				if (status > 100 && tt->cfg.timer_c_ms != 0 && twheel_pending(&t->t_c))
					arm(t, &t->t_c, tt->cfg.timer_c_ms);
			} else if (status < 300) {
				/* RFC 6026 Accepted, timer M */
				t->state = SIP_TXN_ACCEPTED;
				twheel_cancel(&t->t_retx);
				twheel_cancel(&t->t_c);
				arm(t, &t->t_end, 64ull * tt->cfg.t1_ms);
			} else {
				/* timer D */
				t->state = SIP_TXN_COMPLETED;
				twheel_cancel(&t->t_retx);
				twheel_cancel(&t->t_c);
				send_ack(t, rsp);
				arm(t, &t->t_end, t->reliable ? 0 : TIMER_D_MS);
			}
			deliver(t, rsp, from);
			return 0;
		case SIP_TXN_ACCEPTED:
			if (status >= 200 && status < 300)
				deliver(t, rsp, from); /* 2xx retransmissions are the user's */
			else
				tt->stats.absorbed++;
			return 0;
		case SIP_TXN_COMPLETED:
			if (status >= 300) {
				tt->stats.absorbed++;
				send_ack(t, rsp);
			}
			return 0;
		default:
			return 0;
		}
	}
	/* non-INVITE */
	if (t->state == SIP_TXN_TRYING || t->state == SIP_TXN_PROCEEDING) {
		if (status < 200) {
			t->state = SIP_TXN_PROCEEDING;
		} else {
			/* timer K */
			t->state = SIP_TXN_COMPLETED;
			twheel_cancel(&t->t_retx);
			arm(t, &t->t_end, t->reliable ? 0 : tt->cfg.t4_ms);
		}
		deliver(t, rsp, from);
	} else {
		tt->stats.absorbed++;
	}
	return 0;
}

/* ---- timers ---- */

static void fail(struct sip_txn *t, enum sip_txn_failure why)
{
	if (t->tt->ops.failure != NULL)
		t->tt->ops.failure(t->tt->user, t, why);
}

static void on_retx(struct sip_txn *t)
{
	struct sip_txn_table *tt = t->tt;
	uint32_t next;

	switch (t->kind) {
	case SIP_TXN_CLIENT_INVITE: /* A: doubling, until B */
		if (t->state != SIP_TXN_CALLING)
			return;
		next = t->interval * 2;
		break;
	case SIP_TXN_CLIENT: /* E: doubling up to T2; T2 in Proceeding */
		if (t->state != SIP_TXN_TRYING && t->state != SIP_TXN_PROCEEDING)
			return;
		next = t->state == SIP_TXN_PROCEEDING ? tt->cfg.t2_ms : t->interval * 2;
		if (next > tt->cfg.t2_ms)
			next = tt->cfg.t2_ms;
		break;
	case SIP_TXN_SERVER_INVITE: /* G: doubling up to T2, until H */
		if (t->state != SIP_TXN_COMPLETED)
			return;
		next = t->interval * 2;
		if (next > tt->cfg.t2_ms)
			next = tt->cfg.t2_ms;
		break;
	default:
		return;
	}
	tt->stats.retransmissions++;
	if (send_to(t, t->msg, t->msg_len) < 0) {
		if (t->kind >= SIP_TXN_CLIENT_INVITE)
			fail(t, SIP_TXN_TRANSPORT);
		end_soon(t);
		return;
	}
	t->interval = next;
	arm(t, &t->t_retx, next);
}

static void on_end(struct sip_txn *t)
{
	struct sip_txn_table *tt = t->tt;

	if (t->state != SIP_TXN_TERMINATED) {
		switch (t->kind) {
		case SIP_TXN_CLIENT_INVITE:
			if (t->state == SIP_TXN_CALLING && !t->failed) {
				tt->stats.timeouts_b++;
				fail(t, SIP_TXN_TIMER_B);
			}
			break;
		case SIP_TXN_CLIENT:
			if (t->state == SIP_TXN_TRYING || t->state == SIP_TXN_PROCEEDING) {
				tt->stats.timeouts_f++;
				fail(t, SIP_TXN_TIMER_F);
			}
			break;
		case SIP_TXN_SERVER_INVITE:
			if (t->state == SIP_TXN_COMPLETED)
				tt->stats.timeouts_h++;
			break;
		default:
			break;
		}
	}
	txn_free(t);
}

static void on_c(struct sip_txn *t)
{
	struct sip_txn_table *tt = t->tt;

	if (t->state != SIP_TXN_CALLING && t->state != SIP_TXN_PROCEEDING)
		return;
	/* the user CANCELs and answers 408; the INVITE waits for its 487,
	 * at most 64*T1 more */
	tt->stats.timeouts_c++;
	t->failed = true;
	twheel_cancel(&t->t_retx);
	fail(t, SIP_TXN_TIMER_C);
	if (t->state != SIP_TXN_TERMINATED)
		arm(t, &t->t_end, 64ull * tt->cfg.t1_ms);
}

static void fire(struct twheel_node *n, void *ctx)
{
	struct txn_timer *tm = container_of(n, struct txn_timer, node);
	struct sip_txn *t = container_of(tm - tm->which, struct sip_txn, timers);

	(void)ctx;
	switch (tm->which) {
	case TIMER_RETX:
		on_retx(t);
		break;
	case TIMER_END:
		on_end(t);
		break;
	default:
		on_c(t);
		break;
	}
}

void sip_txn_advance(struct sip_txn_table *tt, uint64_t now_ms)
{
	if (now_ms < tt->now)
		return;
	tt->now = now_ms;
	twheel_advance(&tt->wheel, now_ms, fire, tt);
}

/* ---- either ---- */

enum sip_txn_kind sip_txn_kind(const struct sip_txn *t)
{
	return (enum sip_txn_kind)t->kind;
}

enum sip_txn_state sip_txn_state(const struct sip_txn *t)
{
	return (enum sip_txn_state)t->state;
}

const struct sip_peer *sip_txn_peer(const struct sip_txn *t)
{
	return &t->peer;
}

const char *sip_txn_message(const struct sip_txn *t, size_t *len)
{
	*len = t->msg_len;
	return t->msg;
}

void *sip_txn_tu(const struct sip_txn *t)
{
	return t->tu;
}

void sip_txn_set_tu(struct sip_txn *t, void *tu)
{
	t->tu = tu;
}

void sip_txn_terminate(struct sip_txn *t)
{
	if (t->state != SIP_TXN_TERMINATED)
		end_soon(t);
}
