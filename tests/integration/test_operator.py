#!/usr/bin/python3
"""The operator's toolkit against the engine the README starts: `scripts/run
start --detach` (docs/examples/umedge.yaml, TAP ports in the namespaces
umedge-gw and umedge-app), then

- metrics: the Prometheus endpoint scraped with python3-prometheus-client's
  parser; the README's test call (SIPp both sides) and pings move the
  counters; a control restart keeps the dataplane's counters monotonic;
  the endpoint follows a configuration reload (off, moved, on a busy port:
  MetricsUnavailable with the reason); 404 and 405; Debian's Prometheus
  server scrapes it with docs/examples/prometheus.yml and loads the
  shipped alert rules.
- capture: `umedgectl capture sip` during the README's UDP call (both
  legs) and during a secured call over mutual TLS with SRTP (the tests'
  gateway UA, gw1's certificate from a root put in the demo's trust/
  before it starts), read back with tshark: the Call-ID and the methods
  of each call, the TLS leg decrypted on its real ports, the SDES keys
  blanked unless --keep-keys, --gateway keeping only that peer, the file
  0600; sngrep finds the dialogs; and the errors an operator can make.
- test-connectivity: OPTIONS from the engine to gw1 over UDP (SIPp
  answering) and over mutual TLS (sip_gateway_tls.py: Python's ssl), the
  certificates on both sides reported; then each way TLS can fail (the
  gateway does not trust us, its certificate names another host, chains to
  no root of ours, has expired; nothing listens; a listener that is not
  TLS; no answer at all), each with the words the operator reads; the
  transport from the dial plans and the note when --secured contradicts;
  --local: each listener the modes open (UDP, TCP, TLS), tested by the
  engine from its own address, following a mode change.

The demo's fixed names (namespaces, TAP, 127.0.0.1:9469) mean a demo an
operator left running is stopped first, as `scripts/run` itself does. Its
own folder and socket are the test's. Every wait is bounded; the demo is
stopped at the end whatever happens.

usage: test_operator.py BUILD_DIR SOURCE_DIR"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certs  # noqa: E402
import dataplane_env  # noqa: E402
from dataplane_env import ok, wait  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
RUN = os.path.join(SRC, "scripts", "run")
SCEN = os.path.join(SRC, "tests", "integration", "sipp")
METRICS = "http://127.0.0.1:9469/metrics"


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
    prometheus_scrapes(demo)


def prom_query(base, q):
    with urllib.request.urlopen(base + "/api/v1/query?" + urllib.parse.urlencode({"query": q}),
                                timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


def prometheus_scrapes(demo):
    """Debian's Prometheus server with docs/examples/prometheus.yml (a 1 s
    interval) scrapes the demo and loads the shipped alert rules."""
    d = os.path.join(demo.dir, "prometheus")
    os.makedirs(d)
    with open(os.path.join(SRC, "docs", "examples", "prometheus.yml")) as f:
        conf = f.read()
    conf = (conf.replace("scrape_interval: 15s", "scrape_interval: 1s")
            .replace("evaluation_interval: 15s", "evaluation_interval: 1s")
            .replace("  - umedge-alerts.yml",
                     "  - " + os.path.join(SRC, "docs", "examples", "umedge-alerts.yml")))
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write(conf)
    base = "http://127.0.0.1:9490"
    log = open(os.path.join(d, "log"), "w")
    p = subprocess.Popen(["timeout", "120", "prometheus", "--config.file",
                          os.path.join(d, "prometheus.yml"), "--storage.tsdb.path",
                          os.path.join(d, "tsdb"), "--web.listen-address", "127.0.0.1:9490"],
                         stdout=log, stderr=log)
    try:
        def connected():
            try:
                r = prom_query(base, 'umedge_dataplane_connected{job="umedge"}')
                return r if r and r[0]["value"][1] == "1" else None
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                return None
        r = wait(connected, 60, "Prometheus scrapes umedge", step=0.5)
        ok(r[0]["metric"]["site"] == "lab", "Prometheus scraped umedge_dataplane_connected 1 "
           "with the example's labels")
        started = prom_query(base, "umedge_sip_calls_started_total")
        ok(started and float(started[0]["value"][1]) >= 1,
           f"and the calls the tests made ({started})")
        with urllib.request.urlopen(base + "/api/v1/rules", timeout=5) as resp:
            groups = json.loads(resp.read())["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        ok(len(rules) == 8 and all(r["health"] == "ok" for r in rules),
           f"the shipped alert rules load and evaluate ({[(r['name'], r['health']) for r in rules]})")
        firing = [a["labels"]["alertname"] for a in json.loads(urllib.request.urlopen(
            base + "/api/v1/alerts", timeout=5).read())["data"]["alerts"]]
        ok("UmedgeDataplaneDisconnected" not in firing and "UmedgeMetricsDown" not in firing,
           f"nothing fires against a healthy engine ({firing})")
    finally:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def umedgectl(demo, *args, timeout=60):
    return subprocess.run([os.path.join(BUILD, "control", "umedgectl"), "--socket", demo.sock]
                          + list(args), capture_output=True, text=True, timeout=timeout)


def tshark_sip(path):
    """The SIP messages tshark dissects in path: one dict each."""
    fields = ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
              "sip.Call-ID", "sip.Method", "sip.Status-Code", "sip.CSeq.method"]
    r = subprocess.run(["timeout", "60", "tshark", "-n", "-r", path, "-Y", "sip", "-T", "fields",
                        "-E", "separator=|"] + sum([["-e", f] for f in fields], []),
                       capture_output=True, text=True, timeout=90)
    ok(r.returncode == 0, f"tshark reads {os.path.basename(path)} ({r.stderr.strip()[-300:]})")
    return [dict(zip(fields, line.split("|"))) for line in r.stdout.splitlines() if line]


def sngrep_dialogs(path, d):
    """sngrep (Debian's, no interface): the dialogs it finds in path, and
    how many SIP packets it saves again when asked to write them out."""
    out = os.path.join(d, os.path.basename(path) + ".sngrep.pcap")
    r = subprocess.run(["timeout", "30", "sngrep", "-I", path, "-N"], capture_output=True,
                       text=True, timeout=45, cwd=d)
    counts = [int(x) for x in re.findall(r"Dialog count: (\d+)", r.stdout)]
    subprocess.run(["timeout", "30", "sngrep", "-I", path, "-N", "-q", "-O", out],
                   capture_output=True, text=True, timeout=45, cwd=d)
    saved = subprocess.run(["timeout", "30", "tshark", "-n", "-r", out, "-Y", "sip"],
                           capture_output=True, text=True, timeout=45).stdout.splitlines()
    return (counts[-1] if counts else 0), len(saved)


def capture_start(demo, path, *extra):
    """umedgectl capture sip in the background; running once status says so."""
    n = len(demo.events("CallStarted"))
    p = subprocess.Popen([os.path.join(BUILD, "control", "umedgectl"), "--socket", demo.sock,
                          "--json", "capture", "sip", "--out", path] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait(lambda: demo.ctl("capture", "status")[1].get("state") == "running" or
         p.poll() is not None, 10, "the capture runs")
    return p, n


def capture_end(p, secs=60):
    out, err = p.communicate(timeout=secs)
    ok(p.returncode == 0, f"umedgectl capture sip exits 0 ({err.strip()[-300:]})")
    return json.loads(out)


class Shim:
    """What sip_peers.Sipp needs of an environment."""
    def __init__(self, demo):
        self.dir = demo.dir


def secured_call(demo, files):
    """gw1 over mutual TLS to pilot 5000 (contoso: secured), SRTP from the
    tests' UA through pylibsrtp, SIPp answering and echoing RTP."""
    from sip_peers import Sipp
    app = Sipp(Shim(demo), "umedge-app", ["-sf", os.path.join(SCEN, "uas_media.xml"), "-i",
                                         "198.51.100.20", "-p", "5060", "-mi", "198.51.100.20",
                                         "-mp", "6000", "-rtp_echo", "-m", "1"], 40)
    time.sleep(0.5)
    spec = {"engine": ["192.0.2.1", 5061], "cert": files["gw"], "key": files["gw_key"],
            "ca": files["engine_ca"], "sni": "um1.example.test", "src": "192.0.2.10",
            "pilot": "5000", "calls": 1, "conns": 1, "timeout": 30, "hold": 0.5,
            "media": {"port": 24000, "profile": "RTP/SAVP", "suite": "AES_CM_128_HMAC_SHA1_80",
                      "packets": 20, "size": 160}}
    ua = subprocess.run(["ip", "netns", "exec", "umedge-gw", "timeout", "50", "/usr/bin/python3",
                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_tls_ua.py"),
                         json.dumps(spec)], capture_output=True, text=True, timeout=70)
    rc_app = app.wait(45)
    ok(ua.returncode == 0, f"the gateway UA ran ({ua.stderr[-500:]})")
    r = json.loads(ua.stdout.strip().splitlines()[-1])
    med = r.get("media") or {}
    ok(r["finals"] == {"200": 1} and r["completed"] == 1 and rc_app == 0 and
       med.get("matched") == 20,
       f"the secured call completes with SRTP both ways ({r['finals']}, {med}, app {rc_app})")
    return r


def test_capture(demo, files):
    out = os.path.join(demo.dir, "captures")
    os.makedirs(out)

    # the README's call, both legs, no filter, stopped by its count (7 messages
    # on each leg: INVITE 100 180 200 ACK BYE 200 less the 100 the engine
    # sends only to the caller)
    udp = os.path.join(out, "udp.pcap")
    p, _ = capture_start(demo, udp, "--count", "13")
    rc_uac, rc_uas = readme_call(demo)
    ok(rc_uac == 0 and rc_uas == 0, "the README's call during the capture")
    st = capture_end(p)
    ok(st["state"] == "done" and st["stopped_by"] == "count" and st["messages"] == 13 and
       st["dropped"] == 0, f"stopped by --count 13 ({st})")
    ok(os.stat(udp).st_mode & 0o777 == 0o600, "the capture file is 0600")
    rows = tshark_sip(udp)
    cids = {r["sip.Call-ID"] for r in rows}
    ok(len(rows) == 13 and len(cids) == 1, f"tshark: 13 SIP messages of one call ({len(rows)}, "
       f"{cids})")
    methods = [r["sip.Method"] for r in rows if r["sip.Method"]]
    ok({"INVITE", "ACK", "BYE"} <= set(methods), f"INVITE, ACK and BYE ({methods})")
    legs = {(r["ip.src"], r["ip.dst"]) for r in rows}
    ok(("192.0.2.10", "192.0.2.1") in legs and ("198.51.100.1", "198.51.100.20") in legs,
       f"both legs with their real addresses ({legs})")
    ok(all(r["udp.srcport"] and r["udp.dstport"] for r in rows), "UDP on its real ports")
    dialogs, saved = sngrep_dialogs(udp, out)
    ok(dialogs == 1 and saved == 13, f"sngrep finds the dialog and its 13 messages ({dialogs}, "
       f"{saved})")

    # a secured call over TLS, keys redacted, only gw1's side
    tls = os.path.join(out, "tls.pcap")
    p, _ = capture_start(demo, tls, "--gateway", "gw1", "--seconds", "30")
    r = secured_call(demo, files)
    time.sleep(1)
    ok(demo.ctl("capture", "stop")[0] == 0, "umedgectl capture stop ends it")
    st = capture_end(p)
    ok(st["stopped_by"] == "operator" and st["gateway"] == "gw1" and st["keys"] == "redacted"
       and st["redacted"] >= 1, f"stopped by the operator, keys redacted ({st})")
    rows = tshark_sip(tls)
    cid = r["first"]["call_id"]
    mine = [x for x in rows if x["sip.Call-ID"] == cid]
    ok(len(mine) >= 5 and {x["sip.Method"] for x in mine} >= {"INVITE", "ACK", "BYE"} and
       "200" in {x["sip.Status-Code"] for x in mine},
       f"tshark: the TLS call's Call-ID with INVITE, 200, ACK, BYE ({len(mine)} messages)")
    ok(all("192.0.2.10" in (x["ip.src"], x["ip.dst"]) for x in rows),
       "--gateway gw1: only messages with gw1")
    ok(any(x["tcp.dstport"] == "5061" and x["sip.Method"] == "INVITE" for x in mine),
       "the INVITE decrypted, on TCP to 5061 as it came over TLS")
    key = r["answer"]["crypto"][0].split("inline:")[1].split("|")[0]
    with open(tls, "rb") as f:
        data = f.read()
    ok(key.encode() not in data and b"inline:XXXXXXXX" in data,
       "the engine's SDES key is blanked in the capture")
    dialogs, saved = sngrep_dialogs(tls, out)
    ok(dialogs == 1 and saved == len(rows), f"sngrep finds the TLS call's dialog ({dialogs}, "
       f"{saved} of {len(rows)} messages)")

    # --keep-keys: the key is there
    kept = os.path.join(out, "kept.pcap")
    p, _ = capture_start(demo, kept, "--keep-keys", "--gateway", "gw1")
    r = secured_call(demo, files)
    time.sleep(1)
    ok(demo.ctl("capture", "stop")[0] == 0, "stopped")
    st = capture_end(p)
    key = r["answer"]["crypto"][0].split("inline:")[1].split("|")[0]
    base64.b64decode(key)
    with open(kept, "rb") as f:
        ok(key.encode() in f.read() and st["keys"] == "kept",
           "--keep-keys: the key stays in the file")

    # what an operator can get wrong: said, nothing started
    for args, want in ((["--out", os.path.join(out, "x.pcap"), "--gateway", "gw9"],
                        "unknown gateway 'gw9'"),
                       (["--out", os.path.join(out, "x.pcap"), "--seconds", "5", "--count", "5"],
                        "not both"),
                       (["--out", "/nonexistent-dir/x.pcap", "--count", "1"],
                        "No such file or directory"),
                       (["--out", os.path.join(out, "x.pcap"), "--seconds", "0"],
                        "--seconds must be a number 1..86400"),
                       (["--gateway", "gw1"], "missing --out")):
        r2 = umedgectl(demo, "capture", "sip", *args)
        ok(r2.returncode != 0 and want in r2.stderr, f"capture sip {' '.join(args)}: "
           f"'{r2.stderr.strip()}'")
    ok(not os.path.exists(os.path.join(out, "x.pcap")), "no file from a refused capture")
    p, _ = capture_start(demo, os.path.join(out, "one.pcap"), "--seconds", "20")
    r2 = umedgectl(demo, "capture", "sip", "--out", os.path.join(out, "two.pcap"))
    ok(r2.returncode == 1 and "a capture is running" in r2.stderr,
       f"a second capture is refused ({r2.stderr.strip()})")
    p.send_signal(signal.SIGINT)
    st = capture_end(p)
    ok(st["stopped_by"] == "operator", "Ctrl-C on umedgectl stops the capture")
    r2 = umedgectl(demo, "capture", "status")
    ok(r2.returncode == 0 and "stopped by operator" in r2.stdout, f"capture status:\n{r2.stdout}")


class TlsGateway:
    """sip_gateway_tls.py in the gateway namespace for secs seconds."""
    def __init__(self, demo, cert, key, client_ca, secs=6):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", "umedge-gw", "timeout", str(secs + 10), "/usr/bin/python3",
             os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_gateway_tls.py"),
             "192.0.2.10", "5061", cert, key, client_ca, str(secs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # listening once it says so
        line = self.p.stderr.readline()
        ok("listening" in line, f"the TLS gateway listens ({line.strip()})")

    def result(self):
        out, _ = self.p.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


class CallGateway:
    """sip_gateway_call.py in the gateway namespace: one call in MODE."""
    def __init__(self, files, mode, secs=20, suite="AES_CM_128_HMAC_SHA1_80"):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", "umedge-gw", "timeout", str(secs + 80), "/usr/bin/python3",
             os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_gateway_call.py"),
             "192.0.2.10", "5061", files["gw"], files["gw_key"], files["engine_ca"], str(secs),
             mode, "7100", suite],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        ok("listening" in line, f"the TLS call gateway listens ({line.strip()})")

    def result(self):
        out, err = self.p.communicate(timeout=100)
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"stdout": out, "stderr": err[-2000:]}


