/*
 * tls_offload.c: crypto lcores. Workers put requests (pointers to records
 * that live on the paused job's stack) on a crypto lcore's ring (many
 * producers, one consumer); the crypto lcore computes with OpenSSL's
 * default methods, marks the record done and puts the connection on the
 * owning worker's completion ring, which tls_worker_poll drains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/async.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "tls_internal.h"

__thread struct tls_worker *tls_current_worker;
__thread struct tls_conn *tls_current_conn;

static struct rte_ring *req_rings[TLS_OFFLOAD_MAX];
static unsigned n_rings;

#define WORKER_DONE_SIZE 1024
#define WORKER_EVENTS_SIZE 256
#define CRYPTO_BURST 16

int tls_offload_init(unsigned n, int socket)
{
	char name[RTE_RING_NAMESIZE];

	if (n > TLS_OFFLOAD_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "umtlsq%u_%d", i, getpid());
		req_rings[i] = rte_ring_create(name, TLS_OFFLOAD_RING_SIZE, socket, RING_F_SC_DEQ);
		if (req_rings[i] == NULL) {
			tls_offload_fini();
			return -ENOMEM;
		}
		n_rings = i + 1;
	}
	return 0;
}

void tls_offload_fini(void)
{
	for (unsigned i = 0; i < TLS_OFFLOAD_MAX; i++) {
		struct tls_offload_req *r;

		/* the crypto lcores have stopped: free what still waits */
		while (req_rings[i] != NULL && rte_ring_dequeue(req_rings[i], (void **)&r) == 0)
			if (r->op == TLS_OP_RELEASE)
				tls_conn_release(r->token);
		rte_ring_free(req_rings[i]);
		req_rings[i] = NULL;
	}
	n_rings = 0;
}

void tls_offload_limit(unsigned n)
{
	if (n < n_rings)
		n_rings = n;	/* the rest are freed by tls_offload_fini */
}

unsigned tls_offload_count(void)
{
	return n_rings;
}

bool tls_offload_submit(struct tls_offload_req *req)
{
	struct tls_worker *tw = tls_current_worker;
	struct tls_conn *t = tls_current_conn;

	if (tw == NULL || t == NULL || n_rings == 0 || tw->done == NULL ||
	    ASYNC_get_current_job() == NULL) {
		if (tw != NULL)
			tw->stats.async_inline++;
		return false;
	}
	/* a completion ring slot for every request in flight */
	if (tw->stats.async_inflight >= WORKER_DONE_SIZE - 1) {
		tw->stats.async_ring_full++;
		return false;
	}
	atomic_init(&req->done, 0);
	req->token = t;
	req->reply = tw->done;
	if (rte_ring_mp_enqueue(req_rings[tw->rr++ % n_rings], req) != 0) {
		tw->stats.async_ring_full++;
		return false;
	}
	tw->stats.async_offloads++;
	tw->stats.async_inflight++;
	/* the worker resumes this job only once the connection came back on
	 * its completion ring, so done is set by then; loop for safety */
	do {
		if (ASYNC_pause_job() != 1) {
			/* cannot pause: wait here (never expected) */
			while (!atomic_load_explicit(&req->done, memory_order_acquire))
				rte_pause();
		}
	} while (!atomic_load_explicit(&req->done, memory_order_acquire));
	return true;
}

bool tls_offload_step(struct tls_conn *t)
{
	struct tls_worker *tw = t->tw;
	struct tls_offload_req *req = &t->hs_req;

	if (n_rings == 0 || tw->done == NULL)
		return false;
	if (tw->stats.async_inflight >= WORKER_DONE_SIZE - 1) {
		tw->stats.async_ring_full++;
		return false;
	}
	req->op = TLS_OP_HANDSHAKE;
	atomic_init(&req->done, 0);
	req->token = t;
	req->reply = tw->done;
	/* from here the SSL and its BIO pair belong to the crypto lcore until
	 * t comes back on the completion ring (the ring orders the accesses) */
	t->step_out = true;
	t->async_wait = true;
	if (rte_ring_mp_enqueue(req_rings[tw->rr++ % n_rings], req) != 0) {
		t->step_out = false;
		t->async_wait = false;
		tw->stats.async_ring_full++;
		return false;
	}
	tw->stats.hs_offloads++;
	tw->stats.async_inflight++;
	return true;
}

bool tls_offload_release(struct tls_conn *t)
{
	struct tls_worker *tw = t->tw;

	if (n_rings == 0)
		return false;
	t->hs_req.op = TLS_OP_RELEASE;
	t->hs_req.token = t;
	t->hs_req.reply = NULL;
	return rte_ring_mp_enqueue(req_rings[tw->rr++ % n_rings], &t->hs_req) == 0;
}

unsigned tls_crypto_poll(unsigned idx, unsigned max)
{
	struct tls_offload_req *reqs[CRYPTO_BURST];
	unsigned n;

	if (idx >= n_rings)
		return 0;
	if (max > CRYPTO_BURST)
		max = CRYPTO_BURST;
	n = rte_ring_sc_dequeue_burst(req_rings[idx], (void **)reqs, max, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct tls_offload_req *r = reqs[i];
		struct tls_conn *token = r->token;
		struct rte_ring *reply = r->reply;

		if (r->op == TLS_OP_RELEASE) {
			tls_conn_release(token);	/* r is inside it */
			continue;
		}
		tls_offload_compute(r);
		/* r lives on the job's stack: do not touch it after done */
		atomic_store_explicit(&r->done, 1, memory_order_release);
		while (rte_ring_mp_enqueue(reply, token) != 0)
			rte_pause();
	}
	return n;
}

int tls_crypto_main(void *arg)
{
	struct tls_crypto_args *a = arg;
	unsigned idle = 0;

	while (!*a->quit) {
		unsigned n = tls_crypto_poll(a->idx, CRYPTO_BURST);

		if (n > 0) {
			a->ops += n;
			idle = 0;
			continue;
		}
		if (!a->backoff || ++idle < 256) {
			rte_pause();
			continue;
		}
		usleep(idle < 4096 ? 20 : 200);
	}
	return 0;
}

/* ---- per worker ---- */

int tls_worker_init(struct tls_worker *tw, unsigned idx, int socket)
{
	char name[RTE_RING_NAMESIZE];

	memset(tw, 0, sizeof(*tw));
	tw->idx = idx;
	tls_verify_index();
	snprintf(name, sizeof(name), "umtlsd%u_%d", idx, getpid());
	tw->done = rte_ring_create(name, WORKER_DONE_SIZE, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "umtlse%u_%d", idx, getpid());
	tw->events = rte_ring_create(name, WORKER_EVENTS_SIZE, socket,
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (tw->done == NULL || tw->events == NULL) {
		tls_worker_fini(tw);
		return -ENOMEM;
	}
	return 0;
}

void tls_worker_fini(struct tls_worker *tw)
{
	struct tls_event *ev;

	while ((ev = tls_worker_event(tw)) != NULL)
		free(ev);
	rte_ring_free(tw->done);
	rte_ring_free(tw->events);
	tw->done = NULL;
	tw->events = NULL;
}

struct tls_event *tls_worker_event(struct tls_worker *tw)
{
	void *ev = NULL;

	if (tw->events == NULL || rte_ring_sc_dequeue(tw->events, &ev) != 0)
		return NULL;
	return ev;
}
