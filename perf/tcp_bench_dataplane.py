#!/usr/bin/python3
"""tcp_bench_dataplane: the workers' TCP through the real dataplane, Linux as
the peer, next to the kernel's own loopback TCP in the same run.

One umedge-dataplane worker (idle: busy, so it owns one core) on TAP ports
whose kernel sides live in a namespace of their own (as the integration
tests, tests/integration/dataplane_env.py), TCP echo on port 7. The same
Linux clients (tests/integration/tcp_peer.py) then measure:

  setups/s  connect, 1 byte echoed, close; K clients in parallel, each in a
            loop for --secs seconds
  echo      N connections each sending --mib MiB and reading the echo back:
            MB/s each way

against (a) the engine at 192.0.2.1 from the gateway namespace and (b) a
Linux echo server (the same Python program the dial tests use) on 127.0.0.1
inside the same namespace: the kernel's loopback TCP, with a userspace echo
process, which the engine does not need. The engine side also reports the
dataplane's CPU seconds (worker busy-polls: about one core whatever the load)
so figures are per worker core. Prints the machine it ran on.

usage (root): perf/tcp_bench_dataplane.py BUILD_DIR [SOURCE_DIR] [--secs S]
              [--conns N] [--mib M] [--out FILE]"""
import argparse
import json
import os
import subprocess
import sys
import time

SRC_DEFAULT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("src", nargs="?", default=SRC_DEFAULT)
    ap.add_argument("--secs", type=float, default=5.0)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--out")
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(a.src, "tests", "integration"))
    sys.path.insert(0, os.path.join(a.src, "perf"))
    from bench_host import host_lines  # noqa: E402
    from dataplane_env import EXT, PY, Env  # noqa: E402
    peer = os.path.join(a.src, "tests", "integration", "tcp_peer.py")
    lines = []

    def say(s):
        print(s, flush=True)
        lines.append(s)

    def run(env, *args, timeout=300):
        r = subprocess.run(["ip", "netns", "exec", env.ns_gw, PY, peer] + [str(x) for x in args],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{args[0]}: {r.stderr[-1000:]}")
        return json.loads(r.stdout)

    def churn(env, host, port):
        procs = [subprocess.Popen(["ip", "netns", "exec", env.ns_gw, PY, peer, "churn", host,
                                   str(port), str(a.secs)], stdout=subprocess.PIPE, text=True)
                 for _ in range(a.parallel)]
        res = [json.loads(p.communicate(timeout=a.secs + 60)[0]) for p in procs]
        return sum(r["setups"] for r in res) / max(r["secs"] for r in res), \
            sum(r["failed"] for r in res)

    def cpu_s(pid):
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")

    def worker_cpu_s(pid):
        """CPU seconds of the worker lcore thread (DPDK names it *worker*)."""
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                if "worker" in f.read():
                    return cpu_s(f"{pid}/task/{t}")
        return float("nan")

    def measure(env, fn):
        c0, w0, t0 = cpu_s(env.dp.pid), worker_cpu_s(env.dp.pid), time.time()
        r = fn()
        c1, w1, t1 = cpu_s(env.dp.pid), worker_cpu_s(env.dp.pid), time.time()
        return r, f"dataplane cpu {(c1 - c0) / (t1 - t0):.2f} cores, worker thread got " \
            f"{(w1 - w0) / (t1 - t0):.2f} of its core"

    for line in host_lines("tcp_bench_dataplane"):
        say(line)
    say("(a shared machine: other work competes for the 2 cores)")
    say(f"load: {a.parallel} parallel churn clients x {a.secs:.0f} s; echo {a.conns} "
        f"connections x {a.mib} MiB")
    extra = ("  tcp_echo_port: 7\n"
             "  tcp: { max_connections: 1024, max_per_source: 1024, half_open: 256, "
             "buffer_kib: 64 }\n")
    env = Env(a.build, a.src, "tcb", workers=1, dataplane_extra=extra, idle="busy",
              eal_extra=[])
    server = None
    try:
        env.start_dataplane()
        time.sleep(1)
        r = run(env, "echo_clients", EXT, 7, 4, 65536, 30)  # warm up (ARP, caches)
        # engine
        (rate, fail), cpu = measure(env, lambda: churn(env, EXT, 7))
        say(f"engine  setups/s {rate:9.0f}  (failed {fail}; {cpu})")
        time.sleep(2)
        r, cpu = measure(env, lambda: run(env, "echo_clients", EXT, 7, a.conns,
                                          a.mib << 20, 300))
        mbs = a.conns * (a.mib << 20) / 1e6 / r["secs"]
        say(f"engine  echo MB/s each way {mbs:8.1f}  ({r['good']}/{a.conns} verified, "
            f"{r['secs']} s; {cpu})")
        env.stop_dataplane()
        # kernel loopback in the same namespace, same clients
        server = subprocess.Popen(["ip", "netns", "exec", env.ns_gw, PY, peer, "echo_server",
                                   "7007", "1000000", str(a.secs * 2 + 400)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        rate, fail = churn(env, "127.0.0.1", 7007)
        say(f"kernel  setups/s {rate:9.0f}  (failed {fail}; loopback, Python echo server)")
        r = run(env, "echo_clients", "127.0.0.1", 7007, a.conns, a.mib << 20, 300)
        mbs = a.conns * (a.mib << 20) / 1e6 / r["secs"]
        say(f"kernel  echo MB/s each way {mbs:8.1f}  ({r['good']}/{a.conns} verified, "
            f"{r['secs']} s)")
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.communicate()
        env.stop()
    with open("/proc/loadavg") as f:
        say(f"load average at end: {f.read().strip()}")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