def test_phone(demo, files):
    """--phone: a test call through gw1, RTP over UDP to SIPp's echo, SRTP
    over mutual TLS to an independent SRTP peer; refused and unanswered
    calls; the CLI's errors."""
    from sip_peers import Sipp

    # UDP (fabrikam's mode): SIPp answers, -rtp_echo sends our tone back
    gw = Sipp(Shim(demo), "umedge-gw", ["-sf", os.path.join(SCEN, "uas_phone.xml"), "-i",
                                       "192.0.2.10", "-p", "5060", "-mi", "192.0.2.10", "-mp",
                                       "7000", "-rtp_echo", "-m", "1"], 40)
    time.sleep(0.5)
    rc, r = connectivity(demo, "--gateway", "gw1", "--secured", "false", "--phone", "1234",
                         "--seconds", "3")
    rc_gw = gw.wait(30)
    c = r.get("call") or {}
    m = c.get("media") or {}
    ok(rc == 0 and r["passed"] and r["transport"] == "UDP" and c["status"] == 200 and
       c["ringing_ms"] is not None and c["bye_status"] == 200 and rc_gw == 0,
       f"UDP call: answered, rung, BYE answered; SIPp saw the offer it checks ({r}, {rc_gw})")
    ok(m["security"] == "RTP" and m["to"] == "192.0.2.10:7000" and
       140 <= m["packets_sent"] <= 160 and m["packets_received"] >= m["packets_sent"] - 2 and
       m["echo"] is True and m["lost"] == 0 and m["loss_percent"] == 0 and
       m["echo_rtt_ms"] is not None and 0 < m["echo_rtt_ms"] < 200 and m["jitter_ms"] >= 0,
       f"UDP call: 3 s of tone out, all of it back from SIPp's echo, round trip measured ({m})")

    # TLS + SRTP (contoso: secured, its suites offered in its order): the
    # gateway keeps the second, AEAD_AES_128_GCM, and checks our SRTP with our key
    g = CallGateway(files, "echo", suite="AEAD_AES_128_GCM")
    h = umedgectl(demo, "test-connectivity", "--gateway", "gw1", "--phone", "5551234",
                  "--seconds", "3", timeout=90)
    seen = g.result()
    ok(h.returncode == 0 and "PASS: call to 5551234 answered 200 OK" in h.stdout and
       "SRTP AEAD_AES_128_GCM to 192.0.2.10:7100" in h.stdout and
       re.search(r"round trip +RTCP [0-9.]+ ms \([0-9]+ reports\)", h.stdout),
       f"TLS+SRTP call: PASS, with the round trip from the gateway's RTCP\n# " +
       h.stdout.replace("\n", "\n# "))
    ok(seen.get("offer", {}).get("proto") == "RTP/SAVP" and
       seen["offer"]["crypto"] == ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] and
       seen["suite"] == "AEAD_AES_128_GCM" and
       seen["offer"]["addr"] == "192.0.2.1" and seen["srtp_bad"] == 0 and
       seen["srtp_in"] >= 140 and seen["payload_sizes"] == [160] * 5 and
       seen["sr_in"] >= 2 and seen["rtcp_bye"] == 1 and seen["rr_out"] >= 2 and
       seen["methods"][:1] == ["ACK"] and "BYE" in seen["methods"] and
       seen["bye_ruri"] == "sip:echo@192.0.2.10:5061;transport=tls",
       f"the gateway (pylibsrtp) authenticated our SRTP and SRTCP, got ACK, BYE to its "
       f"Contact and an RTCP BYE ({seen})")
    got = re.search(r"packets +sent (\d+), received (\d+) \(the gateway's\), lost 0", h.stdout)
    ok(got and int(got.group(2)) >= seen["echoed"] - 3 and int(got.group(1)) >= seen["srtp_in"],
       f"what the gateway echoed came back and authenticated ({seen['echoed']} echoed)")

    # loss on the way back, and media under a key the gateway did not answer
    g = CallGateway(files, "lossy")
    rc, r = connectivity(demo, "--gateway", "gw1", "--phone", "5551234", "--seconds", "2")
    seen = g.result()
    m = (r.get("call") or {}).get("media") or {}
    # (a packet dropped after the last one sent back is not known lost yet)
    ok(rc == 0 and seen.get("dropped", 0) >= 8 and
       seen["dropped"] - 1 <= m.get("lost", -1) <= seen["dropped"],
       f"loss: the packets the gateway did not send back are counted lost ({m}, "
       f"{seen.get('dropped')} dropped)")
    ok(9.0 <= m.get("loss_percent", 0) <= 11.5, f"loss: about 10 % ({m.get('loss_percent')})")
    g = CallGateway(files, "badkey")
    rc, r = connectivity(demo, "--gateway", "gw1", "--phone", "5551234", "--seconds", "1")
    seen = g.result()
    m = (r.get("call") or {}).get("media") or {}
    ok(rc == 1 and m.get("packets_received") == 0 and m.get("auth_failures", 0) >= 40 and
       "none of it authenticated" in (r.get("error") or ""),
       f"the wrong key: FAIL, every packet refused by SRTP ({r.get('error')}, {m})")

    # refused, and unanswered (CANCEL)
    g = CallGateway(files, "busy")
    rc, r = connectivity(demo, "--gateway", "gw1", "--phone", "5551234")
    seen = g.result()
    ok(rc == 1 and r["error"] == "the gateway refused the call: 486 Busy Here" and
       (seen.get("after") or "").startswith("ACK "),
       f"busy: FAIL in words, the 486 ACKed ({r.get('error')}, {seen.get('after')})")
    g = CallGateway(files, "ring")
    rc, r = connectivity(demo, "--gateway", "gw1", "--phone", "5551234", "--timeout", "2")
    seen = g.result()
    ok(rc == 1 and "did not answer the call in 2.0 s: cancelled (487" in (r.get("error") or "")
       and (seen.get("after") or "").startswith("CANCEL ") and
       (seen.get("ack") or "").startswith("ACK ") and r["call"]["cancelled"] is True,
       f"ringing, no answer: CANCEL, 487 ACKed ({r.get('error')}, {seen})")

    for args, want in ((["--gateway", "gw1", "--seconds", "3"], "--seconds goes with --phone"),
                       (["--gateway", "gw1", "--phone", "1", "--seconds", "0"],
                        "--seconds must be 1..60"),
                       (["--local", "--phone", "1"], "--local takes no --gateway, --secured or "
                        "--phone"),
                       (["--gateway", "gw1", "--phone", "12 34"], "the phone number must be")):
        h = umedgectl(demo, "test-connectivity", *args)
        ok(h.returncode != 0 and want in h.stderr, f"test-connectivity {' '.join(args)}: "
           f"'{h.stderr.strip()}'")


