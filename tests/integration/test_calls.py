#!/usr/bin/python3
"""Calls with media through the engine (issue 23), between independent
peers in their namespaces:

- the gateway is the tests' UA (sip_tls_ua.py): SIP over UDP or mutual
  TLS, an SDP offer, RTP or SRTP made by libsrtp2 through pylibsrtp with
  a key of its own, and the engine's answer used to send to its port and
  to decrypt what comes back;
- the application is SIPp (uas_media.xml): it checks the offer it gets is
  RTP/AVP from the engine's internal address with no a=crypto, answers
  with its own media address, and echoes the RTP it receives (-rtp_echo).

Payloads sent by the gateway come back to it exactly, so each went
gateway -> engine -> application -> engine -> gateway; for `secured`,
SRTP on the gateway's leg and clear RTP on the application's. Then every
488 with its event, and the media gone after the BYE.

usage: test_calls.py BUILD_DIR SOURCE_DIR"""
import json
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import APP, EXT, GW, INT, PY, Env, ctl, ok, sip_status, wait  # noqa: E402
from sip_peers import (SCEN, Sipp, events, events_after, report_failure,  # noqa: E402
                       start_with_gateway_cert, tls_ua_result, tls_ua_start)

BUILD, SRC = sys.argv[1], sys.argv[2]
APP_RTP = 6000
HERE = os.path.dirname(os.path.abspath(__file__))


def application(env, calls=1, secs=40):
    return Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_media.xml"), "-i", APP,
                                  "-p", "5060", "-mi", APP, "-mp", str(APP_RTP), "-rtp_echo",
                                  "-m", str(calls)], secs)


def gateway_start(env, files, pilot, transport, profile, suite="AES_CM_128_HMAC_SHA1_80",
                  port=24000, packets=50, hold=0.5):
    media = {"port": port, "profile": profile, "suite": suite, "packets": packets, "size": 160}
    return tls_ua_start(env, files, pilot, timeout=30, hold=hold, transport=transport,
                        media=media)


def gateway_call(env, files, pilot, transport, profile, suite="AES_CM_128_HMAC_SHA1_80",
                 port=24000, packets=50):
    return tls_ua_result(gateway_start(env, files, pilot, transport, profile, suite, port,
                                       packets), 70)


def media_sessions(env):
    return sip_status(env).get("media", {})


def media_call(env, files, what, pilot, transport, profile, suite="AES_CM_128_HMAC_SHA1_80",
               port=24000):
    before = media_sessions(env)
    a = application(env)
    time.sleep(0.5)
    r = gateway_call(env, files, pilot, transport, profile, suite, port)
    rc_a = a.wait(40)
    ans, med = r.get("answer") or {}, r.get("media") or {}
    ok(r["finals"] == {"200": 1} and r["completed"] == 1 and rc_a == 0,
       f"{what}: the call completes ({r['finals']}, application rc {rc_a}) "
       f"{a.errors()[-600:]}")
    lo, hi = 20000, 29999
    ok(ans.get("addr") == EXT and ans.get("port") is not None and lo <= ans["port"] <= hi and
       ans["port"] % 2 == 0,
       f"{what}: the gateway is answered with the engine's address and an even port "
       f"of media_ports ({ans})")
    ok(ans.get("proto") == profile, f"{what}: answered {ans.get('proto')}")
    if profile == "RTP/SAVP":
        ok(len(ans["crypto"]) == 1 and ans["crypto"][0].startswith(f"1 {suite} inline:"),
           f"{what}: one a=crypto, our tag and suite, the engine's key ({ans['crypto']})")
    ok(med.get("sent") == 50 and med.get("matched") == 50 and med.get("bad") == 0,
       f"{what}: the gateway's {med.get('sent')} payloads came back exact through the "
       f"application: {med}")
    ok(med.get("sources") == [f"{EXT}:{ans['port']}"],
       f"{what}: everything came from the engine's port ({med.get('sources')})")
    st = wait(lambda: (lambda m: m if m.get("removed", 0) > before.get("removed", 0) and
                       m.get("sessions") == 0 else None)(media_sessions(env)), 5,
              "the call's media removed after its BYE")
    ok(st["installed"] == before.get("installed", 0) + 1 and st["sessions"] == 0,
       f"{what}: one media session installed, none left after the BYE ({st})")


