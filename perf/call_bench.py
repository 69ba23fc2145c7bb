#!/usr/bin/python3
"""call_bench: the CPU cost of calls with media, umedge next to Kamailio
with rtpengine in the same run.

Calls: INVITE with an SDP offer, 100, 180, 200 with the answer, ACK, BYE,
200, through the proxy, which anchors the media: umedge rewrites the SDP
and installs a media session on its worker; Kamailio 5.6 calls
rtpengine_manage() (module rtpengine) and Debian's rtpengine-daemon 10.5
does the same in userspace (no kernel module: -t -1). SIPp (Debian's
sip-tester) is caller and callee, each checks that the SDP it gets names a
relay's port. Three parts, each on both:

1. set-up and tear-down with SDP, no RTP, at several call rates: calls per
   core-second;
2. concurrent calls with 20 ms RTP held: every caller plays PCMU packets
   every 20 ms (SIPp's play_pcap_audio), the callee echoes them (-rtp_echo);
   the relayed packets are counted where they arrive (iptables counters in
   the peers' namespaces), the relay's CPU in a window where every call
   plays; figures: CPU per relayed packet, and 20 ms calls per core (a call
   is 100 relayed packets a second, 50 each way);
3. the set-up cost with 100 to 10,000 calls held up (no RTP; rtpengine as
   many as its open-file limit lets it, a socket per port): the held
   calls from earlier steps stay up, more are added, calls churn on top.

umedge's CPU: perf/bench_proxy.py UmedgeCost (the worker's busy TSC cycles,
less idle, and the CPU time of the dataplane's other threads and of
umedge-control). Kamailio's and rtpengine's: the CPU time of all their
processes and threads. The proxy measured has core 1 to itself, the peers
core 0. Prints the machine, the load average and the ratios.

usage (root): perf/call_bench.py BUILD_DIR [SOURCE_DIR] [--rates 100,300]
              [--secs S] [--warmup S] [--media-calls N] [--media-secs S]
              [--held 100,1000,4000,10000] [--held-rate R] [--out FILE]"""
import argparse
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time

from bench_host import host_lines
from bench_proxy import (Daemon, Sipp, UmedgeCost, common_args, cpu_seconds, finish,
                         iptables_count, kamailio, kamailio_config, kamailio_version, netns_add,
                         netns_del, on_proxy_cpu, pin_peers, start_umedge, stop_group)

SRC_DEFAULT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UAC_RTP, UAS_RTP = 7000, 6000  # the peers' media ports (four digits)
PTIME = 0.02

def write_rtp_pcap(path, secs):
    """A pcap of PCMU RTP, one 160-byte payload every 20 ms for secs
    (SIPp sends the UDP payloads with the capture's timing)."""
    n = int(secs / PTIME)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            rtp = struct.pack("!BBHII", 0x80, 0, i & 0xffff, 160 * i, 0x5eed0001) + \
                bytes([0xff]) * 160
            udp = struct.pack("!HHHH", UAC_RTP, 20000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1])) + udp
            frame = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + ip
            t = 1700000000 + i * PTIME
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1000000,
                                len(frame), len(frame)))
            f.write(frame)


class Peers:
    """Where each side's SIPp runs, for one of the two relays."""

    def __init__(self, ns_uac, ns_uas, target, uac_ip, uas_ip, uas_port):
        self.ns_uac, self.ns_uas, self.target = ns_uac, ns_uas, target
        self.uac_ip, self.uas_ip, self.uas_port = uac_ip, uas_ip, uas_port


