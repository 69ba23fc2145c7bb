#!/usr/bin/python3
"""A gateway's SIP-over-TLS listener for the connectivity test, run inside
the gateway namespace: mutual TLS with Python's ssl (OpenSSL), answering
each OPTIONS with 200 OK, for `secs` seconds.

usage: sip_gateway_tls.py HOST PORT CERT KEY CLIENT_CAFILE SECS
Prints one JSON object: handshakes, the client certificates' SHA-1
thumbprints, handshake errors, OPTIONS answered. Every wait is bounded."""
import hashlib
import json
import socket
import ssl
import sys
import time


def main():
    host, port, cert, key, cafile, secs = sys.argv[1:7]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(cafile)
    ctx.verify_mode = ssl.CERT_REQUIRED
    out = {"handshakes": 0, "client_thumbprints": [], "errors": [], "options": 0}
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, int(port)))
    lsock.listen(8)
    print("listening", file=sys.stderr, flush=True)
    deadline = time.time() + float(secs)
    while time.time() < deadline:
        lsock.settimeout(max(0.1, deadline - time.time()))
        try:
            raw, _ = lsock.accept()
        except socket.timeout:
            break
        raw.settimeout(5)
        try:
            s = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            out["errors"].append(str(e))
            raw.close()
            continue
        out["handshakes"] += 1
        out["client_thumbprints"].append(
            hashlib.sha1(s.getpeercert(binary_form=True)).hexdigest().upper())
        buf = b""
        try:
            while b"\r\n\r\n" not in buf and len(buf) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except (ssl.SSLError, OSError) as e:
            out["errors"].append(str(e))
        head = buf.split(b"\r\n\r\n")[0].decode(errors="replace").split("\r\n")
        if head and head[0].startswith("OPTIONS "):
            keep = [h for h in head[1:] if h.split(":")[0].strip().lower() in
                    ("via", "from", "to", "call-id", "cseq")]
            keep = [h + ";tag=gw1" if h.lower().startswith("to:") else h for h in keep]
            resp = "\r\n".join(["SIP/2.0 200 OK"] + keep +
                               ["Server: test gateway (Python ssl)", "Content-Length: 0", "", ""])
            s.sendall(resp.encode())
            out["options"] += 1
            try:
                s.settimeout(2)
                s.recv(1)  # the engine closes once answered
            except (ssl.SSLError, OSError):
                pass
        s.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
