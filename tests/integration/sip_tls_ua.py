#!/usr/bin/python3
"""A SIP gateway over mutual TLS for the tests (Debian's SIPp has no TLS):
Python's ssl with a client certificate, run inside the gateway namespace.

usage: sip_tls_ua.py SPEC_JSON   (prints one JSON line)

SPEC: {"engine": [ip, port], "cert": f, "key": f, "ca": f, "sni": name,
       "src": ip, "pilot": "7100", "conns": 1, "calls": 1,
       "hold": 1.0, "timeout": 30,
       "transport": "tls" | "udp" (udp: no certificate; from src:sip_port),
       "media": {"port": 24000, "profile": "RTP/SAVP" | "RTP/AVP",
                 "suite": "AES_CM_128_HMAC_SHA1_80", "packets": 50, "size": 160}}

Each connection carries calls/conns calls at once: INVITE (no SDP), then on
the final response: 200 -> ACK (again on a retransmitted 200) and, after
hold seconds, BYE through the Record-Route; anything else -> ACK (hop by
hop). The answer counts calls completed, finals by code,
and gives the Route set and Contact of the first call (for the tests' own
in-dialog requests).

With "media" (one call), the INVITE offers SDP: RTP/SAVP with an SDES key
of our own (an independent SRTP implementation: libsrtp2 through
pylibsrtp), or RTP/AVP. Once answered, it sends "packets" RTP packets to
the address and port of the engine's answer, protected with our key, and
collects what comes back (the application echoes its RTP), unprotected
with the key of the engine's answer: "media" in the answer says how many
came back with exactly the payloads we sent."""
import base64
import json
import os
import random
import struct
import select
import socket
import ssl
import sys
import time

spec = json.loads(sys.argv[1])
TIMEOUT = spec.get("timeout", 30)


def header(msg, name, compact=None):
    out = []
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() in (name.lower(), (compact or "").lower()):
            out.append(v.strip())
    return out


class Conn:
    def __init__(self, idx):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_cert_chain(spec["cert"], spec["key"])
        ctx.load_verify_locations(spec["ca"])
        ctx.check_hostname = True
        raw = socket.create_connection(tuple(spec["engine"]), timeout=10,
                                       source_address=(spec.get("src", "0.0.0.0"), 0))
        self.s = ctx.wrap_socket(raw, server_hostname=spec["sni"])
        self.s.setblocking(False)
        self.local = self.s.getsockname()
        self.buf = b""
        self.idx = idx
        self.calls = {}
        self.pings = 0

    def send(self, text):
        data = text.encode()
        self.s.setblocking(True)
        self.s.sendall(data)
        self.s.setblocking(False)

    def messages(self):
        try:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the engine")
            self.buf += chunk
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        out = []
        while True:
            while self.buf.startswith(b"\r\n\r\n"):
                self.pings += 1  # an RFC 5626 keep-alive
                self.buf = self.buf[4:]
            self.buf = self.buf.lstrip(b"\r\n")
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buf[:end].decode("latin-1")
            cl = 0
            for line in head.split("\r\n"):
                k, _, v = line.partition(":")
                if k.strip().lower() in ("content-length", "l"):
                    cl = int(v.strip())
            total = end + 4 + cl
            if len(self.buf) < total:
                break
            out.append(self.buf[:total].decode("latin-1"))
            self.buf = self.buf[total:]
        return out


class UdpConn:
    """SIP over UDP from src:sip_port to the engine, one datagram a message."""

    def __init__(self, idx):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((spec.get("src", "0.0.0.0"), spec.get("sip_port", 5080) + idx))
        self.s.connect(tuple(spec["engine"]))
        self.s.setblocking(False)
        self.local = self.s.getsockname()
        self.idx = idx
        self.calls = {}
        self.pings = 0

    def send(self, text):
        self.s.send(text.encode())

    def messages(self):
        out = []
        while True:
            try:
                out.append(self.s.recv(65535).decode("latin-1"))
            except BlockingIOError:
                return out


TP = "UDP" if spec.get("transport") == "udp" else "TLS"


SDP_VERSION = [1]


