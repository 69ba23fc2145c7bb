#!/usr/bin/python3
"""SIP through the engine between real peers (issue 22, the UDP part): SIPp
(Debian's sip-tester) plays the gateway in the gateway namespace and the
application in the application namespace, every run under `timeout`.

- A call without SDP (INVITE, 100, 180, 200, ACK, BYE, 200) over UDP for an
  unsecured dial plan (gw1, pilot 6000 -> fabrikam), on two workers.
- Refusals, each with its event: UDP to a secured plan (403,
  VoipSecurityMismatch), an unknown pilot (404, SipNoDialPlan), an unknown
  source (403, SipUnknownGateway); SRTP offered for an unsecured plan (488).
- 200 concurrent calls (SIPp -l 200) over UDP, all completed, spread over
  both workers.
- Garbage and every RFC 4475 message over UDP: the engine stays up, each
  message is answered or counted, and a call afterwards still completes.
- `umedgectl sip status` and `status.dataplane.sip` account for it.

usage: test_sip.py BUILD_DIR SOURCE_DIR"""
import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import APP, EXT, GW, INT, PY, Env, ctl, ok, sip_status, wait  # noqa: E402
from sip_peers import (SCEN, Sipp, events, events_after, report_failure,  # noqa: E402
                       start_with_gateway_cert, tls_ua_result, tls_ua_start)

BUILD, SRC = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
ROGUE = "192.0.2.11"  # a second address in the gateway namespace: no gateway


def uas(env, calls=1, extra=(), secs=30):
    return Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas.xml"), "-i", APP, "-p", "5060",
                                  "-m", str(calls)] + list(extra), secs)


def uac(env, pilot, calls=1, scen="uac.xml", src=GW, extra=(), secs=30):
    return Sipp(env, env.ns_gw, [f"{EXT}:5060", "-sf", os.path.join(SCEN, scen), "-s", pilot,
                                 "-i", src, "-p", "5070", "-m", str(calls)] + list(extra), secs)


def call_ok(env, what, calls=1, rate=None, limit=None, tcp=False):
    a = uas(env, calls, secs=60)
    time.sleep(0.5)
    extra = ["-t", "t1"] if tcp else []
    if rate:
        extra += ["-r", str(rate)]
    if limit:
        extra += ["-l", str(limit)]
    c = uac(env, "6000", calls, extra=extra, secs=60)
    rc_c = c.wait()
    rc_a = a.wait()
    ok(rc_c == 0 and rc_a == 0,
       f"{what}: caller rc {rc_c}, application rc {rc_a} {c.errors()[-600:]}{a.errors()[-600:]}")


