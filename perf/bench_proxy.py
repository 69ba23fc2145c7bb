"""What perf/sip_bench.py and perf/call_bench.py share: SIPp runs, the CPU
time of processes, Kamailio and rtpengine started in a namespace of their
own, and umedge's CPU for a stretch of a run."""
import os
import shutil
import signal
import subprocess
import sys
import time

KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

# Kamailio as the benchmarks run it: a transaction-stateful proxy with
# record-routing (tm, rr, sl, maxfwd), one UDP worker, logging at warnings;
# with TLS (sip_bench) or anchoring media with rtpengine (call_bench).
_KAMAILIO_CFG = """#!KAMAILIO
# A transaction-stateful proxy with record-routing{title}, as perf/{bench} runs it.
debug=0
log_stderror=yes
fork=yes
children=1
{tls_globals}auto_aliases=no
listen=udp:127.0.0.1:5060
{tls_listen}shm_force_alloc=yes
mpath="{modules}"
{tls_modules}loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "pv.so"
loadmodule "textops.so"
{media_modules}
request_route {{
	if (!mf_process_maxfwd_header("10")) {{
		sl_send_reply("483", "Too Many Hops");
		exit;
	}}
	if (has_totag()) {{
		if (loose_route()) {{
{media_in_dialog}			t_relay();
			exit;
		}}
		if (is_method("ACK")) {{
			if (t_check_trans())
				t_relay();
			exit;
		}}
		sl_send_reply("404", "Not here");
		exit;
	}}
	if (is_method("CANCEL")) {{
		if (t_check_trans())
			t_relay();
		exit;
	}}
	t_check_trans();
	if (is_method("INVITE")) {{
		record_route();
{media_initial}	}}
	$du = "sip:127.0.0.1:5090";
	if (!t_relay())
		sl_reply_error();
}}
{media_routes}"""

_MEDIA_FLAGS = '"replace-origin replace-session-connection"'


def kamailio_config(bench, tls_cfg=None, media=False):
    """The configuration text: with tls_cfg (the tls module's file) a
    mutual-TLS listener on 5061; with media, rtpengine_manage() on every
    offer, answer and BYE, rtpengine's ng on 127.0.0.1:2223."""
    tls = tls_cfg is not None
    return _KAMAILIO_CFG.format(
        title=" anchoring media with rtpengine" if media else "", bench=bench,
        modules=KAMAILIO_MODULES,
        tls_globals="tcp_children=1\nenable_tls=yes\n" if tls else "",
        tls_listen="listen=tls:127.0.0.1:5061\n" if tls else "",
        tls_modules=f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")\n' if tls
        else "",
        media_modules='loadmodule "rtpengine.so"\n'
        'modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:2223")\n' if media else "",
        media_in_dialog=('\t\t\tif (is_method("BYE"))\n\t\t\t\trtpengine_manage();\n'
                         '\t\t\telse if (has_body("application/sdp"))\n'
                         f'\t\t\t\trtpengine_manage({_MEDIA_FLAGS});\n'
                         '\t\t\tif (!is_method("ACK"))\n\t\t\t\tt_on_reply("MEDIA");\n')
        if media else "",
        media_initial=('\t\tif (has_body("application/sdp"))\n'
                       f'\t\t\trtpengine_manage({_MEDIA_FLAGS});\n'
                       '\t\tt_on_reply("MEDIA");\n\t\tt_on_failure("MEDIA_FAILED");\n')
        if media else "",
        media_routes=('\nonreply_route[MEDIA] {\n\tif (has_body("application/sdp"))\n'
                      f'\t\trtpengine_manage({_MEDIA_FLAGS});\n}}\n\n'
                      'failure_route[MEDIA_FAILED] {\n\trtpengine_manage();\n}\n')
        if media else "")


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

    def __init__(self, ns, argv, secs, marker, log=None):
        self.marker = marker  # a string only its command lines carry
        # log: a file for its output; a pipe nobody reads would stop a
        # daemon that logs per call once the pipe is full
        self.log = log
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "timeout", str(int(secs))] + argv,
                                  stdout=open(log, "ab") if log else subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=log is None,
                                  start_new_session=True)

    def check(self, what):
        if self.p.poll() is not None:
            if self.log:
                with open(self.log, errors="replace") as f:
                    out = f.read()
            else:
                out = self.p.communicate()[0]
            raise RuntimeError(f"{what} did not start: {out[-2000:]}")

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


def start_umedge(env):
    """Control and the dataplane started with the gateway's certificate
    (tests/integration/sip_peers.py), the worker's counters up, the peers
    moved to their core: (the gateway's TLS files, the TSC rate)."""
    from dataplane_env import ctl, wait
    from sip_peers import start_with_gateway_cert

    files = start_with_gateway_cert(env)

    def status_hz():
        st = ctl(env, "status")[1]
        w = ((st or {}).get("dataplane") or {}).get("workers") or []
        return w[0]["tsc_hz"] if w else None

    hz = wait(status_hz, 20, "worker counters in status")
    pin_peers(env)
    return files, hz


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

    def measure(self, m=None):
        """A mark (m None), or umedge's core-seconds since mark m, its
        parts kept in self.last."""
        if m is None:
            return self.mark()
        self.last = self.since(m)
        return self.last["worker"] + self.last["other"]

    def detail(self, driver="TAP"):
        """The parts of the last measure, for a result line."""
        w = self.last
        return (f" (worker {w['worker']:.3f}, of it {w['port'] / w['worker'] * 100:.0f}% in the "
                f"{driver} driver; other threads {w['other']:.3f})")

    def nodriver(self):
        """The last measure without the port driver's cycles."""
        w = self.last
        return max(1e-9, w["worker"] - w["port"] + w["other"])


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


def common_args(ap, src, rates, warmup):
    """The arguments both benchmarks take: the build and source folders,
    the call rates, the seconds per rate and the reference's warm-up."""
    ap.add_argument("build")
    ap.add_argument("src", nargs="?", default=src)
    ap.add_argument("--rates", default=rates)
    ap.add_argument("--secs", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=warmup)
    ap.add_argument("--out")
    return ap


def finish(name, say, lines, tmp, out, ref, failed):
    """The end of a benchmark's output: what the second ratio leaves out,
    the load average; tmp removed, the lines written to out; exit 1 with
    failed (a figure from calls that failed, or a missing reference, would
    mean nothing) when it is not empty."""
    say("(w/o TAP driver: the worker's cycles inside the TAP PMD's RX and TX bursts left "
        "out, a system call per packet here where a NIC's PMD takes tens of ns; "
        f"{ref} socket calls stay in theirs)")
    with open("/proc/loadavg") as f:
        say(f"load average at end: {f.read().strip()}")
    shutil.rmtree(tmp, ignore_errors=True)
    if out:
        with open(out, "w") as f:
            f.write("\n".join(lines) + "\n")
    if failed:
        print(f"{name}: {failed}", file=sys.stderr)
        sys.exit(1)
