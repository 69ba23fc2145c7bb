#!/usr/bin/python3
"""A SIP gateway over mutual TLS for the tests (Debian's SIPp has no TLS):
Python's ssl with a client certificate, run inside the gateway namespace.

usage: sip_tls_ua.py SPEC_JSON   (prints one JSON line)

SPEC: {"engine": [ip, port], "cert": f, "key": f, "ca": f, "sni": name,
       "src": ip, "pilot": "7100", "conns": 1, "calls": 1,
       "hold": 1.0, "timeout": 30}

Each connection carries calls/conns calls at once: INVITE (no SDP), then on
the final response: 200 -> ACK (again on a retransmitted 200) and, after
hold seconds, BYE through the Record-Route; anything else -> ACK (hop by
hop). The answer counts calls completed, finals by code,
and gives the Route set and Contact of the first call (for the tests' own
in-dialog requests)."""
import json
import random
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


def ready(conns, r, errors):
    """(connection, its messages) for each connection select() found
    readable (or with TLS bytes pending); None for one that failed, its
    error added to errors."""
    for c in list(conns):
        if c.s not in r and c.s.pending() == 0:
            continue
        try:
            yield c, c.messages()
        except (ConnectionError, OSError) as e:
            errors.append(str(e))
            yield c, None


def bid(call, method, cseq):
    """A branch (a token: no '@') unique to the call and the request."""
    return "z9hG4bK" + call["id"].split("@")[0] + method + str(cseq)


def request(c, call, method, cseq, ruri, routes=(), to_tag=None, branch=None):
    host, port = c.local
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/TLS {host}:{port};branch={branch or bid(call, method, cseq)}",
             "Max-Forwards: 70",
             f"From: <sip:+12065550123@gw1.example.test>;tag={call['tag']}",
             f"To: <sip:{spec['pilot']}@{spec['sni']}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {call['id']}", f"CSeq: {cseq} {method}"]
    if routes:
        lines.append("Route: " + ", ".join(routes))
    if method == "INVITE":
        lines.append(f"Contact: <sip:+12065550123@{host}:{port};transport=tls>")
    lines += ["Content-Length: 0", "", ""]
    c.send("\r\n".join(lines))


def serve():
    """The gateway's side of an outbound call: accept the engine's mutual
    TLS (its certificate must chain to spec["ca"]), answer INVITEs with
    180 and 200, BYEs with 200, until spec["calls"] BYEs or the timeout."""
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
                    continue
                if method not in ("INVITE", "BYE") or m.startswith("SIP/2.0"):
                    continue
                keep = [line for line in m.split("\r\n")[1:] if line.split(":")[0].strip().lower()
                        in ("via", "v", "from", "f", "call-id", "i", "cseq", "record-route")]
                to = (header(m, "To", "t") or [""])[0]
                if method == "INVITE":
                    result["invites"] += 1
                    to += ";tag=gw" + str(result["invites"])
                    codes = ((180, "Ringing"), (200, "OK"))
                else:
                    result["byes"] += 1
                    codes = ((200, "OK"),)
                for code, reason in codes:
                    lines = [f"SIP/2.0 {code} {reason}"] + keep + [f"To: {to}"]
                    if method == "INVITE":
                        lines.append(f"Contact: <sip:gw1@{spec['listen'][0]}:{spec['listen'][1]};transport=tls>")
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
    conns = [Conn(i) for i in range(spec.get("conns", 1))]
    per = max(1, spec.get("calls", 1) // len(conns))
    result = {"completed": 0, "finals": {}, "errors": [], "first": None}
    for c in conns:
        for k in range(per):
            cid = f"tls-{c.idx}-{k}-{random.getrandbits(32):08x}@gw1"
            call = {"id": cid, "tag": f"t{c.idx}x{k}", "state": "inviting",
                    "ruri": f"sip:{spec['pilot']}@{spec['engine'][0]}:{spec['engine'][1]};transport=tls"}
            c.calls[cid] = call
            request(c, call, "INVITE", 1, call["ruri"])
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
                        request(c, call, "ACK", 1, call["ruri"], to_tag=to_tag,
                                branch=bid(call, "INVITE", 1))
                        del c.calls[cid]
                        live -= 1
                        continue
                    rr = []
                    for v in header(m, "Record-Route"):
                        rr += [x.strip() for x in v.split(",")]
                    routes = list(reversed(rr))
                    contact = (header(m, "Contact", "m") or [""])[0]
                    target = contact.split("<")[1].split(">")[0] if "<" in contact else contact
                    call.update(state="answered", routes=routes, to_tag=to_tag, target=target)
                    if result["first"] is None:
                        result["first"] = {"routes": routes, "target": target, "to_tag": to_tag,
                                           "call_id": cid, "from_tag": call["tag"]}
                    request(c, call, "ACK", 1, target, routes, to_tag)
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
