/* Drop reasons: every packet the stack refuses is counted under one name.
 * The names are the keys of "drops" in the stats object and in telemetry. */
#ifndef UMEDGE_NET_DROP_H
#define UMEDGE_NET_DROP_H

#define NET_DROP_REASONS(X)                                             \
	X(TRUNCATED, "truncated")           /* shorter than its headers */ \
	X(OTHER_MAC, "other_mac")           /* not our MAC, not broadcast */ \
	X(ETHERTYPE, "ethertype")           /* neither IPv4 nor ARP */      \
	X(BAD_ARP, "bad_arp")               /* malformed ARP */             \
	X(ARP_IGNORED, "arp_ignored")       /* ARP not about us */          \
	X(BAD_IP_HEADER, "bad_ip_header")   /* version, IHL, lengths */     \
	X(BAD_CHECKSUM, "bad_checksum")     /* IPv4 header checksum */      \
	X(MARTIAN, "martian")               /* impossible source address */ \
	X(OTHER_IP, "other_ip")             /* not one of our addresses */  \
	X(TTL_EXPIRED, "ttl_expired")                                       \
	X(IP_PROTO, "ip_proto")             /* protocol we do not speak */  \
	X(FRAG_ERROR, "frag_error")         /* reassembly refused it */     \
	X(FRAG_TIMEOUT, "frag_timeout")     /* incomplete datagram expired */ \
	X(BAD_ICMP, "bad_icmp")             /* ICMP checksum or length */   \
	X(ICMP_OTHER, "icmp_other")         /* ICMP types we do not answer */ \
	X(BAD_UDP, "bad_udp")               /* UDP length */                \
	X(BAD_UDP_CHECKSUM, "bad_udp_checksum")                             \
	X(UDP_CLOSED, "udp_closed")         /* answered by port unreachable */ \
	X(ICMP_RATELIMIT, "icmp_ratelimit") /* port unreachable not sent */ \
	X(NO_LISTENER, "no_listener")       /* open port, no handler yet */ \
	X(NO_TCP, "no_tcp")                 /* no TCP stack plugged in */   \
	X(NO_ROUTE, "no_route")                                             \
	X(NO_ARP, "no_arp")                 /* next hop did not resolve */  \
	X(ARP_QUEUE_FULL, "arp_queue_full")                                 \
	X(NO_MBUF, "no_mbuf")                                               \
	X(RING_FULL, "ring_full")           /* dispatch to a worker */     \
	X(TX_FULL, "tx_full")               /* TX queue refused */         \
	X(TOO_BIG, "too_big")               /* DF set, larger than MTU */

enum net_drop {
#define NET_DROP_ENUM(e, s) NET_DROP_##e,
	NET_DROP_REASONS(NET_DROP_ENUM)
#undef NET_DROP_ENUM
	NET_DROP_MAX
};

extern const char *const net_drop_names[NET_DROP_MAX];

#endif
