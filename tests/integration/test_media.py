#!/usr/bin/python3
"""The media engine end to end: umedge-control and umedge-dataplane (two
workers) on TAP ports, sessions made with `umedgectl media add`, an
independent SRTP peer (Debian's libsrtp2 through pylibsrtp) in the gateway
namespace and plain UDP sockets in the application namespace.

- per suite: SRTP from the gateway arrives in the application namespace as
  the exact RTP packets, and RTP from the application arrives at the gateway
  as SRTP that the peer decrypts to the exact packets; RTCP on port + 1
  becomes SRTCP and back; tampered and replayed packets are dropped and
  counted (`umedgectl --json media show`);
- latching: a new gateway source is learnt only from a packet that
  authenticates;
- rtcp-mux; --security rtp; removal frees the ports;
- 500 concurrent sessions, traffic both ways on each.
(AES_256_CM_HMAC_SHA1_80 has no pylibsrtp profile: unit tests cover it.)

usage: test_media.py BUILD_DIR SOURCE_DIR"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import APP, GW, HERE, PY, Env, ctl, ok, wait  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
# built with intel-ipsec-mb on a CPU it runs on (AES-NI, PCLMULQDQ): SRTP
# goes through the burst engine by default (dataplane.srtp_engine: auto)
with open("/proc/cpuinfo") as _f:
    _flags = _f.read()
BURST_ENGINE = (os.path.exists(os.path.join(BUILD, "dataplane", "media", "libsrtp_mb.a")) and
                re.search(r"\baes\b", _flags) is not None and
                re.search(r"\bpclmulqdq\b", _flags) is not None)
SUITES = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM",
          "AEAD_AES_256_GCM"]


class Raw:
    """One connection to control for bulk requests (one JSON line each)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def req(self, cmd, args):
        self.s.sendall(json.dumps({"cmd": cmd, "args": args}).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise AssertionError("control closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.s.close()


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


class Peers:
    def __init__(self, env):
        self.env = env
        self.dir = tempfile.mkdtemp(prefix="umedge-media-peer-", dir="/tmp")
        self.n = 0

    def _spec(self, spec):
        self.n += 1
        path = os.path.join(self.dir, f"spec{self.n}.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def recv_start(self, ns, flows, expect, timeout=20):
        spec = self._spec({"flows": flows, "expect": expect, "timeout": timeout})
        p = subprocess.Popen(["ip", "netns", "exec", ns, PY, os.path.join(HERE, "media_peer.py"),
                              "recv", spec], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        line = p.stdout.readline()
        if line.strip() != "ready":
            raise AssertionError(f"receiver did not start: {line} {p.stderr.read()[-2000:]}")
        return p

    def recv_end(self, p, timeout=60):
        out, err = p.communicate(timeout=timeout)
        if p.returncode != 0:
            raise AssertionError(f"receiver failed: {err[-2000:]}")
        return json.loads(out)["flows"]

    def send(self, ns, flows, gap=0.0):
        spec = self._spec({"flows": flows, "gap": gap})
        r = subprocess.run(["ip", "netns", "exec", ns, PY, os.path.join(HERE, "media_peer.py"),
                            "send", spec], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"sender failed: {r.stderr[-2000:]}")
        return json.loads(r.stdout)["sent"]

    def cleanup(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


def add(env, gw_port, app_port, security="srtp", suite=None, mux=False):
    args = ["media", "add", "--ext-remote", f"{GW}:{gw_port}", "--int-remote",
            f"{APP}:{app_port}", "--security", security]
    if suite:
        args += ["--suite", suite]
    if mux:
        args += ["--rtcp-mux"]
    rc, res = ctl(env, *args)
    ok(rc == 0 and isinstance(res, dict) and "id" in res, f"media add {security} {suite or ''}"
       f"{' rtcp-mux' if mux else ''}: {res if rc else res['ext_local']}")
    return res


def show(env, sid):
    rc, res = ctl(env, "media", "show", str(sid))
    if rc != 0:
        raise AssertionError(f"media show {sid}: {res}")
    return res


def one_suite(env, peers, suite, gw_port, app_port):
    s = add(env, gw_port, app_port, "srtp", suite)
    _, ext_port = hostport(s["ext_local"])
    _, int_port = hostport(s["int_local"])
    ok(ext_port % 2 == 0 and int_port % 2 == 0 and 20000 <= ext_port <= 29999 and
       30000 <= int_port <= 39999, f"even ports in the ranges ({ext_port}, {int_port})")
    rx = {"suite": suite, "key": s["ext_rx_key"]}
    tx = {"suite": suite, "key": s["ext_tx_key"]}
    # gateway -> application: 30 packets, #5 and #17 tampered, #9 and #20 replayed
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port]}], expect=28)
    sent = peers.send(env.ns_gw, [dict(rx, src=[GW, gw_port], dst=[s["ext_local"].split(":")[0],
                                                                  ext_port],
                                       ssrc=0x1111, count=30, tamper=[5, 17], replay=[9, 20])],
                      gap=0.002)
    got = peers.recv_end(r)[0]
    ok(got["got"] == sent[0], f"{suite}: the application got the exact 28 RTP packets, in order "
       f"({len(got['got'])})")
    st = show(env, s["id"])["gateway_to_app"]
    ok(st["packets"] == 28 and st["decrypt_failures"] == 2 and st["replay_drops"] == 2,
       f"{suite}: 2 tampered and 2 replayed packets dropped and counted ({st})")
    # application -> gateway
    r = peers.recv_start(env.ns_gw, [dict(tx, bind=[GW, gw_port])], expect=20)
    sent = peers.send(env.ns_app, [{"src": [APP, app_port], "dst": [s["int_local"].split(":")[0],
                                                                   int_port],
                                    "ssrc": 0x2222, "count": 20}], gap=0.002)
    got = peers.recv_end(r)[0]
    ok(got["bad"] == 0 and got["got"] == sent[0],
       f"{suite}: the gateway decrypted the exact 20 RTP packets ({len(got['got'])}, "
       f"{got['bad']} bad)")
    # RTCP on port + 1 both ways
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port + 1]}], expect=5)
    sent = peers.send(env.ns_gw, [dict(rx, src=[GW, gw_port + 1],
                                       dst=[s["ext_local"].split(":")[0], ext_port + 1],
                                       ssrc=0x1111, count=5, rtcp=True)])
    got = peers.recv_end(r)[0]
    ok(got["got"] == sent[0], f"{suite}: SRTCP from the gateway arrives as RTCP on port + 1")
    r = peers.recv_start(env.ns_gw, [dict(tx, bind=[GW, gw_port + 1], rtcp=True)], expect=5)
    sent = peers.send(env.ns_app, [{"src": [APP, app_port + 1],
                                    "dst": [s["int_local"].split(":")[0], int_port + 1],
                                    "ssrc": 0x2222, "count": 5, "rtcp": True}])
    got = peers.recv_end(r)[0]
    ok(got["bad"] == 0 and got["got"] == sent[0],
       f"{suite}: RTCP from the application arrives at the gateway as SRTCP")
    return s


