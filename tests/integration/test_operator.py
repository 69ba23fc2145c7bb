#!/usr/bin/python3
"""The operator's toolkit against the engine the README starts: `scripts/run
start --detach` (docs/examples/umedge.yaml, TAP ports in the namespaces
umedge-gw and umedge-app), then

- metrics: the Prometheus endpoint scraped with python3-prometheus-client's
  parser; the README's test call (SIPp both sides) and pings move the
  counters; a control restart keeps the dataplane's counters monotonic;
  the endpoint follows a configuration reload (off, moved, on a busy port:
  MetricsUnavailable with the reason); 404 and 405.

The demo's fixed names (namespaces, TAP, 127.0.0.1:9469) mean a demo an
operator left running is stopped first, as `scripts/run` itself does. Its
own folder and socket are the test's. Every wait is bounded; the demo is
stopped at the end whatever happens.

usage: test_operator.py BUILD_DIR SOURCE_DIR"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

BUILD, SRC = sys.argv[1], sys.argv[2]
RUN = os.path.join(SRC, "scripts", "run")
SCEN = os.path.join(SRC, "tests", "integration", "sipp")
METRICS = "http://127.0.0.1:9469/metrics"
checks = 0


def ok(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)
    print(f"ok {checks} - {what}", flush=True)


def wait(pred, secs, what, step=0.2):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {secs}s: {what}")


class Demo:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="umedge-operator-", dir="/tmp")
        self.sock = os.path.join(self.dir, "control.sock")
        self.env = dict(os.environ, UMEDGE_DEMO_DIR=self.dir, UMEDGE_SOCKET=self.sock,
                        UMEDGE_BUILD=BUILD)
        self.config = os.path.join(self.dir, "umedge.yaml")

    def run(self, *args, timeout=300):
        return subprocess.run([RUN] + list(args), env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def ctl(self, *args):
        r = subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket",
                            self.sock, "--json"] + list(args), capture_output=True, text=True,
                           timeout=30)
        out = r.stdout.strip()
        return r.returncode, (json.loads(out) if out.startswith(("{", "[")) else
                              r.stdout + r.stderr)

    def pid(self, name):
        with open(os.path.join(self.dir, f"{name}.pid")) as f:
            return int(f.read())

    def log(self, name):
        try:
            with open(os.path.join(self.dir, "logs", f"{name}.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def events(self, name):
        rc, ev = self.ctl("events", "--limit", "500")
        return [e for e in (ev if rc == 0 and isinstance(ev, list) else [])
                if e.get("id") == name]

    def restart_control(self):
        """Stop umedge-control and start it again as scripts/run does; the
        dataplane keeps running and reconnects."""
        os.kill(self.pid("control"), signal.SIGTERM)
        wait(lambda: not os.path.exists(f"/proc/{self.pid('control')}"), 10, "control exits")
        log = open(os.path.join(self.dir, "logs", "control.log"), "ab")
        p = subprocess.Popen([os.path.join(BUILD, "control", "umedge-control"), "--config",
                              self.config], stdout=log, stderr=log, env=self.env,
                             start_new_session=True)
        with open(os.path.join(self.dir, "control.pid"), "w") as f:
            f.write(str(p.pid))
        wait(lambda: self.ctl("status")[0] == 0, 20, "control back")

    def set_metrics(self, line):
        """Rewrite the metrics: line of the running configuration and reload."""
        with open(self.config) as f:
            lines = [ln for ln in f.read().splitlines() if not ln.startswith("metrics:")]
        if line:
            lines.append(line)
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        rc, out = self.ctl("config", "reload")
        ok(rc == 0, f"config reload with {line or 'no metrics'} ({out})")

    def stop(self):
        try:
            self.run("stop", timeout=60)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def get(url, method="GET", timeout=5):
    """(status, content type, body) of one HTTP request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def scrape(url=METRICS):
    """{(name, frozenset(labels)): value} and the families, parsed by the
    Prometheus client's own parser."""
    status, ctype, text = get(url)
    if status != 200 or not ctype.startswith("text/plain; version=0.0.4"):
        raise AssertionError(f"scrape answered {status} {ctype}: {text[:300]}")
    fams = list(text_string_to_metric_families(text))
    samples = {}
    for f in fams:
        for s in f.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, fams