def main():
    ap = common_args(argparse.ArgumentParser(), SRC_DEFAULT, "100,300", 30.0)
    ap.add_argument("--media-calls", type=int, default=100)
    ap.add_argument("--media-secs", type=float, default=14.0)
    ap.add_argument("--held", default="100,1000,4000,10000")
    ap.add_argument("--held-rate", type=int, default=200)
    a = ap.parse_args()
    a.src, a.build = os.path.abspath(a.src), os.path.abspath(a.build)
    sys.path.insert(0, os.path.join(a.src, "tests", "integration"))
    from dataplane_env import APP, EXT, GW, Env  # noqa: E402
    scen = os.path.join(a.src, "perf", "sipp")
    rates = [int(x) for x in a.rates.split(",")]
    held = [int(x) for x in a.held.split(",")] if a.held else []
    lines, results, skipped = [], {}, set()
    tmp = tempfile.mkdtemp(prefix="umedge-callbench-")
    sipp = Sipp(tmp)
    write_rtp_pcap(os.path.join(tmp, "rtp.pcap"), a.media_secs)
    media_rate = 50  # calls/s while the media calls are set up

    def say(s):
        print(s, flush=True)
        lines.append(s)

    def uas_start(pe, n, secs, echo=False):
        return sipp.start(pe.ns_uas, ["-sf", os.path.join(scen, "call_uas.xml"), "-i", pe.uas_ip,
                                      "-p", str(pe.uas_port), "-mi", pe.uas_ip, "-mp",
                                      str(UAS_RTP), "-m", str(n)] + (["-rtp_echo"] if echo else []),
                          secs)

    def uac_args(pe, hold_ms, media_port=UAC_RTP):
        # every SIPp of a namespace binds a media port of its own
        return ["-mi", pe.uac_ip, "-mp", str(media_port), "-d", str(int(hold_ms))]

    def churn(pe, rate, secs, own_uas=True):
        """rate calls/s with SDP for secs (to a callee of its own, or to
        the one already answering); (completed, offered)."""
        n = max(1, int(rate * secs))
        uas = uas_start(pe, n, secs + 30) if own_uas else None
        time.sleep(0.5)
        done, out = sipp.calls(pe.ns_uac, pe.target, pe.uac_ip, os.path.join(scen, "call_uac.xml"),
                               rate, n, secs + 10, uac_args(pe, 0))
        if done == 0:
            print(f"sipp: no call completed: {out[-1500:]}", file=sys.stderr)
        if uas is not None:
            Sipp.finish(uas, 30)
        return done, n

    def run(who, pe, measure, counted, detail=lambda: "", nodriver=lambda: None, max_held=None):
        """The three parts against one relay: measure() is a mark, and
        measure(mark) the core-seconds since; counted() the relayed RTP
        packets seen so far."""
        for rate in rates:
            m = measure()
            done, n = churn(pe, rate, a.secs)
            core_s = measure(m)
            results.setdefault(f"{rate} calls/s", {})[who] = (done, n, core_s, nodriver())
            say(f"{who:8s} {rate:5d} calls/s with SDP: {done}/{n} calls, {core_s:.3f} core-s -> "
                f"{done / core_s:8.0f} calls per core-second{detail()}")
        if a.media_calls > 0:
            n = a.media_calls
            uas = uas_start(pe, n, a.media_secs + 60, echo=True)
            time.sleep(0.5)
            setup = n / media_rate
            uac = sipp.start(pe.ns_uac, [pe.target, "-sf", os.path.join(scen, "call_uac_rtp.xml"),
                                         "-s", "6000", "-i", pe.uac_ip, "-p", "5071", "-m",
                                         str(n), "-r", str(media_rate), "-l", str(n)] +
                             uac_args(pe, (a.media_secs + 0.5) * 1000), a.media_secs + setup + 30)
            time.sleep(setup + 1.0)
            m, p0, t0 = measure(), counted(), time.time()
            time.sleep(max(1.0, a.media_secs - setup - 2.0))
            core_s, pkts, secs = measure(m), counted() - p0, time.time() - t0
            done = Sipp.finish(uac, a.media_secs + setup + 60)
            Sipp.finish(uas, 30)
            per_pkt = core_s / max(1, pkts)
            calls_per_core = 1 / (per_pkt * 2 / PTIME) if pkts else 0.0
            nd = nodriver()
            results.setdefault("media", {})[who] = (done, n, per_pkt,
                                                    nd / max(1, pkts) if nd else None)
            say(f"{who:8s} {n} calls with 20 ms RTP both ways ({done} completed): {pkts} packets "
                f"relayed in {secs:.1f} s ({pkts / secs:.0f}/s), {core_s:.3f} core-s -> "
                f"{per_pkt * 1e9:.0f} ns per packet, {calls_per_core:.0f} such calls per core"
                f"{detail()}")
        have, holders, huas = 0, [], None
        try:
            if held:
                # one callee for the held calls and the churn on top
                huas = uas_start(pe, int(held[-1] + 10 * a.held_rate * a.secs * len(held)),
                                3600)
            for i, k in enumerate(held):
                if max_held is not None and k > max_held:
                    say(f"{who:8s} {k:6d} calls held: not run, more than the {max_held} this "
                        "machine's open-file limit lets it hold")
                    skipped.add(f"held {k}")
                    continue
                add = k - have
                if add > 0:
                    hr = min(500, max(50, add // 10))
                    holders.append(sipp.start(pe.ns_uac, [pe.target, "-sf",
                                                          os.path.join(scen, "call_uac.xml"),
                                                          "-s", "6000", "-i", pe.uac_ip, "-p",
                                                          str(5100 + i), "-m", str(add), "-r",
                                                          str(hr), "-l", str(add)] +
                                              uac_args(pe, 3_000_000, 7100 + 10 * i), 3000))
                    time.sleep(add / hr + 3)
                    have = k
                m = measure()
                done, n = churn(pe, a.held_rate, a.secs, own_uas=False)
                core_s = measure(m)
                results.setdefault(f"held {k}", {})[who] = (done, n, core_s, nodriver())
                say(f"{who:8s} {k:6d} calls held, {a.held_rate} calls/s with SDP on top: "
                    f"{done}/{n} calls, {core_s:.3f} core-s -> {done / core_s:8.0f} calls per "
                    f"core-second{detail()}")
        finally:
            for h in holders:
                stop_group(h)
            stop_group(huas)

    for line in host_lines("call_bench"):
        say(line)
    say("(2 cores: the relay measured has core 1, SIPp and the rest core 0; the rate SIPp "
        "reaches is not the relay's capacity, the CPU per call is)")
    say(f"calls: INVITE(SDP)/100/180/200(SDP)/ACK/BYE/200, UDP, {a.secs:.0f} s per rate; "
        f"rates {rates} calls/s; media: {a.media_calls} calls playing 20 ms PCMU for "
        f"{a.media_secs:.0f} s, echoed; held: {held} at {a.held_rate} calls/s")

    # ---- umedge ----
    env = Env(a.build, a.src, "callb", workers=1, idle="busy",
              media_ports="external: 10000-39999, internal: 40000-64999",
              dataplane_extra="  sip: { max_transactions: 65536, max_calls: 16384, "
                              "media_timeout_s: 3600 }\n")
    try:
        _, hz = start_umedge(env)
        pe = Peers(env.ns_gw, env.ns_app, f"{EXT}:5060", GW, APP, 5060)
        churn(pe, rates[0], 3)  # warm up
        cost = UmedgeCost(env, hz)
        say(f"umedge: 1 worker (busy polling), idle cost {cost.idle_rate / hz * 100:.2f}% of a "
            "core subtracted; other threads and umedge-control counted")
        gw_rx = iptables_count(env.ns_gw, [UAC_RTP])
        app_rx = iptables_count(env.ns_app, [UAS_RTP])

        run("umedge", pe, cost.measure, lambda: gw_rx() + app_rx(), cost.detail,
            lambda: cost.last["worker"] - cost.last["port"] + cost.last["other"])
    finally:
        env.stop()

    # ---- Kamailio + rtpengine ----
    if not (os.path.exists("/usr/sbin/kamailio") and os.path.exists("/usr/bin/rtpengine")):
        say("kamailio or rtpengine not installed (scripts/setup installs them): no reference")
    else:
        ns = f"callbk{os.getpid() % 100000}"
        cfg = os.path.join(tmp, "kamailio-callbench.cfg")
        with open(cfg, "w") as f:
            f.write(kamailio_config("call_bench.py", media=True))
        netns_add(ns)
        kam = rtpe = None
        span = a.warmup + (len(rates) + len(held)) * (a.secs + 60) + a.media_secs + 600
        try:
            say("kamailio: " + kamailio_version())
            say("rtpengine: " + subprocess.run(["rtpengine", "--version"], stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT,
                                               text=True).stdout.strip())
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            nofile = hard if hard != resource.RLIM_INFINITY else 1 << 20
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
            say(f"rtpengine's open-file limit: {nofile}")
            rpid = os.path.join(tmp, "rtpengine.pid")
            rtpe = Daemon(ns, on_proxy_cpu(["rtpengine", "--config-file=none", "-f", "-E",
                                            "-L", "4", "-t", "-1", "-i", "127.0.0.1",
                                            "-n", "127.0.0.1:2223", "-m", "20000", "-M",
                                            "65000", "-o", "3600", "-a", "0",
                                            "--delete-delay=0", "-p", rpid]), span, rpid,
                          log=os.path.join(tmp, "rtpengine.log"))
            time.sleep(2)
            rtpe.check("rtpengine")
            kam = kamailio(ns, cfg, tmp, span)
            pin_peers()
            say(f"kamailio started: -x tlsf -m 256 -M 32, shm_force_alloc, children=1, debug=0, "
                f"rtpengine_manage() with replace-origin replace-session-connection; rtpengine: "
                f"userspace (-t -1), its default threads, log level 4; both on core 1 in "
                f"namespace {ns}; warm-up {a.warmup:.0f} s at {rates[-1]} calls/s")
            pe = Peers(ns, ns, "127.0.0.1:5060", "127.0.0.1", "127.0.0.1", 5090)
            churn(pe, rates[-1], a.warmup)
            rx = iptables_count(ns, [UAC_RTP, UAS_RTP])

            def measure(m=None):
                c = cpu_seconds(kam.pids() + rtpe.pids())
                return c if m is None else max(1e-9, c - m)

            # rtpengine holds a socket per port, 4 a call (RTP and RTCP each
            # side); the open-file limit (raised to its hard limit, which
            # root without CAP_SYS_RESOURCE cannot raise) caps the calls held
            run("kam+rtpe", pe, measure, rx, max_held=(nofile - 1000) // 4 - a.held_rate * 2)
        finally:
            if kam is not None:
                kam.stop()
            if rtpe is not None:
                rtpe.stop()
            netns_del(ns)

    say("")
    say(f"{'':>22}  {'umedge':>12}  {'kamailio+rtpengine':>18}  ratio  "
        f"{'umedge w/o TAP driver':>21}  ratio")
    nan = float("nan")

    def per_core(v, media):
        if not v:
            return nan
        return 1 / (v * 2 / PTIME) if media else v

    for key, r in results.items():
        u, k = r.get("umedge"), r.get("kam+rtpe")
        media = key == "media"
        if media:
            uv, un, kv = [per_core(x, True) for x in (u and u[2], u and u[3], k and k[2])]
            label = "20 ms calls per core"
        else:
            uv = u[0] / u[2] if u else nan
            un = u[0] / u[3] if u and u[3] else nan
            kv = k[0] / k[2] if k else nan
            label = f"{key} calls/core-s"
        ok = kv == kv and kv
        say(f"{label:>22}  {uv:12.0f}  {kv:18.0f}  {uv / kv if ok else nan:5.2f}x  "
            f"{un:21.0f}  {un / kv if ok else nan:5.2f}x")
    short = [f"{who} {key}: {r[who][0]}/{r[who][1]}" for key, r in results.items()
             for who in r if r[who][0] < 0.95 * r[who][1]]
    missing = [key for key, r in results.items() if len(r) < 2 and key not in skipped]
    finish("call_bench", say, lines, tmp, a.out, "rtpengine's and Kamailio's",
           f"calls failed ({short}) or a relay missing at {missing}"
           if short or missing or not results else "")


if __name__ == "__main__":
    main()
