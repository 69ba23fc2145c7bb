/* pcap records: the headers a dissector reads, checksums that verify, the
 * cut at the IPv4 limit. tshark reads real captures in test_operator.py. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "pcap.h"

static uint32_t rd32le(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The one's-complement sum of a region plus a pseudo-header: 0xffff when
 * the checksum in it is right. */
static uint16_t verify(const uint8_t *ip, const uint8_t *l4, size_t l4_len, int proto)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < 8; i += 2)
		sum += rd16(ip + 12 + i);
	sum += (uint32_t)proto + (uint32_t)l4_len;
	for (size_t i = 0; i + 1 < l4_len; i += 2)
		sum += rd16(l4 + i);
	if (l4_len & 1)
		sum += (uint32_t)l4[l4_len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

Test(pcap, file_header)
{
	uint8_t h[PCAP_FILE_HEADER_LEN];

	pcap_file_header(h);
	cr_expect_eq(rd32le(h), 0xa1b2c3d4u);
	cr_expect_eq(h[4], 2);
	cr_expect_eq(h[6], 4);
	cr_expect_eq(rd32le(h + 16), 65535u);
	cr_expect_eq(rd32le(h + 20), 1u, "Ethernet");
}

Test(pcap, udp_record)
{
	static const char sip[] = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n!"; /* odd length */
	struct pcap_pkt p = { .ts_us = 1796169600123456ull, .src = 0xc000020a, .dst = 0xc0000201,
			      .sport = 5070, .dport = 5060, .l4 = PCAP_UDP };
	uint8_t out[256];
	size_t n = pcap_record(out, sizeof(out), &p, sip, sizeof(sip) - 1), plen = sizeof(sip) - 1;
	const uint8_t *ip = out + 16 + 14, *udp = ip + 20;

	cr_assert_eq(n, 16 + 14 + 20 + 8 + plen);
	cr_expect_eq(rd32le(out), 1796169600u);
	cr_expect_eq(rd32le(out + 4), 123456u);
	cr_expect_eq(rd32le(out + 8), n - 16);
	cr_expect_eq(rd32le(out + 12), n - 16);
	cr_expect_eq(rd16(out + 16 + 12), 0x0800);
	cr_expect_eq(ip[0], 0x45);
	cr_expect_eq(rd16(ip + 2), 20 + 8 + plen);
	cr_expect_eq(ip[9], 17);
	cr_expect_eq(rd16(ip + 12), 0xc000);
	cr_expect_eq(ip[15], 0x0a);
	cr_expect_eq(ip[19], 0x01);
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += rd16(ip + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	cr_expect_eq(s, 0xffff, "IPv4 header checksum");
	cr_expect_eq(rd16(udp), 5070);
	cr_expect_eq(rd16(udp + 2), 5060);
	cr_expect_eq(rd16(udp + 4), 8 + plen);
	cr_expect_eq(verify(ip, udp, 8 + plen, 17), 0xffff, "UDP checksum");
	cr_expect_eq(memcmp(udp + 8, sip, plen), 0);
}

Test(pcap, tcp_record_and_limits)
{
	size_t big = PCAP_PAYLOAD_MAX + 100;
	char *payload = malloc(big);
	uint8_t *out = malloc(PCAP_RECORD_OVERHEAD + big);
	struct pcap_pkt p = { .ts_us = 1, .src = 0xc0000201, .dst = 0xc000020a, .sport = 5061,
			      .dport = 40000, .l4 = PCAP_TCP, .seq = 1000, .ack = 77 };
	size_t n;
	const uint8_t *ip = out + 30, *tcp = ip + 20;

	cr_assert(payload && out);
	memset(payload, 'a', big);
	n = pcap_record(out, 16 + 14 + 20 + 20 + 9, &p, payload, 10);
	cr_expect_eq(n, 0, "cap too small: nothing written");
	n = pcap_record(out, PCAP_RECORD_OVERHEAD + 10, &p, payload, 10);
	cr_assert_eq(n, PCAP_RECORD_OVERHEAD + 10);
	cr_expect_eq(ip[9], 6);
	cr_expect_eq(rd16(tcp), 5061);
	cr_expect_eq(rd16(tcp + 2), 40000);
	cr_expect_eq(rd16(tcp + 4) << 16 | rd16(tcp + 6), 1000u);
	cr_expect_eq(rd16(tcp + 8) << 16 | rd16(tcp + 10), 77u);
	cr_expect_eq(tcp[12], 0x50);
	cr_expect_eq(tcp[13], 0x18, "PSH|ACK");
	cr_expect_eq(verify(ip, tcp, 20 + 10, 6), 0xffff, "TCP checksum");

	n = pcap_record(out, PCAP_RECORD_OVERHEAD + big, &p, payload, big);
	cr_assert_eq(n, 16 + 14 + 20 + 20 + PCAP_PAYLOAD_MAX, "cut at the IPv4 limit");
	cr_expect_eq(rd16(ip + 2), 65535);
	cr_expect_eq(rd32le(out + 8), 14 + 20 + 20 + PCAP_PAYLOAD_MAX, "captured length");
	cr_expect_eq(rd32le(out + 12), 14 + 20 + 20 + big, "original length");
	cr_expect_eq(verify(ip, tcp, 20 + PCAP_PAYLOAD_MAX, 6), 0xffff);
	free(payload);
	free(out);
}