def refused(env, files, what, pilot, transport, profile, reason,
            suite="AES_CM_128_HMAC_SHA1_80"):
    time.sleep(1.2)  # the proxy raises one event per gateway and second
    n = len(events(env, "VoipSecurityMismatch"))
    r = gateway_call(env, files, pilot, transport, profile, suite)
    ok(r["finals"] == {"488": 1} and any(reason in w for w in r.get("warnings", [])),
       f"{what}: 488 with a Warning naming it ({r['finals']}, {r.get('warnings')})")
    ev = events_after(env, "VoipSecurityMismatch", n, 10, f"{what}: the event")
    f = ev[-1]["fields"]
    ok(f.get("offered") == profile and f.get("gateway") == "gw1" and f.get("reason", "")
       .startswith(reason), 
       f"{what}: VoipSecurityMismatch names the offer and the reason: {f}")


def calls_verbs_and_drop(env, files):
    """A secured call in progress: calls list and show describe it, calls
    drop ends it with a BYE to each side."""
    a = application(env)
    time.sleep(0.5)
    ua = gateway_start(env, files, "5000", "tls", "RTP/SAVP", port=24006, packets=150, hold=20)

    def listed():
        rc, out = ctl(env, "calls", "list")
        return [c for c in out if c["packets_in"] > 0] if rc == 0 and out else None
    calls = wait(listed, 10, "the call in calls list with media")
    c = calls[0]
    ok(c["gateway"] == "gw1" and c["dial_plan"] == "contoso" and c["mode"] == "secured" and
       c["transport"] == "tls" and c["suite"] == "AES_CM_128_HMAC_SHA1_80" and
       c["state"] == "answered" and c["call_id"].startswith("tls-"),
       f"umedgectl calls list: {c}")
    rc, show = ctl(env, "calls", "show", str(c["id"]))
    ok(rc == 0 and show["legs"]["gateway"]["local_port"] % 2 == 0 and
       show["legs"]["application"]["remote"].startswith(APP) and
       show["media"]["gateway_to_application"]["packets"] > 0 and
       show["media"]["gateway_to_application"]["auth_fail"] == 0,
       f"umedgectl calls show {c['id']}: {show}")
    r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                        "calls", "list"], capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0 and "AES_CM_128_HMAC_SHA1_80" in r.stdout and "CALL-ID" in r.stdout,
       f"umedgectl calls list (text):\n{r.stdout}")
    rc, ml = ctl(env, "media", "list")
    mine = [m for m in ml if m.get("call") == c["id"]] if rc == 0 else []
    ok(len(mine) == 1 and mine[0]["security"] == "srtp" and
       mine[0]["ext_local"] == f"{EXT}:{show['legs']['gateway']['local_port']}",
       f"umedgectl media list shows the call's session: {mine}")
    if mine:
        sid = str(mine[0]["id"])
        rc, one = ctl(env, "media", "show", sid)
        ok(rc == 0 and one.get("call") == c["id"] and one.get("ext_local") == mine[0]["ext_local"],
           f"umedgectl media show {sid} (a call's session): {one}")
        rc, out = ctl(env, "media", "remove", sid)
        ok(rc != 0 and f"calls drop {c['id']}" in str(out),
           f"media remove on a call's session says to drop the call: {out}")
    rc, out = ctl(env, "calls", "drop", str(c["id"]))
    ok(rc == 0, f"umedgectl calls drop {c['id']}: {out}")
    r = tls_ua_result(ua, 70)
    rc_a = a.wait(40)
    ok(r.get("byes_received") == 1 and "dropped by the operator" in r.get("bye_reason", "")
       and rc_a == 0,
       f"the gateway got the engine's BYE with its Reason ({r.get('bye_reason')}), the "
       f"application its own (rc {rc_a}) {a.errors()[-300:]}")
    ev = wait(lambda: [e for e in events(env, "CallEnded")
                       if e["fields"].get("call") == str(c["id"])], 5, "CallEnded")
    f = ev[-1]["fields"]
    ok(f.get("reason") == "dropped by the operator" and int(f.get("packets_in", 0)) > 0,
       f"CallEnded with the reason and media counters: {f}")
    rc, out = ctl(env, "calls", "show", str(c["id"]))
    ok(rc != 0 and "no call" in str(out), f"the dropped call is gone: {out}")
    rc, ml = ctl(env, "media", "list")
    ok(rc == 0 and ml == [], f"and its media session: media list {ml}")
    rc, out = ctl(env, "calls", "drop", "0")
    ok(rc != 0, f"calls drop 0 refused: {out}")


