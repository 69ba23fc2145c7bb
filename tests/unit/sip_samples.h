/*
 * sip_samples.h: the messages of a call as a gateway and the application
 * send them (headers as real gateways write them, SDP with SDES), shared
 * by the SIP unit tests, the fuzz seeds and perf/sip_parse_bench.
 * sip_sample() writes one with its Content-Length filled in.
 */
#ifndef UMEDGE_SIP_SAMPLES_H
#define UMEDGE_SIP_SAMPLES_H

#include <stdio.h>
#include <string.h>

#define SIP_SAMPLE_SDP_GW                                                            \
	"v=0\r\n"                                                                    \
	"o=AudiocodesGW 1906211463 1906211372 IN IP4 192.0.2.10\r\n"                 \
	"s=Phone-Call\r\n"                                                           \
	"c=IN IP4 192.0.2.10\r\n"                                                    \
	"t=0 0\r\n"                                                                  \
	"m=audio 6010 RTP/SAVP 8 0 18 101\r\n"                                       \
	"a=rtpmap:8 PCMA/8000\r\n"                                                   \
	"a=rtpmap:0 PCMU/8000\r\n"                                                   \
	"a=rtpmap:18 G729/8000\r\n"                                                  \
	"a=fmtp:18 annexb=no\r\n"                                                    \
	"a=rtpmap:101 telephone-event/8000\r\n"                                      \
	"a=fmtp:101 0-15\r\n"                                                        \
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "                                        \
	"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\r\n"                  \
	"a=ptime:20\r\n"                                                             \
	"a=sendrecv\r\n"

#define SIP_SAMPLE_SDP_APP                                                           \
	"v=0\r\n"                                                                    \
	"o=- 3968712339 3968712340 IN IP4 198.51.100.20\r\n"                         \
	"s=umapp\r\n"                                                                \
	"c=IN IP4 198.51.100.20\r\n"                                                 \
	"t=0 0\r\n"                                                                  \
	"m=audio 40000 RTP/AVP 0 101\r\n"                                            \
	"a=rtpmap:0 PCMU/8000\r\n"                                                   \
	"a=rtpmap:101 telephone-event/8000\r\n"                                      \
	"a=fmtp:101 0-15\r\n"                                                        \
	"a=ptime:20\r\n"                                                             \
	"a=sendrecv\r\n"

/* A gateway's INVITE with SDP, about 1.3 KB. */
#define SIP_SAMPLE_INVITE_HEAD                                                       \
	"INVITE sip:+14255550100@umedge.example.test:5061;user=phone SIP/2.0\r\n"    \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKac1906212011;alias\r\n"      \
	"Max-Forwards: 70\r\n"                                                       \
	"From: \"Alice Caller\" <sip:+12065550123@gw1.example.test;user=phone>"      \
	";tag=1c1906206532\r\n"                                                      \
	"To: <sip:+14255550100@umedge.example.test;user=phone>\r\n"                  \
	"Call-ID: 1906206286151202317514@192.0.2.10\r\n"                             \
	"CSeq: 1 INVITE\r\n"                                                         \
	"Contact: <sip:+12065550123@192.0.2.10:5061;transport=tls>\r\n"              \
	"Supported: em,100rel,timer,replaces,path,resource-priority,sdp-anat\r\n"    \
	"Allow: REGISTER,OPTIONS,INVITE,ACK,CANCEL,BYE,NOTIFY,PRACK,REFER,INFO,"     \
	"SUBSCRIBE,UPDATE\r\n"                                                       \
	"User-Agent: Mediant 1000/v.7.20A.258.459\r\n"                               \
	"Session-Expires: 1800;refresher=uac\r\n"                                    \
	"Min-SE: 90\r\n"                                                             \
	"P-Asserted-Identity: \"Alice Caller\" "                                     \
	"<sip:+12065550123@gw1.example.test;user=phone>\r\n"                         \
	"Privacy: none\r\n"                                                          \
	"Accept: application/sdp, application/dtmf-relay\r\n"                       \
	"Content-Type: application/sdp\r\n"

