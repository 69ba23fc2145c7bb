#!/usr/bin/python3
"""A media peer for test_media.py, run inside a namespace: an independent
SRTP implementation (Debian's libsrtp2 through pylibsrtp) and plain UDP
sockets. One JSON spec on the command line, one JSON answer on stdout.

  media_peer.py send SPEC   send RTP/RTCP (protected when the flow has a key)
  media_peer.py recv SPEC   print "ready", receive, unprotect, report

Every loop is bounded by count and time."""
import json
import os
import selectors
import socket
import struct
import sys
import time

from pylibsrtp import Error, Policy, Session

import sdes  # noqa: E402  (the suites' table, shared with the SRTP gateways)

PROFILES = {suite: profile for suite, (profile, _) in sdes.SUITES.items()}


def session(flow, inbound):
    import base64
    key = base64.b64decode(flow["key"])
    return Session(policy=Policy(
        key=key, ssrc_type=Policy.SSRC_ANY_INBOUND if inbound else Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=PROFILES[flow["suite"]]))


def rtp(ssrc, seq, ts, payload, pt=0):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def rtcp_sr(ssrc, n):
    # sender report, no report blocks: 28 octets
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, n, n, n, n, n)


def do_send(spec):
    socks = {}
    sent = []
    for flow in spec["flows"]:
        src = tuple(flow["src"])
        s = socks.get(src)
        if s is None:
            s = socks[src] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(src)
        sess = session(flow, False) if flow.get("key") else None
        out = []
        last = None
        for i in range(flow["count"]):
            seq = flow.get("seq0", 1000) + i
            if flow.get("rtcp"):
                plain = rtcp_sr(flow["ssrc"], i)
                wire = sess.protect_rtcp(plain) if sess else plain
            else:
                body = (f"umedge {flow['ssrc']} {i} ".encode() * 20)[:flow.get("size", 160)]
                plain = rtp(flow["ssrc"], seq, 160 * i, body)
                wire = sess.protect(plain) if sess else plain
            if i in flow.get("tamper", []):
                b = bytearray(wire)
                b[-1] ^= 0x01  # the tag
                b[20] ^= 0x80  # and the payload
                s.sendto(bytes(b), tuple(flow["dst"]))
            else:
                s.sendto(wire, tuple(flow["dst"]))
                out.append(plain.hex())
            last = wire
            if i in flow.get("replay", []) and last is not None:
                s.sendto(last, tuple(flow["dst"]))
            if spec.get("gap"):
                time.sleep(spec["gap"])
        sent.append(out)
    print(json.dumps({"sent": sent}))


def do_recv(spec):
    sel = selectors.DefaultSelector()
    flows = {}
    for flow in spec["flows"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind(tuple(flow["bind"]))
        st = {"flow": flow, "got": [], "bad": 0, "from": None,
              "sess": session(flow, True) if flow.get("key") else None}
        flows[s.fileno()] = st
        sel.register(s, selectors.EVENT_READ, st)
    print("ready", flush=True)
    expect = spec["expect"]
    total = 0
    deadline = time.time() + spec["timeout"]
    quiet_until = None
    while time.time() < deadline:
        if total >= expect:
            # a little longer: anything extra (replays) would show
            if quiet_until is None:
                quiet_until = time.time() + spec.get("linger", 0.3)
            if time.time() >= quiet_until:
                break
        for key, _ in sel.select(0.05):
            st = key.data
            data, addr = key.fileobj.recvfrom(4096)
            st["from"] = list(addr)
            try:
                if st["sess"] is not None:
                    data = (st["sess"].unprotect_rtcp(data) if st["flow"].get("rtcp")
                            else st["sess"].unprotect(data))
                st["got"].append(data.hex())
            except Error:
                st["bad"] += 1
            total += 1
    print(json.dumps({"flows": [{"got": st["got"], "bad": st["bad"], "from": st["from"]}
                                for st in flows.values()]}), flush=True)


def main():
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    if sys.argv[1] == "send":
        do_send(spec)
    else:
        do_recv(spec)


if __name__ == "__main__":
    main()