def sdp_offer(port=None, direction=None, tag=1):
    m = spec["media"]
    src = spec.get("src", "0.0.0.0")
    SDP_VERSION[0] += 1
    lines = ["v=0", f"o=gw 1 {SDP_VERSION[0]} IN IP4 {src}", "s=-", f"c=IN IP4 {src}", "t=0 0",
             f"m=audio {port or m['port']} {m['profile']} 0 101", "a=rtpmap:0 PCMU/8000",
             "a=rtpmap:101 telephone-event/8000"]
    if m["profile"] == "RTP/SAVP":
        lines.append(f"a=crypto:{tag} {m['suite']} inline:"
                     + base64.b64encode(MEDIA_KEY).decode())
    if direction:
        lines.append("a=" + direction)
    return "\r\n".join(lines) + "\r\n"


KEY_LEN = {"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30,
           "AEAD_AES_128_GCM": 28, "AEAD_AES_256_GCM": 44}
MEDIA_KEY = os.urandom(KEY_LEN.get((spec.get("media") or {}).get("suite"), 30))


def sdp_answer(msg):
    """The engine's answer: its media address, port, profile, a=crypto."""
    body = msg.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in msg else ""
    out = {"addr": None, "port": None, "proto": None, "crypto": []}
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP4 "):
            out["addr"] = line[9:].strip()
        elif line.startswith("m=audio "):
            f = line.split()
            out["port"], out["proto"] = int(f[1]), f[2]
        elif line.startswith("a=crypto:"):
            out["crypto"].append(line[9:].strip())
    return out


SSRC = random.getrandbits(32)
SEQ = [1000]


def exchange(ans, port=None):
    """RTP (SRTP) to the engine's answer, and what comes back. One packet
    in ten is an RFC 4733 telephone-event (payload type 101); sequence
    numbers go on from one exchange to the next (one SSRC a call)."""
    from pylibsrtp import Error, Policy, Session
    m = spec["media"]
    profiles = {"AES_CM_128_HMAC_SHA1_80": Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
                "AES_CM_128_HMAC_SHA1_32": Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
                "AEAD_AES_128_GCM": Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
                "AEAD_AES_256_GCM": Policy.SRTP_PROFILE_AEAD_AES_256_GCM}
    tx = rx = None
    if m["profile"] == "RTP/SAVP":
        tag, suite, inline = ans["crypto"][0].split()[:3]
        key = base64.b64decode(inline.split(":", 1)[1].split("|")[0])
        tx = Session(policy=Policy(key=MEDIA_KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                                   srtp_profile=profiles[m["suite"]]))
        rx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND,
                                   srtp_profile=profiles[suite]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((spec.get("src", "0.0.0.0"), port or m["port"]))
    s.setblocking(False)
    sent, got, bad, sources = set(), [], 0, set()

    def drain():
        nonlocal bad
        while True:
            try:
                data, src = s.recvfrom(4096)
            except BlockingIOError:
                return
            sources.add(f"{src[0]}:{src[1]}")
            if rx is not None:
                try:
                    data = rx.unprotect(data)
                except Error:
                    bad += 1
                    continue
            got.append(data[12:])
    for i in range(m.get("packets", 50)):
        seq = SEQ[0]
        SEQ[0] += 1
        pt = 101 if i % 10 == 9 else 0
        if pt == 101:  # event 5, end bit, volume 10, a duration unique to the packet
            payload = struct.pack("!BBH", 5, 0x8a, seq & 0xffff)
        else:
            payload = f"{seq:05d}".encode() + os.urandom(m.get("size", 160) - 5)
        pkt = struct.pack("!BBHII", 0x80, pt, seq & 0xffff, 160 * seq & 0xffffffff,
                          SSRC) + payload
        if tx is not None:
            pkt = tx.protect(pkt)
        s.sendto(pkt, (ans["addr"], ans["port"]))
        sent.add(payload)
        time.sleep(0.02)
        drain()
    deadline = time.time() + 3
    while len(got) < len(sent) and time.time() < deadline:
        time.sleep(0.02)
        drain()
    s.close()
    return {"sent": len(sent), "received": len(got), "matched": sum(p in sent for p in got),
            "bad": bad, "sources": sorted(sources),
            "events": sum(1 for p in got if len(p) == 4 and p in sent)}


def wait_final(c, cid, method, secs=10):
    """The final response to our request `method` in call cid (requests
    from the engine meanwhile are answered 200)."""
    deadline = time.time() + secs
    while time.time() < deadline:
        select.select([c.s], [], [], 0.05)
        for m in c.messages():
            if not m.startswith("SIP/2.0 "):
                continue
            cseq = (header(m, "CSeq") or [""])[0]
            if (header(m, "Call-ID", "i") or [""])[0] == cid and cseq.endswith(method) \
                    and int(m[8:11]) >= 200:
                return m
    raise TimeoutError(f"no final response to {method}")