/* The application's 200 OK to it, through umedge (our Via and RR). */
#define SIP_SAMPLE_200_HEAD                                                          \
	"SIP/2.0 200 OK\r\n"                                                         \
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKum.3f9a0c11.0;rport=5060\r\n" \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKac1906212011;alias"          \
	";received=192.0.2.10;rport=41234\r\n"                                       \
	"Record-Route: <sip:198.51.100.1;lr;um=w0>\r\n"                              \
	"Record-Route: <sip:203.0.113.1:5061;transport=tls;lr;um=w0>\r\n"            \
	"From: \"Alice Caller\" <sip:+12065550123@gw1.example.test;user=phone>"      \
	";tag=1c1906206532\r\n"                                                      \
	"To: <sip:+14255550100@umedge.example.test;user=phone>;tag=as5d1f7a01\r\n"   \
	"Call-ID: 1906206286151202317514@192.0.2.10\r\n"                             \
	"CSeq: 1 INVITE\r\n"                                                         \
	"Contact: <sip:4255550100@198.51.100.20:5060>\r\n"                           \
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO\r\n"          \
	"Supported: replaces, timer\r\n"                                             \
	"Session-Expires: 1800;refresher=uac\r\n"                                    \
	"Require: timer\r\n"                                                         \
	"Server: umapp/2.4\r\n"                                                      \
	"Content-Type: application/sdp\r\n"

/* The gateway's ACK and BYE in the dialog, routed through umedge. */
#define SIP_SAMPLE_ACK                                                               \
	"ACK sip:4255550100@198.51.100.20:5060 SIP/2.0\r\n"                          \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKac1906218831;alias\r\n"      \
	"Max-Forwards: 70\r\n"                                                       \
	"Route: <sip:203.0.113.1:5061;transport=tls;lr;um=w0>,"                      \
	"<sip:198.51.100.1;lr;um=w0>\r\n"                                            \
	"From: \"Alice Caller\" <sip:+12065550123@gw1.example.test;user=phone>"      \
	";tag=1c1906206532\r\n"                                                      \
	"To: <sip:+14255550100@umedge.example.test;user=phone>;tag=as5d1f7a01\r\n"   \
	"Call-ID: 1906206286151202317514@192.0.2.10\r\n"                             \
	"CSeq: 1 ACK\r\n"                                                            \
	"Contact: <sip:+12065550123@192.0.2.10:5061;transport=tls>\r\n"              \
	"User-Agent: Mediant 1000/v.7.20A.258.459\r\n"                               \
	"Content-Length: 0\r\n"                                                      \
	"\r\n"

#define SIP_SAMPLE_BYE                                                               \
	"BYE sip:4255550100@198.51.100.20:5060 SIP/2.0\r\n"                          \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKac1906301467;alias\r\n"      \
	"Max-Forwards: 70\r\n"                                                       \
	"Route: <sip:203.0.113.1:5061;transport=tls;lr;um=w0>,"                      \
	"<sip:198.51.100.1;lr;um=w0>\r\n"                                            \
	"From: \"Alice Caller\" <sip:+12065550123@gw1.example.test;user=phone>"      \
	";tag=1c1906206532\r\n"                                                      \
	"To: <sip:+14255550100@umedge.example.test;user=phone>;tag=as5d1f7a01\r\n"   \
	"Call-ID: 1906206286151202317514@192.0.2.10\r\n"                             \
	"CSeq: 2 BYE\r\n"                                                            \
	"User-Agent: Mediant 1000/v.7.20A.258.459\r\n"                               \
	"Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"                   \
	"Content-Length: 0\r\n"                                                      \
	"\r\n"

/* head + "Content-Length: N" + empty line + body into out; the length. */
static inline size_t sip_sample(char *out, size_t cap, const char *head, const char *body)
{
	int n = snprintf(out, cap, "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

#endif
