"""The SIP peers of the dataplane tests: SIPp (Debian's sip-tester) in a
namespace, and the tests' own gateway UA (sip_tls_ua.py), each bounded by
its own limits and timeout(1)."""
import json
import os
import subprocess
import sys
import time

import certs
from dataplane_env import EXT, GW, PY, ctl, ok, sip_status, wait

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "sipp")


def start_with_gateway_cert(env):
    """A root in trust/ and gw1's certificate from it, control and the
    dataplane started, the engine's certificate exported for the gateway
    to verify: the files the TLS gateway UA needs."""
    d = env.dir
    ca = certs.CA("gateway root")
    ca.write(os.path.join(d, "trust", "gateway-root.pem"))
    gw, gw_key = certs.leaf("gw1.example.test", ca)
    files = {"gw": certs.write_pair(d, "gw1", gw, gw_key), "gw_key": os.path.join(d, "gw1.key"),
             "engine_ca": os.path.join(d, "engine.pem")}
    env.start_control()
    env.start_dataplane()
    rc, _ = ctl(env, "cert", "export", "--out", files["engine_ca"])
    ok(rc == 0, "umedgectl cert export (the gateway verifies the engine with it)")
    return files


def report_failure(env):
    """What a failed SIP test leaves on stderr: sip status and the end of
    the dataplane's log."""
    try:
        st = json.dumps(sip_status(env))
    except Exception as e:  # noqa: BLE001 - the report must not hide the failure
        st = f"(not available: {e})"
    print("sip:", st, file=sys.stderr)
    print(env.dp_log()[-3000:], file=sys.stderr)


def events(env, name):
    rc, ev = ctl(env, "events", "--limit", "1000")
    if rc != 0:
        return []
    items = ev if isinstance(ev, list) else ev.get("events", [])
    return [e for e in items if e.get("id") == name]


def events_after(env, name, before, secs=10, what=None):
    """The events named name after the `before` already there, once there
    is one (the workers' events reach control on the main lcore's next
    tick): count before acting, then wait with this."""
    return wait(lambda: events(env, name)[before:], secs, what or f"a new {name} event")


class Sipp:
    """One SIPp process in a namespace, bounded by -m, -timeout and timeout(1)."""

    def __init__(self, env, ns, args, secs):
        self.log = os.path.join(env.dir, f"sipp-{time.time_ns()}")
        # -buff_size: a burst of 200 calls overflows the default socket
        # buffer, and a lost ACK of a 2xx is not retransmitted
        cmd = ["ip", "netns", "exec", ns, "timeout", str(secs + 10), "sipp"] + args + [
            "-buff_size", "4194304",
            "-timeout", f"{secs}s", "-timeout_error", "-trace_err", "-error_file",
            self.log + ".err", "-trace_screen", "-screen_file", self.log + ".screen",
            "-nostdin"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, cwd=env.dir)

    def wait(self, secs=90):
        try:
            out = self.p.communicate(timeout=secs)[0]
        except subprocess.TimeoutExpired:
            self.p.kill()
            out = self.p.communicate()[0]
        self.out = out
        return self.p.returncode

    def errors(self):
        try:
            with open(self.log + ".err", errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""


def tls_ua_start(env, files, pilot, calls=1, conns=1, timeout=40, hold=1.0, **extra):
    """The gateway UA in the gateway namespace; extra goes into its spec
    (transport, media, sip_port: see sip_tls_ua.py)."""
    spec = {"engine": [EXT, 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "sni": "um1.example.test", "src": GW, "pilot": pilot,
            "calls": calls, "conns": conns, "timeout": timeout, "hold": hold}
    spec.update(extra)
    if spec.get("transport") == "udp":
        spec["engine"] = [EXT, 5060]
    return subprocess.Popen(["ip", "netns", "exec", env.ns_gw, "timeout", str(timeout + 20), PY,
                             os.path.join(HERE, "sip_tls_ua.py"), json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def tls_ua_result(p, timeout=80):
    out, err = p.communicate(timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"sip_tls_ua failed: {err[-1500:]}")
    return json.loads(out.strip().splitlines()[-1])