def scripted():
    """One call with media, then the re-INVITEs of spec["script"], each
    {"port": P, "rekey": bool, "direction": "inactive"|..., "pause": s}:
    the re-INVITE's answer and, unless inactive, an exchange on it."""
    global MEDIA_KEY
    c = (UdpConn if TP == "UDP" else Conn)(0)
    cid = f"script-{random.getrandbits(32):08x}@gw1"
    call = {"id": cid, "tag": "s1"}
    ruri = f"sip:{spec['pilot']}@{spec['engine'][0]}:{spec['engine'][1]}" + \
        (";transport=tls" if TP == "TLS" else "")
    result = {"steps": []}
    request(c, call, "INVITE", 1, ruri, body=sdp_offer())
    m = wait_final(c, cid, "INVITE")
    to_tag, routes, target = dialog_of(m)
    request(c, call, "ACK", 1, target, routes, to_tag)
    ans = sdp_answer(m)
    result["steps"].append({"code": int(m[8:11]), "answer": ans, "media": exchange(ans)})
    cseq, port = 1, spec["media"]["port"]
    for step in spec.get("script", []):
        cseq += 1
        port = step.get("port", port)
        if step.get("rekey"):
            MEDIA_KEY = os.urandom(len(MEDIA_KEY))
        request(c, call, "INVITE", cseq, target, routes, to_tag,
                body=sdp_offer(port, step.get("direction")))
        m = wait_final(c, cid, "INVITE")
        code = int(m[8:11])
        request(c, call, "ACK", cseq, target, routes, to_tag)
        r = {"code": code}
        if code == 200:
            ans = sdp_answer(m)
            r["answer"] = ans
            r["direction"] = [x for x in ("inactive", "sendonly", "recvonly", "sendrecv")
                              if f"a={x}" in m]
        time.sleep(step.get("pause", 0))
        if code == 200 and step.get("direction") != "inactive":
            r["media"] = exchange(ans, port)
        result["steps"].append(r)
    cseq += 1
    request(c, call, "BYE", cseq, target, routes, to_tag)
    result["bye"] = int(wait_final(c, cid, "BYE")[8:11])
    print(json.dumps(result))


def ready(conns, r, errors):
    """(connection, its messages) for each connection select() found
    readable (or with TLS bytes pending); None for one that failed, its
    error added to errors."""
    for c in list(conns):
        pending = getattr(c.s, "pending", None)
        if c.s not in r and (pending is None or pending() == 0):
            continue
        try:
            yield c, c.messages()
        except (ConnectionError, OSError) as e:
            errors.append(str(e))
            yield c, None


def dialog_of(m):
    """(To tag, route set, remote target) of a 2xx to our INVITE (RFC 3261
    12.1.2: the Record-Route reversed, the Contact's URI)."""
    to = (header(m, "To", "t") or [""])[0]
    to_tag = to.split("tag=")[1].split(";")[0] if "tag=" in to else None
    rr = []
    for v in header(m, "Record-Route"):
        rr += [x.strip() for x in v.split(",")]
    contact = (header(m, "Contact", "m") or [""])[0]
    target = contact.split("<")[1].split(">")[0] if "<" in contact else contact
    return to_tag, list(reversed(rr)), target


def bid(call, method, cseq):
    """A branch (a token: no '@') unique to the call and the request."""
    return "z9hG4bK" + call["id"].split("@")[0] + method + str(cseq)


def request(c, call, method, cseq, ruri, routes=(), to_tag=None, branch=None, body=None):
    host, port = c.local
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/{TP} {host}:{port};branch={branch or bid(call, method, cseq)}",
             "Max-Forwards: 70",
             f"From: <sip:+12065550123@gw1.example.test>;tag={call['tag']}",
             f"To: <sip:{spec['pilot']}@{spec['sni']}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {call['id']}", f"CSeq: {cseq} {method}"]
    if routes:
        lines.append("Route: " + ", ".join(routes))
    if method == "INVITE":
        lines.append(f"Contact: <sip:+12065550123@{host}:{port};transport={TP.lower()}>")
    if body:
        lines += ["Content-Type: application/sdp", f"Content-Length: {len(body)}", "", body]
    else:
        lines += ["Content-Length: 0", "", ""]
    c.send("\r\n".join(lines))


