#!/usr/bin/python3
"""ng_load: the load ng_bench.py puts on a media relay over rtpengine's ng
protocol, the same for umedge and for rtpengine-daemon. Run inside the
application's namespace.

calls ADDR PORT SECS WINDOW: offer (RTP/AVP from the internal side, to
  RTP/SAVP with SDES), answer (RTP/SAVP with a key), delete, call after
  call with WINDOW commands in flight, for SECS. Prints {calls, messages,
  errors, secs}.
media ADDR PORT SESSIONS SECS PPS [PACE_BIN]: SESSIONS calls offered and answered,
  then RTP (PCMU, 160 octets) from the application (each call from the
  port its SDP gave) to each call's internal port, round robin, PPS
  packets a second in all, for SECS (by PACE_BIN, perf/udp_pace, when
  given); then the calls deleted. The gateway's media address is GW:7400+2i (at most 1300 sessions). Prints
  {sessions, sent, secs}.
Every wait is bounded."""
import base64
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

APP, GW = "198.51.100.20", "192.0.2.10"


def bstr(b):
    b = b.encode() if isinstance(b, str) else b
    return str(len(b)).encode() + b":" + b


def offer_msg(cookie, cid, app_port):
    sdp = (f"v=0\r\no=app 1 1 IN IP4 {APP}\r\ns=-\r\nc=IN IP4 {APP}\r\nt=0 0\r\n"
           f"m=audio {app_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n").encode()
    return (cookie + b" d7:command5:offer7:call-id" + bstr(cid) + b"8:from-tag3:app"
            b"9:directionl8:internal8:externale18:transport-protocol8:RTP/SAVP"
            b"4:SDESl28:only-AES_CM_128_HMAC_SHA1_80e3:ICE6:remove"
            b"7:replacel6:origin18:session-connectione3:sdp" + bstr(sdp) + b"e")


def answer_msg(cookie, cid, gw_port, tag=1):
    key = base64.b64encode(bytes(range(30))).decode()
    sdp = (f"v=0\r\no=gw 1 1 IN IP4 {GW}\r\ns=-\r\nc=IN IP4 {GW}\r\nt=0 0\r\n"
           f"m=audio {gw_port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
           f"a=crypto:{tag} AES_CM_128_HMAC_SHA1_80 inline:{key}\r\n").encode()
    return (cookie + b" d7:command6:answer7:call-id" + bstr(cid) + b"8:from-tag3:app"
            b"6:to-tag2:gw7:replacel6:origin18:session-connectione3:sdp" + bstr(sdp) + b"e")


def delete_msg(cookie, cid):
    return cookie + b" d7:command6:delete7:call-id" + bstr(cid) + b"8:from-tag3:app" \
        b"5:flagsl4:faste" + b"e"


def ok_reply(data):
    return b"6:result2:ok" in data


def calls(addr, port, secs, window):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    dst = (addr, port)
    out = {"calls": 0, "messages": 0, "errors": 0}
    state = {}  # cookie -> (call index, step)
    nxt, seq = 0, 0
    t0 = time.time()
    end = t0 + secs

    def send(i, step):
        nonlocal seq
        seq += 1
        cookie = f"{os.getpid()}_{seq}".encode()
        cid = f"ngb-{os.getpid()}-{i}".encode()
        m = (offer_msg(cookie, cid, 10000 + 2 * (i % 20000)) if step == 0 else
             answer_msg(cookie, cid, 12000 + 2 * (i % 20000)) if step == 1 else
             delete_msg(cookie, cid))
        s.sendto(m, dst)
        state[cookie] = (i, step, time.time())

    while len(state) < window:
        send(nxt, 0)
        nxt += 1
    while time.time() < end or state:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            # a lost datagram: the command again under a new cookie
            now = time.time()
            for c, (i, step, at) in list(state.items()):
                if now - at > 1.0:
                    del state[c]
                    out["errors"] += 1
                    if now < end + 5:
                        send(i, step)
            if time.time() > end + 10:
                break
            continue
        data = s.recv(65536)
        cookie = data.split(b" ", 1)[0]
        if cookie not in state:
            continue
        i, step, _ = state.pop(cookie)
        out["messages"] += 1
        if not ok_reply(data):
            out["errors"] += 1
        if step < 2:
            send(i, step + 1)
        else:
            out["calls"] += 1
            if time.time() < end:
                send(nxt, 0)
                nxt += 1
    out["secs"] = time.time() - t0
    return out


