/* pcap files of messages the engine saw above the transport (SIP taken
 * out of UDP datagrams, TCP streams or TLS records): each message becomes
 * one Ethernet/IPv4/UDP or TCP packet carrying its real addresses and
 * ports, so Wireshark, tshark and sngrep show the dialogs. Plain C, no
 * DPDK, no I/O: the caller writes the bytes. */
#ifndef UMEDGE_PCAP_H
#define UMEDGE_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_OVERHEAD (16 + 14 + 20 + 20) /* record, Ethernet, IPv4, TCP */
/* the most payload one IPv4 packet carries behind a TCP header */
#define PCAP_PAYLOAD_MAX (65535 - 20 - 20)
#define PCAP_SNAPLEN 65535

enum pcap_l4 { PCAP_UDP = 17, PCAP_TCP = 6 };

struct pcap_pkt {
	uint64_t ts_us;              /* wall clock, microseconds since the epoch */
	uint32_t src, dst;           /* IPv4, host order */
	uint16_t sport, dport;
	enum pcap_l4 l4;
	uint32_t seq, ack;           /* TCP only: the stream's byte counters */
};

/* The file header (little-endian, microsecond timestamps, Ethernet). */
void pcap_file_header(uint8_t out[PCAP_FILE_HEADER_LEN]);

/* One record: its header, Ethernet, IPv4 and UDP or TCP (PSH|ACK) headers
 * with correct checksums, then the payload, cut at PCAP_PAYLOAD_MAX (the
 * record's original length says how much there was). Returns the bytes
 * written to out, 0 when cap is too small (cap >= PCAP_RECORD_OVERHEAD +
 * len is always enough). */
size_t pcap_record(uint8_t *out, size_t cap, const struct pcap_pkt *p, const void *payload,
		   size_t len);

#endif