def connectivity(demo, *args):
    """umedgectl --json test-connectivity ARGS: (exit code, the report)."""
    r = umedgectl(demo, "--json", "test-connectivity", *args)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"stderr": r.stderr, "stdout": r.stdout}


def test_connectivity(demo, files):
    d = demo.dir
    from sip_peers import Sipp

    # UDP, --secured false: SIPp answers as gw1
    gw = Sipp(Shim(demo), "umedge-gw", ["-sf", os.path.join(SCEN, "uas_options.xml"), "-i",
                                       "192.0.2.10", "-p", "5060", "-m", "1"], 20)
    time.sleep(0.5)
    rc, r = connectivity(demo, "--gateway", "gw1", "--secured", "false")
    gw.wait(20)
    ok(rc == 0 and r["passed"] and r["transport"] == "UDP" and r["status"] == 200 and
       r["target"] == "192.0.2.10:5060" and r["server"] == "test gateway (SIPp)",
       f"UDP: OPTIONS answered 200 by gw1 ({r})")
    ok(any("UDP serves only gw1's unsecured" in n for n in r["context"]["notes"]),
       f"the note says UDP is only for gw1's unsecured dial plan ({r['context']['notes']})")
    h = umedgectl(demo, "test-connectivity", "--gateway", "gw1", "--secured", "false",
                  "--timeout", "2")
    ok(h.returncode == 1 and "FAIL: no answer to OPTIONS in 2.0 s" in h.stdout,
       f"UDP with nobody answering: FAIL, said in words:\n{h.stdout}")

    # TLS: the dial plans decide (contoso is secured)
    rc, cert = demo.ctl("cert", "show")
    g = TlsGateway(demo, files["gw"], files["gw_key"], files["engine_ca"])
    rc, r = connectivity(demo, "--gateway", "gw1")
    seen = g.result()
    t = r.get("tls", {})
    ok(rc == 0 and r["passed"] and r["transport"] == "TLS" and r["target"] == "192.0.2.10:5061"
       and r["context"]["transport_by"] == "dial plan", f"TLS: passed ({r})")
    with open(files["gw"], "rb") as f:
        from cryptography import x509
        gw_cert = x509.load_pem_x509_certificate(f.read())
    ok(t["version"] in ("TLSv1.3", "TLSv1.2") and t["cipher"] and
       t["peer_subject"] == "CN=gw1.example.test" and t["peer_issuer"] == "CN=gateway root" and
       t["peer_thumbprint_sha1"] == certs.thumbprint(gw_cert).upper() and
       t["chains_to_trust"] is True and t["names_fqdn"] is True and
       t["peer_not_after"].startswith(gw_cert.not_valid_after.strftime("%Y-%m-%dT%H:%M")),
       f"TLS: version, cipher and the gateway's certificate reported ({t})")
    ok(t["our_thumbprint_sha1"] == cert["thumbprint_sha1"].upper() and
       seen["client_thumbprints"] == [cert["thumbprint_sha1"].upper()] and seen["options"] == 1,
       "TLS: the certificate we presented is the one in use, and the gateway saw it")
    h = umedgectl(demo, "test-connectivity", "--gateway", "gw1", "--timeout", "1")
    ok(h.returncode == 1 and "FAIL: connection refused: nothing listens on 192.0.2.10:5061"
       in h.stdout, f"nothing listening: said\n{h.stdout}")

    # each way the handshake can fail, in the operator's words
    rogue = certs.CA("rogue root")
    other, other_key = certs.leaf("gw1.example.test", rogue)
    other_pem = certs.write_pair(d, "other", other, other_key)
    wrong, wrong_key = certs.leaf("gw9.example.test", files["ca"])
    wrong_pem = certs.write_pair(d, "wrongname", wrong, wrong_key)
    old, old_key = certs.leaf("gw1.example.test", files["ca"],
                              not_before=certs.now() - certs.datetime.timedelta(days=30),
                              not_after=certs.now() - certs.datetime.timedelta(days=1))
    old_pem = certs.write_pair(d, "expired", old, old_key)
    cases = (
        ("the gateway does not trust us", files["gw"], files["gw_key"], other_pem,
         "the gateway does not trust our certificate (alert unknown_ca): import the exported "
         "certificate on the gateway", "protocol"),
        ("a certificate naming another host", wrong_pem, os.path.join(d, "wrongname.key"),
         files["engine_ca"],
         "the gateway's certificate names gw9.example.test, configured fqdn is gw1.example.test",
         "fqdn_mismatch"),
        ("a certificate from a root not in trust/", other_pem, os.path.join(d, "other.key"),
         files["engine_ca"], "does not chain to trust/: put its CA", "untrusted"),
        ("an expired certificate", old_pem, os.path.join(d, "expired.key"), files["engine_ca"],
         "the gateway's certificate is not valid (certificate has expired, not after ",
         "certificate_invalid"),
    )
    for what, c, k, ca, words, failure in cases:
        g = TlsGateway(demo, c, k, ca, secs=4)
        rc, r = connectivity(demo, "--gateway", "gw1")
        g.result()
        ok(rc == 1 and not r["passed"] and words in (r.get("error") or "") and
           r["tls"]["failure"] == failure,
           f"{what}: FAIL with '{r.get('error')}' ({r['tls'].get('failure')})")
    ok(r["tls"]["chains_to_trust"] is False and r["tls"]["peer_not_after"],
       "the expired certificate: does not verify, its not-after reported")

    # a listener that is not TLS: it closes at once
    lst = subprocess.Popen(["ip", "netns", "exec", "umedge-gw", "timeout", "10", "/usr/bin/python3",
                            "-c", "import socket,time\ns=socket.socket()\n"
                            "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                            "s.bind(('192.0.2.10',5061));s.listen(1);print('up',flush=True)\n"
                            "c,_=s.accept();c.close();time.sleep(1)"],
                           stdout=subprocess.PIPE, text=True)
    lst.stdout.readline()
    rc, r = connectivity(demo, "--gateway", "gw1")
    lst.wait(15)
    ok(rc == 1 and "closed the connection during the TLS handshake" in (r.get("error") or ""),
       f"a listener that is not TLS: '{r.get('error')}'")

    # a gateway nobody answers for, whose only dial plan is unsecured, asked for TLS
    for args in (["gateway", "add", "gw2", "--address", "192.0.2.11", "--fqdn",
                  "gw2.example.test"],
                 ["huntgroup", "add", "--gateway", "gw2", "--pilot", "7000", "--dial-plan",
                  "fabrikam"]):
        ok(demo.ctl(*args)[0] == 0, " ".join(args))
    rc, r = connectivity(demo, "--gateway", "gw2", "--secured", "true", "--timeout", "2")
    ok(rc == 1 and r["transport"] == "TLS" and r["context"]["transport_by"] == "--secured" and
       any("unsecured" in n and "tested with TLS as asked" in n for n in r["context"]["notes"]),
       f"--secured true against an unsecured gateway: said in a note ({r['context']['notes']})")
    ok("did not complete in 2.0 s" in (r.get("error") or "") or
       "no answer to the TCP connection" in (r.get("error") or ""),
       f"nobody at 192.0.2.11: '{r.get('error')}'")
    for args in (["gateway", "remove", "gw2"],):
        demo.ctl("huntgroup", "remove", "--gateway", "gw2", "--pilot", "7000")
        ok(demo.ctl(*args)[0] == 0, " ".join(args))

    # --local: each listener the modes open, from the engine itself
    r = umedgectl(demo, "--json", "test-connectivity", "--local", "--timeout", "5")
    reports = json.loads(r.stdout) if r.stdout.startswith("[") else []
    got = {(x["transport"], x["target"], x["passed"], x["status"]) for x in reports}
    ok(r.returncode == 0 and got == {("UDP", "192.0.2.1:5060", True, 200),
                                     ("TCP", "192.0.2.1:5060", True, 200),
                                     ("TLS", "192.0.2.1:5061", True, 200)},
       f"--local: UDP, TCP and TLS listeners answer the engine itself ({got}, {r.stderr})")
    tls = [x for x in reports if x["transport"] == "TLS"][0]["tls"]
    ok(tls["peer_subject"] == "CN=um1.example.test" and tls["names_fqdn"] is True and
       tls["peer_thumbprint_sha1"] == tls["our_thumbprint_sha1"],
       "--local TLS: our listener presents our certificate, naming our FQDN")
    ok(len(demo.events("SipUnknownGateway")) == 0,
       "no SipUnknownGateway for the engine's own OPTIONS")
    ok(demo.ctl("dialplan", "set", "fabrikam", "--security", "secured")[0] == 0,
       "fabrikam made secured: only TLS is left open")
    wait(lambda: [x["transport"] for x in demo.ctl("status")[1]["listeners"]] == ["tls"], 10,
         "only the TLS listener")
    h = umedgectl(demo, "test-connectivity", "--local")
    ok(h.returncode == 0 and "our TLS listener" in h.stdout and "UDP" not in h.stdout,
       f"--local follows the modes: only TLS now\n{h.stdout}")
    ok(demo.ctl("dialplan", "set", "fabrikam", "--security", "unsecured")[0] == 0,
       "fabrikam unsecured again")
    wait(lambda: len(demo.ctl("status")[1]["listeners"]) == 3, 10, "three listeners again")

    # what an operator can get wrong
    for args, want in ((["--gateway", "gw9"], "unknown gateway 'gw9'"),
                       (["--local", "--gateway", "gw1"], "--local takes no --gateway"),
                       (["--gateway", "gw1", "--secured", "yes"], "--secured is true or false"),
                       (["--gateway", "gw1", "--timeout", "0"], "--timeout must be 1..60"),
                       ([], "missing --gateway (or --local)")):
        h = umedgectl(demo, "test-connectivity", *args)
        ok(h.returncode != 0 and want in h.stderr, f"test-connectivity {' '.join(args)}: "
           f"'{h.stderr.strip()}'")


