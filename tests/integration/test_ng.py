#!/usr/bin/python3
"""umedge as the media plane of an existing Kamailio (issue 13): Debian's
Kamailio 5.6 with its rtpengine module, configured as its users configure
an SBC with rtpengine, its rtpengine_sock pointed at umedge's ng port.

    application (SIPp, RTP/AVP, echoes RTP)   198.51.100.20:5090
        | SIP                          | RTP
    Kamailio 198.51.100.20:5070 / 203.0.113.1:5060  (namespace of the app)
        | ng (198.51.100.1:2223)       umedge  198.51.100.1 | 192.0.2.1
        | SIP 203.0.113.0/24 (veth)            | SRTP
    gateway (ng_gateway.py: SIP/UDP, SRTP by pylibsrtp)  203.0.113.10 / 192.0.2.10

The application calls the gateway. Kamailio's offer turns its RTP/AVP
into RTP/SAVP with SDES towards the gateway (direction=internal
direction=external RTP/SAVP SDES-only-...), its answer back. The
gateway's SRTP reaches the application as RTP, is echoed, and comes back
to the gateway as SRTP under the key umedge offered: every payload is
matched. A query over ng during the call counts what was sent, both ways;
the BYE deletes the session and a later query is refused; ng's own
errors come back in rtpengine's words.

Then the same call with Debian's rtpengine-daemon 10.5 in umedge's place
(same addresses, same Kamailio configuration file, byte for byte): the
configuration needs no change between the two.

usage: test_ng.py BUILD_DIR SOURCE_DIR"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import APP, EXT, GW, INT, PY, Env, ctl, ok, sip_status, wait  # noqa: E402
from sip_peers import SCEN, Sipp, report_failure  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
KAM_GW, GW_SIG = "203.0.113.1", "203.0.113.10"   # Kamailio <-> gateway signalling
KAM_APP_PORT, APP_SIP_PORT = 5070, 5090
NG = (INT, 2223)
GW_RTP, APP_RTP = 7200, 6200
PACKETS = 50
FLAGS = ("direction=internal direction=external RTP/SAVP SDES-only-AES_CM_128_HMAC_SHA1_80 "
         "ICE=remove replace-origin replace-session-connection")

KAMAILIO_CFG = f"""#!KAMAILIO
# An SBC in front of a gateway, anchoring media with rtpengine's ng: RTP
# towards the application, SRTP (SDES) towards the gateway.
debug=2
log_stderror=yes
fork=yes
children=1
auto_aliases=no
listen=udp:{APP}:{KAM_APP_PORT}
listen=udp:{KAM_GW}:5060
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:{NG[0]}:{NG[1]}")

request_route {{
	if (!mf_process_maxfwd_header("10")) {{
		sl_send_reply("483", "Too Many Hops");
		exit;
	}}
	if (has_totag()) {{
		if (loose_route()) {{
			if (is_method("BYE"))
				rtpengine_manage();
			t_relay();
			exit;
		}}
		if (is_method("ACK") && t_check_trans())
			t_relay();
		exit;
	}}
	if (is_method("CANCEL")) {{
		if (t_check_trans())
			t_relay();
		exit;
	}}
	t_check_trans();
	if (!is_method("INVITE")) {{
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}}
	record_route();
	if (has_body("application/sdp"))
		rtpengine_manage("{FLAGS}");
	t_on_reply("MEDIA");
	t_on_failure("MEDIA_FAILED");
	$du = "sip:{GW_SIG}:5060";
	force_send_socket(udp:{KAM_GW}:5060);
	if (!t_relay())
		sl_reply_error();
}}

onreply_route[MEDIA] {{
	if (has_body("application/sdp"))
		rtpengine_manage("replace-origin replace-session-connection");
}}

failure_route[MEDIA_FAILED] {{
	rtpengine_manage();
}}
"""


def ng_request(env, cookie, body, timeout=3):
    """One ng datagram from the application's namespace: the reply's
    dictionary, decoded by a bencode reader of the test's own."""
    code = ("import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.settimeout(%d)\ns.sendto(sys.stdin.buffer.read(),(%r,%d))\n"
            "sys.stdout.buffer.write(s.recvfrom(65536)[0])\n" % (timeout, NG[0], NG[1]))
    r = subprocess.run(["ip", "netns", "exec", env.ns_app, PY, "-c", code],
                       input=cookie.encode() + b" " + body, capture_output=True,
                       timeout=timeout + 5)
    if r.returncode != 0:
        ok(False, f"ng {cookie}: a reply ({r.stderr.decode()[-300:]})")
    head, _, rest = r.stdout.partition(b" ")
    val, end = bdecode(rest, 0)
    if head != cookie.encode() or end != len(rest) or not isinstance(val, dict):
        ok(False, f"ng {cookie}: the reply is the cookie and one dictionary ({r.stdout!r})")
    return val


