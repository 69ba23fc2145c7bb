#!/usr/bin/python3
"""A secured gateway for the ng test, run in the gateway namespace: one
call over SIP/UDP answered with RTP/SAVP and an SDES key of its own; SRTP
made and checked by Debian's libsrtp2 (pylibsrtp), an implementation
independent of the media engine's.

It takes the INVITE (from Kamailio), answers 200 with its own media
address and key (the first a=crypto line offered, tag kept), waits for the
ACK, then sends PACKETS SRTP packets of 160 octets, each payload unique,
every 20 ms to the offer's address. What comes back (the application's
echo, SRTP made by the media engine with the key the offer carried) is
decrypted and matched against what was sent. Then the BYE is answered.

usage: ng_gateway.py SIP_ADDR SIP_PORT MEDIA_ADDR MEDIA_PORT PACKETS SECS
Prints one JSON object. Every wait is bounded."""
import base64
import json
import select
import socket
import struct
import sys
import time

from pylibsrtp import Error

import sdes

def parse(data):
    text = data.decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    return lines[0], lines[1:], body


def hdrs(lines, name):
    return [ln for ln in lines if ln.split(":")[0].strip().lower() == name]


def response(first, lines, status, tag, extra=(), body=""):
    out = [f"SIP/2.0 {status}"]
    out += hdrs(lines, "via") + hdrs(lines, "record-route") + hdrs(lines, "from")
    out += [t + (f";tag={tag}" if "tag=" not in t else "") for t in hdrs(lines, "to")]
    out += hdrs(lines, "call-id") + hdrs(lines, "cseq") + list(extra)
    out += ["Server: test gateway (pylibsrtp)", f"Content-Length: {len(body)}", "", ""]
    return ("\r\n".join(out) + body).encode()


def main():
    sip_addr, sip_port, media_addr, media_port, packets, secs = sys.argv[1:7]
    packets, media_port = int(packets), int(media_port)
    r = {"errors": [], "sent": 0, "matched": 0, "srtp_bad": 0, "received": 0}
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind((sip_addr, int(sip_port)))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((media_addr, media_port))
    print("listening", file=sys.stderr, flush=True)
    end = time.time() + float(secs)
    sip.settimeout(max(0.1, end - time.time()))
    try:
        data, peer = sip.recvfrom(65536)
    except socket.timeout:
        r["errors"].append("no INVITE")
        print(json.dumps(r))
        return
    first, lines, body = parse(data)
    r["invite"] = first
    offer = sdes.offer_of(body)
    r["offer"] = {"addr": offer["addr"], "port": offer["port"], "proto": offer["proto"],
                  "suites": [c.split()[1] for c in offer["crypto"]]}
    # the first offered line of a suite pylibsrtp has (RFC 4568: one is kept)
    kept = sdes.pick(offer)
    if kept is None:
        r["errors"].append("no usable a=crypto line")
        print(json.dumps(r))
        return
    tag, suite, key_in = kept
    r["suite"] = suite
    rx, tx, key_out = sdes.sessions(suite, key_in)
    sdp = (f"v=0\r\no=gw 1 1 IN IP4 {media_addr}\r\ns=-\r\nc=IN IP4 {media_addr}\r\nt=0 0\r\n"
           f"m=audio {media_port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
           f"a=crypto:{tag} {suite} inline:{base64.b64encode(key_out).decode()}\r\n")
    ok200 = response(first, lines, "200 OK", "ngw1",
                     [f"Contact: <sip:gw@{sip_addr}:{sip_port}>", "Content-Type: application/sdp"],
                     sdp)
    sip.sendto(response(first, lines, "180 Ringing", "ngw1"), peer)
    sip.sendto(ok200, peer)
    # the ACK (the 200 again every 500 ms until it comes)
    acked, resend = False, time.time() + 0.5
    while not acked and time.time() < end:
        sip.settimeout(0.1)
        try:
            data, _ = sip.recvfrom(65536)
            acked = data.startswith(b"ACK ")
        except socket.timeout:
            if time.time() >= resend:
                sip.sendto(ok200, peer)
                resend = time.time() + 0.5
    r["acked"] = acked
    dst = (offer["addr"], offer["port"])
    sent = {}
    seq, ts, ssrc = 2000, 16000, 0x47570001
    next_send, i = time.time(), 0
    bye = None
    quiet_until = None
    while time.time() < end:
        now = time.time()
        if i < packets and now >= next_send:
            payload = struct.pack("!I", i) + bytes((i * 7 + k) & 0xff for k in range(156))
            pkt = struct.pack("!BBHII", 0x80, 0, seq & 0xffff, ts, ssrc) + payload
            rtp.sendto(tx.protect(pkt), dst)
            sent[payload] = i
            r["sent"] += 1
            seq, ts, i, next_send = seq + 1, ts + 160, i + 1, next_send + 0.02
        rd, _, _ = select.select([rtp, sip], [], [], 0.005)
        for s in rd:
            data, src = s.recvfrom(65536)
            if s is rtp:
                try:
                    plain = rx.unprotect(data)
                except Error:
                    r["srtp_bad"] += 1
                    continue
                r["received"] += 1
                if plain[12:] in sent:
                    r["matched"] += 1
                r["media_from"] = f"{src[0]}:{src[1]}"
            elif data.startswith(b"BYE "):
                f, ls, _ = parse(data)
                bye = f
                sip.sendto(response(f, ls, "200 OK", "ngw1"), src)
                quiet_until = time.time() + 0.5
        if bye and time.time() >= quiet_until:
            break
    r["bye"] = bye
    print(json.dumps(r))


if __name__ == "__main__":
    main()