def gateway_files(demo):
    """A root in the demo's trust/ (before it starts) and gw1's certificate
    from it; the engine's certificate is exported once it runs."""
    ca = certs.CA("gateway root")
    os.makedirs(os.path.join(demo.dir, "trust"), exist_ok=True)
    ca.write(os.path.join(demo.dir, "trust", "gateway-root.pem"))
    gw, gw_key = certs.leaf("gw1.example.test", ca)
    return {"gw": certs.write_pair(demo.dir, "gw1", gw, gw_key),
            "gw_key": os.path.join(demo.dir, "gw1.key"),
            "engine_ca": os.path.join(demo.dir, "engine.pem"), "ca": ca}


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (namespaces, TAP)")
        return 0
    demo = Demo()
    try:
        files = gateway_files(demo)
        r = demo.run("start", "--detach")
        ok(r.returncode == 0, f"scripts/run start --detach ({r.stderr[-800:]})")
        wait(lambda: demo.ctl("status")[0] == 0, 20, "control answers")
        rc, _ = demo.ctl("cert", "export", "--out", files["engine_ca"])
        ok(rc == 0, "the engine's certificate exported for the gateway")
        wait(lambda: not refused(), 10, "metrics endpoint up")
        test_connectivity(demo, files)
        test_phone(demo, files)
        test_capture(demo, files)
        test_metrics(demo)
    except BaseException:
        print("--- control.log\n" + demo.log("control")[-3000:], file=sys.stderr)
        print("--- dataplane.log\n" + demo.log("dataplane")[-3000:], file=sys.stderr)
        raise
    finally:
        demo.stop()
    print(f"1..{dataplane_env.checks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