def bdecode(b, i):
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while b[i:i + 1] != b"e":
            v, i = bdecode(b, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


def bstr(s):
    s = s.encode() if isinstance(s, str) else s
    return str(len(s)).encode() + b":" + s


def link_gateway_signalling(env):
    """A veth between the application's namespace (Kamailio) and the
    gateway's, for SIP only: the media goes through the engine's ports."""
    a, g = f"ngk{os.getpid() % 100000}", f"ngg{os.getpid() % 100000}"
    subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", g], check=True)
    for dev, ns, addr in ((a, env.ns_app, KAM_GW), (g, env.ns_gw, GW_SIG)):
        subprocess.run(["ip", "link", "set", dev, "netns", ns], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "addr", "add", addr + "/24", "dev", dev],
                       check=True)
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", dev, "up"], check=True)


class Kamailio:
    def __init__(self, env, cfg):
        self.ns = env.ns_app
        self.log = os.path.join(env.dir, "kamailio.log")
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", env.ns_app, "timeout", "300", "/usr/sbin/kamailio", "-f", cfg,
             "-DD", "-E", "-m", "64", "-M", "8", "-Y", env.dir],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        wait(lambda: self.listening() or self.p.poll() is not None, 20, "kamailio up")
        ok(self.p.poll() is None, f"kamailio runs\n{self.text()[-1500:]}")

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def listening(self):
        ss = subprocess.run(["ip", "netns", "exec", self.ns, "ss", "-uln"], capture_output=True,
                            text=True).stdout
        return f"{APP}:{KAM_APP_PORT}" in ss and f"{KAM_GW}:5060" in ss

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, 15)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, 9)
                self.p.wait(5)


def one_call(env, what, during=None):
    """The application calls the gateway through Kamailio; returns the
    gateway's report, SIPp's exit code, and during()'s result."""
    gw = subprocess.Popen(["ip", "netns", "exec", env.ns_gw, "timeout", "60", PY,
                           os.path.join(HERE, "ng_gateway.py"), GW_SIG, "5060", GW, str(GW_RTP),
                           str(PACKETS), "40"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = gw.stderr.readline()
    ok("listening" in line, f"{what}: the gateway listens ({line.strip()})")
    app = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uac_ng.xml"), "-s", "4000", "-i", APP,
                                 "-p", str(APP_SIP_PORT), "-mi", APP, "-mp", str(APP_RTP),
                                 "-rtp_echo", "-d", "4000", "-m", "1",
                                 f"{APP}:{KAM_APP_PORT}"], 40)
    seen = during() if during else None
    rc_app = app.wait(60)
    out, err = gw.communicate(timeout=60)
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        r = {"stdout": out, "stderr": err[-2000:]}
    if rc_app != 0:
        print(app.errors(), file=sys.stderr)
    return r, rc_app, seen


def check_call(what, r, rc_app, local_addr, suites=None):
    ok(rc_app == 0 and r.get("acked") and (r.get("bye") or "").startswith("BYE "),
       f"{what}: the call completes: answered, ACKed, BYE (SIPp {rc_app}, {r})")
    off = r.get("offer") or {}
    ok(off.get("proto") == "RTP/SAVP" and off.get("addr") == local_addr and
       (suites is None or off.get("suites") == suites),
       f"{what}: the gateway got RTP/SAVP with SDES from {local_addr} ({off})")
    ok(r["sent"] == PACKETS and r["matched"] == PACKETS and r["srtp_bad"] == 0,
       f"{what}: every SRTP payload came back exactly through the application's RTP echo "
       f"({r['matched']}/{r['sent']}, {r['srtp_bad']} refused by libsrtp2)")


