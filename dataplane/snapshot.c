/* Snapshots: built from control's JSON, published to workers with RCU. */
#include "snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#define RETIRED_MAX 8

static struct rte_rcu_qsbr *qsbr;
static struct dp_snapshot *current;          /* read by workers */
static struct {
	struct dp_snapshot *s;
	uint64_t token;
} retired[RETIRED_MAX];
static unsigned n_retired;

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

static char *dup_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? strdup(s) : NULL;
}

static int copy_str(char *dst, size_t size, const json_t *o, const char *key,
		    bool required)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		dst[0] = '\0';
		return required ? -1 : 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= size)
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_port(const json_t *o, const char *key, uint16_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return -1;
	*out = (uint16_t)json_integer_value(v);
	return 0;
}

static int get_addr(const json_t *o, const char *key, uint32_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

static void *array_alloc(const json_t *a, size_t elem, size_t *n)
{
	*n = json_is_array(a) ? json_array_size(a) : 0;
	return calloc(*n > 0 ? *n : 1, elem);
}

static int parse_listeners(struct dp_snapshot *s, const json_t *a, char *err, size_t errlen)
{
	size_t i;
	const json_t *v;

	s->listeners = array_alloc(a, sizeof(*s->listeners), &s->n_listeners);
	if (s->listeners == NULL)
		return -1;
	json_array_foreach(a, i, v) {
		struct snapshot_listener *l = &s->listeners[i];
		int t = umedge_transport_parse(jstr(v, "transport"));
		if (t < 0 || get_port(v, "port", &l->port) != 0 || l->port == 0) {
			snprintf(err, errlen, "listeners[%zu]: bad transport or port", i);
			return -1;
		}
		l->transport = (enum umedge_transport)t;
		uint64_t *bits = t == UMEDGE_TRANSPORT_UDP ? s->udp_open : s->tcp_open;
		bits[l->port >> 6] |= 1ull << (l->port & 63);
	}
	return 0;
}

static int parse_dial_plans(struct dp_snapshot *s, const json_t *a, char *err, size_t errlen)
{
	size_t i, j;
	const json_t *v, *x;

	s->dial_plans = array_alloc(a, sizeof(*s->dial_plans), &s->n_dial_plans);
	if (s->dial_plans == NULL)
		return -1;
	json_array_foreach(a, i, v) {
		struct snapshot_dial_plan *d = &s->dial_plans[i];
		int sec = umedge_security_parse(jstr(v, "voip_security"));
		if (copy_str(d->name, sizeof(d->name), v, "name", true) != 0 || sec < 0) {
			snprintf(err, errlen, "dial_plans[%zu]: bad name or voip_security", i);
			return -1;
		}
		d->security = (enum umedge_security)sec;
		d->associated = json_is_true(json_object_get(v, "associated"));
		json_array_foreach(json_object_get(v, "srtp_suites"), j, x) {
			int su = umedge_srtp_suite_parse(json_is_string(x) ? json_string_value(x) : "");
			if (su < 0 || d->n_suites == UMEDGE_SRTP_SUITE_COUNT) {
				snprintf(err, errlen, "dial_plans[%zu]: bad srtp_suites", i);
				return -1;
			}
			d->suites[d->n_suites++] = (enum umedge_srtp_suite)su;
		}
	}
	return 0;
}

static int parse_gateways(struct dp_snapshot *s, const json_t *a, char *err, size_t errlen)
{
	size_t i;
	const json_t *v;

	s->gateways = array_alloc(a, sizeof(*s->gateways), &s->n_gateways);
	if (s->gateways == NULL)
		return -1;
	json_array_foreach(a, i, v) {
		struct snapshot_gateway *g = &s->gateways[i];
		if (copy_str(g->name, sizeof(g->name), v, "name", true) != 0 ||
		    get_addr(v, "address", &g->addr) != 0 || get_port(v, "port", &g->port) != 0 ||
		    copy_str(g->fqdn, sizeof(g->fqdn), v, "fqdn", false) != 0) {
			snprintf(err, errlen, "gateways[%zu]: bad name, address, port or fqdn", i);
			return -1;
		}
	}
	return 0;
}

static int parse_hunt_groups(struct dp_snapshot *s, const json_t *a, char *err, size_t errlen)
{
	size_t i;
	const json_t *v;

	s->hunt_groups = array_alloc(a, sizeof(*s->hunt_groups), &s->n_hunt_groups);
	if (s->hunt_groups == NULL)
		return -1;
	json_array_foreach(a, i, v) {
		struct snapshot_hunt_group *h = &s->hunt_groups[i];
		if (copy_str(h->gateway, sizeof(h->gateway), v, "gateway", true) != 0 ||
		    copy_str(h->pilot, sizeof(h->pilot), v, "pilot", true) != 0 ||
		    copy_str(h->dial_plan, sizeof(h->dial_plan), v, "dial_plan", true) != 0) {
			snprintf(err, errlen, "hunt_groups[%zu]: bad gateway, pilot or dial_plan", i);
			return -1;
		}
	}
	return 0;
}

static int parse_application(struct dp_snapshot *s, const json_t *o, char *err, size_t errlen)
{
	if (o == NULL || json_is_null(o))
		return 0;
	int t = umedge_transport_parse(jstr(o, "transport"));
	if (get_addr(o, "address", &s->app_addr) != 0 || get_port(o, "port", &s->app_port) != 0 ||
	    t < 0) {
		snprintf(err, errlen, "application: bad address, port or transport");
		return -1;
	}
	s->app_transport = (enum umedge_transport)t;
	s->has_application = true;
	return 0;
}

static int parse_certificate(struct dp_snapshot *s, const json_t *o, char *err, size_t errlen)
{
	if (o == NULL || json_is_null(o))
		return 0;
	if (copy_str(s->thumbprint_sha1, sizeof(s->thumbprint_sha1), o, "thumbprint_sha1",
		     false) != 0) {
		snprintf(err, errlen, "certificate: bad thumbprint_sha1");
		return -1;
	}
	s->cert_pem = dup_str(o, "cert_pem");
	s->key_pem = dup_str(o, "key_pem");
	if (s->cert_pem == NULL || s->key_pem == NULL) {
		snprintf(err, errlen, "certificate: cert_pem and key_pem are required");
		return -1;
	}
	return 0;
}

struct dp_snapshot *snapshot_from_json(const json_t *obj, uint64_t version,
				       char *err, size_t errlen)
{
	struct dp_snapshot *s = NULL;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "snapshot is not an object");
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->version = version;
	if (copy_str(s->fqdn, sizeof(s->fqdn), obj, "fqdn", false) != 0) {
		snprintf(err, errlen, "bad fqdn");
		goto fail;
	}
	if (parse_listeners(s, json_object_get(obj, "listeners"), err, errlen) != 0 ||
	    parse_dial_plans(s, json_object_get(obj, "dial_plans"), err, errlen) != 0 ||
	    parse_gateways(s, json_object_get(obj, "gateways"), err, errlen) != 0 ||
	    parse_hunt_groups(s, json_object_get(obj, "hunt_groups"), err, errlen) != 0 ||
	    parse_application(s, json_object_get(obj, "application"), err, errlen) != 0 ||
	    parse_certificate(s, json_object_get(obj, "certificate"), err, errlen) != 0)
		goto fail;
	s->trust_pem = dup_str(obj, "trust_pem");
	{
		const json_t *ss = json_object_get(obj, "start_secured");

		/* an integer 0/1 from control; absent in older pushes: 0 */
		s->start_secured = json_is_integer(ss) ? json_integer_value(ss) != 0
						       : json_is_true(ss);
	}
	return s;
fail:
	snapshot_free(s);
	return NULL;
}