REFUSED = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="umedge refused {code}">
  <send retrans="500" start_txn="invite">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:+12065550123@[local_ip]:[local_port]>;tag=[pid]ref[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:+12065550123@[local_ip]:[local_port]>
      Max-Forwards: 70
{ctype}      Content-Length: [len]

{body}    ]]>
  </send>
  <recv response="100" optional="true" response_txn="invite"/>
  <recv response="{code}" response_txn="invite"/>
  <send ack_txn="invite">
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:+12065550123@[local_ip]:[local_port]>;tag=[pid]ref[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
# SRTP offered for an unsecured dial plan: refused by the engine (488)
SDP = ("v=0\r\no=gw 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
       "m=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n")


def refused(env, pilot, code, what, src=GW, sdp=False):
    path = os.path.join(env.dir, f"refused-{code}-{int(sdp)}.xml")
    body = "".join("      " + line + "\n" for line in SDP.split("\r\n") if line) if sdp else ""
    with open(path, "w") as f:
        f.write(REFUSED.format(code=code, body=body,
                               ctype="      Content-Type: application/sdp\n" if sdp else ""))
    c = uac(env, pilot, scen=path, src=src, secs=20)
    rc = c.wait()
    ok(rc == 0, f"{what}: {code} ({c.errors()[-400:]})")


def udp_raw(env, payload, ns=None, src=GW, port=5071, dst=EXT, expect_answer=True):
    """Send one datagram from the namespace, return the answer or ''."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            f"s.bind(({src!r},{port}))\ns.settimeout({2 if expect_answer else 0.3})\n"
            "s.sendto(sys.stdin.buffer.read(),(%r,5060))\n"
            "try:\n print(s.recv(65535).decode('latin-1'),end='')\n"
            "except OSError: pass\n" % dst)
    r = subprocess.run(["ip", "netns", "exec", ns or env.ns_gw, "timeout", "10", PY, "-c", code],
                       input=payload, capture_output=True, timeout=20)
    return r.stdout.decode("latin-1")


def tls_ua(env, files, pilot, calls=1, conns=1, timeout=40):
    return tls_ua_result(tls_ua_start(env, files, pilot, calls, conns, timeout), timeout + 40)


def mode_change_and_control_restart(env, files):
    """A dial plan's mode changed during a call: the call ends unharmed (it
    keeps the mode it was set up with), the next call gets the new mode.
    Then control restarts during a call: the workers keep their snapshot and
    the call ends normally."""
    a = uas(env, 1, secs=40)
    time.sleep(0.5)
    ua = tls_ua_start(env, files, "7100", hold=5.0)
    conns = wait(lambda: [c for c in sip_status(env).get("connections", [])
                          if c["gateway"] == "gw1" and c["transport"] == "tls" and
                          c["direction"] == "in"], 4, "the call's connection in sip status")
    calls = wait(lambda: sum(w.get("calls", 0) for w in sip_status(env)["workers"]), 4,
                 "the call in flight")
    ok(calls == 1, f"sip status: {calls} call in flight")
    ok(conns[0]["connections"] >= 1,
       f"sip status: connections per gateway {conns}")
    rc, out = ctl(env, "dialplan", "set", "northwind", "--security", "unsecured")
    ok(rc == 0, f"northwind becomes unsecured during a TLS call ({out})")
    r = tls_ua_result(ua)
    ok(r["completed"] == 1 and a.wait(30) == 0,
       f"the call set up over TLS ended normally after the change: {r}")
    wait(lambda: sum(w.get("calls", 0) for w in sip_status(env)["workers"]) == 0, 5,
         "no call in flight after its BYE")
    time.sleep(1)
    r = tls_ua(env, files, "7100")
    ok(r["finals"] == {"403": 1}, f"the next call over TLS gets the new mode: 403 ({r})")
    a = uas(env, 1, secs=30)
    time.sleep(0.5)
    c = uac(env, "7100", secs=20)
    ok(c.wait(30) == 0 and a.wait(30) == 0, "and over UDP it passes")
    rc, out = ctl(env, "dialplan", "set", "northwind", "--security", "sip_secured")
    ok(rc == 0, "northwind back to sip_secured")
    time.sleep(1)

    a = uas(env, 1, secs=40)
    time.sleep(0.5)
    ua = tls_ua_start(env, files, "7100", hold=4.0)
    time.sleep(1.5)
    env.stop_control()
    r = tls_ua_result(ua)
    ok(r["completed"] == 1 and a.wait(30) == 0,
       f"control stopped during a call: the call ends normally ({r})")
    env.start_control()
    def reconnected():
        st = ctl(env, "status")[1]
        return isinstance(st, dict) and (st.get("dataplane") or {}).get("connected")
    wait(reconnected, 20, "the dataplane reconnects to the restarted control")


def tls_calls(env, files):
    """sip_secured over mutual TLS: a call, a mismatch, a BYE over UDP for a
    TLS call, and 200 calls on 20 persistent connections."""
    rc, out = ctl(env, "server", "associate", "northwind")
    ok(rc == 0, f"server associate northwind ({out})")
    rc, out = ctl(env, "huntgroup", "add", "--gateway", "gw1", "--pilot", "7100",
                  "--dial-plan", "northwind")
    ok(rc == 0, f"huntgroup add gw1 7100 -> northwind ({out})")
    time.sleep(1)  # the snapshot reaches the workers
    a = uas(env, 1, secs=40)
    time.sleep(0.5)
    r = tls_ua(env, files, "7100")
    ok(a.wait() == 0 and r["completed"] == 1 and r["finals"] == {"200": 1},
       f"a call without SDP over mutual TLS for a sip_secured plan: {r} {a.errors()[-400:]}")
    r0 = r["first"]
    route = r0["routes"]
    ok(any("transport=tls" in x for x in route), f"our Record-Route on the TLS side: {route}")

    r = tls_ua(env, files, "6000")
    ok(r["finals"] == {"403": 1}, f"TLS to an unsecured dial plan: 403 ({r})")
    wait(lambda: [e for e in events(env, "VoipSecurityMismatch")
                  if e["fields"].get("transport") == "tls"], 10, "the mismatch event (tls)")

    f = route
    bye = ("BYE sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.10:5072;branch=z9hG4bK-udpbye\r\n"
           f"Route: {', '.join(f)}\r\nMax-Forwards: 70\r\n"
           "From: <sip:+12065550123@gw1.example.test>;tag=x1\r\n"
           "To: <sip:7100@um1.example.test>;tag=y1\r\n"
           f"Call-ID: {r0['call_id']}\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n")
    answer = udp_raw(env, bye.encode(), port=5072)
    ok(answer.startswith("SIP/2.0 403") and "Warning: 399" in answer,
       f"a BYE over UDP for a TLS call: {answer.splitlines()[0] if answer else 'nothing'}")
    forged = bye.replace(r0["call_id"], "another-call@gw1").replace("udpbye", "udpbye2")
    answer = udp_raw(env, forged.encode(), port=5073)
    ok(answer.startswith("SIP/2.0 403 Route Signature Invalid"),
       f"our Route replayed into another call: {answer.splitlines()[0] if answer else 'nothing'}")

    a = uas(env, 200, secs=90)
    time.sleep(0.5)
    r = tls_ua(env, files, "7100", calls=200, conns=20, timeout=80)
    rc_a = a.wait(120)
    ok(r["completed"] == 200 and r["unfinished"] == 0 and rc_a == 0,
       f"200 concurrent calls over TLS on 20 persistent connections: completed "
       f"{r['completed']}, finals {r['finals']}, errors {r['errors'][:3]}, unfinished "
       f"{r['unfinished']}, application rc {rc_a} {a.errors()[-800:]}")
    st = sip_status(env)
    ok(st["streams"]["accepted"] >= 20, f"streams: {st['streams']}")


def outbound_tls(env, files):
    """The application calls out through gw1 (its most secure associated
    plan is secured: mutual TLS). The gateway is the tests' TLS server; it
    checks the engine presented its selected certificate."""
    spec = {"serve": True, "listen": [GW, 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "calls": 1, "timeout": 30, "linger": 2.5}
    gw = subprocess.Popen(["ip", "netns", "exec", env.ns_gw, "timeout", "50", PY,
                           os.path.join(HERE, "sip_tls_ua.py"), json.dumps(spec)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ok(gw.stdout.readline().strip() == "listening", "the TLS gateway listens on 5061")
        with open(os.path.join(SCEN, "uac.xml")) as f:
            xml = f.read().replace("INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
                                   "INVITE sip:[service]@gw1.example.test SIP/2.0")
        out = os.path.join(env.dir, "uac-out.xml")
        with open(out, "w") as f:
            f.write(xml)
        c = Sipp(env, env.ns_app, [f"{INT}:5060", "-sf", out, "-s", "+12065550199", "-i", APP,
                                   "-p", "5080", "-m", "1"], 30)
        rc = c.wait(60)
        res = json.loads(gw.communicate(timeout=60)[0].strip().splitlines()[-1])
    finally:
        if gw.poll() is None:
            gw.kill()
    rc2, cert = ctl(env, "cert", "show")
    thumb = (cert.get("thumbprint_sha1") or "").upper() if isinstance(cert, dict) else ""
    ok(rc == 0 and res["invites"] == 1 and res["acks"] == 1 and res["byes"] == 1,
       f"the application called out to a TLS gateway through the engine: caller rc {rc}, "
       f"gateway {res} {c.errors()[-500:]}")
    ok(thumb and res["thumbprints"] == [thumb],
       f"the gateway saw the engine's selected certificate ({thumb}): {res['thumbprints']}")
    ok(res["pings"] >= 1, f"our idle outbound connection sent RFC 5626 keep-alives: {res['pings']}")
    st = wait(lambda: (lambda x: x if x.get("streams", {}).get("connected") else None)(
        sip_status(env)), 5, "the outbound stream counted")
    ok(st["streams"]["connected"] >= 1, f"our outbound TLS stream: {st['streams']}")


def flows(env):
    """RFC 3665 flows with SIPp on both sides: busy, CANCEL before the
    answer, a BYE from the application, no answer (408 after timer B)."""
    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_busy.xml"), "-i", APP, "-p", "5060",
                               "-m", "1"], 20)
    time.sleep(0.5)
    refused(env, "6000", 486, "busy: the application's 486 reaches the caller")
    ok(a.wait(30) == 0, f"busy: the application got the engine's ACK {a.errors()[-300:]}")

    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_cancel.xml"), "-i", APP,
                               "-p", "5060", "-m", "1"], 20)
    time.sleep(0.5)
    c = uac(env, "6000", scen="uac_cancel.xml", secs=20)
    rc_c, rc_a = c.wait(30), a.wait(30)
    ok(rc_c == 0 and rc_a == 0,
       f"CANCEL before the answer: 200 and 487 to the caller, CANCEL, 487 and ACK at the "
       f"application ({rc_c}, {rc_a}) {c.errors()[-300:]}{a.errors()[-300:]}")

    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_bye.xml"), "-i", APP, "-p", "5060",
                               "-m", "1"], 20)
    time.sleep(0.5)
    c = uac(env, "6000", scen="uac_bye.xml", secs=20)
    rc_c, rc_a = c.wait(30), a.wait(30)
    ok(rc_c == 0 and rc_a == 0,
       f"a BYE from the application side ({rc_c}, {rc_a}) {c.errors()[-300:]}{a.errors()[-300:]}")

    # nobody answers on the application side: timer B (64 x T1, T1 100 ms here)
    t0 = time.time()
    refused(env, "6000", 408, "no answer: 408 to the caller")
    ok(time.time() - t0 < 14, f"408 after timer B ({time.time() - t0:.1f} s, T1 100 ms)")


def tcp_raw(env, payload, port=5090):
    """One TCP connection from the gateway: send, read what comes back until
    the engine closes or 1 s passes."""
    code = ("import socket,sys,time\n"
            "s=socket.create_connection((%r,5060),timeout=5,source_address=(%r,%d))\n"
            "s.sendall(sys.stdin.buffer.read())\ns.settimeout(1)\nb=b''\n"
            "try:\n while True:\n  c=s.recv(4096)\n  if not c: b+=b'<closed>'; break\n  b+=c\n"
            "except OSError: pass\nprint(b.decode('latin-1'),end='')\n" % (EXT, GW, port))
    r = subprocess.run(["ip", "netns", "exec", env.ns_gw, "timeout", "10", PY, "-c", code],
                       input=payload, capture_output=True, timeout=20)
    return r.stdout.decode("latin-1")


def application_over_tcp(env):
    """The application's transport set to tcp (config reload): the engine
    opens a TCP connection to it from its internal address and reuses it."""
    with open(env.config) as f:
        text = f.read()
    with open(env.config, "w") as f:
        f.write(text.replace("port: 5060, transport: udp }", "port: 5060, transport: tcp }"))
    rc, out = ctl(env, "config", "reload")
    ok(rc == 0, f"application transport tcp: config reload ({out})")
    time.sleep(1)
    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas.xml"), "-t", "t1", "-i", APP,
                               "-p", "5060", "-m", "2"], 40)
    time.sleep(0.5)
    c = uac(env, "6000", calls=2, secs=30)
    rc_c, rc_a = c.wait(40), a.wait(40)
    st = settled(env)
    out_tcp = [x for x in st.get("connections", []) if x["gateway"] == "(application)"
               and x["transport"] == "tcp" and x["direction"] == "out"]
    ok(rc_c == 0 and rc_a == 0,
       f"two calls from a UDP gateway to the application over TCP ({rc_c}, {rc_a}) "
       f"{c.errors()[-300:]}{a.errors()[-300:]}")
    ok(st["streams"]["connected"] >= 1, f"our TCP connections to the application: {out_tcp}")
    with open(env.config, "w") as f:
        f.write(text)
    rc, out = ctl(env, "config", "reload")
    ok(rc == 0, "application transport back to udp")
    time.sleep(1)


def settled(env, secs=10):
    """sip status once two reports a stats period apart agree."""
    prev = sip_status(env)
    deadline = time.time() + secs
    while time.time() < deadline:
        time.sleep(1.2)
        cur = sip_status(env)
        if cur.get("streams") == prev.get("streams") and cur.get("udp") == prev.get("udp"):
            return cur
        prev = cur
    return prev


def streams_garbage_and_rfc4475(env, files):
    """Garbage and every RFC 4475 message on TCP and on TLS: framed and
    answered, or the connection closed and counted; the engine stays up."""
    before = sip_status(env)["streams"]
    r = tcp_raw(env, b"\r\n\r\n", port=5091)
    ok(r.startswith("\r\n"), f"TCP: a CRLFCRLF keep-alive gets its CRLF pong ({r!r})")
    r = tcp_raw(env, b"INVITE sip:6000@192.0.2.1 SIP/2.0\r\nVia: x\r\n\r\n", port=5092)
    ok(r.endswith("<closed>"), f"TCP: a message without Content-Length closes the connection ({r!r})")
    r = tcp_raw(env, os.urandom(3000), port=5093)
    ok(r.endswith("<closed>") or r == "", f"TCP: random bytes: closed ({r[:40]!r})")
    # 90 OPTIONS in one write, more than a stream's 16 KiB buffer: every
    # one framed and answered, none left waiting in TCP
    opts = "".join(
        f"OPTIONS sip:{EXT} SIP/2.0\r\nVia: SIP/2.0/TCP {GW}:5094;branch=z9hG4bK-o{i}\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:gw1.example.test>;tag=o{i}\r\n"
        f"To: <sip:{EXT}>\r\nCall-ID: burst-{i}@gw1\r\nCSeq: {i + 1} OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n" for i in range(90)).encode()
    r = tcp_raw(env, opts, port=5094)
    ok(len(opts) > 16384 and r.count("SIP/2.0 200 OK") == 90,
       f"TCP: {len(opts)} bytes of 90 OPTIONS in one write: "
       f"{r.count('SIP/2.0 200 OK')} answered 200")
    # the same over TLS, where a 16 KiB record arrives whole
    burst = os.path.join(env.dir, "burst.txt")
    with open(burst, "wb") as f:
        f.write(opts.replace(b"SIP/2.0/TCP", b"SIP/2.0/TLS"))
    spec = {"engine": [EXT, 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "sni": "um1.example.test", "src": GW, "raw": [burst],
            "read_all": True, "wait": 2}
    p = subprocess.run(["ip", "netns", "exec", env.ns_gw, "timeout", "60", PY,
                        os.path.join(HERE, "sip_tls_ua.py"), json.dumps(spec)],
                       capture_output=True, text=True, timeout=90)
    got = json.loads(p.stdout.strip().splitlines()[-1])["answers"][0] if p.returncode == 0 else ""
    ok(got.count("SIP/2.0 200 OK") == 90,
       f"TLS: 90 OPTIONS in one write: {got.count('SIP/2.0 200 OK')} answered 200 "
       f"{p.stderr[-300:]}")
    st = wait(lambda: (lambda x: x if x["bad_frames"] >= before["bad_frames"] + 1 else None)(
        sip_status(env)["streams"]), 5, "bad frames counted")
    ok(st["pings"] > before["pings"], f"TCP: counted: {st}")

    paths = sorted(glob.glob(os.path.join(SRC, "tests", "data", "rfc4475", "*.dat")))
    # and garbage over TLS: random bytes, a message without Content-Length
    for name, data in (("random.bin", os.urandom(2500)),
                       ("nocl.txt", b"OPTIONS sip:um1.example.test SIP/2.0\r\nVia: x\r\n\r\n")):
        paths.append(os.path.join(env.dir, name))
        with open(paths[-1], "wb") as f:
            f.write(data)
    before = settled(env)["streams"]
    spec = {"engine": [EXT, 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "sni": "um1.example.test", "src": GW, "raw": paths}
    p = subprocess.run(["ip", "netns", "exec", env.ns_gw, "timeout", "120", PY,
                        os.path.join(HERE, "sip_tls_ua.py"), json.dumps(spec)],
                       capture_output=True, text=True, timeout=150)
    ok(p.returncode == 0, f"RFC 4475 over TLS sent ({p.stderr[-300:]})")
    answers = json.loads(p.stdout.strip().splitlines()[-1])["answers"]
    ok(env.dp.poll() is None,
       f"{len(paths) - 2} RFC 4475 messages and garbage over TLS: the engine is up")

    def counted():
        st = sip_status(env)["streams"]
        return sum(st[k] - before[k] for k in ("messages", "bad_frames", "truncated"))
    try:
        wait(lambda: counted() >= len(paths) and settled(env, 3) and True, 8,
             "every TLS message counted")
    except AssertionError:
        pass
    n = counted()
    st = sip_status(env)["streams"]
    # a file may count twice: a message framed, then bytes past its
    # Content-Length left unfinished when the connection closes
    ok(len(paths) <= n <= 2 * len(paths),
       f"sip status accounts for each: {n} for {len(paths)} connections framed, refused "
       f"or truncated; {sum(1 for a in answers if a.startswith('SIP/2.0'))} answered "
       f"({ {k: st[k] - before[k] for k in st} })")


def rfc4475(env):
    files = sorted(glob.glob(os.path.join(SRC, "tests", "data", "rfc4475", "*.dat")))
    before = settled(env)  # the counters reach control once a second
    answered = 0
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            msg = f.read()
        r = udp_raw(env, msg, port=5200 + i, expect_answer=False)
        answered += r.startswith("SIP/2.0 ")

    def delta(key):
        a = sip_status(env).get("udp", {})
        return a.get("in", 0) - before["udp"]["in"], a.get(key, 0) - before["udp"][key]

    try:
        wait(lambda: sum(delta("too_big")) >= len(files), 5, "every message counted")
    except AssertionError:
        pass
    got, too_big = delta("too_big")
    ok(env.dp.poll() is None, f"{len(files)} RFC 4475 messages over UDP: the engine is up")
    ok(got + too_big == len(files),
       f"sip status accounts for them: {got} read, {too_big} over the size limit, "
       f"{answered} answered at once")


def main():
    # T1 100 ms: timer B (408) after 6.4 s instead of 32
    # keep-alives on our idle outbound connections every second
    env = Env(BUILD, SRC, "sip", workers=2,
              dataplane_extra="  sip: { t1_ms: 100, keepalive_s: 1 }\n")
    try:
        files = start_with_gateway_cert(env)
        subprocess.run(["ip", "netns", "exec", env.ns_gw, "ip", "addr", "add", ROGUE + "/24",
                        "dev", env.tap_ext], check=True)
        wait(lambda: sip_status(env).get("workers"), 20, "sip counters in status")

        call_ok(env, "a call without SDP over UDP (gw1, pilot 6000, unsecured)")
        st = sip_status(env)
        st = wait(lambda: (lambda x: x if x.get("in", {}).get("requests", {}).get("BYE") else
                           None)(sip_status(env)), 5, "the call in sip status")
        ok(st["in"]["requests"].get("INVITE") == 1 and st["out"]["requests"].get("INVITE") == 1
           and st["in"]["requests"].get("ACK") == 1 and st["in"]["requests"].get("BYE") == 1,
           f"sip status: messages in by method {st['in']['requests']}, out {st['out']['requests']}")
        ok(st["out"]["responses"]["2xx"] == 2 and st["out"]["responses"]["1xx"] == 2,
           f"out by class {st['out']['responses']} (100 Trying and the 180; two 200s)")

        call_ok(env, "a call without SDP over TCP from the gateway (the application on UDP)",
                tcp=True)
        st = sip_status(env)
        ok(st["streams"]["accepted"] >= 1 and st["streams"]["messages"] >= 3,
           f"the TCP connection and its messages counted: {st['streams']}")

        flows(env)
        application_over_tcp(env)
        tls_calls(env, files)
        outbound_tls(env, files)
        mode_change_and_control_restart(env, files)

        n = len(events(env, "VoipSecurityMismatch"))  # the mode change made some
        refused(env, "5000", 403, "UDP to a secured dial plan")
        ev = events_after(env, "VoipSecurityMismatch", n)[0]["fields"]
        ok(ev.get("gateway") == "gw1" and ev.get("dial_plan") == "contoso" and
           ev.get("transport") == "udp", f"VoipSecurityMismatch names it: {ev}")
        n = len(events(env, "SipNoDialPlan"))
        refused(env, "7000", 404, "an unknown pilot")
        ev = events_after(env, "SipNoDialPlan", n)[0]["fields"]
        ok(ev.get("pilot") == "7000", f"SipNoDialPlan: {ev}")
        n = len(events(env, "SipUnknownGateway"))
        refused(env, "6000", 403, "an unknown source", src=ROGUE)
        ev = events_after(env, "SipUnknownGateway", n)[0]["fields"]
        ok(ROGUE in ev.get("source", ""), f"SipUnknownGateway: {ev}")
        refused(env, "6000", 488, "SRTP offered for an unsecured dial plan", sdp=True)

        call_ok(env, "200 concurrent calls over UDP", calls=200, rate=100, limit=200)
        st = sip_status(env)
        per = [w.get("requests", 0) for w in st["workers"]]
        ok(len(per) == 2 and min(per) > sum(per) * 0.2,
           f"one gateway's calls spread over both workers by Call-ID: requests {per}")
        ok(st["proxy"]["forwarded_requests"] >= 600 and st["udp"]["send_errors"] == 0,
           f"{st['proxy']['forwarded_requests']} requests forwarded, "
           f"{st['handoffs']} hand-offs between workers")

        # garbage on the SIP port, then RFC 4475: the engine stays up
        for junk in (b"", b"\x00" * 64, b"INVITE", os.urandom(1200), b"SIP/2.0 200\r\n\r\n"):
            udp_raw(env, junk, expect_answer=False)
        rfc4475(env)
        streams_garbage_and_rfc4475(env, files)
        call_ok(env, "a call after the garbage")

        tel = env.telemetry("/umedge/sip")
        ok(tel.get("in/requests/INVITE", 0) > 200 and "workers/1/transactions" in tel,
           f"DPDK telemetry /umedge/sip: INVITE in {tel.get('in/requests/INVITE')}, "
           f"{len(tel)} counters")
        rc, out = ctl(env, "sip", "status")
        ok(rc == 0 and isinstance(out, dict) and out.get("udp"), "umedgectl --json sip status")
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                            "sip", "status"], capture_output=True, text=True, timeout=30)
        ok(r.returncode == 0 and "INVITE" in r.stdout, f"umedgectl sip status:\n{r.stdout}")
    except BaseException:
        report_failure(env)
        raise
    finally:
        env.stop()


if __name__ == "__main__":
    main()