def media_timeout(env, files):
    """The gateway stops sending media and stays: after media_timeout_s
    (3 s here) the engine ends the call both ways."""
    a = application(env)
    time.sleep(0.5)
    n = len(events(env, "CallMediaTimeout"))
    r = tls_ua_result(gateway_start(env, files, "6000", "udp", "RTP/AVP", port=24008,
                                    packets=10, hold=15), 70)
    rc_a = a.wait(40)
    ok(r.get("byes_received") == 1 and "media timeout" in r.get("bye_reason", "") and rc_a == 0,
       f"media silent for 3 s: BYE to the gateway ({r.get('bye_reason')}) and to the "
       f"application (rc {rc_a})")
    ev = events_after(env, "CallMediaTimeout", n, 5, "CallMediaTimeout")
    ok(ev[-1]["fields"].get("gateway") == "gw1", f"CallMediaTimeout: {ev[-1]['fields']}")


def control_restart_during_media(env, files):
    """Control stopped and started while a secured call's media flows: the
    call and its media go on (they live in the dataplane's workers)."""
    a = application(env)
    time.sleep(0.5)
    ua = gateway_start(env, files, "5000", "tls", "RTP/SAVP", port=24014, packets=120)
    wait(lambda: [c for c in (ctl(env, "calls", "list")[1] or []) if c["packets_in"] > 0], 10,
         "the call's media flowing")
    env.stop_control()
    time.sleep(0.5)
    env.start_control()
    r = tls_ua_result(ua, 70)
    rc_a = a.wait(40)
    med = r.get("media") or {}
    ok(r["completed"] == 1 and rc_a == 0 and med.get("matched") == 120,
       f"control restarted mid-call: the call completed and all its media came back ({med})")


