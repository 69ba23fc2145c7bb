/* pcap records with synthetic Ethernet/IPv4/UDP or TCP headers. The MAC
 * addresses are locally administered placeholders (the capture is taken
 * above the link layer); the IP and port fields are the message's own. */
#include "pcap.h"

#include <string.h>

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

/* RFC 1071 one's-complement sum, continued from sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pcap_file_header(uint8_t out[PCAP_FILE_HEADER_LEN])
{
	le32(out, 0xa1b2c3d4u);   /* microsecond resolution */
	le16(out + 4, 2);
	le16(out + 6, 4);
	le32(out + 8, 0);         /* GMT offset */
	le32(out + 12, 0);        /* accuracy */
	le32(out + 16, PCAP_SNAPLEN);
	le32(out + 20, 1);        /* LINKTYPE_ETHERNET */
}

size_t pcap_record(uint8_t *out, size_t cap, const struct pcap_pkt *p, const void *payload,
		   size_t len)
{
	static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	size_t l4_len = p->l4 == PCAP_TCP ? 20 : 8, cut = len, orig;
	uint8_t *eth, *ip, *l4;
	uint32_t sum;

	if (cut > PCAP_PAYLOAD_MAX)
		cut = PCAP_PAYLOAD_MAX;
	if (cap < 16 + 14 + 20 + l4_len + cut)
		return 0;
	orig = 14 + 20 + l4_len + len;
	le32(out, (uint32_t)(p->ts_us / 1000000u));
	le32(out + 4, (uint32_t)(p->ts_us % 1000000u));
	le32(out + 8, (uint32_t)(14 + 20 + l4_len + cut));
	le32(out + 12, (uint32_t)orig);

	eth = out + 16;
	memcpy(eth, mac_dst, 6);
	memcpy(eth + 6, mac_src, 6);
	be16(eth + 12, 0x0800);

	ip = eth + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16(ip + 2, (uint16_t)(20 + l4_len + cut));
	be16(ip + 6, 0x4000);     /* DF */
	ip[8] = 64;
	ip[9] = (uint8_t)p->l4;
	be32(ip + 12, p->src);
	be32(ip + 16, p->dst);
	be16(ip + 10, fold(sum16(0, ip, 20)));

	l4 = ip + 20;
	memset(l4, 0, l4_len);
	be16(l4, p->sport);
	be16(l4 + 2, p->dport);
	if (p->l4 == PCAP_TCP) {
		be32(l4 + 4, p->seq);
		be32(l4 + 8, p->ack);
		l4[12] = 5 << 4;  /* 20-byte header */
		l4[13] = 0x18;    /* PSH, ACK */
		be16(l4 + 14, 65535);
	} else {
		be16(l4 + 4, (uint16_t)(8 + cut));
	}
	memcpy(l4 + l4_len, payload, cut);
	/* pseudo-header, then the segment */
	sum = sum16(0, ip + 12, 8);
	sum += (uint32_t)p->l4;
	sum += (uint32_t)(l4_len + cut);
	sum = sum16(sum, l4, l4_len + cut);
	sum = fold(sum);
	if (p->l4 == PCAP_UDP && sum == 0)
		sum = 0xffff;     /* 0 means "no checksum" in UDP */
	be16(l4 + (p->l4 == PCAP_TCP ? 16 : 6), (uint16_t)sum);
	return 16 + 14 + 20 + l4_len + cut;
}
