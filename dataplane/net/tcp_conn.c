/*
 * tcp_conn.c: the connection pool (preallocated with its buffers at stack
 * creation), the 4-tuple hash table, per-source connection counts and the
 * listener table. Nothing here allocates after tcp_stack_new.
 */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>

#include "tcp_internal.h"

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int tcp_conn_table_init(struct tcp_stack *st)
{
	const struct tcp_config *cfg = &st->cfg;
	size_t per = (size_t)cfg->snd_buf + cfg->rcv_buf;
	uint32_t i;

	st->conns = rte_zmalloc_socket("tcp_conns", cfg->max_conns * sizeof(*st->conns),
				       0, cfg->socket_id);
	st->bufmem = rte_malloc_socket("tcp_bufs", per * cfg->max_conns, 0, cfg->socket_id);
	st->bucket_mask = pow2_at_least(cfg->max_conns) - 1;
	st->buckets = rte_zmalloc_socket("tcp_buckets",
					 (st->bucket_mask + 1) * sizeof(*st->buckets),
					 0, cfg->socket_id);
	/* open addressing at most half full: every connection may have its
	 * own source */
	st->src_mask = pow2_at_least(cfg->max_conns * 2) - 1;
	st->src = rte_zmalloc_socket("tcp_src", (st->src_mask + 1) * sizeof(*st->src),
				     0, cfg->socket_id);
	st->listeners = rte_zmalloc_socket("tcp_listeners",
					   cfg->max_listeners * sizeof(*st->listeners),
					   0, cfg->socket_id);
	if (st->conns == NULL || st->bufmem == NULL || st->buckets == NULL ||
	    st->src == NULL || st->listeners == NULL)
		return -ENOMEM;
	for (i = cfg->max_conns; i-- > 0;) {
		struct tcp_conn *c = &st->conns[i];

		c->st = st;
		c->fnext = st->free_list;
		st->free_list = c;
	}
	return 0;
}

void tcp_conn_table_fini(struct tcp_stack *st)
{
	rte_free(st->conns);
	rte_free(st->bufmem);
	rte_free(st->buckets);
	rte_free(st->src);
	rte_free(st->listeners);
	st->conns = NULL;
	st->bufmem = NULL;
	st->buckets = NULL;
	st->src = NULL;
	st->listeners = NULL;
}

static uint32_t tuple_hash(const struct tcp_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	uint32_t seed;

	/* keyed so remote peers cannot aim at one bucket */
	memcpy(&seed, st->isn_key + 12, sizeof(seed));
	return rte_jhash_3words(laddr, raddr, ((uint32_t)lport << 16) | rport, seed);
}

struct tcp_conn *tcp_conn_lookup(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
				 uint32_t raddr, uint16_t rport)
{
	struct tcp_conn *c = st->buckets[tuple_hash(st, laddr, lport, raddr, rport) &
					 st->bucket_mask];

	for (; c != NULL; c = c->hnext)
		if (c->rport == rport && c->lport == lport && c->raddr == raddr &&
		    c->laddr == laddr)
			return c;
	return NULL;
}

/* Slot of addr in the per-source table: its entry or the empty slot where
 * it would go (the table is never full). */
static uint32_t src_slot(const struct tcp_stack *st, uint32_t addr)
{
	uint32_t i = rte_jhash_1word(addr, 0x7cb1) & st->src_mask;

	while (st->src[i].count != 0 && st->src[i].addr != addr)
		i = (i + 1) & st->src_mask;
	return i;
}

uint32_t tcp_conn_src_count(struct tcp_stack *st, uint32_t addr)
{
	return st->src[src_slot(st, addr)].count;
}

static void src_dec(struct tcp_stack *st, uint32_t addr)
{
	uint32_t i = src_slot(st, addr), j, home;

	if (st->src[i].count == 0 || --st->src[i].count != 0)
		return;
	/* backward-shift deletion keeps linear probing chains intact */
	j = i;
	for (;;) {
		j = (j + 1) & st->src_mask;
		if (st->src[j].count == 0)
			break;
		home = rte_jhash_1word(st->src[j].addr, 0x7cb1) & st->src_mask;
		/* move j into the hole i if its home is not in (i, j] */
		if (((j - home) & st->src_mask) >= ((j - i) & st->src_mask)) {
			st->src[i] = st->src[j];
			st->src[j].count = 0;
			i = j;
		}
	}
}

static void tw_unlink(struct tcp_stack *st, struct tcp_conn *c)
{
	if (c->tw_prev != NULL)
		c->tw_prev->tw_next = c->tw_next;
	else if (st->tw_head == c)
		st->tw_head = c->tw_next;
	else
		return;		/* not on the list */
	if (c->tw_next != NULL)
		c->tw_next->tw_prev = c->tw_prev;
	else
		st->tw_tail = c->tw_prev;
	c->tw_next = c->tw_prev = NULL;
}

static void tw_append(struct tcp_stack *st, struct tcp_conn *c)
{
	c->tw_next = NULL;
	c->tw_prev = st->tw_tail;
	if (st->tw_tail != NULL)
		st->tw_tail->tw_next = c;
	else
		st->tw_head = c;
	st->tw_tail = c;
}

/* The head of the reap list back to the free list. */
static void reap_head(struct tcp_stack *st)
{
	struct tcp_conn *c = st->reap;

	st->reap = c->fnext;
	st->per_state[TCP_S_CLOSED]--;
	st->nconns--;
	c->flags = 0;
	c->fnext = st->free_list;
	st->free_list = c;
}

/* Pool empty: the oldest TIME_WAIT entry makes room. It has no user and no
 * stack frame refers to it (only its own segment or timer would), so it
 * goes straight back to the free list. */
