"""What perf/sip_bench.py and perf/call_bench.py share: SIPp runs, the CPU
time of processes, Kamailio and rtpengine started in a namespace of their
own, and umedge's CPU for a stretch of a run."""
import os
import signal
import subprocess
import time

KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"


def cpu_seconds(pids, skip_thread=None):
    """CPU time of the processes (all their threads, less those whose name
    skip_thread accepts), from schedstat: in nanoseconds, where
    /proc/PID/stat counts 10 ms ticks."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                if skip_thread:
                    with open(f"/proc/{pid}/task/{t}/comm") as f:
                        if skip_thread(f.read().strip()):
                            continue
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
    return total / 1e9


def pgrep(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def sipp_calls(screen):
    """Successful calls from SIPp's last statistics screen (its file)."""
    n = 0
    try:
        with open(screen, errors="replace") as f:
            for line in f:
                if line.strip().startswith("Successful call"):
                    n = int(line.split("|")[2].split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return n


def stop_group(p, secs=10):
    """SIGTERM to a process group started with start_new_session, then
    SIGKILL when it does not go."""
    if p is None or p.poll() is not None:
        return
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.communicate(timeout=secs)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()


class Sipp:
    """SIPp runs in namespaces, every one under timeout(1) and -timeout,
    its statistics screen in tmp."""

    def __init__(self, tmp):
        self.tmp = tmp

    def start(self, ns, args, secs):
        screen = os.path.join(self.tmp, f"s{time.time_ns()}.screen")
        cmd = ["ip", "netns", "exec", ns, "timeout", str(int(secs) + 30), "sipp"] + args + [
            "-buff_size", "4194304", "-timeout", f"{int(secs) + 20}s", "-nostdin",
            "-trace_screen", "-screen_file", screen]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, cwd=self.tmp,
                             start_new_session=True)
        p.screen = screen
        return p

    @staticmethod
    def finish(p, secs):
        """Waits for p; its successful calls (0 when it had to be killed)."""
        try:
            p.communicate(timeout=secs)
        except subprocess.TimeoutExpired:
            stop_group(p)
            return 0
        return sipp_calls(p.screen)

    def calls(self, uac_ns, uac_target, uac_ip, uac_sf, rate, n, secs, uac_extra=(),
              uas=None):
        """n calls at rate from a caller to uac_target; uas: a callee
        already running (its own -m) or None. Returns (completed, output)."""
        uac = self.start(uac_ns, [uac_target, "-sf", uac_sf, "-s", "6000", "-i", uac_ip,
                                  "-p", "5070", "-m", str(n), "-r", str(rate),
                                  "-l", str(max(100, rate * 3))] + list(uac_extra), secs)
        out = ""
        try:
            out = uac.communicate(timeout=secs + 60)[0]
        except subprocess.TimeoutExpired:
            stop_group(uac)
        return sipp_calls(uac.screen), out


class Daemon:
    """A reference server (Kamailio, rtpengine) in a namespace, in its own
    process group under timeout(1), found again by its command line."""

    def __init__(self, ns, argv, secs, marker):
        self.marker = marker  # a string only its command lines carry
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "timeout", str(int(secs))] + argv,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)

    def check(self, what):
        if self.p.poll() is not None:
            raise RuntimeError(f"{what} did not start: {self.p.communicate()[0][-2000:]}")

    def pids(self):
        return pgrep(self.marker)

    def stop(self):
        stop_group(self.p)


# The proxy measured has core 1 to itself, as a poll-mode worker has in
# production; SIPp, this script and everything else share core 0. Without
# it the scheduler puts a woken SIPp on the proxy's core in the middle of
# its work, and a TSC-timed worker iteration counts SIPp's time as its own.
PROXY_CPU, PEERS_CPU = 1, 0


def pin_peers(env=None):
    """This script (and the SIPp it starts from now on), and umedge's
    control and main lcore when env is given, onto the peers' core; the
    worker keeps the core EAL gave it (lcore 1 on core 1)."""
    if (os.cpu_count() or 1) < 2:
        return
    os.sched_setaffinity(0, {PEERS_CPU})
    if env is not None:
        os.sched_setaffinity(env.control.pid, {PEERS_CPU})
        os.sched_setaffinity(env.dp.pid, {PEERS_CPU})


def on_proxy_cpu(argv):
    return (["taskset", "-c", str(PROXY_CPU)] if (os.cpu_count() or 1) >= 2 else []) + argv


def kamailio(ns, cfg, tmp, secs):
    """Kamailio as operators run it: the TLSF allocator, 256 MB of shared
    and 32 MB of private memory (pre-touched by the configuration's
    shm_force_alloc), in the foreground of its own process group, on the
    proxy's core."""
    kam = "/usr/sbin/kamailio"
    d = Daemon(ns, on_proxy_cpu([kam, "-f", cfg, "-DD", "-E", "-x", "tlsf", "-m", "256", "-M", "32",
                    "-P", os.path.join(tmp, "kamailio.pid"), "-Y", tmp]), secs, cfg)
    time.sleep(3)
    d.check("kamailio")
    return d


def kamailio_version():
    return subprocess.run(["/usr/sbin/kamailio", "-v"], capture_output=True,
                          text=True).stdout.splitlines()[0]


def netns_add(name):
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)


def netns_del(name):
    subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)


class UmedgeCost:
    """umedge's CPU over a stretch of a run. The poll-mode worker spins, so
    its share is its own count of TSC cycles in loop iterations that did
    work (busy_cycles, read live over DPDK telemetry), less what the same
    iterations cost with no traffic (measured at construction); of it,
    port_cycles were spent inside the ports' RX and TX bursts (on TAP, a
    system call per packet into the kernel's tun driver). Everything else
    umedge runs counts too, from schedstat: the dataplane's other threads
    (the main lcore turns the workers' call events into control messages)
    and umedge-control (which writes them to events.jsonl)."""

    def __init__(self, env, hz, idle_secs=5.0):
        self.env, self.hz = env, hz
        m = self.mark()
        time.sleep(idle_secs)
        b, _, o, t = self.mark()
        self.idle_rate = (b - m[0]) / (t - m[3])  # cycles/s with no calls
        self.other_idle = (o - m[2]) / (t - m[3])  # core-s/s, not subtracted

    def mark(self):
        w = self.env.telemetry("/umedge/workers")["worker0"]
        other = cpu_seconds([self.env.dp.pid], lambda c: c.startswith("rte-worker")) + \
            cpu_seconds([self.env.control.pid])
        return (w["busy_cycles"], w.get("port_cycles", 0), other, time.time())

    def since(self, m):
        """Core-seconds since mark m: {worker, port (of worker), other}."""
        b, p, o, t = self.mark()
        worker = max(1e-9, (b - m[0] - self.idle_rate * (t - m[3])) / self.hz)
        return {"worker": worker, "port": min(worker, (p - m[1]) / self.hz),
                "other": o - m[2]}


def iptables_count(ns, ports):
    """Counts UDP datagrams delivered to the ports in namespace ns (an
    iptables rule per port, which accepts). Returns a reader of the
    total."""
    for port in ports:
        subprocess.run(["ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-p", "udp",
                        "--dport", str(port), "-j", "ACCEPT"], check=True)

    def read():
        out = subprocess.run(["ip", "netns", "exec", ns, "iptables", "-L", "INPUT", "-v", "-n",
                              "-x"], capture_output=True, text=True, check=True).stdout
        total = 0
        for line in out.splitlines():
            f = line.split()
            if f and f[0].isdigit() and any(f"dpt:{p}" in f for p in ports):
                total += int(f[0])
        return total
    return read