def scrape_dataplane():
    """A scrape with the dataplane's series: they come with its first stats,
    about a second after it (re)connects."""
    def full():
        s, fams = scrape()
        return (s, fams) if any(f.name == "umedge_worker_received_packets" for f in fams) \
            else None
    return wait(full, 10, "the dataplane's stats in a scrape")


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def refused(url=METRICS):
    try:
        get(url, timeout=2)
        return False
    except (urllib.error.URLError, ConnectionError, OSError):
        return True


def readme_call(demo):
    """The README's test call: SIPp as the application and as gw1, pilot 6000
    (fabrikam, unsecured), over UDP through the engine."""
    uas = subprocess.Popen(["ip", "netns", "exec", "umedge-app", "timeout", "40", "sipp", "-sf",
                            os.path.join(SCEN, "uas.xml"), "-i", "198.51.100.20", "-p", "5060",
                            "-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=demo.dir)
    time.sleep(0.5)
    uac = subprocess.run(["ip", "netns", "exec", "umedge-gw", "timeout", "40", "sipp",
                          "192.0.2.1:5060", "-sf", os.path.join(SCEN, "uac.xml"), "-s", "6000",
                          "-i", "192.0.2.10", "-p", "5070", "-m", "1", "-timeout", "30s",
                          "-timeout_error", "-nostdin"], capture_output=True, text=True,
                         cwd=demo.dir, timeout=60)
    try:
        rc_uas = uas.wait(45)
    except subprocess.TimeoutExpired:
        uas.kill()
        rc_uas = uas.wait()
    return uac.returncode, rc_uas


def test_metrics(demo):
    samples, fams = scrape_dataplane()
    ok(True, "scraped in the text format 0.0.4")
    names = {f.name for f in fams}
    ok(all(f.documentation and f.type in ("counter", "gauge") for f in fams),
       f"{len(fams)} families, each with HELP and TYPE")
    for fam in ("umedge_dataplane_connected", "umedge_certificate_days_left",
                "umedge_port_received_packets", "umedge_worker_drops",
                "umedge_sip_calls_in_progress", "umedge_sip_calls_started",
                "umedge_tls_failures", "umedge_media_sessions",
                "umedge_media_srtp_auth_failures", "umedge_media_srtp_replays",
                "umedge_events"):
        ok(fam in names, f"family {fam} is served")
    ok(value(samples, "umedge_dataplane_connected") == 1, "the dataplane is connected")
    rc, cert = demo.ctl("cert", "show")
    days = [(dict(k[1]), v) for k, v in samples.items() if k[0] == "umedge_certificate_days_left"]
    ok(rc == 0 and len(days) == 1 and days[0][0]["thumbprint_sha1"] == cert["thumbprint_sha1"]
       and days[0][0]["kind"] == cert["kind"] and 363 < days[0][1] <= 366,
       f"the certificate in use: days left with its thumbprint and kind ({days})")
    ok(value(samples, "umedge_listener", transport="tls", port="5061") == 1 and
       value(samples, "umedge_listener", transport="udp", port="5060") == 1,
       "the listeners the dial plans open")

    # pings and the README's call move the counters
    before = samples
    r = subprocess.run(["ip", "netns", "exec", "umedge-gw", "ping", "-c", "3", "-i", "0.2",
                        "-W", "2", "192.0.2.1"], capture_output=True, text=True, timeout=20)
    ok(r.returncode == 0, "ping the external address")
    rc_uac, rc_uas = readme_call(demo)
    ok(rc_uac == 0 and rc_uas == 0, f"the README's test call completes ({rc_uac}, {rc_uas})")

    def moved():
        s, _ = scrape_dataplane()
        return s if (value(s, "umedge_sip_calls_started_total") or 0) >= \
            (value(before, "umedge_sip_calls_started_total") or 0) + 1 else None
    after = wait(moved, 10, "calls_started moves within two stats periods", step=0.5)
    icmp = ("umedge_stack_replies_total", {"kind": "icmp_echo"})
    ok(value(after, icmp[0], **icmp[1]) >= value(before, icmp[0], **icmp[1]) + 3,
       "3 pings: umedge_stack_replies_total{kind=icmp_echo} +3")
    inv = value(after, "umedge_sip_requests_received_total", method="INVITE") or 0
    ok(inv >= (value(before, "umedge_sip_requests_received_total", method="INVITE") or 0) + 1,
       f"an INVITE received ({inv})")
    ok((value(after, "umedge_sip_requests_received_total", method="BYE") or 0) >= 1,
       "a BYE received")
    ok((value(after, "umedge_sip_responses_sent_total", **{"class": "2xx"}) or 0) >= 2,
       "2xx responses sent (INVITE and BYE)")
    ok(value(after, "umedge_sip_calls_ended_total") >= 1, "the call ended")
    ext = ("umedge_port_received_packets_total", {"port": "net_tap0", "side": "external"})
    ok(value(after, ext[0], **ext[1]) > value(before, ext[0], **ext[1]),
       "the external port's packets moved")
    ok(value(after, "umedge_events_total", event="CallStarted", severity="info") >= 1,
       "CallStarted counted in umedge_events_total")

    # control restarts, the dataplane lives: its counters do not go back
    demo.restart_control()
    again, _ = scrape_dataplane()
    for name, labels in (("umedge_sip_calls_started_total", {}), icmp, ext,
                         ("umedge_sip_requests_received_total", {"method": "INVITE"}),
                         ("umedge_worker_received_packets_total", {"lcore": "1"})):
        a, b = value(after, name, **labels), value(again, name, **labels)
        ok(a is not None and b is not None and b >= a,
           f"{name}{labels} monotonic across a control restart ({a} -> {b})")

    # HTTP
    ok(get(METRICS.replace("/metrics", "/other"))[0] == 404, "404 for another path")
    ok(get(METRICS, method="POST")[0] == 405, "405 for POST")
    ok(get(METRICS, method="HEAD")[0] == 200, "HEAD answered")

    # the endpoint follows the configuration
    demo.set_metrics("")
    ok(wait(lambda: refused(), 5, "endpoint off"), "metrics: removed -> the endpoint is off")
    demo.set_metrics("metrics: { listen: 127.0.0.1:9470 }")
    ok(wait(lambda: not refused("http://127.0.0.1:9470/metrics"), 5, "moved"),
       "listen changed -> served on the new port")
    ok(refused(), "and no longer on the old one")
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", 9469))
    busy.listen(1)
    try:
        n = len(demo.events("MetricsUnavailable"))
        demo.set_metrics("metrics: { listen: 127.0.0.1:9469 }")
        ev = wait(lambda: demo.events("MetricsUnavailable")[n:], 5, "MetricsUnavailable")
        ok(ev[0]["fields"]["listen"] == "127.0.0.1:9469" and
           "Address already in use" in ev[0]["fields"]["reason"],
           f"a busy port: MetricsUnavailable says why ({ev[0]['fields']})")
    finally:
        busy.close()
    wait(lambda: not refused(), 20, "served once the port is free (retried every 10 s)")
    ok(True, "the port freed: the endpoint comes up on its own")


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (namespaces, TAP)")
        return 0
    demo = Demo()
    try:
        r = demo.run("start", "--detach")
        ok(r.returncode == 0, f"scripts/run start --detach ({r.stderr[-800:]})")
        wait(lambda: demo.ctl("status")[0] == 0, 20, "control answers")
        wait(lambda: not refused(), 10, "metrics endpoint up")
        test_metrics(demo)
    except BaseException:
        print("--- control.log\n" + demo.log("control")[-3000:], file=sys.stderr)
        print("--- dataplane.log\n" + demo.log("dataplane")[-3000:], file=sys.stderr)
        raise
    finally:
        demo.stop()
    print(f"1..{checks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
