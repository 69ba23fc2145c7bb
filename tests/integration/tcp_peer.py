#!/usr/bin/python3
"""Linux-side TCP peers for test_tcp_dataplane.py, run inside a namespace with
`ip netns exec NS python3 tcp_peer.py MODE ARGS...`. Each mode prints one JSON
object on stdout. Every loop is bounded in time.

modes:
  echo_clients HOST PORT CONNS BYTES SECS
      CONNS concurrent connections, each sends BYTES random bytes (then
      half-closes) and reads the echo until EOF; compared byte for byte.
  echo_server PORT CONNS SECS
      accept up to CONNS connections and echo them (until each peer's EOF,
      then close); exits when CONNS are done or after SECS.
  pinger HOST PORT SECS FILE
      one connection, a 64-byte message every 50 ms, each echo checked;
      stops when FILE exists or after SECS.
  rfc5961 HOST PORT IFACE
      one echo connection, then scapy: an in-window RST (challenge ACK, the
      connection survives), an out-of-window segment (ACKed, dropped), the
      exact RST (the connection is gone).
  syn_flood HOST PORT COUNT SECS
      COUNT SYNs from spoofed 203.0.113.0/24 sources, at most SECS seconds.
  churn HOST PORT SECS
      connect / 1 byte / echo / close in a loop: connection setups per second.
"""
import json
import os
import random
import selectors
import socket
import sys
import time


def out(obj):
    print(json.dumps(obj), flush=True)


def echo_clients(host, port, conns, nbytes, secs):
    sel = selectors.DefaultSelector()
    deadline = time.time() + secs
    rng = random.Random(int.from_bytes(os.urandom(8), "little"))
    state = {}
    t0 = time.time()
    for i in range(conns):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        data = rng.randbytes(nbytes)
        state[s] = {"data": data, "sent": 0, "rx": bytearray(), "eof": False,
                    "shut": False, "err": None}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    live = len(state)
    while live and time.time() < deadline:
        for key, ev in sel.select(timeout=0.5):
            s = key.fileobj
            st = state[s]
            try:
                if ev & selectors.EVENT_WRITE and not st["shut"]:
                    if st["sent"] < nbytes:
                        # a blocked send must not skip the read below
                        try:
                            st["sent"] += s.send(st["data"][st["sent"]:st["sent"] + 65536])
                        except (BlockingIOError, InterruptedError):
                            pass
                    if st["sent"] == nbytes:
                        s.shutdown(socket.SHUT_WR)
                        st["shut"] = True
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    b = s.recv(262144)
                    if b:
                        st["rx"] += b
                    else:
                        st["eof"] = True
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                st["err"] = str(e)
                st["eof"] = True
            if st["eof"]:
                sel.unregister(s)
                s.close()
                live -= 1
    secs_used = time.time() - t0
    good = sum(1 for st in state.values() if st["eof"] and st["err"] is None
               and bytes(st["rx"]) == st["data"])
    errors = [st["err"] for st in state.values() if st["err"]][:5]
    short = sum(1 for st in state.values() if len(st["rx"]) < nbytes)
    for s in list(state):
        if not state[s]["eof"]:
            s.close()
    out({"conns": conns, "good": good, "short": short, "errors": errors,
         "timed_out": live, "secs": round(secs_used, 2),
         "mbytes_each_way": round(conns * nbytes / 1e6, 1)})


def echo_server(port, conns, secs):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(1024)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    print("listening", file=sys.stderr, flush=True)
    pend = {}
    accepted = done = nbytes = 0
    deadline = time.time() + secs
    while done < conns and time.time() < deadline:
        for key, ev in sel.select(timeout=0.5):
            s = key.fileobj
            if s is lsock:
                try:
                    c, _ = lsock.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                pend[c] = [bytearray(), False]
                sel.register(c, selectors.EVENT_READ)
                accepted += 1
                continue
            buf, eof = pend[s]
            try:
                if ev & selectors.EVENT_READ and not eof and len(buf) < 1 << 20:
                    b = s.recv(262144)
                    if b:
                        buf += b
                        nbytes += len(b)
                    else:
                        pend[s][1] = eof = True
                if buf:
                    n = s.send(buf)
                    del buf[:n]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                buf.clear()
                pend[s][1] = eof = True
            if eof and not buf:
                sel.unregister(s)
                s.close()
                del pend[s]
                done += 1
                continue
            want = (selectors.EVENT_READ if not eof and len(buf) < 1 << 20 else 0) | \
                (selectors.EVENT_WRITE if buf else 0)
            sel.modify(s, want or selectors.EVENT_READ)
    out({"accepted": accepted, "done": done, "bytes": nbytes})


def pinger(host, port, secs, stop_file):
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(3)
    sent = good = 0
    deadline = time.time() + secs
    err = None
    while time.time() < deadline and not os.path.exists(stop_file):
        msg = os.urandom(64)
        try:
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(len(msg) - len(got))
                if not b:
                    raise OSError("EOF")
                got += b
            sent += 1
            good += got == msg
        except OSError as e:
            err = str(e)
            break
        time.sleep(0.05)
    s.close()
    out({"sent": sent, "good": good, "error": err})