void snapshot_free(struct dp_snapshot *s)
{
	if (s == NULL)
		return;
	free(s->listeners);
	free(s->dial_plans);
	free(s->gateways);
	free(s->hunt_groups);
	free(s->cert_pem);
	if (s->key_pem != NULL) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s->trust_pem);
	free(s);
}

int snapshot_init(unsigned n_workers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_workers);

	qsbr = rte_zmalloc("umedge_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(qsbr, n_workers) != 0) {
		rte_free(qsbr);
		qsbr = NULL;
		return -EINVAL;
	}
	return 0;
}

struct rte_rcu_qsbr *snapshot_qsbr(void)
{
	return qsbr;
}

const struct dp_snapshot *snapshot_current(void)
{
	return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

uint64_t snapshot_version(void)
{
	const struct dp_snapshot *s = snapshot_current();
	return s != NULL ? s->version : 0;
}

void snapshot_reclaim(bool wait)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < n_retired; i++) {
		if (rte_rcu_qsbr_check(qsbr, retired[i].token, wait) == 1)
			snapshot_free(retired[i].s);
		else
			retired[kept++] = retired[i];
	}
	n_retired = kept;
}

void snapshot_publish(struct dp_snapshot *s)
{
	struct dp_snapshot *old = current;

	__atomic_store_n(&current, s, __ATOMIC_RELEASE);
	if (old == NULL)
		return;
	if (n_retired == RETIRED_MAX)
		snapshot_reclaim(true);
	retired[n_retired].s = old;
	retired[n_retired].token = rte_rcu_qsbr_start(qsbr);
	n_retired++;
}

void snapshot_fini(void)
{
	/* workers have stopped: nothing reads the snapshots any more */
	for (unsigned i = 0; i < n_retired; i++)
		snapshot_free(retired[i].s);
	n_retired = 0;
	snapshot_free(current);
	current = NULL;
	rte_free(qsbr);
	qsbr = NULL;
}