def reinvite_hold_resume(env, files):
    """A secured call re-INVITEd to a new port with a new key, then held
    (a=inactive) longer than the media timeout, then resumed: the media
    follows each step, the hold does not end the call."""
    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_media_reinvite.xml"), "-i", APP,
                               "-p", "5060", "-mi", APP, "-mp", str(APP_RTP), "-rtp_echo",
                               "-m", "1"], 60)
    time.sleep(0.5)
    n = len(events(env, "CallMediaTimeout"))
    media = {"port": 24010, "profile": "RTP/SAVP", "suite": "AES_CM_128_HMAC_SHA1_80",
             "packets": 30, "size": 160}
    script = [{"port": 24012, "rekey": True}, {"direction": "inactive", "pause": 4.5}, {}]
    r = tls_ua_result(tls_ua_start(env, files, "5000", timeout=50, media=media, script=script),
                      90)
    rc_a = a.wait(40)
    st = r["steps"]
    ok(len(st) == 4 and all(s["code"] == 200 for s in st) and r["bye"] == 200 and rc_a == 0,
       f"INVITE, three re-INVITEs and the BYE answered 200 ({[s['code'] for s in st]}, "
       f"{r['bye']}), the application saw each step (rc {rc_a}) {a.errors()[-500:]}")
    first, moved, held, resumed = st
    ok(first["media"]["matched"] == 30 and moved["media"]["matched"] == 30 and
       moved["answer"]["port"] == first["answer"]["port"] and
       moved["answer"]["crypto"] == first["answer"]["crypto"],
       f"re-INVITE to port 24012 with a new key: the media follows on the engine's same port "
       f"and key ({moved['media']}, {moved['answer']})")
    ok("inactive" in held["direction"],
       f"hold: the engine's answer says inactive ({held['direction']})")
    ok(resumed["media"]["matched"] == 30 and resumed["media"]["events"] == 3,
       f"resumed after {script[1]['pause']} s on hold (media timeout 3 s): the media flows, "
       f"telephone-events included ({resumed['media']})")
    ok(len(events(env, "CallMediaTimeout")) == n, "no media timeout while on hold")


