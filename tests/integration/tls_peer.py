#!/usr/bin/python3
"""A TLS gateway for test_tls.py, run inside the gateway namespace.

usage: tls_peer.py echo HOST PORT CERT KEY CAFILE N BYTES  -> concurrent echo
       tls_peer.py hold HOST PORT CERT KEY CAFILE SECS     -> one session kept
           alive, echoing a chunk every 100 ms; prints the server thumbprint
Prints one JSON object. Every wait is bounded."""
import hashlib
import json
import os
import selectors
import socket
import ssl
import sys
import time

WINDOW = 256 * 1024

def context(cert, key, cafile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(cafile)
    ctx.check_hostname = True
    return ctx


def thumb(s):
    return hashlib.sha1(s.getpeercert(binary_form=True)).hexdigest()


def echo(host, port, ctx, n, size, deadline=600):
    """n connections at once, each sends size bytes and reads them back."""
    end = time.time() + deadline
    sel = selectors.DefaultSelector()
    conns, ok, failed, thumbs = [], 0, 0, set()
    for i in range(n):
        raw = socket.create_connection((host, port), timeout=30)
        s = ctx.wrap_socket(raw, server_hostname="um1.example.test",
                            do_handshake_on_connect=False)
        s.setblocking(False)
        data = os.urandom(4096) * (size // 4096)
        st = {"s": s, "data": data, "sent": 0, "rcvd": bytearray(), "hs": False, "i": i}
        conns.append(st)
        st["ev"] = selectors.EVENT_READ | selectors.EVENT_WRITE
        sel.register(s, st["ev"], st)
    live = len(conns)
    while live and time.time() < end:
        for key, ev in sel.select(timeout=1):
            st = key.data
            s = st["s"]
            try:
                if not st["hs"]:
                    try:
                        s.do_handshake()
                        st["hs"] = True
                        thumbs.add(thumb(s))
                    except ssl.SSLWantWriteError:
                        st["hs_write"] = True
                    except ssl.SSLWantReadError:
                        st["hs_write"] = False
                # read first, and whatever happens to the write: a peer
                # that stops reading while its send is blocked fills its
                # receive buffer and deadlocks against the echo
                try:
                    while st["hs"]:
                        chunk = s.recv(65536)
                        if not chunk:
                            raise ConnectionError("closed early")
                        st["rcvd"] += chunk
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                if st["hs"] and st["sent"] < len(st["data"]) and \
                        st["sent"] - len(st["rcvd"]) < WINDOW:
                    try:
                        st["sent"] += s.send(st["data"][st["sent"]:st["sent"] + 65536])
                    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                        pass
            except (ssl.SSLError, OSError) as e:
                failed += 1
                st["err"] = str(e)
                sel.unregister(s)
                s.close()
                live -= 1
                continue
            if len(st["rcvd"]) >= len(st["data"]):
                if bytes(st["rcvd"]) == st["data"]:
                    ok += 1
                else:
                    failed += 1
                sel.unregister(s)
                s.close()
                live -= 1
                continue
            # write only while little is in flight: no spinning on a
            # writable socket whose echo has not come back yet
            want = selectors.EVENT_READ
            if st["hs"] and st["sent"] < len(st["data"]) and \
                    st["sent"] - len(st["rcvd"]) < WINDOW:
                want |= selectors.EVENT_WRITE
            if not st["hs"]:
                want |= selectors.EVENT_WRITE if st.get("hs_write") else 0
            if want != st.get("ev"):
                st["ev"] = want
                sel.modify(s, want, st)
    errs = [c.get("err") for c in conns if c.get("err")][:3]
    return {"ok": ok, "failed": failed, "unfinished": live, "thumbprints": sorted(thumbs),
            "errors": errs}


def hold(host, port, ctx, secs):
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="um1.example.test")
    t0, rounds, first = time.time(), 0, thumb(s)
    print(json.dumps({"started": True, "thumbprint": first}), flush=True)
    while time.time() - t0 < secs:
        msg = os.urandom(1000)
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            c = s.recv(4096)
            if not c:
                raise ConnectionError("closed")
            got += c
        if got != msg:
            raise ValueError("echo differs")
        rounds += 1
        time.sleep(0.1)
    s.close()
    return {"rounds": rounds, "thumbprint": first}


def main():
    cmd, host, port, cert, key, ca = sys.argv[1:7]
    ctx = context(cert, key, ca)
    if cmd == "echo":
        res = echo(host, int(port), ctx, int(sys.argv[7]), int(sys.argv[8]))
    else:
        res = hold(host, int(port), ctx, float(sys.argv[7]))
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
