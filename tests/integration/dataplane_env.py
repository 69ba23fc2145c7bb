"""Shared set-up of the dataplane integration tests: a configuration of their
own, umedge-dataplane (and umedge-control when asked) on two TAP ports whose
kernel sides live in two namespaces of their own, a telemetry client, and
helpers that run code inside a namespace. Names carry the test's pid, so a
running demo (umedge-gw, umedge-app, umx0, umi0) never collides.

Every wait is bounded; stop() always cleans up (processes, namespaces, files)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
EXT, GW = "192.0.2.1", "192.0.2.10"
INT, APP = "198.51.100.1", "198.51.100.20"
checks = 0


def ok(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)
    print(f"ok {checks} - {what}", flush=True)


def ctl(env, *args):
    """umedgectl --json ARGS against env's control: (exit code, the JSON
    answer, or the text when there is none)."""
    r = subprocess.run([os.path.join(env.build, "control", "umedgectl"), "--socket", env.sock,
                        "--json"] + list(args), capture_output=True, text=True, timeout=30)
    out = r.stdout.strip()
    return r.returncode, (json.loads(out) if out.startswith(("{", "[")) else
                          r.stdout + r.stderr)


def sip_status(env):
    """status.dataplane.sip, {} while control or the dataplane is away."""
    rc, st = ctl(env, "status")
    return ((st.get("dataplane") or {}).get("sip") or {}) if rc == 0 and isinstance(st, dict) \
        else {}


def wait(pred, secs, what, step=0.1):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {secs}s: {what}")


class Env:
    def __init__(self, build, src, name, workers=1, eal_extra=None, dataplane_extra="",
                 idle="backoff", media_ports="external: 20000-29999, internal: 30000-39999",
                 ng=False, ports="tap"):
        self.build, self.src = build, src
        # "tap": net_tap ports (the default); "af_xdp": veth pairs driven by
        # net_af_xdp, the engine's ends in this namespace (benchmarks: no
        # system call per packet)
        self.ports = ports
        # keep the example's ng: (rtpengine's ng on the internal side), or
        # a line of the test's own in its place
        self.ng = ng
        tag = f"{os.getpid() % 100000}"
        self.ns_gw, self.ns_app = f"{name}{tag}g", f"{name}{tag}a"
        self.tap_ext, self.tap_int = f"{name}x{tag}", f"{name}i{tag}"
        self.prefix = f"umedge-{name}-{tag}"
        self.dir = tempfile.mkdtemp(prefix=f"umedge-{name}-", dir="/tmp")
        self.sock = os.path.join(self.dir, "control.sock")
        self.config = os.path.join(self.dir, "umedge.yaml")
        self.workers = workers
        self.eal_extra = eal_extra or []
        self.dataplane_extra = dataplane_extra  # YAML lines for the dataplane: section
        self.idle = idle
        self.media_ports = media_ports
        self.dp = self.control = None
        self.dp_out = os.path.join(self.dir, "dataplane.log")
        self.engine_mac = {}
        for d in ("state", "certs", "trust"):
            os.makedirs(os.path.join(self.dir, d))
        self._write_config()

    def _write_config(self):
        with open(os.path.join(self.src, "docs", "examples", "umedge.yaml")) as f:
            lines = f.read().splitlines()
        out, skip = [], False
        for line in lines:
            if line.startswith("dataplane:"):
                skip = True
                continue
            if line.startswith("metrics:"):
                continue  # the example's endpoint: test_operator.py's, on a fixed port
            if line.startswith("ng:") and not self.ng:
                continue  # rtpengine's ng: for the tests that ask for it
            if line.startswith("ng:") and isinstance(self.ng, str):
                line = self.ng  # ... in their own words
            if skip and line and not line[0].isspace() and not line.startswith("#"):
                skip = False
            if not skip:
                out.append(line)
        text = "\n".join(out) + "\n"
        text = (text.replace("/var/lib/umedge", os.path.join(self.dir, "state"))
                .replace("/etc/umedge/certs", os.path.join(self.dir, "certs"))
                .replace("/etc/umedge/trust", os.path.join(self.dir, "trust"))
                .replace("/run/umedge/control.sock", self.sock))
        lcores = f"0-{self.workers}" if self.workers == 1 else \
            "(0-" + str(self.workers) + ")@(0-1)"
        vdev = ("net_af_xdp{n},iface={i},start_queue=0,queue_count=1" if self.ports == "af_xdp"
                else "net_tap{n},iface={i}")
        eal = ["--vdev", vdev.format(n=0, i=self.tap_ext), "--vdev",
               vdev.format(n=1, i=self.tap_int), "--no-huge", "-m", "256",
               f"--file-prefix={self.prefix}", "--no-pci", "--lcores", lcores] + self.eal_extra
        text += "dataplane:\n"
        text += "  eal: [" + ", ".join(json.dumps(a) for a in eal) + "]\n"
        text += f"  workers: {self.workers}\n  idle: {self.idle}\n"
        text += f"  external: {{ port: 0, address: {EXT}/24, gateway: 192.0.2.254 }}\n"
        text += f"  internal: {{ port: 1, address: {INT}/24 }}\n"
        text += f"  media_ports: {{ {self.media_ports} }}\n"
        text += "  udp_echo_port: 7\n"
        text += self.dataplane_extra
        with open(self.config, "w") as f:
            f.write(text)

    # processes -----------------------------------------------------------
    def start_control(self):
        log = open(os.path.join(self.dir, "control.log"), "ab")
        self.control = subprocess.Popen(
            [os.path.join(self.build, "control", "umedge-control"), "--config", self.config],
            stdout=log, stderr=log)
        wait(lambda: os.path.exists(self.sock) or self.control.poll() is not None, 30,
             "control socket")
        if self.control.poll() is not None:
            with open(os.path.join(self.dir, "control.log"), "rb") as f:
                print(f.read()[-2000:].decode(errors="replace"), file=sys.stderr)
            raise AssertionError("umedge-control exited at start-up")

    def stop_control(self):
        if self.control and self.control.poll() is None:
            self.control.send_signal(signal.SIGTERM)
            try:
                self.control.wait(10)
            except subprocess.TimeoutExpired:
                self.control.kill()
                self.control.wait(5)
        self.control = None

    def _veths(self):
        """The af_xdp ports: a veth pair each, the engine's end here, the
        peer's to be attached to its namespace."""
        for ifc in (self.tap_ext, self.tap_int):
            if subprocess.run(["ip", "link", "show", ifc], capture_output=True).returncode == 0:
                continue
            subprocess.run(["ip", "link", "add", ifc, "type", "veth", "peer", "name", ifc + "p"],
                           check=True)
            # the peer's kernel leaves UDP/TCP checksums to an offload a veth
            # never does: whole checksums, as on a wire
            for dev in (ifc, ifc + "p"):
                subprocess.run(["ethtool", "-K", dev, "tx", "off"], capture_output=True,
                               check=True)
            subprocess.run(["ip", "link", "set", ifc, "up"], check=True)

    def start_dataplane(self):
        if self.ports == "af_xdp":
            self._veths()
        ready = self.dp_log().count("ready:") if os.path.exists(self.dp_out) else 0
        out = open(self.dp_out, "ab")
        env = dict(os.environ, UMEDGE_SOCKET=self.sock)
        self.dp = subprocess.Popen(
            [os.path.join(self.build, "dataplane", "umedge-dataplane"), "--config", self.config],
            stdout=out, stderr=subprocess.STDOUT, env=env)
        # a restart appends to the log: wait for this start's line
        wait(lambda: self.dp_log().count("ready:") > ready or self.dp.poll() is not None, 60,
             "dataplane ready")
        if self.dp.poll() is not None:
            print(self.dp_log(), file=sys.stderr)
            raise AssertionError("umedge-dataplane exited at start-up")
        for line in self.dp_log().splitlines():
            if " mac " in line and " port " in line:
                self.engine_mac[line.split()[1]] = line.split(" mac ")[1].strip().lower()
        netns = os.path.join(self.src, "scripts", "netns")
        peer = "p" if self.ports == "af_xdp" else ""
        subprocess.run([netns, "attach", self.ns_gw, self.tap_ext + peer, GW + "/24", EXT],
                       check=True)
        subprocess.run([netns, "attach", self.ns_app, self.tap_int + peer, APP + "/24", INT],
                       check=True)

    def stop_dataplane(self, timeout=15):
        """SIGTERM; returns the exit code."""
        if not self.dp:
            return None
        if self.dp.poll() is None:
            self.dp.send_signal(signal.SIGTERM)
            try:
                self.dp.wait(timeout)
            except subprocess.TimeoutExpired:
                self.dp.kill()
                self.dp.wait(5)
                return "killed"
        rc = self.dp.returncode
        self.dp = None
        return rc

    def dp_log(self):
        with open(self.dp_out, errors="replace") as f:
            return f.read()

    def stop(self):
        try:
            self.stop_dataplane()
        finally:
            self.stop_control()
            for ns in (self.ns_gw, self.ns_app):
                subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
            if self.ports == "af_xdp":
                for ifc in (self.tap_ext, self.tap_int):
                    subprocess.run(["ip", "link", "del", ifc], stderr=subprocess.DEVNULL)
            shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
            if os.environ.get("UMEDGE_KEEP_TEST_DIR") != "1":
                shutil.rmtree(self.dir, ignore_errors=True)

    # telemetry ------------------------------------------------------------
    def telemetry(self, cmd):
        path = f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        try:
            s.connect(path)
            s.recv(65536)  # greeting
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 20).decode())[cmd]
        finally:
            s.close()

    # namespaces -----------------------------------------------------------
    def run_in(self, ns, *args, timeout=60):
        """Run PY <helper> args... inside ns; returns its JSON answer."""
        r = subprocess.run(["ip", "netns", "exec", ns, PY, os.path.join(HERE, "dataplane_peer.py")]
                           + [str(a) for a in args], capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"peer {args[0]} in {ns} failed: {r.stderr.strip()[-2000:]}")
        return json.loads(r.stdout)

    def sh(self, ns, *cmd, timeout=60):
        return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), capture_output=True,
                              text=True, timeout=timeout)
