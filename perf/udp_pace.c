/* udp_pace: RTP (PCMU, 160 octets) to N destinations, each from its own
 * source port, round robin, PPS packets a second in all, for SECS, with
 * sendmmsg in batches: a load generator for perf/ng_bench.py that a
 * Python loop cannot be. Prints the packets sent.
 *
 * usage: udp_pace SRC_ADDR FIRST_SRC_PORT PPS SECS DST_ADDR:PORT... */
/* sendmmsg: _GNU_SOURCE, which the build defines */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_DST 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static int fds[MAX_DST];
	static uint16_t seqs[MAX_DST];
	uint8_t pkt[BATCH][172];
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	unsigned n, k = 0;
	unsigned long long sent = 0, target;
	double pps, secs, t0, end;
	struct sockaddr_in src = { .sin_family = AF_INET };
	int first;

	if (argc < 6) {
		fprintf(stderr, "usage: udp_pace SRC_ADDR FIRST_SRC_PORT PPS SECS DST:PORT...\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1)
		return 2;
	first = atoi(argv[2]);
	pps = atof(argv[3]);
	secs = atof(argv[4]);
	n = (unsigned)(argc - 5);
	if (n > MAX_DST || pps <= 0 || secs <= 0)
		return 2;
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in dst = { .sin_family = AF_INET };
		char *colon = strrchr(argv[5 + i], ':');
		if (colon == NULL)
			return 2;
		*colon = '\0';
		if (inet_pton(AF_INET, argv[5 + i], &dst.sin_addr) != 1)
			return 2;
		dst.sin_port = htons((uint16_t)atoi(colon + 1));
		src.sin_port = htons((uint16_t)(first + 2 * (int)i));
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&src, sizeof(src)) != 0 ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) != 0) {
			perror("socket");
			return 1;
		}
	}
	memset(pkt, 0xff, sizeof(pkt));
	t0 = now_s();
	end = t0 + secs;
	while (now_s() < end) {
		target = (unsigned long long)((now_s() - t0) * pps);
		while (sent < target) {
			/* a batch to one destination (sendmmsg is per socket) */
			unsigned b = target - sent < BATCH ? (unsigned)(target - sent) : BATCH;
			int r;
			for (unsigned j = 0; j < b; j++) {
				uint16_t s = seqs[k]++;
				pkt[j][0] = 0x80;
				pkt[j][1] = 0;
				pkt[j][2] = (uint8_t)(s >> 8);
				pkt[j][3] = (uint8_t)s;
				uint32_t ts = (uint32_t)s * 160u, ssrc = 0x50000000u + k;
				pkt[j][4] = (uint8_t)(ts >> 24);
				pkt[j][5] = (uint8_t)(ts >> 16);
				pkt[j][6] = (uint8_t)(ts >> 8);
				pkt[j][7] = (uint8_t)ts;
				pkt[j][8] = (uint8_t)(ssrc >> 24);
				pkt[j][9] = (uint8_t)(ssrc >> 16);
				pkt[j][10] = (uint8_t)(ssrc >> 8);
				pkt[j][11] = (uint8_t)ssrc;
				iov[j].iov_base = pkt[j];
				iov[j].iov_len = sizeof(pkt[j]);
				memset(&mh[j], 0, sizeof(mh[j]));
				mh[j].msg_hdr.msg_iov = &iov[j];
				mh[j].msg_hdr.msg_iovlen = 1;
			}
			r = sendmmsg(fds[k], mh, b, 0);
			if (r > 0)
				sent += (unsigned)r;
			else if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
				break;
			else
				sent += b; /* offered: the sender's kernel dropped it */
			k = (k + 1) % n;
		}
	}
	printf("%llu\n", sent);
	return 0;
}