def latching(env, peers, gw_port, app_port):
    suite = "AES_CM_128_HMAC_SHA1_80"
    s = add(env, gw_port, app_port, "srtp", suite)
    ext_ip, ext_port = hostport(s["ext_local"])
    _, int_port = hostport(s["int_local"])
    rx = {"suite": suite, "key": s["ext_rx_key"]}
    tx = {"suite": suite, "key": s["ext_tx_key"]}
    new_port = gw_port + 100
    # forged packets from a new port (wrong key): not learnt
    bad = dict(rx, key=s["ext_tx_key"])
    peers.send(env.ns_gw, [dict(bad, src=[GW, new_port], dst=[ext_ip, ext_port], ssrc=7,
                                count=3)])
    sh = show(env, s["id"])
    ok(sh["gateway_rtp"] == f"{GW}:{gw_port}" and sh["gateway_to_app"]["decrypt_failures"] == 3,
       f"forged packets from a new source are not learnt ({sh['gateway_rtp']})")
    # authentic packets from the new port: learnt, replies go there
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port]}], expect=3)
    peers.send(env.ns_gw, [dict(rx, src=[GW, new_port], dst=[ext_ip, ext_port], ssrc=8,
                                count=3)])
    peers.recv_end(r)
    sh = show(env, s["id"])
    ok(sh["gateway_rtp"] == f"{GW}:{new_port}", f"an authenticated new source is learnt "
       f"({sh['gateway_rtp']})")
    r = peers.recv_start(env.ns_gw, [dict(tx, bind=[GW, new_port])], expect=3)
    sent = peers.send(env.ns_app, [{"src": [APP, app_port], "dst": [APP and s["int_local"].split(":")[0],
                                                                   int_port],
                                    "ssrc": 9, "count": 3}])
    got = peers.recv_end(r)[0]
    ok(got["got"] == sent[0], "the application's media follows the gateway to its new port")
    return s


