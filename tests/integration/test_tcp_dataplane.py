#!/usr/bin/python3
"""The workers' TCP (issue 5) end to end, Linux as the peer, from the gateway
namespace through umedge-dataplane (two workers, software dispatch) with
umedge-control for `umedgectl status`:

1. 200 concurrent connections to the TCP echo each send 1 MiB of random data
   and get it back, byte for byte;
2. the engine opens connections itself (dataplane.tcp_dial, then
   `umedgectl diag tcp-connect`) to a Linux echo listener in the gateway
   namespace and checks the echo; `umedgectl diag tcp-conns` lists a live
   connection with its counters;
3. scapy: an in-window RST and a SYN get challenge ACKs and the connection
   survives, an out-of-window segment is ACKed and dropped, the exact RST
   resets it; counted under their reasons;
4. a SYN flood from spoofed 203.0.113.0/24 sources (up to 4000 SYNs in
   20 s; SYN cookies) while an established
   connection keeps echoing; mbufs and RSS flat;
5. clean exit, every mbuf back; then the same 200 x 1 MiB with 2% drop and
   2% reordering injected on both directions (dataplane.tcp_fault).

usage: test_tcp_dataplane.py BUILD_DIR SOURCE_DIR
UMEDGE_TCP_CONNS / UMEDGE_TCP_KIB shrink the echo runs for a quick try."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import EXT, GW, HERE, PY, Env, ok, wait  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
CONNS = int(os.environ.get("UMEDGE_TCP_CONNS", "200"))
BYTES = int(os.environ.get("UMEDGE_TCP_KIB", "1024")) * 1024
ECHO, DIAL_PORT, DIAL_CONNS = 7, 9000, 20


def dataplane_extra(fault):
    text = (f"  tcp_echo_port: {ECHO}\n"
            "  tcp: { max_connections: 256, max_per_source: 256, half_open: 64, "
            "buffer_kib: 64 }\n"
            f"  tcp_dial: {{ address: {GW}, port: {DIAL_PORT}, connections: {DIAL_CONNS}, "
            f"bytes: {BYTES} }}\n")
    if fault:
        text += "  tcp_fault: { drop: 0.02, reorder: 0.02 }\n"
    return text


def ctl_status(env):
    r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                        "--json", "status"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"umedgectl status: {r.stdout} {r.stderr}")
    return json.loads(r.stdout)


def tcp_stats(env):
    """dataplane.tcp from a stats notification sent after this call."""
    time.sleep(2.2)
    return ctl_status(env)["dataplane"]["tcp"]


def peer(env, *args, timeout=60):
    r = subprocess.run(["ip", "netns", "exec", env.ns_gw, PY, os.path.join(HERE, "tcp_peer.py")]
                       + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"tcp_peer {args[0]} failed: {r.stderr.strip()[-2000:]}")
    return json.loads(r.stdout)


def peer_bg(env, *args):
    return subprocess.Popen(["ip", "netns", "exec", env.ns_gw, PY,
                             os.path.join(HERE, "tcp_peer.py")] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(fault):
    env = Env(BUILD, SRC, "tcd", workers=2, dataplane_extra=dataplane_extra(fault))
    try:
        env.start_control()
        env.start_dataplane()
        # the engine dials DIAL_DELAY_MS after start-up; SYN retransmissions
        # cover a listener that comes up a little later
        server = peer_bg(env, "echo_server", DIAL_PORT, DIAL_CONNS, 150)
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 1, 20, "hello accepted")
    except BaseException:
        # nothing of a failed start may outlive the test
        env.stop()
        raise
    return env, server


def echo_run(env, what, secs):
    res = peer(env, "echo_clients", EXT, ECHO, CONNS, BYTES, secs, timeout=secs + 30)
    ok(res["good"] == CONNS,
       f"{what}: {CONNS} concurrent connections echoed {BYTES} bytes each, byte for byte "
       f"({res})")
    return res


def dial_check(env, server, what):
    try:
        sout, serr = server.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        server.kill()
        sout, serr = server.communicate()
    srv = json.loads(sout) if sout.strip() else {"error": serr[-500:]}
    dial = wait(lambda: (lambda d: d if d["ok"] + d["failed"] >= DIAL_CONNS else None)(
        ctl_status(env)["dataplane"]["tcp"]["dial"]), 30, "dial outcome")
    ok(dial["ok"] == DIAL_CONNS and dial["mismatches"] == 0 and
       dial["bytes_verified"] == DIAL_CONNS * BYTES,
       f"{what}: the engine opened {DIAL_CONNS} connections to a Linux listener and "
       f"verified the echo (dial {dial}, listener {srv})")


def run_clean():
    env, server = start(fault=False)
    try:
        t0 = tcp_stats(env)
        ok(t0["stacks"] == 2 and t0["listeners"] >= 1, f"two TCP stacks, echo listening ({t0['stacks']})")
        res = echo_run(env, "clean", 150)
        print(f"# clean echo: {res['secs']} s for {res['mbytes_each_way']} MB each way",
              flush=True)
        dial_check(env, server, "clean")

        # the same through the CLI: umedgectl diag tcp-connect, relayed by control
        d0 = ctl_status(env)["dataplane"]["tcp"]["dial"]
        srv2 = peer_bg(env, "echo_server", DIAL_PORT + 1, 8, 60)
        time.sleep(0.5)
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                            "--json", "diag", "tcp-connect", f"{GW}:{DIAL_PORT + 1}",
                            "--connections", "8", "--bytes", "262144"],
                           capture_output=True, text=True, timeout=30)
        ok(r.returncode == 0, f"umedgectl diag tcp-connect accepted ({r.stdout.strip()} "
           f"{r.stderr.strip()})")
        d1 = wait(lambda: (lambda d: d if d["ok"] + d["failed"] >= d0["ok"] + d0["failed"] + 8
                           else None)(ctl_status(env)["dataplane"]["tcp"]["dial"]),
                  30, "diag dial outcome")
        srv2.communicate(timeout=60)
        ok(d1["ok"] - d0["ok"] == 8 and d1["mismatches"] == d0["mismatches"],
           f"diag tcp-connect: 8 engine-opened connections echoed 256 KiB each ({d1})")
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                            "diag", "tcp-connect", "192.0.2.10"],
                           capture_output=True, text=True, timeout=30)
        ok(r.returncode != 0 and "IPv4:PORT" in r.stdout + r.stderr,
           f"diag tcp-connect without a port is refused ({(r.stdout + r.stderr).strip()})")
        t1 = tcp_stats(env)
        ok(t1["conns_passive_open"] - t0["conns_passive_open"] >= CONNS,
           f"passive opens counted ({t1['conns_passive_open']})")
        ok(t1["conns_active_open"] >= DIAL_CONNS, f"active opens counted ({t1['conns_active_open']})")

        # RFC 5961 with crafted segments
        iface = env.tap_ext
        r = peer(env, "rfc5961", EXT, ECHO, iface, timeout=60)
        ok(r["echo_before"] is True, "scapy case: echo before")
        ok(r["challenge_ack"], "in-window RST not at rcv_nxt: challenge ACK")
        ok(r["echo_after_inwindow_rst"] is True, "the connection survives the in-window RST")
        ok(r["ooo_window_acked"], "out-of-window segment: answered with an ACK")
        ok(r["echo_after_out_of_window"] is True, "the connection survives it")
        ok(r["syn_challenge_ack"], "SYN on an established connection: challenge ACK")
        ok(r["echo_after_syn"] is True, "the connection survives the SYN")
        ok(r["answer_to_exact_rst"] == 0, "exact RST: not answered")
        ok(r["after_exact_rst"] in ("ConnectionResetError", "eof"),
           f"exact RST: the engine dropped the connection ({r['after_exact_rst']})")
        t2 = tcp_stats(env)
        d1, d2 = t1["drops"], t2["drops"]
        ok(d2["rst_challenged"] > d1["rst_challenged"], "drops.rst_challenged counted")
        ok(d2["out_of_window"] > d1["out_of_window"], "drops.out_of_window counted")
        ok(d2["syn_challenged"] > d1["syn_challenged"], "drops.syn_challenged counted")
        ok(t2["challenge_acks"] >= t1["challenge_acks"] + 2, "challenge ACKs counted")
        ok(t2["conns_reset"] > t1["conns_reset"], "the reset connection is counted")

        # SYN flood while a connection keeps echoing; memory flat
        time.sleep(1)
        m0 = env.telemetry("/umedge/status")["mbufs_in_use"]
        r0 = rss_kib(env.dp.pid)
        stop = os.path.join(env.dir, "stop-pinger")
        ping = peer_bg(env, "pinger", EXT, ECHO, 90, stop)
        time.sleep(1)
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                            "--json", "diag", "tcp-conns"], capture_output=True, text=True,
                           timeout=30)
        conns = json.loads(r.stdout)["connections"] if r.returncode == 0 else []
        live = [c for c in conns if c["state"] == "ESTABLISHED" and c["remote"] == GW and
                c["local_port"] == ECHO and c["segs_in"] > 0 and c["bytes_out"] > 0]
        ok(len(live) == 1, f"umedgectl diag tcp-conns lists the pinger's connection with its "
           f"counters ({live or r.stdout[-300:] + r.stderr[-300:]})")
        fl = peer(env, "syn_flood", EXT, ECHO, 4000, 20, timeout=120)
        time.sleep(1)
        open(stop, "w").close()
        pout, perr = ping.communicate(timeout=30)
        pr = json.loads(pout) if pout.strip() else {"error": perr[-500:]}
        ok(fl["sent"] >= 1000, f"SYN flood sent, bounded in count and time ({fl})")
        ok(pr.get("error") is None and pr["sent"] >= 20 and pr["good"] == pr["sent"],
           f"an established connection kept echoing through the flood ({pr})")
        t3 = tcp_stats(env)
        ok(t3["syn_cookies_sent"] >= fl["sent"] // 2, f"SYN cookies answered the flood "
           f"({t3['syn_cookies_sent']} cookies for {fl['sent']} SYNs, half-open "
           f"{t3['half_open']})")
        ok(t3["half_open"] <= 2 * 64, f"half-open entries bounded ({t3['half_open']})")
        m1 = wait(lambda: (lambda m: m if m <= m0 + 64 else None)(
            env.telemetry("/umedge/status")["mbufs_in_use"]), 20, "mbufs back after the flood")
        r1 = rss_kib(env.dp.pid)
        ok(m1 <= m0 + 64, f"mbufs in use flat: {m0} before, {m1} after")
        ok(r1 - r0 < 4096, f"RSS flat: {r0} KiB before, {r1} KiB after")
        res = peer(env, "echo_clients", EXT, ECHO, 4, 65536, 30, timeout=60)
        ok(res["good"] == 4, "new connections still accepted after the flood")

        rc = env.stop_dataplane()
        ok(rc == 0 and "still in use" not in env.dp_log(), f"clean exit, every mbuf back ({rc})")
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
        env.stop()


def run_loss():
    env, server = start(fault=True)
    try:
        t0 = tcp_stats(env)
        res = echo_run(env, "2% drop + 2% reorder both ways", 240)
        print(f"# lossy echo: {res['secs']} s for {res['mbytes_each_way']} MB each way",
              flush=True)
        dial_check(env, server, "2% drop + 2% reorder")
        t1 = tcp_stats(env)
        ok(t1["fault_rx_dropped"] > 0 and t1["fault_tx_dropped"] > 0 and
           t1["fault_rx_reordered"] > 0 and t1["fault_tx_reordered"] > 0,
           f"faults injected both ways (rx {t1['fault_rx_dropped']}/{t1['fault_rx_reordered']}, "
           f"tx {t1['fault_tx_dropped']}/{t1['fault_tx_reordered']})")
        ok(t1["retransmits"] > t0["retransmits"],
           f"the engine retransmitted ({t1['retransmits']}, rto {t1['rto_events']}, "
           f"fast {t1['fast_retransmits']})")
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", env.sock,
                            "status"], capture_output=True, text=True, timeout=30)
        line = next((ln for ln in r.stdout.splitlines()
                     if ln.startswith("tcp ") and "established" in ln), None)
        ok(line is not None and "retransmits" in line,
           f"umedgectl status prints a TCP line: {line}")
        rc = env.stop_dataplane()
        ok(rc == 0 and "still in use" not in env.dp_log(), f"clean exit, every mbuf back ({rc})")
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
        env.stop()


def main():
    t = time.time()
    run_clean()
    run_loss()
    print(f"# {time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
