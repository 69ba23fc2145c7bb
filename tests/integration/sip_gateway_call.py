#!/usr/bin/python3
"""A gateway's number for `umedgectl test-connectivity --phone` over mutual
TLS, run inside the gateway namespace: Python's ssl for the connection,
Debian's libsrtp2 (pylibsrtp) for the media. One call, then it exits.

MODE echo: 180, then 200 with RTP/SAVP and a key of its own (SDES); every
SRTP packet the engine sends is checked with the engine's key and its
audio sent back under the gateway's own SSRC, sequence and key, as an
echo number does; SRTCP sender reports from the engine are read and
answered with receiver reports (RFC 3550 LSR/DLSR), so the engine can
measure the round trip. MODE lossy: the same, every tenth packet not sent
back (its sequence number skipped). MODE badkey: the echo goes out under
another key than the one answered. MODE busy: 486. MODE ring: 180 and no answer
(the engine must CANCEL: 200 to it, 487 to the INVITE, then its ACK).

usage: sip_gateway_call.py HOST PORT CERT KEY CLIENT_CAFILE SECS MODE MEDIA_PORT [SUITE]
(SUITE: the offered suite the answer keeps; the first offered by default)
Prints one JSON object. Every wait is bounded."""
import base64
import json
import os
import select
import socket
import ssl
import struct
import sys
import time

from pylibsrtp import Error

import sdes

