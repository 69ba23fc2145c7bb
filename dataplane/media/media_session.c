/* Sessions: built and freed on the main lcore (srtp_create allocates). */
#include "media.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "srtp_backend.h"

static bool use_burst;	/* set once at start-up, before the workers run */

int media_srtp_engine_init(enum config_srtp_engine want, char *why, size_t whylen)
{
	use_burst = false;
	if (want == CONFIG_SRTP_ENGINE_LIBSRTP2) {
		snprintf(why, whylen, "SRTP on libsrtp2 with umedge's OpenSSL primitives "
				      "(dataplane.srtp_engine: libsrtp2)");
		return 0;
	}
#ifdef UMEDGE_HAVE_SRTP_MB
	if (srtp_mb_init() == 0) {
		use_burst = true;
		snprintf(why, whylen,
			 "SRTP on intel-ipsec-mb %s (%s code path) in bursts of up to %d packets",
			 srtp_mb_version(), srtp_mb_arch(), MEDIA_BURST);
		return 0;
	}
	if (want == CONFIG_SRTP_ENGINE_IPSEC_MB)
		snprintf(why, whylen, "dataplane.srtp_engine is ipsec_mb, but intel-ipsec-mb cannot "
				      "run on this CPU (it needs AES-NI and PCLMULQDQ): not starting");
	else
		snprintf(why, whylen, "auto: intel-ipsec-mb cannot run on this CPU (it needs AES-NI "
				      "and PCLMULQDQ); SRTP on libsrtp2 with umedge's OpenSSL "
				      "primitives");
#else
	if (want == CONFIG_SRTP_ENGINE_IPSEC_MB)
		snprintf(why, whylen, "dataplane.srtp_engine is ipsec_mb, but this build has no "
				      "intel-ipsec-mb (libipsec-mb-dev): not starting");
	else
		snprintf(why, whylen, "auto: this build has no intel-ipsec-mb (libipsec-mb-dev); "
				      "SRTP on libsrtp2 with umedge's OpenSSL primitives");
#endif
	return want == CONFIG_SRTP_ENGINE_IPSEC_MB ? -ENOTSUP : 0;
}

bool media_srtp_burst(void)
{
	return use_burst;
}

void media_session_readdress(struct media_session *s, const struct media_session_params *p)
{
	s->ext_remote_ip = p->ext_remote_ip;
	s->ext_remote_port = p->ext_remote_port;
	s->int_remote_ip = p->int_remote_ip;
	s->int_remote_port = p->int_remote_port;
	/* until the gateway is heard from: the address it was given as */
	s->gw_ip[0] = s->gw_ip[1] = p->ext_remote_ip;
	s->gw_port[0] = p->ext_remote_port;
	s->gw_port[1] = s->rtcp_mux ? p->ext_remote_port : (uint16_t)(p->ext_remote_port + 1);
	s->latched[0] = s->latched[1] = false;
}

int media_session_init(struct media_session *s, const struct media_session_params *p,
		       uint32_t id)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->srtp = p->srtp;
	s->rtcp_mux = p->rtcp_mux;
	s->suite = p->suite;
	s->ext_local = p->ext_local;
	s->int_local = p->int_local;
	media_session_readdress(s, p);
	s->created_tsc = rte_rdtsc();
	if (p->srtp && use_burst) {
#ifdef UMEDGE_HAVE_SRTP_MB
		rc = srtp_mb_ctx_new(p->suite, p->rx_key, false, &s->mb_rx);
		if (rc == 0)
			rc = srtp_mb_ctx_new(p->suite, p->tx_key, true, &s->mb_tx);
#endif
	} else if (p->srtp) {
		rc = srtp_backend_create(&s->rx, p->suite, p->rx_key, ssrc_any_inbound);
		if (rc == 0)
			rc = srtp_backend_create(&s->tx, p->suite, p->tx_key, ssrc_any_outbound);
	}
	if (rc != 0)
		media_session_fini(s);
	return rc;
}

void media_session_fini(struct media_session *s)
{
	/* srtp_dealloc clears libsrtp2's session keys; the OpenSSL backend
	 * cleanses its contexts (docs/media-crypto.md) */
	if (s->rx != NULL)
		srtp_dealloc(s->rx);
	if (s->tx != NULL)
		srtp_dealloc(s->tx);
#ifdef UMEDGE_HAVE_SRTP_MB
	srtp_mb_ctx_free(s->mb_rx);	/* wipes the keys */
	srtp_mb_ctx_free(s->mb_tx);
#endif
	OPENSSL_cleanse(s, sizeof(*s));
}

int media_session_new(const struct media_session_params *p, uint32_t id,
		      struct media_session **out)
{
	struct media_session *s = rte_zmalloc("media_session", sizeof(*s), RTE_CACHE_LINE_SIZE);
	int rc;

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	rc = media_session_init(s, p, id);
	if (rc != 0) {
		rte_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void media_session_free(struct media_session *s)
{
	if (s == NULL)
		return;
	media_session_fini(s);
	rte_free(s);
}