def test_umedge(env, kam_cfg):
    kam = Kamailio(env, kam_cfg)
    counters = {}

    def during():
        # mid-call (the tone is 1 s, the call 4 s after the ACK): the call
        # is umedge's, its counters move
        lst = wait(lambda: (lambda x: x if x.get("calls") else None)(
            ng_request(env, f"nl{time.monotonic_ns()}", b"d7:command4:liste")), 15,
            "the call listed")
        time.sleep(2.0)
        ok(lst.get("result") == b"ok", f"list answered ({lst})")
        calls = lst.get("calls", [])
        ok(len(calls) == 1, f"list: the call ({calls})")
        counters["call_id"] = calls[0]
        q = ng_request(env, "nq1", b"d7:command5:query7:call-id" + bstr(calls[0]) + b"e")
        counters["query"] = q
        st = sip_status(env).get("ng", {})
        counters["status"] = st
        counters["media"] = ctl(env, "media", "list")
        counters["calls"] = ctl(env, "calls", "list")
        rows = counters["media"][1] if counters["media"][0] == 0 else []
        if rows:
            counters["remove"] = ctl(env, "media", "remove", str(rows[0]["id"]))
        return q

    try:
        r, rc_app, q = one_call(env, "umedge", during)
        check_call("umedge", r, rc_app, EXT, ["AES_CM_128_HMAC_SHA1_80"])
        ok(q.get("result") == b"ok", f"query during the call: ok ({q})")
        tags = q.get("tags", {})
        per = {}
        for t in tags.values():
            m = t["medias"][0]
            s = m["streams"][0]
            per[m["protocol"].decode()] = (s["local port"], s["stats"]["packets"])
        ok(set(per) == {"RTP/AVP", "RTP/SAVP"},
           f"query: the application's RTP/AVP side and the gateway's RTP/SAVP side ({per})")
        byts = {t["medias"][0]["protocol"].decode(): t["medias"][0]["streams"][0]["stats"]["bytes"]
                for t in tags.values()}
        ok(byts.get("RTP/SAVP") == PACKETS * 172,
           f"query: the gateway's {PACKETS} packets of 172 octets (RTP, authenticated and "
           f"decrypted) counted in bytes ({byts})")
        ok(per["RTP/SAVP"][1] == PACKETS and per["RTP/AVP"][1] == PACKETS,
           f"query: {PACKETS} packets in from the gateway and {PACKETS} back from the "
           f"application, as sent ({per})")
        tot = q.get("totals", {}).get("RTP", {})
        ok(tot.get("packets") == 2 * PACKETS and tot.get("errors") == 0,
           f"query: totals {tot}")
        st = counters["status"]
        ok(st.get("commands", {}).get("offer", 0) >= 1 and
           st.get("commands", {}).get("answer", 0) >= 1,
           f"status.dataplane.sip.ng counts Kamailio's offer and answer ({st})")
        rc, rows = counters["media"]
        ok(rc == 0 and len(rows) == 1 and rows[0].get("ng_call_id") == counters["call_id"].decode()
           and rows[0]["security"] == "srtp" and rows[0]["ext_local"].endswith(":" + str(
               per["RTP/SAVP"][0])),
           f"umedgectl media list shows the ng call's session ({rows})")
        ok(counters["calls"][0] == 0 and counters["calls"][1] == [],
           f"calls list is the SIP proxy's: the ng call is not in it ({counters['calls']})")
        rc, why = counters["remove"]
        ok(rc != 0 and "was made over ng" in str(why),
           f"media remove of an ng session: refused in words ({why})")
        # the BYE went through rtpengine_manage(): the session is gone
        wait(lambda: (sip_status(env).get("ng") or {}).get("calls") == 0, 5, "ng call deleted")
        gone = ng_request(env, "nq2", b"d7:command5:query7:call-id" +
                          bstr(counters["call_id"]) + b"e")
        ok(gone.get("result") == b"error" and gone.get("error-reason") == b"Unknown call-id",
           f"after the BYE: query refused ({gone})")
        ok(sip_status(env).get("ng", {}).get("deleted", 0) >= 1 and
           sip_status(env).get("media", {}).get("sessions") == 0,
           "the delete removed the media session")
        # rtpengine's answers to what is wrong
        bad = ng_request(env, "nb1", b"d7:command")
        ok(bad.get("result") == b"error" and b"Failed to decode" in bad.get("error-reason", b""),
           f"malformed bencode: an error reply ({bad})")
        unk = ng_request(env, "nb2", b"d7:command7:explodee")
        ok(unk.get("error-reason") == b"Unrecognized command", f"unknown command ({unk})")
        again = ng_request(env, "nb2", b"d7:command4:pinge")
        ok(again == unk, "a retransmitted cookie gets its first reply")
        pong = ng_request(env, "np1", b"d7:command4:pinge")
        ok(pong == {"result": b"pong"}, f"ping ({pong})")
        idle_timeout(env)
    finally:
        kam.stop()
    return kam.text()