def header(head, name):
    for h in head[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def reply(msg_head, status, to_tag=None, extra=(), body=""):
    keep = []
    for h in msg_head[1:]:
        k = h.split(":")[0].strip().lower()
        if k in ("via", "from", "call-id", "cseq"):
            keep.append(h)
        elif k == "to":
            keep.append(h + (f";tag={to_tag}" if to_tag and "tag=" not in h else ""))
    lines = [f"SIP/2.0 {status}"] + keep + list(extra) + \
        ["Server: test gateway (Python ssl, pylibsrtp)", f"Content-Length: {len(body)}", "", ""]
    return ("\r\n".join(lines) + body).encode()


class Stream:
    """SIP messages from the TLS connection, framed by Content-Length."""
    def __init__(self, s):
        self.s, self.buf = s, b""

    def next(self, timeout):
        end = time.time() + timeout
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = self.buf[:i].decode(errors="replace").split("\r\n")
                n = int(header(head, "content-length") or 0)
                if len(self.buf) >= i + 4 + n:
                    body = self.buf[i + 4:i + 4 + n].decode(errors="replace")
                    self.buf = self.buf[i + 4 + n:]
                    return head, body
            left = end - time.time()
            if left <= 0:
                return None, None
            r, _, _ = select.select([self.s], [], [], left)
            if not r and self.s.pending() == 0:
                return None, None
            chunk = self.s.recv(65536)
            if not chunk:
                return None, None
            self.buf += chunk


def ntp_now():
    t = time.time() + 2208988800
    return int(t) << 32 | int((t % 1) * (1 << 32))


class Echo:
    """The media: SRTP in with the engine's key, the audio back with ours;
    SRTCP SRs read, RRs sent every second."""
    def __init__(self, host, port, offer, want, result, mode):
        # the offered line of the suite asked for (else the first): its tag kept
        tag, suite, key_in = sdes.pick(offer, want)
        self.rx, self.tx, key_out = sdes.sessions(suite, key_in)
        # badkey: the media goes out under another key than the one answered
        answered = os.urandom(len(key_out)) if mode == "badkey" else key_out
        self.crypto = f"{tag} {suite} inline:{base64.b64encode(answered).decode()}"
        self.mode = mode
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((host, port))
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp.bind((host, port + 1))
        self.dst = (offer["addr"], offer["port"])
        self.dst_rtcp = (offer["addr"], offer["port"] + 1)
        self.ssrc, self.seq, self.ts = 0x6a7e0001, 1000, 5000
        self.peer_ssrc, self.lsr, self.sr_at, self.next_rr = None, 0, 0.0, time.time() + 0.7
        self.r = result
        self.r["suite"] = suite
        self.r.update({"srtp_in": 0, "srtp_bad": 0, "echoed": 0, "payload_sizes": [],
                       "srtcp_in": 0, "sr_in": 0, "rr_out": 0, "rtcp_bye": 0})

    def rr(self):
        if self.peer_ssrc is None:
            return
        dlsr = int((time.time() - self.sr_at) * 65536) if self.lsr else 0
        block = struct.pack("!IIIIII", self.peer_ssrc, 0, 0, 0, self.lsr, dlsr)
        pkt = struct.pack("!BBHI", 0x81, 201, 7, self.ssrc) + block
        self.rtcp.sendto(self.tx.protect_rtcp(pkt), self.dst_rtcp)
        self.r["rr_out"] += 1

    def poll(self, timeout):
        r, _, _ = select.select([self.rtp, self.rtcp], [], [], timeout)
        for s in r:
            data, _ = s.recvfrom(2048)
            if s is self.rtp:
                try:
                    plain = self.rx.unprotect(data)
                except Error:
                    self.r["srtp_bad"] += 1
                    continue
                self.r["srtp_in"] += 1
                self.peer_ssrc = struct.unpack("!I", plain[8:12])[0]
                payload = plain[12:]
                if len(self.r["payload_sizes"]) < 5:
                    self.r["payload_sizes"].append(len(payload))
                if self.mode == "lossy" and self.r["srtp_in"] % 10 == 5:
                    # lost on the way back: its sequence number is skipped
                    self.seq += 1
                    self.ts += len(payload)
                    self.r["dropped"] = self.r.get("dropped", 0) + 1
                    continue
                hdr = struct.pack("!BBHII", 0x80, plain[1] & 0x7f, self.seq & 0xffff,
                                  self.ts & 0xffffffff, self.ssrc)
                self.seq += 1
                self.ts += len(payload)
                self.rtp.sendto(self.tx.protect(hdr + payload), self.dst)
                self.r["echoed"] += 1
            else:
                try:
                    plain = self.rx.unprotect_rtcp(data)
                except Error:
                    self.r["srtp_bad"] += 1
                    continue
                self.r["srtcp_in"] += 1
                off = 0
                while off + 4 <= len(plain):
                    pt = plain[off + 1]
                    ln = (struct.unpack("!H", plain[off + 2:off + 4])[0] + 1) * 4
                    if pt == 200 and off + 16 <= len(plain):
                        hi, lo = struct.unpack("!II", plain[off + 8:off + 16])
                        self.lsr = ((hi << 32 | lo) >> 16) & 0xffffffff
                        self.sr_at = time.time()
                        self.r["sr_in"] += 1
                    elif pt == 203:
                        self.r["rtcp_bye"] += 1
                    off += ln
        if time.time() >= self.next_rr:
            self.rr()
            self.next_rr = time.time() + 1.0


def call(s, head, body, mode, host, media_port, want, out):
    stream = s.stream
    tag = "gwcall1"
    out["invite"] = head[0]
    offer = sdes.offer_of(body)
    out["offer"] = {k: offer[k] for k in ("addr", "port", "proto")}
    out["offer"]["crypto"] = [c.split()[1] for c in offer["crypto"]]
    s.sendall(reply(head, "180 Ringing", tag))
    if mode == "busy":
        s.sendall(reply(head, "486 Busy Here", tag))
        h, _ = stream.next(5)
        out["after"] = h[0] if h else None
        return
    if mode == "ring":
        h, _ = stream.next(30)
        out["after"] = h[0] if h else None
        if h and h[0].startswith("CANCEL "):
            s.sendall(reply(h, "200 OK", tag))
            s.sendall(reply(head, "487 Request Terminated", tag))
            h2, _ = stream.next(5)
            out["ack"] = h2[0] if h2 else None
        return
    echo = Echo(host, media_port, offer, want, out, mode)
    sdp = ("v=0\r\no=gw 1 1 IN IP4 {h}\r\ns=-\r\nc=IN IP4 {h}\r\nt=0 0\r\n"
           "m=audio {p} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:{c}\r\n").format(
               h=host, p=media_port, c=echo.crypto)
    s.sendall(reply(head, "200 OK", tag, [f"Contact: <sip:echo@{host}:5061;transport=tls>",
                                          "Content-Type: application/sdp"], sdp))
    out["methods"] = []
    end = time.time() + 70
    while time.time() < end:
        echo.poll(0.02)
        r, _, _ = select.select([s], [], [], 0)
        if not r and s.pending() == 0:
            continue
        h, _ = stream.next(2)
        if h is None:
            break
        out["methods"].append(h[0].split()[0])
        if h[0].startswith("BYE "):
            out["bye_ruri"] = h[0].split()[1]
            s.sendall(reply(h, "200 OK"))
            end = time.time() + 0.3  # the RTCP BYE may follow
    while time.time() < end:
        echo.poll(0.02)


def main():
    host, port, cert, key, cafile, secs, mode, media_port = sys.argv[1:9]
    want = sys.argv[9] if len(sys.argv) > 9 else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(cafile)
    ctx.verify_mode = ssl.CERT_REQUIRED
    out = {"handshakes": 0, "errors": []}
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, int(port)))
    lsock.listen(8)
    print("listening", file=sys.stderr, flush=True)
    lsock.settimeout(float(secs))
    try:
        raw, _ = lsock.accept()
        raw.settimeout(5)
        s = ctx.wrap_socket(raw, server_side=True)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out["handshakes"] += 1
        s.stream = Stream(s)
        head, body = s.stream.next(10)
        if head and head[0].startswith("INVITE "):
            call(s, head, body, mode, host, int(media_port), want, out)
        else:
            out["errors"].append(f"not an INVITE: {head[0] if head else None}")
        s.close()
    except (ssl.SSLError, OSError) as e:
        out["errors"].append(str(e))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
