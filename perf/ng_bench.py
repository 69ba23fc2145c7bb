#!/usr/bin/python3
"""ng_bench: umedge driven over rtpengine's ng protocol, next to Debian's
rtpengine-daemon 10.5 (userspace forwarding, -t -1) in the same run, with
the same load (perf/ng_load.py, in the application's namespace on core 0;
the relay has core 1 to itself).

1. ng transactions: calls of offer (RTP/AVP from the internal side to
   RTP/SAVP with SDES: keys drawn), answer (RTP/SAVP with a key: SRTP
   contexts made, the session installed), delete, 32 commands in flight,
   for --secs: calls and ng messages per core-second of the relay.
2. media of ng-made sessions: --sessions calls set up over ng, then RTP
   from the application to each (round robin, --pps in all: 50 a session,
   20 ms calls, by default), encrypted to SRTP towards the gateway, for
   --media-secs: packets delivered to the gateway's namespace (an iptables
   DROP rule counts them) per core-second of the relay. Then the same
   offered at --pps-high (300,000 a second by default), past what either
   relay forwards on this machine: its capacity per core (rtpengine
   discards what its receive queues cannot hold, umedge's port what its
   ring cannot). The RTP comes from perf/udp_pace (sendmmsg).

umedge's CPU is perf/bench_proxy.py UmedgeCost (the worker's busy TSC
cycles less idle, and the dataplane's other threads and umedge-control);
its share in the port driver is shown apart: net_tap by default (a system
call per packet), or net_af_xdp on veth pairs with --ports af_xdp (rings
shared with the kernel, a system call per burst), where a NIC's PMD
takes tens of ns. rtpengine's: the CPU time of all its
threads.

usage (root): perf/ng_bench.py BUILD_DIR [SOURCE_DIR] [--secs S]
              [--sessions N] [--pps N] [--pps-high N] [--media-secs S]
              [--out FILE]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench_host import host_lines
from bench_proxy import (Daemon, UmedgeCost, cpu_seconds, finish, netns_add, netns_del,
                         on_proxy_cpu, pin_peers, start_umedge)

SRC_DEFAULT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
NG_PORT = 2223
GW_MEDIA = "7400:9999"


def delivered(ns):
    """Counts the SRTP reaching the gateway's media ports in ns, dropped
    there by iptables (no socket: no ICMP back to the relay). A reader."""
    subprocess.run(["ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-p", "udp",
                    "--dport", GW_MEDIA, "-j", "DROP"], check=True)

    def read():
        out = subprocess.run(["ip", "netns", "exec", ns, "iptables", "-L", "INPUT", "-v", "-n",
                              "-x"], capture_output=True, text=True, check=True).stdout
        return sum(int(f.split()[0]) for f in out.splitlines()
                   if f.split() and f.split()[0].isdigit() and "dpts:" + GW_MEDIA in f)
    return read


def load(ns, args, secs, marks=None):
    """ng_load.py in ns on the peers' core; marks: called at its "go" and
    "done" lines (the media phase). Returns its JSON."""
    p = subprocess.Popen(["ip", "netns", "exec", ns, "timeout", str(int(secs) + 120),
                          "taskset", "-c", "0", "/usr/bin/python3",
                          os.path.join(HERE, "ng_load.py")] + [str(a) for a in args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    if marks is not None:
        for line in p.stderr:
            seen.append(line)
            if line.strip() in marks:
                marks[line.strip()]()
            if line.strip() == "done":
                break
    out, err = p.communicate(timeout=secs + 150)
    err = "".join(seen) + err
    if p.returncode != 0:
        raise RuntimeError(f"ng_load {args[0]}: {err[-1500:]}")
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("src", nargs="?", default=SRC_DEFAULT)
    ap.add_argument("--secs", type=float, default=20.0)
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--pps", type=int, default=25000)
    ap.add_argument("--pps-high", type=int, default=300000)
    ap.add_argument("--media-secs", type=float, default=15.0)
    ap.add_argument("--ports", choices=("tap", "af_xdp"), default="tap",
                    help="umedge's ports: net_tap (default) or net_af_xdp on veth pairs")
    ap.add_argument("--out")
    a = ap.parse_args()
    a.src, a.build = os.path.abspath(a.src), os.path.abspath(a.build)
    sys.path.insert(0, os.path.join(a.src, "tests", "integration"))
    from dataplane_env import APP, EXT, GW, INT, Env  # noqa: E402
    lines, res = [], {}
    pace = os.path.join(a.build, "perf", "udp_pace")
    driver = "AF_XDP" if a.ports == "af_xdp" else "TAP"
    tmp = tempfile.mkdtemp(prefix="umedge-ngbench-")

    def say(s):
        print(s, flush=True)
        lines.append(s)

    for line in host_lines("ng_bench"):
        say(line)
    say(f"ng: offer(RTP/AVP -> RTP/SAVP, SDES)/answer(RTP/SAVP)/delete, 32 in flight, "
        f"{a.secs:.0f} s; media: {a.sessions} ng-made sessions, RTP in, SRTP out, {a.pps} "
        f"packets/s in all, {a.media_secs:.0f} s; the load on core 0, the relay on core 1")

    def run(who, ns_app, ns_gw, measure, detail=lambda: "", nodriver=lambda: None,
            fresh=lambda: None):
        m = measure()
        r = load(ns_app, ["calls", INT, NG_PORT, a.secs, 32], a.secs)
        core_s = measure(m)
        res[(who, "ng")] = r["calls"] / core_s
        say(f"{who:9s} ng: {r['calls']} calls ({r['messages']} messages, {r['errors']} errors) "
            f"in {r['secs']:.1f} s, {core_s:.3f} core-s -> {r['calls'] / core_s:8.0f} calls, "
            f"{r['messages'] / core_s:8.0f} ng messages per core-second{detail()}")
        rx = delivered(ns_gw)
        for label, pps in (("media", a.pps), ("flood", a.pps_high)):
            fresh()
            st = {}
            r = load(ns_app, ["media", INT, NG_PORT, a.sessions, a.media_secs, pps, pace],
                     a.media_secs,
                     {"go": lambda st=st: st.update(m=measure(), p=rx(), t=time.time()),
                      "done": lambda st=st: st.update(c=measure(st["m"]), q=rx() - st["p"],
                                                      s=time.time() - st["t"])})
            per = st["q"] / st["c"] if st.get("c") else 0.0
            res[(who, label)] = per
            nd = nodriver()
            if nd:
                res[(who, label + "_nodriver")] = st["q"] / nd
            say(f"{who:9s} {label} ({pps} packets/s offered): {r['sent']} RTP packets sent in "
                f"{r['secs']:.1f} s, {st['q']} SRTP delivered ({st['q'] / st['s']:.0f}/s), "
                f"{st['c']:.3f} core-s -> {per:10.0f} packets per core-second{detail()}" +
                (f"; without the port driver {st['q'] / nd:.0f}" if nd else ""))

    # ---- umedge ----
    env = Env(a.build, a.src, "ngbench", workers=1, idle="busy", ng=True, ports=a.ports,
              media_ports="external: 10000-29999, internal: 30000-49999")
    try:
        _, hz = start_umedge(env)
        cost = UmedgeCost(env, hz)
        say(f"umedge: 1 worker (busy polling), {driver} ports, idle cost "
            f"{cost.idle_rate / hz * 100:.2f}% of a core subtracted; other threads and "
            "umedge-control counted")
        run("umedge", env.ns_app, env.ns_gw, cost.measure, lambda: cost.detail(driver),
            cost.nodriver)
    finally:
        env.stop()

    # ---- rtpengine ----
    if not os.path.exists("/usr/bin/rtpengine"):
        say("rtpengine not installed (scripts/setup installs it): no reference")
    else:
        tag = os.getpid() % 100000
        ns_r, ns_g, ns_a = f"ngbr{tag}", f"ngbg{tag}", f"ngba{tag}"
        for ns in (ns_r, ns_g, ns_a):
            netns_add(ns)
        rtpe = None
        try:
            for t, peer, mine, theirs in (("e", ns_g, EXT, GW), ("i", ns_a, INT, APP)):
                x, y = f"nbr{tag}{t}", f"nbr{tag}{t}p"
                subprocess.run(["ip", "link", "add", x, "type", "veth", "peer", "name", y],
                               check=True)
                subprocess.run(["ip", "link", "set", x, "netns", ns_r], check=True)
                subprocess.run(["ip", "link", "set", y, "netns", peer], check=True)
                for ns, dev, addr in ((ns_r, x, mine), (peer, y, theirs)):
                    subprocess.run(["ip", "netns", "exec", ns, "ip", "addr", "add", addr + "/24",
                                    "dev", dev], check=True)
                    subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", dev, "up"],
                                   check=True)
            v = subprocess.run(["rtpengine", "--version"], capture_output=True, text=True)
            say("rtpengine: " + (v.stdout + v.stderr).strip().splitlines()[-1])
            def start_rtpengine():
                d = Daemon(ns_r, on_proxy_cpu(
                    ["rtpengine", "--config-file=none", "-f", "-E", "-L", "4", "-t", "-1",
                     "--interface", f"internal/{INT}", "--interface", f"external/{EXT}",
                     "-n", f"{INT}:{NG_PORT}", "-m", "20000", "-M", "49999", "-o", "3600",
                     "--delete-delay=0", "-p", os.path.join(tmp, "rtpengine.pid")]),
                    a.secs + a.media_secs + 600, os.path.join(tmp, "rtpengine.pid"),
                    log=os.path.join(tmp, "rtpengine.log"))
                time.sleep(2)
                d.check("rtpengine")
                return d

            rtpe = start_rtpengine()

            def fresh():
                # a second media phase on the same rtpengine forwarded nothing
                # here (its freed ports, reused at once?): each phase gets a
                # fresh daemon
                nonlocal rtpe
                rtpe.stop()
                rtpe = start_rtpengine()
            pin_peers()
            say("rtpengine: userspace (-t -1), its default threads, log level 4, core 1")

            def rmeasure(m=None):
                c = cpu_seconds(rtpe.pids())
                return c if m is None else max(1e-9, c - m)

            run("rtpengine", ns_a, ns_g, rmeasure, fresh=fresh)
        finally:
            if rtpe is not None:
                rtpe.stop()
            for ns in (ns_r, ns_g, ns_a):
                netns_del(ns)

    say("")
    for what, unit in (("ng", "calls (offer/answer/delete) per core-second"),
                       ("media", f"SRTP packets out per core-second at {a.pps}/s"),
                       ("flood", f"SRTP packets out per core-second offered {a.pps_high}/s")):
        u, r = res.get(("umedge", what)), res.get(("rtpengine", what))
        if u and r:
            say(f"{what:6s} umedge {u:10.0f}  rtpengine {r:10.0f}  ratio {u / r:6.2f}x  ({unit})")
        u = res.get(("umedge", what + "_nodriver"))
        if u and r:
            say(f"{what:6s} umedge {u:10.0f}  rtpengine {r:10.0f}  ratio {u / r:6.2f}x  (the same, "
                f"umedge without its {driver} port driver)")
    finish("ng_bench", say, lines, tmp, a.out, "rtpengine's",
           "" if res.get(("rtpengine", "ng")) else "no reference figure")


if __name__ == "__main__":
    main()