def rfc5961(host, port, iface):
    from scapy.all import IP, TCP, AsyncSniffer, conf, send  # noqa: E402
    conf.verb = 0
    res = {}
    flt = f"tcp and host {host} and port {port}"
    sn = AsyncSniffer(iface=iface, filter=flt, store=True)
    sn.start()
    time.sleep(0.5)
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(3)
    lport = s.getsockname()[1]

    def roundtrip(tag):
        try:
            s.sendall(tag)
            return s.recv(100) == tag
        except OSError as e:
            return str(e)

    res["echo_before"] = roundtrip(b"before")
    time.sleep(0.3)
    pkts = sn.stop()
    ours = [p for p in pkts if TCP in p and p[TCP].sport == lport]
    theirs = [p for p in pkts if TCP in p and p[TCP].dport == lport]
    last = ours[-1]
    nxt = last[TCP].seq + len(bytes(last[TCP].payload))
    ack = theirs[-1][TCP].seq + len(bytes(theirs[-1][TCP].payload))
    base = dict(sport=lport, dport=port)

    def probe(pkt, wait_s=1.0):
        """Send pkt, return the engine's segments seen meanwhile."""
        sn2 = AsyncSniffer(iface=iface, filter=f"tcp and src host {host} and dst port {lport}",
                           store=True)
        sn2.start()
        time.sleep(0.3)
        send(pkt)
        time.sleep(wait_s)
        return [p for p in sn2.stop() if TCP in p]

    # 1. RST inside the window but not at rcv_nxt: challenge ACK, no reset
    got = probe(IP(dst=host) / TCP(flags="R", seq=nxt + 1000, **base))
    res["challenge_ack"] = any(p[TCP].flags & 0x10 and not p[TCP].flags & 0x04 and
                               p[TCP].ack == nxt for p in got)
    res["echo_after_inwindow_rst"] = roundtrip(b"after-rst")
    nxt += len(b"after-rst")
    ack += len(b"after-rst")
    # 2. data far outside the window: an ACK back, the bytes dropped
    got = probe(IP(dst=host) / TCP(flags="A", seq=nxt + 50_000_000, ack=ack, **base) /
                (b"x" * 100))
    res["ooo_window_acked"] = any(p[TCP].flags & 0x10 and p[TCP].ack == nxt for p in got)
    res["echo_after_out_of_window"] = roundtrip(b"after-oow")
    nxt += len(b"after-oow")
    # 3. SYN on the established connection: challenge ACK too (RFC 5961 4)
    got = probe(IP(dst=host) / TCP(flags="S", seq=nxt + 7, **base))
    res["syn_challenge_ack"] = any(p[TCP].flags & 0x10 and not p[TCP].flags & 0x02 and
                                   p[TCP].ack == nxt for p in got)
    res["echo_after_syn"] = roundtrip(b"after-syn")
    nxt += len(b"after-syn")
    # 4. RST exactly at rcv_nxt: the engine drops the connection silently
    got = probe(IP(dst=host) / TCP(flags="R", seq=nxt, **base))
    res["answer_to_exact_rst"] = len(got)
    try:
        s.sendall(b"after-exact-rst")
        b = s.recv(100)
        res["after_exact_rst"] = "eof" if b == b"" else "data"
    except OSError as e:
        res["after_exact_rst"] = type(e).__name__
    s.close()
    out(res)


def syn_flood(host, port, count, secs):
    from scapy.all import IP, TCP, conf, send  # noqa: E402
    conf.verb = 0
    rng = random.Random(5961)
    t0 = time.time()
    sent = 0
    # small batches: the time bound holds on a loaded machine, where scapy
    # builds packets slowly
    while sent < count and time.time() - t0 < secs:
        batch = [IP(src=f"203.0.113.{rng.randrange(1, 255)}", dst=host) /
                 TCP(sport=rng.randrange(1024, 65535), dport=port, flags="S",
                     seq=rng.randrange(0, 1 << 32))
                 for _ in range(min(100, count - sent))]
        send(batch)
        sent += len(batch)
    out({"sent": sent, "secs": round(time.time() - t0, 2)})


def churn(host, port, secs):
    n = fail = 0
    t0 = time.time()
    while time.time() - t0 < secs:
        try:
            s = socket.create_connection((host, port), timeout=3)
            s.sendall(b"x")
            if s.recv(1) == b"x":
                n += 1
            s.close()
        except OSError:
            fail += 1
    dt = time.time() - t0
    out({"setups": n, "failed": fail, "secs": round(dt, 2), "per_s": round(n / dt, 1)})


def main():
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "echo_clients":
        echo_clients(a[0], int(a[1]), int(a[2]), int(a[3]), float(a[4]))
    elif mode == "echo_server":
        echo_server(int(a[0]), int(a[1]), float(a[2]))
    elif mode == "pinger":
        pinger(a[0], int(a[1]), float(a[2]), a[3])
    elif mode == "rfc5961":
        rfc5961(a[0], int(a[1]), a[2])
    elif mode == "syn_flood":
        syn_flood(a[0], int(a[1]), int(a[2]), float(a[3]))
    elif mode == "churn":
        churn(a[0], int(a[1]), float(a[2]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