def rtcp_mux_and_rtp(env, peers, gw_port, app_port):
    suite = "AEAD_AES_128_GCM"
    s = add(env, gw_port, app_port, "srtp", suite, mux=True)
    ext_ip, ext_port = hostport(s["ext_local"])
    int_ip, int_port = hostport(s["int_local"])
    rx = {"suite": suite, "key": s["ext_rx_key"]}
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port]}], expect=6)
    sent_rtp = peers.send(env.ns_gw, [dict(rx, src=[GW, gw_port], dst=[ext_ip, ext_port],
                                           ssrc=0x33, count=3)])
    sent_rtcp = peers.send(env.ns_gw, [dict(rx, src=[GW, gw_port], dst=[ext_ip, ext_port],
                                            ssrc=0x33, count=3, rtcp=True)])
    got = peers.recv_end(r)[0]
    ok(sorted(got["got"]) == sorted(sent_rtp[0] + sent_rtcp[0]),
       "rtcp-mux: RTP and SRTCP on one port, both arrive on the application's one port "
       f"({len(got['got'])}, {show(env, s['id'])['gateway_to_app']})")
    p = add(env, gw_port + 2, app_port + 2, "rtp")
    ok(p["suite"] is None and "ext_rx_key" not in p, "--security rtp: no suite, no keys")
    ext_ip, ext_port = hostport(p["ext_local"])
    int_ip, int_port = hostport(p["int_local"])
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port + 2]}], expect=10)
    sent = peers.send(env.ns_gw, [{"src": [GW, gw_port + 2], "dst": [ext_ip, ext_port],
                                   "ssrc": 0x44, "count": 10}])
    got = peers.recv_end(r)[0]
    ok(got["got"] == sent[0], "plain RTP relayed gateway -> application, unchanged")
    r = peers.recv_start(env.ns_gw, [{"bind": [GW, gw_port + 2]}], expect=10)
    sent = peers.send(env.ns_app, [{"src": [APP, app_port + 2], "dst": [int_ip, int_port],
                                    "ssrc": 0x45, "count": 10}])
    got = peers.recv_end(r)[0]
    ok(got["got"] == sent[0], "plain RTP relayed application -> gateway, unchanged")
    # a second source of plain RTP is not accepted (latched on the first packet)
    peers.send(env.ns_gw, [{"src": [GW, gw_port + 50], "dst": [ext_ip, ext_port], "ssrc": 1,
                            "count": 2}])
    st = show(env, p["id"])["gateway_to_app"]
    ok(st["other_drops"] == 2, f"rtp: another source after latching is dropped ({st})")
    return [s, p]


def idle_events(env, sid):
    rc, evs = ctl(env, "events", "--limit", "1000")
    evs = evs if isinstance(evs, list) else (evs.get("events", []) if isinstance(evs, dict) else [])
    return [e for e in evs if e.get("id") == "MediaSessionIdle"
            and e.get("fields", {}).get("session") == sid]