def serve():
    """The gateway's side of an outbound call: accept the engine's mutual
    TLS (its certificate must chain to spec["ca"]), answer INVITEs with
    180 and 200, BYEs with 200, until spec["calls"] BYEs or the timeout.
    With spec["media"]: the 200 answers the engine's offer with our suite
    (under the engine's tag for it) and a key of our own; once ACKed, an
    exchange with the engine's offered port and key."""
    import hashlib
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(spec["cert"], spec["key"])
    ctx.load_verify_locations(spec["ca"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(tuple(spec["listen"]))
    ls.listen(16)
    print("listening", flush=True)
    result = {"thumbprints": [], "invites": 0, "acks": 0, "byes": 0, "errors": []}
    deadline = time.time() + TIMEOUT
    conns = []
    done_at = None
    offer = None
    while time.time() < deadline:
        if result["byes"] >= spec.get("calls", 1):
            # stay a little to see the engine's keep-alives (spec["linger"])
            done_at = done_at or time.time()
            if time.time() - done_at >= spec.get("linger", 0):
                break
        r, _, _ = select.select([ls] + [c.s for c in conns], [], [], 0.1)
        if ls in r:
            raw, _ = ls.accept()
            try:
                s = ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as e:
                result["errors"].append(f"handshake: {e}")
                continue
            der = s.getpeercert(binary_form=True)
            result["thumbprints"].append(hashlib.sha1(der).hexdigest().upper())
            c = Conn.__new__(Conn)
            c.s, c.buf, c.idx, c.calls, c.pings = s, b"", len(conns), {}, 0
            s.setblocking(False)
            conns.append(c)
        for c, msgs in ready(conns, r, result["errors"]):
            if msgs is None:
                conns.remove(c)
                continue
            for m in msgs:
                method = m.split(" ", 1)[0]
                if method == "ACK":
                    result["acks"] += 1
                    if offer is not None:
                        # the call is up: media to the engine's offer
                        result["media"], offer = exchange(offer), None
                    continue
                if method not in ("INVITE", "BYE") or m.startswith("SIP/2.0"):
                    continue
                keep = [line for line in m.split("\r\n")[1:] if line.split(":")[0].strip().lower()
                        in ("via", "v", "from", "f", "call-id", "i", "cseq", "record-route")]
                to = (header(m, "To", "t") or [""])[0]
                body = None
                if method == "INVITE":
                    result["invites"] += 1
                    to += ";tag=gw" + str(result["invites"])
                    codes = ((180, "Ringing"), (200, "OK"))
                    if spec.get("media"):
                        # answer the engine's offer: our suite, under its tag
                        offer = sdp_answer(m)
                        result["offer"] = dict(offer)
                        mine = [x for x in offer["crypto"] if x.split()[1] == spec["media"]["suite"]]
                        if spec["media"]["profile"] == "RTP/SAVP" and not mine:
                            codes = ((488, "Not Acceptable Here"),)
                            offer = None
                        else:
                            offer["crypto"] = mine[:1]
                            body = sdp_offer(tag=int(mine[0].split()[0]) if mine else 1)
                else:
                    result["byes"] += 1
                    codes = ((200, "OK"),)
                for code, reason in codes:
                    lines = [f"SIP/2.0 {code} {reason}"] + keep + [f"To: {to}"]
                    if method == "INVITE":
                        lines.append(f"Contact: <sip:gw1@{spec['listen'][0]}:{spec['listen'][1]};transport=tls>")
                    if code == 200 and body:
                        lines += ["Content-Type: application/sdp", f"Content-Length: {len(body)}",
                                  "", body]
                    else:
                        lines += ["Content-Length: 0", "", ""]
                    c.send("\r\n".join(lines))
    result["calls"] = result["byes"]
    result["pings"] = sum(c.pings for c in conns)
    print(json.dumps(result))


def raw():
    """Each file of spec["raw"] alone on a fresh TLS connection: what came
    back (the first line), or "" when nothing did before the engine or our
    wait (spec["wait"], 0.5 s) ended it."""
    out = []
    for path in spec["raw"]:
        with open(path, "rb") as f:
            data = f.read()
        c = Conn(0)
        c.s.setblocking(True)
        c.s.sendall(data)
        c.s.settimeout(spec.get("wait", 0.5))
        got = b""
        try:
            while spec.get("read_all") or b"\r\n" not in got:
                chunk = c.s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ssl.SSLError, OSError):
            pass
        out.append(got.decode("latin-1") if spec.get("read_all")
                   else got.split(b"\r\n")[0].decode("latin-1"))
        try:
            c.s.close()
        except OSError:
            pass
    print(json.dumps({"answers": out}))


def main():
    if spec.get("serve"):
        serve()
        return
    if spec.get("raw"):
        raw()
        return
    if "script" in spec:
        scripted()
        return
    conns = [(UdpConn if TP == "UDP" else Conn)(i) for i in range(spec.get("conns", 1))]
    per = max(1, spec.get("calls", 1) // len(conns))
    result = {"completed": 0, "finals": {}, "errors": [], "first": None}
    for c in conns:
        for k in range(per):
            cid = f"tls-{c.idx}-{k}-{random.getrandbits(32):08x}@gw1"
            call = {"id": cid, "tag": f"t{c.idx}x{k}", "state": "inviting",
                    "ruri": f"sip:{spec['pilot']}@{spec['engine'][0]}:{spec['engine'][1]}"
                    + (";transport=tls" if TP == "TLS" else "")}
            c.calls[cid] = call
            request(c, call, "INVITE", 1, call["ruri"],
                    body=sdp_offer() if spec.get("media") else None)
    deadline = time.time() + TIMEOUT
    live = sum(len(c.calls) for c in conns)
    while live > 0 and time.time() < deadline:
        r, _, _ = select.select([c.s for c in conns if c.calls], [], [], 0.05)
        now = time.time()
        for c in conns:
            for call in c.calls.values():
                if call["state"] == "answered" and call["bye_at"] <= now:
                    call["state"] = "bye"
                    request(c, call, "BYE", 2, call["target"], call["routes"], call["to_tag"])
        for c, msgs in ready(conns, r, result["errors"]):
            if msgs is None:
                live -= len(c.calls)
                c.calls = {}
                continue
            for m in msgs:
                if m.startswith("BYE "):
                    # the engine ends the call (calls drop, media timeout)
                    keep = [line for line in m.split("\r\n")[1:] if line.split(":")[0].strip()
                            .lower() in ("via", "v", "from", "f", "to", "t", "call-id", "i",
                                         "cseq")]
                    c.send("\r\n".join(["SIP/2.0 200 OK"] + keep + ["Content-Length: 0", "", ""]))
                    cid = (header(m, "Call-ID", "i") or [""])[0]
                    result["byes_received"] = result.get("byes_received", 0) + 1
                    result["bye_reason"] = (header(m, "Reason") or [""])[0]
                    if c.calls.pop(cid, None) is not None:
                        live -= 1
                    continue
                if not m.startswith("SIP/2.0 "):
                    continue
                code = int(m[8:11])
                cid = (header(m, "Call-ID", "i") or [""])[0]
                call = c.calls.get(cid)
                cseq = (header(m, "CSeq") or [""])[0]
                if call is None or code < 200:
                    continue
                to = (header(m, "To", "t") or [""])[0]
                to_tag = to.split("tag=")[1].split(";")[0] if "tag=" in to else None
                if cseq.endswith("INVITE") and code < 300 and call["state"] != "inviting":
                    # a retransmitted 2xx: our ACK was lost, send it again
                    # (RFC 3261 13.2.2.4)
                    request(c, call, "ACK", 1, call["target"], call["routes"], call["to_tag"])
                    continue
                if cseq.endswith("INVITE") and call["state"] == "inviting":
                    result["finals"][str(code)] = result["finals"].get(str(code), 0) + 1
                    if code >= 300:
                        result.setdefault("warnings", []).extend(header(m, "Warning"))
                        request(c, call, "ACK", 1, call["ruri"], to_tag=to_tag,
                                branch=bid(call, "INVITE", 1))
                        del c.calls[cid]
                        live -= 1
                        continue
                    to_tag, routes, target = dialog_of(m)
                    call.update(state="answered", routes=routes, to_tag=to_tag, target=target)
                    if result["first"] is None:
                        result["first"] = {"routes": routes, "target": target, "to_tag": to_tag,
                                           "call_id": cid, "from_tag": call["tag"]}
                    request(c, call, "ACK", 1, target, routes, to_tag)
                    if spec.get("media"):
                        ans = sdp_answer(m)
                        result["answer"] = ans
                        if ans["port"]:
                            result["media"] = exchange(ans)
                    call["bye_at"] = time.time() + spec.get("hold", 1.0)
                elif cseq.endswith("BYE") and call["state"] == "bye" and code >= 200:
                    if code == 200:
                        result["completed"] += 1
                    del c.calls[cid]
                    live -= 1
    result["unfinished"] = live
    for c in conns:
        try:
            c.s.close()
        except OSError:
            pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
