/* Helpers shared by the SRTP crypto tests (see test_srtp_util.h). */
#include "test_srtp_util.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umedge/fdio.h"

/* Payload sizes cycled through by the scenarios: empty, around block
 * boundaries, G.711 20 ms, a video-sized packet. */
static const int payload_sizes[] = { 172, 0, 1, 15, 16, 17, 80, 160, 33, 1200, 64, 255 };

void tsrtp_master_key(enum umedge_srtp_suite suite, int seed, uint8_t key[SRTP_MAX_KEY_LEN])
{
	for (int k = 0; k < SRTP_MAX_KEY_LEN; k++)
		key[k] = (uint8_t)(0x5a ^ (k * 29 + (int)suite * 71 + seed * 13));
}

int tsrtp_rtp_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, int i)
{
	int n_csrc = (i % 5 == 3) ? 2 : 0;
	int xtn = (i % 4 == 1);
	int plen = payload_sizes[i % (int)(sizeof(payload_sizes) / sizeof(payload_sizes[0]))];
	uint32_t ts = (uint32_t)seq * 160u + 0x1000u;
	int off = 12;

	buf[0] = (uint8_t)(0x80 | (xtn ? 0x10 : 0) | n_csrc);
	buf[1] = (uint8_t)((i == 0 ? 0x80 : 0) | 0); /* marker on the first, PCMU */
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	for (int c = 0; c < n_csrc; c++) {
		for (int k = 0; k < 4; k++)
			buf[off + k] = (uint8_t)(0xc0 + c * 4 + k);
		off += 4;
	}
	if (xtn) {
		/* RFC 8285 one-byte form, one word: element id 1, 3 octets. */
		buf[off++] = 0xbe;
		buf[off++] = 0xde;
		buf[off++] = 0x00;
		buf[off++] = 0x01;
		buf[off++] = 0x12;
		buf[off++] = (uint8_t)(0xa0 + i);
		buf[off++] = 0xa5;
		buf[off++] = 0x5a;
	}
	for (int k = 0; k < plen; k++)
		buf[off + k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
	return off + plen;
}

int tsrtp_rtcp_packet(uint8_t *buf, uint32_t ssrc, int i)
{
	int words = 6 + (i % 9); /* SR: header + sender info, then filler */
	int len = 4 * (words + 1);

	buf[0] = 0x80;
	buf[1] = 200; /* SR */
	buf[2] = (uint8_t)(words >> 8);
	buf[3] = (uint8_t)words;
	buf[4] = (uint8_t)(ssrc >> 24);
	buf[5] = (uint8_t)(ssrc >> 16);
	buf[6] = (uint8_t)(ssrc >> 8);
	buf[7] = (uint8_t)ssrc;
	for (int k = 8; k < len; k++)
		buf[k] = (uint8_t)(i * 17 + k * 3);
	return len;
}

int tsrtp_init(void)
{
	static int done;

	/* srtp_init() may run once per process (a second call fails), and
	 * srtp_backend_register() calls it when nobody has. */
	if (done || srtp_backend_registered())
		return 0;
	if (srtp_init() != srtp_err_status_ok)
		return -1;
	done = 1;
	return 0;
}

int tsrtp_session(srtp_t *s, const struct tsrtp_run *run, const uint8_t *key)
{
	static int xtn_ids[1] = { 1 };
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	if (srtp_backend_suite_policy(run->suite, &pol.rtp, &pol.rtcp) != 0)
		return -1;
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = run->ssrc;
	pol.key = (unsigned char *)key;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	if (run->xtn_enc) {
		pol.enc_xtn_hdr = xtn_ids;
		pol.enc_xtn_hdr_count = 1;
	}
	if (srtp_create(s, &pol) != srtp_err_status_ok)
		return -1;
	if (run->roc != 0 && srtp_set_stream_roc(*s, run->ssrc, run->roc) != srtp_err_status_ok) {
		srtp_dealloc(*s);
		return -1;
	}
	return 0;
}

int tsrtp_run_scenario(const struct tsrtp_run *run, struct tsrtp_result *res)
{
	uint8_t key[SRTP_MAX_KEY_LEN];
	srtp_t tx = NULL, rx = NULL;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (run->n_rtp > TSRTP_MAX_PACKETS || run->n_rtcp > TSRTP_MAX_PACKETS)
		return -1;
	if (tsrtp_init() != 0)
		return -1;
	tsrtp_master_key(run->suite, 0, key);
	if (tsrtp_session(&tx, run, key) != 0 || tsrtp_session(&rx, run, key) != 0)
		goto out;

	for (int i = 0; i < run->n_rtp; i++) {
		struct tsrtp_rec *p = &res->rtp[i], *c = &res->rtp_clear[i];

		p->len = tsrtp_rtp_packet(p->buf, run->ssrc, (uint16_t)(run->first_seq + i), i);
		p->status = (int)srtp_protect(tx, p->buf, &p->len);
		memcpy(c->buf, p->buf, sizeof(c->buf));
		c->len = p->len;
		c->status = p->status ? p->status : (int)srtp_unprotect(rx, c->buf, &c->len);
	}
	for (int i = 0; i < run->n_rtcp; i++) {
		struct tsrtp_rec *p = &res->rtcp[i], *c = &res->rtcp_clear[i];

		p->len = tsrtp_rtcp_packet(p->buf, run->ssrc, i);
		p->status = (int)srtp_protect_rtcp(tx, p->buf, &p->len);
		memcpy(c->buf, p->buf, sizeof(c->buf));
		c->len = p->len;
		c->status = p->status ? p->status : (int)srtp_unprotect_rtcp(rx, c->buf, &c->len);
	}
	if (srtp_get_stream_roc(rx, run->ssrc, &res->recv_roc) != srtp_err_status_ok)
		goto out;
	ret = 0;
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
	return ret;
}

int tsrtp_run_stock(const struct tsrtp_run *run, struct tsrtp_result *res)
{
	int fds[2], status = 0, ret = -1;
	pid_t pid;

	if (srtp_backend_registered())
		return -1; /* the child would inherit the registration */
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int rc;

		close(fds[0]);
		rc = tsrtp_run_scenario(run, res);
		if (rc == 0)
			rc = fdio_write_all(fds[1], res, sizeof(*res));
		close(fds[1]);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	if (fdio_read_all(fds[0], res, sizeof(*res)) == 0)
		ret = 0;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret = -1;
	return ret;
}