def outbound_secured(env, files):
    """The application calls out through gw1 (secured: mutual TLS, SRTP).
    The gateway is the tests' TLS server: it answers the engine's SDES offer
    with a suite of it and its own key, sends SRTP and decrypts what the
    application's echo brings back."""
    spec = {"serve": True, "listen": [GW, 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "calls": 1, "timeout": 40, "src": GW,
            "media": {"port": 24020, "profile": "RTP/SAVP", "suite": "AEAD_AES_128_GCM",
                      "packets": 40, "size": 160}}
    gw = subprocess.Popen(["ip", "netns", "exec", env.ns_gw, "timeout", "60", PY,
                           os.path.join(HERE, "sip_tls_ua.py"), json.dumps(spec)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ok(gw.stdout.readline().strip() == "listening", "the TLS gateway listens on 5061")
        with open(os.path.join(SCEN, "uac_media.xml")) as f:
            xml = f.read().replace("INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
                                   "INVITE sip:[service]@gw1.example.test SIP/2.0").replace(
                "192\\.0\\.2\\.1[^0-9]", "198\\.51\\.100\\.1[^0-9]")
        out = os.path.join(env.dir, "uac-out-media.xml")
        with open(out, "w") as f:
            f.write(xml)
        c = Sipp(env, env.ns_app, [f"{INT}:5060", "-sf", out, "-s", "+12065550199", "-i", APP,
                                   "-p", "5080", "-mi", APP, "-mp", "6100", "-rtp_echo",
                                   "-m", "1", "-d", "3000"], 40)
        rc = c.wait(60)
        res = json.loads(gw.communicate(timeout=60)[0].strip().splitlines()[-1])
    finally:
        if gw.poll() is None:
            gw.kill()
    offer = res.get("offer") or {}
    ok(rc == 0 and res["invites"] == 1 and res["byes"] == 1,
       f"the application called out through the engine to the TLS gateway (caller rc {rc}, "
       f"gateway {res.get('invites')} INVITE, {res.get('byes')} BYE) {c.errors()[-500:]}")
    suites = [x.split()[1] for x in offer.get("crypto", [])]
    ok(offer.get("proto") == "RTP/SAVP" and offer.get("addr") == EXT and
       suites == ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"],
       f"the gateway was offered RTP/SAVP from the engine's address, the dial plan's suites "
       f"in order (it took AEAD_AES_128_GCM): {offer}")
    med = res.get("media") or {}
    ok(med.get("matched") == 40 and med.get("bad") == 0,
       f"outbound secured call: SRTP from the gateway came back exact through the "
       f"application's RTP echo ({med})")


SNIFF = """
import json, sys
from scapy.all import IP, UDP, sniff
port = int(sys.argv[2])
got = sniff(iface=sys.argv[1], count=int(sys.argv[3]), timeout=float(sys.argv[4]),
            lfilter=lambda p: UDP in p and p[UDP].dport == port)
print(json.dumps([[p[IP].src, p[UDP].sport, bytes(p[UDP].payload).hex()] for p in got]))
"""


def sniffer(env, ns, iface, port, count, secs=20):
    return subprocess.Popen(["ip", "netns", "exec", ns, "timeout", str(secs + 10), PY, "-c",
                             SNIFF, iface, str(port), str(count), str(secs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def sipp_rtp_call(env):
    """SIPp on both sides, unsecured: the gateway plays RTP from a pcap
    (play_pcap_audio), the application echoes it (-rtp_echo). Sniffed on
    each side's interface: every packet reached the application from the
    engine's internal port and came back to the gateway from the engine's
    external port, byte for byte."""
    from scapy.all import IP, UDP, Ether, Raw, wrpcap
    n, rtp = 40, []
    for i in range(n):
        payload = f"pcap{i:04d}".encode() * 20
        rtp.append(struct.pack("!BBHII", 0x80, 0, 5000 + i, 160 * i, 0x5eed1234) + payload)
    pkts = []
    for i, r in enumerate(rtp):
        p = Ether() / IP(src=GW, dst=EXT) / UDP(sport=7000, dport=20000) / Raw(r)
        p.time = 1700000000 + i * 0.02
        pkts.append(p)
    wrpcap(os.path.join(env.dir, "rtp.pcap"), pkts)
    at_app = sniffer(env, env.ns_app, env.tap_int, APP_RTP, n)
    at_gw = sniffer(env, env.ns_gw, env.tap_ext, 7000, n)
    time.sleep(1.5)  # the sniffers are listening
    a = application(env)
    time.sleep(0.5)
    c = Sipp(env, env.ns_gw, [f"{EXT}:5060", "-sf", os.path.join(SCEN, "uac_media_pcap.xml"),
                              "-s", "6000", "-i", GW, "-p", "5070", "-mi", GW, "-mp", "7000",
                              "-m", "1", "-d", "2500"], 30)
    rc_c, rc_a = c.wait(40), a.wait(40)
    app_seen = json.loads(at_app.communicate(timeout=40)[0] or "[]")
    gw_seen = json.loads(at_gw.communicate(timeout=40)[0] or "[]")
    ok(rc_c == 0 and rc_a == 0, f"SIPp to SIPp with RTP through the engine (rc {rc_c}, {rc_a}) "
       f"{c.errors()[-400:]}{a.errors()[-400:]}")
    want = [r.hex() for r in rtp]
    ok([x[2] for x in app_seen] == want and {x[0] for x in app_seen} == {INT},
       f"the application got the {n} RTP packets exactly, from the engine's internal address "
       f"({len(app_seen)} seen, from {sorted({tuple(x[:2]) for x in app_seen})})")
    ok([x[2] for x in gw_seen] == want and {x[0] for x in gw_seen} == {EXT} and
       len({x[1] for x in gw_seen}) == 1,
       f"and its echo came back to the gateway exactly, from one engine port "
       f"({len(gw_seen)} seen, from {sorted({tuple(x[:2]) for x in gw_seen})})")


def thousand_calls(env):
    """1,000 concurrent calls with their media sessions (SIPp on both
    sides, SDP offer and answer), held 5 s, none lost; control restarted
    while they are up does not touch them."""
    # a dataplane restart ends calls; this one also lifts the 3 s timeout
    with open(env.config) as f:
        text = f.read()
    with open(env.config, "w") as f:
        f.write(text.replace("media_timeout_s: 3", "media_timeout_s: 60"))
    env.stop_dataplane()
    env.start_dataplane()
    wait(lambda: sip_status(env).get("workers"), 20, "the restarted dataplane's sip status")
    a = Sipp(env, env.ns_app, ["-sf", os.path.join(SCEN, "uas_media.xml"), "-i", APP,
                               "-p", "5060", "-mi", APP, "-mp", str(APP_RTP), "-m", "1000"], 90)
    time.sleep(0.5)
    c = Sipp(env, env.ns_gw, [f"{EXT}:5060", "-sf", os.path.join(SCEN, "uac_media.xml"),
                              "-s", "6000", "-i", GW, "-p", "5070", "-mi", GW, "-mp", "7000",
                              "-m", "1000", "-r", "500", "-l", "1000", "-d", "5000"], 90)
    peak, restarted, deadline = 0, False, time.time() + 100
    while c.p.poll() is None and time.time() < deadline:
        try:
            peak = max(peak, media_sessions(env).get("sessions", 0))
        except (AssertionError, KeyError, TypeError):
            pass
        if peak >= 1000 and not restarted:
            env.stop_control()
            time.sleep(0.5)
            env.start_control()
            restarted = True
        time.sleep(0.2)
    rc_c, rc_a = c.wait(60), a.wait(60)
    ok(rc_c == 0 and rc_a == 0,
       f"1,000 calls with SDP through the engine completed (caller rc {rc_c}, application "
       f"rc {rc_a}) {c.errors()[-600:]}{a.errors()[-600:]}")
    ok(peak >= 1000 and restarted,
       f"1,000 media sessions at once ({peak}), control restarted while they were up")
    st = wait(lambda: (lambda m: m if m.get("sessions") == 0 else None)(media_sessions(env)),
              20, "every media session removed")
    ok(st["installed"] >= 1000 and st["failed"] == 0 and st["no_ports"] == 0,
       f"every call's media installed and removed: {st}")
    rc, ml = ctl(env, "media", "list")
    ok(rc == 0 and ml == [], f"media list is empty after the BYEs ({len(ml)} left)")


def main():
    env = Env(BUILD, SRC, "calls", workers=2,
              dataplane_extra="  sip: { media_timeout_s: 3 }\n")
    try:
        files = start_with_gateway_cert(env)
        wait(lambda: sip_status(env).get("workers"), 20, "sip counters in status")

        media_call(env, files, "unsecured (fabrikam, UDP, RTP)", "6000", "udp", "RTP/AVP")
        sipp_rtp_call(env)
        media_call(env, files, "secured (contoso, TLS, SRTP AES_CM_128_HMAC_SHA1_80)", "5000",
                   "tls", "RTP/SAVP", port=24002)
        media_call(env, files, "secured with AEAD_AES_128_GCM", "5000", "tls", "RTP/SAVP",
                   suite="AEAD_AES_128_GCM", port=24004)

        calls_verbs_and_drop(env, files)
        media_timeout(env, files)
        reinvite_hold_resume(env, files)
        control_restart_during_media(env, files)
        outbound_secured(env, files)
        refused(env, files, "RTP offered to a secured plan", "5000", "tls", "RTP/AVP",
                "RTP offered to a secured dial plan")
        refused(env, files, "SRTP offered to an unsecured plan", "6000", "udp", "RTP/SAVP",
                "SRTP offered to a dial plan that is not secured")
        refused(env, files, "a suite the secured plan does not allow", "5000", "tls",
                "RTP/SAVP", "no SRTP suite in common with the dial plan",
                suite="AEAD_AES_256_GCM")
        st = wait(lambda: (lambda x: x if x["proxy"]["refused_sdp"] >= 3 else None)(
            sip_status(env)), 5, "the refusals counted")
        ok(st["proxy"]["refused_sdp"] == 3 and st["media"]["sessions"] == 0,
           f"sip status: 3 offers refused, no media left ({st['proxy']['refused_sdp']}, "
           f"{st['media']})")
        thousand_calls(env)
        ok(env.dp.poll() is None, "the engine is up")
    except BaseException:
        report_failure(env)
        raise
    finally:
        env.stop()


if __name__ == "__main__":
    main()