def idle_timeout(env):
    """A call offered and answered over ng whose media never moves ends
    after ng.timeout_s (3 s here); a later query is refused."""
    offer = (b"v=0\r\no=app 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n"
             b"t=0 0\r\nm=audio 6300 RTP/AVP 0\r\n")
    answer = (b"v=0\r\no=gw 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
              b"m=audio 7300 RTP/AVP 0\r\n")
    cid = bstr("idle-1@test")
    o = ng_request(env, "ni1", b"d7:command5:offer7:call-id" + cid + b"8:from-tag1:a3:sdp" +
                   bstr(offer) + b"e")
    a = ng_request(env, "ni2", b"d7:command6:answer7:call-id" + cid + b"8:from-tag1:a6:to-tag1:b"
                   b"3:sdp" + bstr(answer) + b"e")
    ok(o.get("result") == b"ok" and a.get("result") == b"ok",
       f"an unsecured call over ng, no media ({o.get('error-reason')}, {a.get('error-reason')})")
    t0 = time.time()
    q = wait(lambda: (lambda x: x if x.get("result") == b"error" else None)(
        ng_request(env, f"ni{time.monotonic_ns()}", b"d7:command5:query7:call-id" + cid + b"e")),
        15, "the idle call expired")
    ok(q.get("error-reason") == b"Unknown call-id" and time.time() - t0 >= 2.0,
       f"idle 3 s: the call ended, query refused after {time.time() - t0:.1f} s")
    st = wait(lambda: (lambda x: x if x.get("expired", 0) >= 1 else None)(
        sip_status(env).get("ng") or {}), 5, "expired counted")
    ok(st["expired"] >= 1 and st["calls"] == 0, f"status counts it expired ({st})")


def test_rtpengine(env, kam_cfg):
    """The same call with rtpengine-daemon in umedge's place, and the same
    Kamailio configuration file."""
    if not os.path.exists("/usr/bin/rtpengine"):
        ok(False, "rtpengine-daemon is installed (scripts/setup installs it)")
    env.stop_dataplane()
    # the engine's addresses on veths into a namespace of rtpengine's own
    ns = f"ngr{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        for tag, peer_ns, mine, theirs in (("e", env.ns_gw, EXT, GW), ("i", env.ns_app, INT, APP)):
            a, b = f"{ns}{tag}", f"{ns}{tag}p"
            subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
            subprocess.run(["ip", "link", "set", a, "netns", ns], check=True)
            subprocess.run(["ip", "link", "set", b, "netns", peer_ns], check=True)
            subprocess.run(["ip", "netns", "exec", ns, "ip", "addr", "add", mine + "/24", "dev", a],
                           check=True)
            subprocess.run(["ip", "netns", "exec", peer_ns, "ip", "addr", "add", theirs + "/24",
                            "dev", b], stderr=subprocess.DEVNULL)
            for n, d in ((ns, a), (peer_ns, b)):
                subprocess.run(["ip", "netns", "exec", n, "ip", "link", "set", d, "up"], check=True)
        rtpe = subprocess.Popen(
            ["ip", "netns", "exec", ns, "timeout", "120", "/usr/bin/rtpengine", "--config-file=none",
             "-f", "-E", "-L", "5", "-t", "-1", "--interface", f"internal/{INT}",
             "--interface", f"external/{EXT}", "-n", f"{NG[0]}:{NG[1]}", "-m", "40000",
             "-M", "40999", "--delete-delay=0"],
            stdout=open(os.path.join(env.dir, "rtpengine.log"), "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            time.sleep(2)
            ok(rtpe.poll() is None, "rtpengine-daemon runs")
            kam = Kamailio(env, kam_cfg)
            try:
                r, rc_app, _ = one_call(env, "rtpengine")
                # rtpengine 10.5 predates SDES-only- (it warns, and offers
                # every suite it has): the gateway keeps the first it knows
                check_call("rtpengine", r, rc_app, EXT)
            finally:
                kam.stop()
        finally:
            os.killpg(rtpe.pid, 15)
            rtpe.wait(10)
    finally:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def main():
    if not os.path.exists("/usr/sbin/kamailio"):
        print("1..0 # SKIP kamailio is not installed (scripts/setup installs it)")
        return 0
    env = Env(BUILD, SRC, "ng", workers=2, ng="ng: { listen: 198.51.100.1:2223, timeout_s: 3 }")
    try:
        env.start_control()
        env.start_dataplane()
        wait(lambda: (sip_status(env).get("ng") or {}).get("calls") == 0, 20, "ng served")
        link_gateway_signalling(env)
        cfg = os.path.join(env.dir, "kamailio.cfg")
        with open(cfg, "w") as f:
            f.write(KAMAILIO_CFG)
        digest = hashlib.sha256(KAMAILIO_CFG.encode()).hexdigest()
        test_umedge(env, cfg)
        test_rtpengine(env, cfg)
        with open(cfg, "rb") as f:
            ok(hashlib.sha256(f.read()).hexdigest() == digest,
               "one Kamailio configuration file for both media planes, unchanged")
    except BaseException:
        report_failure(env)
        try:
            with open(os.path.join(env.dir, "kamailio.log"), errors="replace") as f:
                print("--- kamailio.log\n" + f.read()[-3000:], file=sys.stderr)
        except OSError:
            pass
        raise
    finally:
        env.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
