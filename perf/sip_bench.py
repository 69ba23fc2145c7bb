#!/usr/bin/python3
"""sip_bench: the CPU cost of a call through the SIP proxy, umedge next to
Kamailio in the same run, as calls per core-second.

Call: INVITE, 100, 180, 200, ACK, BYE, 200, no SDP, through the proxy;
SIPp (Debian's sip-tester) is the caller and the callee, at the same call
rates for both proxies, every process under timeout(1).

- umedge: one worker on TAP ports (tests/integration/dataplane_env.py),
  SIPp in the gateway and application namespaces, over UDP. A poll-mode
  core's CPU time says nothing, so the cost is the worker's own count of
  TSC cycles in the loop iterations that did work (packets, or the proxy's
  timers: status.dataplane.workers[].busy_cycles), less what the same
  iterations cost idle (measured first, without calls). Everything the
  worker does for a call is in it: RX, IP/UDP, dispatch, the proxy and
  its transactions, TX (on TAP ports, a system call per packet each
  way). Added to it: the CPU time of the dataplane's other threads and of
  umedge-control, which carry the call events to events.jsonl
  (perf/bench_proxy.py, UmedgeCost).
- Kamailio 5.6 (Debian): a transaction-stateful proxy with record-routing
  (tm, rr, sl, maxfwd, siputils), one UDP worker (children=1), run as
  operators run it: the TLSF memory manager (-x tlsf), shared and private
  memory sized and pre-touched (shm_force_alloc), logging at warnings,
  warmed up under load before it is measured. Its cost is the CPU time
  of all its processes and threads (/proc/PID/task/TID/schedstat, in
  ns). SIPp and Kamailio on the loopback of a namespace of their own.

Both: calls completed (SIPp's successful calls) divided by the core
seconds used. Prints the machine, the load average, how each figure was
obtained, and the ratio at each rate.

usage (root): perf/sip_bench.py BUILD_DIR [SOURCE_DIR] [--rates 100,300,600]
              [--secs S] [--warmup S] [--out FILE]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench_host import host_lines
from bench_proxy import (Sipp, UmedgeCost, common_args, cpu_seconds, finish, kamailio,
                         kamailio_config, kamailio_version, netns_add, netns_del, start_umedge)

# messages through the proxy per call: 6 in (INVITE, 180, 200, ACK, BYE,
# 200), 7 out (the same and its 100 Trying)
MSGS = 13
SRC_DEFAULT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KAMAILIO_TLS_CFG = """[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = {key}
certificate = {cert}
ca_list = {ca}

[client:default]
verify_certificate = no
require_certificate = no
"""


def main():
    ap = common_args(argparse.ArgumentParser(), SRC_DEFAULT, "100,300,600", 40.0)
    ap.add_argument("--tls-calls", type=int, default=2000,
                    help="calls over TLS (0: none), on --tls-conns persistent connections")
    ap.add_argument("--tls-conns", type=int, default=20)
    ap.add_argument("--idle", default="busy", choices=["busy", "backoff"],
                    help="the worker's idle mode (busy: a poll-mode core, as in production)")
    a = ap.parse_args()
    a.src, a.build = os.path.abspath(a.src), os.path.abspath(a.build)
    sys.path.insert(0, os.path.join(a.src, "tests", "integration"))
    sys.path.insert(0, os.path.join(a.src, "perf"))
    from dataplane_env import APP, EXT, GW, PY, Env  # noqa: E402
    from sip_peers import tls_ua_result, tls_ua_start  # noqa: E402
    import certs  # noqa: E402
    scen = os.path.join(a.src, "tests", "integration", "sipp")
    rates = [int(x) for x in a.rates.split(",")]
    lines = []

    def say(s):
        print(s, flush=True)
        lines.append(s)

    tmp = tempfile.mkdtemp(prefix="umedge-sipbench-")
    sipp = Sipp(tmp)

    def run_calls(ns_uac, ns_uas, uac_target, uac_ip, uas_ip, uas_port, rate, secs):
        n = max(1, int(rate * secs))
        uas = sipp.start(ns_uas, ["-sf", os.path.join(scen, "uas.xml"), "-i", uas_ip, "-p",
                                  str(uas_port), "-m", str(n)], secs)
        time.sleep(0.5)
        done, out = sipp.calls(ns_uac, uac_target, uac_ip, os.path.join(scen, "uac.xml"),
                               rate, n, secs)
        if done == 0:
            print(f"sipp: no call completed: {out[-1500:]}", file=sys.stderr)
        Sipp.finish(uas, 30)
        return done, n

    for line in host_lines("sip_bench"):
        say(line)
    say("(2 cores shared by the proxy and both SIPp: the rate SIPp reaches is not the "
        "proxy's capacity, the CPU per call is)")
    say(f"calls: INVITE/100/180/200/ACK/BYE/200 without SDP, UDP, {a.secs:.0f} s per rate; "
        f"rates {rates} calls/s")
    results = {}

    # ---- umedge ----
    env = Env(a.build, a.src, "sipb", workers=1, idle=a.idle,
              dataplane_extra="  sip: { max_transactions: 65536 }\n")
    try:
        files, hz = start_umedge(env)
        run_calls(env.ns_gw, env.ns_app, f"{EXT}:5060", GW, APP, 5060, rates[0], 3)  # warm up
        cost = UmedgeCost(env, hz)
        say(f"umedge: 1 worker, idle {a.idle}; busy cycles with no calls: "
            f"{cost.idle_rate / hz * 100:.2f}% of a core (the proxy's 1 ms timer tick), "
            "subtracted below; the dataplane's other threads and umedge-control "
            f"({cost.other_idle * 100:.2f}% of a core with no calls) counted as they are")

        def umedge_line(what, done, n, m, extra=""):
            c = cost.since(m)
            core_s = c["worker"] + c["other"]
            path = max(1e-9, c["worker"] - c["port"])
            say(f"umedge  {what}: {done}/{n} calls{extra}, worker busy {c['worker']:.3f} core-s "
                f"(of it {c['port'] / c['worker'] * 100:.0f}% in the TAP driver's RX/TX) + "
                f"other threads {c['other']:.3f} -> {done / core_s:10.0f} calls per core-second "
                f"({MSGS * done / core_s:10.0f} messages per core-second); without the TAP "
                f"driver {done / (path + c['other']):.0f}")
            return core_s, path + c["other"]

        for rate in rates:
            m = cost.mark()
            done, n = run_calls(env.ns_gw, env.ns_app, f"{EXT}:5060", GW, APP, 5060, rate,
                                a.secs)
            results.setdefault(rate, {})["umedge"] = (
                done, n, umedge_line(f"{rate:5d} calls/s", done, n, m))
        if a.tls_calls > 0:
            # the gateway over mutual TLS (pilot 5000: a secured plan), the
            # application over UDP
            uas = sipp.start(env.ns_app, ["-sf", os.path.join(scen, "uas.xml"), "-i", APP,
                                          "-p", "5060", "-m", str(a.tls_calls)], 120)
            time.sleep(0.5)
            m = cost.mark()
            r = tls_ua_result(tls_ua_start(env, files, "5000", calls=a.tls_calls,
                                           conns=a.tls_conns, timeout=120, hold=0.2), 200)
            done = r["completed"]
            results.setdefault("tls", {})["umedge"] = (
                done, a.tls_calls, umedge_line("TLS", done, a.tls_calls, m,
                                               f" on {a.tls_conns} connections"))
            Sipp.finish(uas, 60)
    finally:
        env.stop()

    # ---- Kamailio ----
    if not os.path.exists("/usr/sbin/kamailio"):
        say("kamailio: not installed (scripts/setup installs it): no reference")
    else:
        ns = f"sipbk{os.getpid() % 100000}"
        cfg = os.path.join(tmp, "kamailio-sipbench.cfg")
        ca = certs.CA("kamailio bench root")
        ca.write(os.path.join(tmp, "kca.pem"))
        srv, srv_key = certs.leaf("um1.example.test", ca)
        certs.write_pair(tmp, "kam", srv, srv_key)
        gw, gw_key = certs.leaf("gw1.example.test", ca)
        certs.write_pair(tmp, "kgw", gw, gw_key)
        tls_cfg = os.path.join(tmp, "kamailio-tls.cfg")
        with open(tls_cfg, "w") as f:
            f.write(KAMAILIO_TLS_CFG.format(key=os.path.join(tmp, "kam.key"),
                                            cert=os.path.join(tmp, "kam.pem"),
                                            ca=os.path.join(tmp, "kca.pem")))
        with open(cfg, "w") as f:
            f.write(kamailio_config("sip_bench.py", tls_cfg=tls_cfg))
        netns_add(ns)
        kam = None
        try:
            say("kamailio: " + kamailio_version())
            kam = kamailio(ns, cfg, tmp, a.warmup + len(rates) * (a.secs + 40) + 120)
            say(f"kamailio started: -x tlsf -m 256 -M 32, shm_force_alloc, children=1, "
                f"debug=0 (warnings), UDP on the loopback of namespace {ns}; warm-up "
                f"{a.warmup:.0f} s at {rates[-1]} calls/s")
            run_calls(ns, ns, "127.0.0.1:5060", "127.0.0.1", "127.0.0.1", 5090, rates[-1],
                      a.warmup)
            for rate in rates:
                pids = kam.pids()
                c0 = cpu_seconds(pids)
                done, n = run_calls(ns, ns, "127.0.0.1:5060", "127.0.0.1", "127.0.0.1", 5090,
                                    rate, a.secs)
                core_s = max(1e-9, cpu_seconds(pids) - c0)
                results.setdefault(rate, {})["kamailio"] = (done, n, core_s)
                say(f"kamailio {rate:5d} calls/s: {done}/{n} calls, {len(pids)} processes used "
                    f"{core_s:.3f} core-s -> {done / core_s:10.0f} calls per core-second "
                    f"({MSGS * done / core_s:10.0f} messages per core-second)")
            if a.tls_calls > 0:
                uas = sipp.start(ns, ["-sf", os.path.join(scen, "uas.xml"), "-i", "127.0.0.1",
                                      "-p", "5090", "-m", str(a.tls_calls)], 120)
                time.sleep(0.5)
                spec = {"engine": ["127.0.0.1", 5061], "cert": os.path.join(tmp, "kgw.pem"),
                        "key": os.path.join(tmp, "kgw.key"), "ca": os.path.join(tmp, "kca.pem"),
                        "sni": "um1.example.test", "src": "127.0.0.1", "pilot": "5000",
                        "calls": a.tls_calls, "conns": a.tls_conns, "timeout": 120,
                        "hold": 0.2}
                pids = kam.pids()
                c0 = cpu_seconds(pids)
                p = subprocess.run(["ip", "netns", "exec", ns, "timeout", "180", PY,
                                    os.path.join(a.src, "tests", "integration", "sip_tls_ua.py"),
                                    json.dumps(spec)], capture_output=True, text=True,
                                   timeout=240)
                core_s = max(1e-9, cpu_seconds(pids) - c0)
                Sipp.finish(uas, 60)
                r = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {}
                done = r.get("completed", 0)
                results.setdefault("tls", {})["kamailio"] = (done, a.tls_calls, core_s)
                say(f"kamailio TLS: {done}/{a.tls_calls} calls on {a.tls_conns} connections, "
                    f"{len(pids)} processes used {core_s:.3f} core-s -> "
                    f"{done / core_s:10.0f} calls per core-second {p.stderr[-300:]}")
        finally:
            if kam is not None:
                kam.stop()
            netns_del(ns)

    say("")
    say(f"{'rate':>6}  {'umedge calls/core-s':>20}  {'kamailio calls/core-s':>22}  ratio"
        f"  {'umedge w/o TAP driver':>22}  ratio")
    nan = float("nan")
    for rate in rates + (["tls"] if a.tls_calls > 0 else []):
        r = results.get(rate, {})
        u = r.get("umedge")
        k = r.get("kamailio")
        uc, up = (u[0] / u[2][0], u[0] / u[2][1]) if u else (nan, nan)
        kc = k[0] / k[2] if k else nan
        say(f"{rate:>6}  {uc:20.0f}  {kc:22.0f}  {uc / kc if k and kc else nan:5.2f}x"
            f"  {up:22.0f}  {up / kc if k and kc else nan:5.2f}x")
    short = [f"{who} at {rate}/s: {r[who][0]}/{r[who][1]}" for rate, r in results.items()
             for who in r if r[who][0] < 0.95 * r[who][1]]
    missing = [rate for rate in rates + (["tls"] if a.tls_calls > 0 else [])
               if len(results.get(rate, {})) < 2]
    finish("sip_bench", say, lines, tmp, a.out, "Kamailio's",
           f"calls failed ({short}) or a proxy missing at {missing}" if short or missing else "")


if __name__ == "__main__":
    main()