def idle(env, peers, gw_port, app_port):
    """media_idle_timeout_s is 2 in this test's configuration."""
    p = add(env, gw_port, app_port, "rtp")
    ext_ip, ext_port = hostport(p["ext_local"])
    time.sleep(4.5)
    evs = idle_events(env, p["id"])
    ok(len(evs) == 1, f"a silent session raises MediaSessionIdle once ({len(evs)})")
    r = peers.recv_start(env.ns_app, [{"bind": [APP, app_port]}], expect=1)
    peers.send(env.ns_gw, [{"src": [GW, gw_port], "dst": [ext_ip, ext_port], "ssrc": 2,
                            "count": 1}])
    peers.recv_end(r)
    time.sleep(4.5)
    evs = idle_events(env, p["id"])
    ok(len(evs) == 2, f"silent again after a packet: a second event ({len(evs)})")
    rc, st = ctl(env, "status")
    media = st.get("dataplane", {}).get("media", {}) if isinstance(st, dict) else {}
    ok(media.get("idle_events", 0) >= 2, f"idle events counted ({media.get('idle_events')})")
    return p


def many(env, peers, n=500):
    raw = Raw(env.sock)
    sessions = []
    t0 = time.time()
    try:
        for i in range(n):
            a = raw.req("media.add", {"ext_remote": f"{GW}:{40000 + 2 * i}",
                                      "int_remote": f"{APP}:{40000 + 2 * i}",
                                      "security": "srtp", "suite": "AES_CM_128_HMAC_SHA1_80"})
            if not a.get("ok"):
                raise AssertionError(f"session {i}: {a}")
            sessions.append(a["result"])
    finally:
        raw.close()
    ok(len(sessions) == n, f"{n} sessions added ({time.time() - t0:.1f} s)")
    workers = {s["worker"] for s in sessions}
    ok(workers == {0, 1}, f"sessions spread over both workers ({sorted(workers)})")
    per = 4
    flows_rx = [{"bind": [APP, 40000 + 2 * i]} for i in range(n)]
    r = peers.recv_start(env.ns_app, flows_rx, expect=n * per, timeout=60)
    sent = peers.send(env.ns_gw, [{"suite": "AES_CM_128_HMAC_SHA1_80", "key": s["ext_rx_key"],
                                   "src": [GW, 40000 + 2 * i],
                                   "dst": list(hostport(s["ext_local"])), "ssrc": 1000 + i,
                                   "count": per} for i, s in enumerate(sessions)], gap=0.0005)
    got = peers.recv_end(r, timeout=90)
    good = sum(1 for g, s in zip(got, sent) if g["got"] == s)
    ok(good == n, f"{n} sessions: every application socket got its exact packets ({good})")
    flows_tx = [{"bind": [GW, 40000 + 2 * i], "suite": "AES_CM_128_HMAC_SHA1_80",
                 "key": s["ext_tx_key"]} for i, s in enumerate(sessions)]
    r = peers.recv_start(env.ns_gw, flows_tx, expect=n * per, timeout=60)
    sent = peers.send(env.ns_app, [{"src": [APP, 40000 + 2 * i],
                                    "dst": list(hostport(s["int_local"])), "ssrc": 5000 + i,
                                    "count": per} for i, s in enumerate(sessions)], gap=0.0005)
    got = peers.recv_end(r, timeout=90)
    good = sum(1 for g, s in zip(got, sent) if g["got"] == s and g["bad"] == 0)
    ok(good == n, f"{n} sessions: the gateway decrypted every session's packets ({good})")
    raw = Raw(env.sock)
    try:
        for s in sessions:
            a = raw.req("media.remove", {"id": s["id"]})
            if not a.get("ok"):
                raise AssertionError(f"remove {s['id']}: {a}")
    finally:
        raw.close()
    ok(True, f"{n} sessions removed")