static void recycle_time_wait(struct tcp_stack *st)
{
	struct tcp_conn *c = st->tw_head;

	/* skip the few the app has not finished reading (it still holds
	 * them); a short look is enough, they are rare */
	for (int i = 0; i < 16 && c != NULL && (c->flags & TCP_F_USER); i++)
		c = c->tw_next;
	if (c == NULL || (c->flags & TCP_F_USER))
		return;
	tcp_conn_release(c);		/* leaves it at the head of the reap list */
	if (st->reap != c)
		return;
	reap_head(st);
	st->stats.time_wait_recycled++;
}

static void src_uncount(struct tcp_conn *c)
{
	if (c->flags & TCP_F_SRC_COUNTED) {
		c->flags &= ~TCP_F_SRC_COUNTED;
		src_dec(c->st, c->raddr);
	}
}

struct tcp_conn *tcp_conn_alloc(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
				uint32_t raddr, uint16_t rport)
{
	const struct tcp_config *cfg = &st->cfg;
	struct tcp_conn *c;
	uint32_t b, s, idx;
	uint8_t *mem;

	if (st->free_list == NULL)
		recycle_time_wait(st);
	c = st->free_list;
	if (c == NULL) {
		st->stats.drop_conn_limit++;
		return NULL;
	}
	s = src_slot(st, raddr);
	if (cfg->max_per_source != 0 && st->src[s].count >= cfg->max_per_source) {
		st->stats.drop_source_limit++;
		return NULL;
	}
	st->free_list = c->fnext;
	idx = (uint32_t)(c - st->conns);
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->laddr = laddr;
	c->raddr = raddr;
	c->lport = lport;
	c->rport = rport;
	c->state = TCP_S_CLOSED;
	st->per_state[TCP_S_CLOSED]++;
	mem = st->bufmem + (size_t)idx * ((size_t)cfg->snd_buf + cfg->rcv_buf);
	tcp_ring_init(&c->sndq, mem, cfg->snd_buf);
	tcp_ring_init(&c->rcvq, mem + cfg->snd_buf, cfg->rcv_buf);
	tcp_ooo_init(&c->ooo, (uint16_t)cfg->max_ooo_ranges);
	tcp_rto_init(&c->rto, cfg->rto_init_ms, cfg->rto_min_ms, cfg->rto_max_ms);
	c->rcv_wscale = 0;
	c->smss = TCP_DEFAULT_MSS;
	c->last_rx_ms = st->now_ms;

	st->src[s].addr = raddr;
	st->src[s].count++;
	c->flags |= TCP_F_SRC_COUNTED;
	b = tuple_hash(st, laddr, lport, raddr, rport) & st->bucket_mask;
	c->hnext = st->buckets[b];
	st->buckets[b] = c;
	st->nconns++;
	return c;
}

void tcp_conn_set_state(struct tcp_conn *c, int state)
{
	struct tcp_stack *st = c->st;

	if (c->state == TCP_S_SYN_RECEIVED && (c->flags & TCP_F_HALF_OPEN)) {
		c->flags &= ~TCP_F_HALF_OPEN;
		st->half_open--;
	}
	if (c->state == TCP_S_TIME_WAIT && state != TCP_S_TIME_WAIT) {
		tw_unlink(st, c);
	} else if (state == TCP_S_TIME_WAIT && c->state != TCP_S_TIME_WAIT) {
		tw_append(st, c);
		/* a TIME_WAIT entry is ours to keep, not the peer's: it does
		 * not count against its source limit */
		src_uncount(c);
	}
	st->per_state[c->state]--;
	st->per_state[state]++;
	if (state == TCP_S_ESTABLISHED && c->state < TCP_S_ESTABLISHED)
		st->stats.conns_established++;
	c->state = (uint8_t)state;
}

void tcp_conn_release(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;
	struct tcp_conn **pp;

	if (c->flags & TCP_F_DEAD)
		return;
	tcp_conn_set_state(c, TCP_S_CLOSED);
	c->flags |= TCP_F_DEAD;
	tcp_timer_clear_all(c);
	pp = &st->buckets[tuple_hash(st, c->laddr, c->lport, c->raddr, c->rport) &
			  st->bucket_mask];
	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp == c)
		*pp = c->hnext;
	c->hnext = NULL;
	src_uncount(c);
	/* the memory stays valid until the outermost entry point returns */
	c->fnext = st->reap;
	st->reap = c;
}

void tcp_conn_reap(struct tcp_stack *st)
{
	while (st->reap != NULL)
		reap_head(st);
}

void tcp_conn_notify(struct tcp_conn *c, int err)
{
	struct tcp_stack *st = c->st;

	if (err == 0)
		st->stats.conns_closed++;
	else if (err == -ECONNRESET || err == -ECONNREFUSED)
		st->stats.conns_reset++;
	else if (err == -ETIMEDOUT)
		st->stats.conns_timeout++;
	else
		st->stats.conns_aborted++;
	if (c->flags & TCP_F_USER) {
		c->flags &= ~TCP_F_USER;
		if (c->cb != NULL && c->cb->on_closed != NULL)
			c->cb->on_closed(c, c->user, err);
	}
}

void tcp_conn_finish(struct tcp_conn *c, int err)
{
	if (c->flags & TCP_F_DEAD)
		return;
	tcp_conn_notify(c, err);
	tcp_conn_release(c);
}

struct tcp_listener *tcp_listener_find(struct tcp_stack *st, uint16_t port)
{
	for (uint32_t i = 0; i < st->cfg.max_listeners; i++)
		if (st->listeners[i].used && st->listeners[i].port == port)
			return &st->listeners[i];
	return NULL;
}