def internal_port(reply):
    sdp = reply.split(b"3:sdp", 1)[1]
    for line in sdp.split(b"\r\n"):
        if line.startswith(b"m=audio "):
            return int(line.split()[1])
    raise ValueError("no m= line")


def crypto_tag(offer_reply):
    """The tag of the AES_CM_128_HMAC_SHA1_80 line the relay offered (the
    answer keeps it, RFC 4568)."""
    for line in offer_reply.split(b"\r\n"):
        if line.startswith(b"a=crypto:") and b" AES_CM_128_HMAC_SHA1_80 " in line:
            return int(line[9:].split()[0])
    raise ValueError("no AES_CM_128_HMAC_SHA1_80 offered")


def request(s, dst, msg, timeout=2.0):
    cookie = msg.split(b" ", 1)[0]
    for _ in range(3):
        s.sendto(msg, dst)
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([s], [], [], end - time.time())
            if r:
                data = s.recv(65536)
                if data.split(b" ", 1)[0] == cookie:
                    return data
    raise RuntimeError("no ng reply")


def media(addr, port, sessions, secs, pps, pace=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dst = (addr, port)
    targets = []
    for i in range(sessions):
        cid = f"ngm-{os.getpid()}-{i}".encode()
        o = request(s, dst, offer_msg(f"mo{i}".encode(), cid, 14000 + 2 * i))
        a = request(s, dst, answer_msg(f"ma{i}".encode(), cid, 7400 + 2 * i, crypto_tag(o)))
        if not (ok_reply(o) and ok_reply(a)):
            raise RuntimeError(f"session {i}: {o[:200]} {a[:200]}")
        targets.append((addr, internal_port(a)))
    if pace:
        # the C sender: each call's RTP from the port its SDP gave
        print("go", file=sys.stderr, flush=True)
        t0 = time.time()
        p = subprocess.run([pace, APP, "14000", str(pps), str(secs)] +
                           [f"{a}:{p}" for a, p in targets], capture_output=True, text=True,
                           timeout=secs + 30)
        took = time.time() - t0
        print("done", file=sys.stderr, flush=True)
        time.sleep(0.5)
        for i in range(sessions):
            request(s, dst, delete_msg(f"md{i}".encode(), f"ngm-{os.getpid()}-{i}".encode()))
        return {"sessions": sessions, "sent": int(p.stdout.strip() or 0), "secs": took}
    # each call's RTP from the address and port its SDP gave
    socks = []
    for i in range(sessions):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((APP, 14000 + 2 * i))
        rtp.connect(targets[i])
        socks.append(rtp)
    payload = bytes([0xff]) * 160
    sent, seq = 0, 0
    print("go", file=sys.stderr, flush=True)
    t0 = time.time()
    end = t0 + secs
    while time.time() < end:
        # paced: pps in all, round robin (a relay that protects itself from
        # a flood, as rtpengine does, would measure its discards)
        due = int((time.time() - t0) * pps) if pps else seq + 64
        while seq < due:
            k, n = seq % sessions, seq // sessions
            pkt = struct.pack("!BBHII", 0x80, 0, n & 0xffff, 160 * n, 0x50000000 + k)
            try:
                socks[k].send(pkt + payload)
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
            seq += 1
    took = time.time() - t0
    print("done", file=sys.stderr, flush=True)
    time.sleep(0.5)  # what was in flight arrives
    for i in range(sessions):
        request(s, dst, delete_msg(f"md{i}".encode(), f"ngm-{os.getpid()}-{i}".encode()))
    return {"sessions": sessions, "sent": sent, "secs": took}


def main():
    mode = sys.argv[1]
    if mode == "calls":
        addr, port, secs, window = sys.argv[2:6]
        r = calls(addr, int(port), float(secs), int(window))
    else:
        addr, port, n, secs, pps = sys.argv[2:7]
        r = media(addr, int(port), int(n), float(secs), int(pps),
                  sys.argv[7] if len(sys.argv) > 7 else None)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