def main():
    env = Env(BUILD, SRC, "med", workers=2)
    with open(env.config, "a") as f:  # the dataplane: section is the last one
        f.write("  media_idle_timeout_s: 2\n")
    peers = Peers(env)
    try:
        env.start_control()
        env.start_dataplane()
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 1, 15, "hello accepted")
        rc, res = ctl(env, "media", "list")
        ok(rc == 0 and res == [], f"media list: empty ({res})")
        made = []
        for i, suite in enumerate(SUITES):
            made.append(one_suite(env, peers, suite, 4000 + 10 * i, 5000 + 10 * i))
        made.append(latching(env, peers, 4100, 5100))  # also uses 4200
        made += rtcp_mux_and_rtp(env, peers, 4300, 5300)
        made.append(idle(env, peers, 4400, 5400))
        rc, res = ctl(env, "media", "list")
        ok(rc == 0 and sorted(x["id"] for x in res) == sorted(m["id"] for m in made),
           f"media list shows the {len(made)} sessions")
        rc, res = ctl(env, "--json", "status")
        rc, st = ctl(env, "status")
        media = st.get("dataplane", {}).get("media", {}) if isinstance(st, dict) else {}
        ok(media.get("decrypt_failures", 0) >= 8 and media.get("replay_drops", 0) >= 8,
           f"status: dataplane.media counts the drops ({media})")
        engine = media.get("srtp_engine", {})
        if BURST_ENGINE:
            ok(engine.get("name") == "intel-ipsec-mb" and engine.get("bursts", 0) > 0 and
               engine.get("burst_packets", 0) >= engine.get("bursts", 0),
               f"status: the SRTP above ran on the burst engine ({engine})")
            ok("SRTP on intel-ipsec-mb" in env.dp_log(), "the start-up log says so")
        else:
            ok(engine.get("name") == "libsrtp2", f"status: SRTP on libsrtp2 here ({engine})")
        for m in made:
            rc, res = ctl(env, "media", "remove", str(m["id"]))
            ok(rc == 0, f"media remove {m['id']}")
        rc, res = ctl(env, "media", "show", str(made[0]["id"]))
        ok(rc != 0, "a removed session is gone")
        rc, res = ctl(env, "media", "remove", "999999")
        ok(rc != 0, f"removing an unknown session is refused ({res})")
        many(env, peers, 500)
        rc, res = ctl(env, "media", "list")
        ok(rc == 0 and res == [], "all sessions removed")
        rc = env.stop_dataplane()
        ok(rc == 0, f"dataplane exits 0 ({rc})")
        ok("mbufs still in use" not in env.dp_log(), "no mbuf leaked")
        # the libsrtp2 engine, chosen in the configuration: the same checks
        with open(env.config, "a") as f:
            f.write("  srtp_engine: libsrtp2\n")
        env.start_dataplane()
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 1, 15, "hello accepted")
        ok("SRTP on libsrtp2 with umedge's OpenSSL primitives (dataplane.srtp_engine: libsrtp2)"
           in env.dp_log(), "srtp_engine: libsrtp2: the start-up log says so")
        m = one_suite(env, peers, "AEAD_AES_128_GCM", 4500, 5500)
        rc, st = ctl(env, "status")
        engine = st.get("dataplane", {}).get("media", {}).get("srtp_engine", {})
        ok(engine.get("name") == "libsrtp2" and "bursts" not in engine,
           f"status: SRTP on libsrtp2 ({engine})")
        rc, res = ctl(env, "media", "remove", str(m["id"]))
        ok(rc == 0, "media remove")
        rc = env.stop_dataplane()
        ok(rc == 0 and "mbufs still in use" not in env.dp_log(), f"dataplane exits 0 ({rc})")
        ok(all(k not in env.dp_log() for m in made if "ext_rx_key" in m
               for k in (m["ext_rx_key"], m["ext_tx_key"])), "no key in the dataplane's log")
    finally:
        peers.cleanup()
        env.stop()
    print(f"all {__import__('dataplane_env').checks} checks passed")


if __name__ == "__main__":
    main()
