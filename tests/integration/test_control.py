#!/usr/bin/python3
"""Control plane end to end: run umedge-control on a configuration of its
own and drive it only through umedgectl, as an operator would.

usage: test_control.py BUILD_DIR SOURCE_DIR"""
import datetime
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certs  # noqa: E402
from dataplane_env import ok  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]
CONTROL = os.path.join(BUILD, "control", "umedge-control")
CTL = os.path.join(BUILD, "control", "umedgectl")
D = datetime.timedelta


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="umedge-ctl-test-")
        self.state = os.path.join(self.dir, "state")
        self.store = os.path.join(self.dir, "certs")
        self.trust = os.path.join(self.dir, "trust")
        self.sock = os.path.join(self.dir, "control.sock")
        self.config = os.path.join(self.dir, "umedge.yaml")
        os.makedirs(self.trust)
        with open(os.path.join(SRC, "docs", "examples", "umedge.yaml")) as f:
            # the example's metrics endpoint is the operator test's (test_operator.py)
            text = "".join(ln for ln in f.readlines() if not ln.startswith("metrics:"))
        text = (text.replace("/var/lib/umedge", self.state)
                .replace("/etc/umedge/certs", self.store)
                .replace("/etc/umedge/trust", self.trust)
                .replace("/run/umedge/control.sock", self.sock))
        with open(self.config, "w") as f:
            f.write(text)
        self.proc = None
        self.log = open(os.path.join(self.dir, "control.log"), "ab")

    def start(self):
        self.proc = subprocess.Popen([CONTROL, "--config", self.config], stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("umedge-control exited: " + self.tail_log())
            if os.path.exists(self.sock) and self.ctl("status", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("umedge-control did not come up")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def tail_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "control.log"), "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def ctl(self, *args, check=True, as_json=False):
        cmd = [CTL, "--socket", self.sock] + (["--json"] if as_json else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"umedgectl {' '.join(args)} failed: {r.stderr}")
        return r

    def j(self, *args):
        return json.loads(self.ctl(*args, as_json=True).stdout)

    def events(self, limit=1000):
        return self.j("events", "--limit", str(limit))

    def event_ids(self):
        return [e["id"] for e in self.events()]

    def wait_for(self, pred, what, timeout=8.0):
        """Poll pred() until true; the store watcher must react within 5 s."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(0.25)
        raise AssertionError("timed out: " + what)

    def cleanup(self):
        self.stop()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def thumb_in_use(env):
    return env.j("cert", "show")["thumbprint_sha1"]


def test_startup_and_status(env):
    st = env.j("status")
    lis = {(l["transport"], l["port"]): l["dial_plans"] for l in st["listeners"]}
    ok(lis == {("tls", 5061): ["contoso"], ("udp", 5060): ["fabrikam"],
               ("tcp", 5060): ["fabrikam"]}, "listeners follow the associated dial plans")
    plans = {p["name"]: (p["voip_security"], p["associated"]) for p in st["dial_plans"]}
    ok(plans == {"contoso": ("secured", True), "fabrikam": ("unsecured", True),
                 "northwind": ("sip_secured", False)}, "status lists dial plans and association")
    cert = env.j("cert", "show")
    ok(cert["kind"] == "self-signed" and "um1.example.test" in cert["subject"],
       "an empty store gets a self-signed certificate for the FQDN")
    ok(st["certificate"]["thumbprint_sha1"] == cert["thumbprint_sha1"], "status shows it")
    ok(len(cert["thumbprint_sha1"]) == 40 and cert["serial"] and cert["issuer"],
       "cert show has thumbprint, serial, issuer")
    ok(cert["not_after"].endswith("Z") and "T" in cert["not_before"], "ISO 8601 UTC dates")
    keys = [f for f in os.listdir(env.store) if f.endswith(".key")]
    ok(len(keys) == 1 and stat.S_IMODE(os.stat(os.path.join(env.store, keys[0])).st_mode) == 0o600,
       "the generated key is stored with mode 0600")
    ids = env.event_ids()
    ok("SelfSignedCertificateGenerated" in ids and "CertificateSelected" in ids,
       "generation and selection are evented")
    sel = [e for e in env.events() if e["id"] == "CertificateSelected"][-1]["fields"]
    ok(all(k in sel for k in ("issuer", "subject", "serial", "thumbprint_sha1", "not_after")),
       "CertificateSelected carries issuer, subject, serial, thumbprint, validity")
    human = env.ctl("status").stdout
    ok("tls" in human and "contoso" in human and "TRANSPORT" in human, "status prints a table")


def test_ranking_and_hot_swap(env, ca):
    ca.write(os.path.join(env.trust, "root.pem"))
    short, skey = certs.leaf("um1.example.test", ca, not_after=certs.now() + D(days=100))
    certs.write_pair(env.store, "pki-short", short, skey)
    env.wait_for(lambda: thumb_in_use(env) == certs.thumbprint(short),
                 "a CA-issued certificate replaces the self-signed one within 5 s")
    ok(True, "CA-issued before self-signed, hot-swapped without restart")
    long_, lkey = certs.leaf("um1.example.test", ca, not_after=certs.now() + D(days=300))
    certs.write_pair(env.store, "pki-long", long_, lkey, same_file=True)
    env.wait_for(lambda: thumb_in_use(env) == certs.thumbprint(long_), "longest life first")
    ok(True, "the longer-lived CA-issued certificate wins (key in the same file)")
    ssl, sslkey = certs.leaf("um1.example.test", None, not_after=certs.now() + D(days=2000))
    certs.write_pair(env.store, "self-long", ssl, sslkey)
    time.sleep(2.5)
    ok(thumb_in_use(env) == certs.thumbprint(long_),
       "a longer self-signed certificate does not beat a CA-issued one")
    lst = env.j("cert", "list")
    ranked = sorted([c for c in lst if c["valid"]], key=lambda c: c["rank"])
    kinds = [(c["kind"], c["thumbprint_sha1"]) for c in ranked]
    ok(kinds[0] == ("pki", certs.thumbprint(long_)) and kinds[1] == ("pki", certs.thumbprint(short))
       and kinds[2] == ("self-signed", certs.thumbprint(ssl)) and kinds[3][0] == "self-signed",
       "cert list ranks PKI longest, PKI shortest, self-signed longest, self-signed shortest")
    ok(ranked[0]["rank"] == 1, "rank 1 is the certificate in use")
    changed = [e for e in env.events() if e["id"] == "CertificateChanged"]
    ok(changed and changed[-1]["fields"]["thumbprint_sha1"] == certs.thumbprint(long_)
       and changed[-1]["fields"]["old_thumbprint_sha1"] == certs.thumbprint(short),
       "CertificateChanged names the old and the new certificate")
    return short, long_


def test_rejections(env, ca):
    other = certs.CA("untrusted root")
    bad = {
        "expired": certs.leaf("um1.example.test", ca, not_before=certs.now() - D(days=20),
                              not_after=certs.now() - D(days=1)),
        "untrusted": certs.leaf("um1.example.test", other),
        "server-only": certs.leaf("um1.example.test", ca, eku=("server",)),
    }
    for stem, (c, k) in bad.items():
        certs.write_pair(env.store, "bad-" + stem, c, k)
    wrong_c, _ = certs.leaf("um1.example.test", ca)
    _, wrong_k = certs.leaf("um1.example.test", ca)
    certs.write_pair(env.store, "bad-wrongkey", wrong_c, wrong_k)
    with open(os.path.join(env.store, "bad-garbage.crt"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")

    def rejected():
        paths = {os.path.basename(e["fields"]["path"]) for e in env.events()
                 if e["id"] == "CertificateRejected"}
        want = {"bad-expired.pem", "bad-untrusted.pem", "bad-server-only.pem",
                "bad-wrongkey.pem", "bad-garbage.crt"}
        return want <= paths
    env.wait_for(rejected, "every bad candidate is reported with CertificateRejected")
    ok(True, "CertificateRejected for expired, untrusted, EKU, wrong key and garbage files")
    lst = {os.path.basename(c["path"]): c for c in env.j("cert", "list")}
    ok(all(not lst[n]["valid"] and lst[n]["reason"] and lst[n]["rank"] is None
           for n in ("bad-expired.pem", "bad-untrusted.pem", "bad-server-only.pem",
                     "bad-wrongkey.pem", "bad-garbage.crt")),
       "cert list shows invalid candidates with a reason and no rank")
    ok("expired" in lst["bad-expired.pem"]["reason"], "reason says expired")
    for stem in bad:
        certs.remove_pair(env.store, "bad-" + stem)
    certs.remove_pair(env.store, "bad-wrongkey")
    os.unlink(os.path.join(env.store, "bad-garbage.crt"))


def test_export(env):
    pem = os.path.join(env.dir, "export.pem")
    der = os.path.join(env.dir, "export.der")
    env.ctl("cert", "export", "--out", pem)
    env.ctl("cert", "export", "--der", "--out", der)
    with open(der, "rb") as f:
        ok(hashlib.sha1(f.read()).hexdigest() == thumb_in_use(env),
           "DER export's SHA-1 is the thumbprint in use")
    text = open(pem).read()
    ok(text.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" not in text,
       "PEM export holds the certificate and never the key")
    r = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha1"],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and r.stdout.split("=")[1].strip().replace(":", "").lower()
       == thumb_in_use(env), "openssl reads the export")


def test_modes_live(env):
    before = open(env.config).read()
    env.ctl("dialplan", "set", "contoso", "--security", "unsecured")
    st = env.j("status")
    lis = {(l["transport"], l["port"]): l["dial_plans"] for l in st["listeners"]}
    ok(("tls", 5061) not in lis and lis[("udp", 5060)] == ["contoso", "fabrikam"],
       "a mode change applies live: TLS closes, UDP/TCP serve both")
    ev = [e for e in env.events() if e["id"] == "SecurityModeChanged"][-1]["fields"]
    ok(ev["dial_plan"] == "contoso" and ev["old"] == "secured" and ev["new"] == "unsecured",
       "SecurityModeChanged names the dial plan and both modes")
    after = open(env.config).read()
    ok(after != before and "contoso" in after, "the change is persisted to the file")
    ok(not [f for f in os.listdir(env.dir) if ".tmp." in f], "no temporary file left behind")
    env.ctl("server", "associate", "northwind")
    lis = {(l["transport"], l["port"]): l["dial_plans"] for l in env.j("status")["listeners"]}
    ok(lis[("tls", 5061)] == ["northwind"], "associating a sip_secured plan opens TLS 5061")
    ok(env.event_ids()[-1] == "DialPlanAssociationChanged", "association is evented")
    for p in ("contoso", "fabrikam", "northwind"):
        env.ctl("server", "dissociate", p)
    lis = env.j("status")["listeners"]
    ok({(l["transport"], l["port"]) for l in lis} == {("udp", 5060), ("tcp", 5060)}
       and all(l["by_start_secured"] for l in lis),
       "with nothing associated start_secured 0 opens UDP and TCP 5060")
    env.ctl("dialplan", "add", "litware", "--security", "secured", "--srtp-suites",
            "AEAD_AES_256_GCM,AES_CM_128_HMAC_SHA1_32")
    dp = env.j("dialplan", "show", "litware")
    ok(dp["srtp_suites"] == ["AEAD_AES_256_GCM", "AES_CM_128_HMAC_SHA1_32"],
       "dialplan add keeps the suite order")
    env.ctl("server", "associate", "litware")
    env.ctl("server", "associate", "contoso")
    lis = {(l["transport"], l["port"]): l["dial_plans"] for l in env.j("status")["listeners"]}
    ok(lis == {("tls", 5061): ["litware"], ("udp", 5060): ["contoso"], ("tcp", 5060): ["contoso"]},
       "all modes at once again")


def test_inventory(env):
    env.ctl("gateway", "add", "gw2", "--address", "203.0.113.7", "--fqdn", "gw2.example.test",
            "--port", "5071")
    gws = {g["name"]: g for g in env.j("gateway", "list")}
    ok(gws["gw2"]["address"] == "203.0.113.7" and gws["gw2"]["port"] == 5071, "gateway add")
    env.ctl("huntgroup", "add", "--gateway", "gw2", "--pilot", "6000", "--dial-plan", "litware")
    hgs = env.j("huntgroup", "list")
    ok({"gateway": "gw2", "pilot": "6000", "dial_plan": "litware"} in hgs, "huntgroup add")
    r = env.ctl("gateway", "remove", "gw2", check=False)
    ok(r.returncode != 0 and "hunt group" in r.stderr, "a gateway in use can't be removed")
    env.ctl("huntgroup", "remove", "--gateway", "gw2", "--pilot", "6000")
    env.ctl("gateway", "remove", "gw2")
    ok("gw2" not in {g["name"] for g in env.j("gateway", "list")}, "gateway remove")


def test_bad_input(env):
    before = open(env.config).read()
    state = env.j("status")
    cases = [
        (["dialplan", "add", "x1", "--security", "paranoid"], "unknown voip_security"),
        (["dialplan", "add", "x1", "--security", "secured", "--srtp-suites", "ROT13"],
         "unknown SRTP suite"),
        (["dialplan", "add", "contoso", "--security", "secured"], "already exists"),
        (["dialplan", "set", "nosuch", "--security", "secured"], "no dial plan"),
        (["dialplan", "remove", "contoso"], "dissociate"),
        (["server", "associate", "nosuch"], "no dial plan"),
        (["gateway", "add", "gw9", "--address", "999.1.1.1", "--fqdn", "g.example.test"],
         "invalid IPv4"),
        (["huntgroup", "add", "--gateway", "nosuch", "--pilot", "1", "--dial-plan", "contoso"],
         "no gateway"),
        (["dialplan", "add", "bad name!", "--security", "secured"], ""),
    ]
    for args, msg in cases:
        r = env.ctl(*args, check=False)
        ok(r.returncode == 1 and r.stderr.startswith("umedgectl: ") and msg in r.stderr,
           f"refused with a clear error: {' '.join(args)} -> {r.stderr.strip()}")
    for args in (["dialplan"], ["frobnicate"], ["dialplan", "add"], ["gateway", "add", "g", "--bogus", "1"],
                 ["events", "--limit", "many"]):
        r = env.ctl(*args, check=False)
        ok(r.returncode == 2 and r.stderr, f"usage error for {' '.join(args)}")
    ok(open(env.config).read() == before, "rejected changes leave the file as it was")
    ok(env.j("status")["dial_plans"] == state["dial_plans"], "and the running state")
    ok(env.event_ids().count("ConfigRejected") >= len(cases), "each refusal is a ConfigRejected event")
    # A broken file: config reload refuses with file:line and keeps running.
    with open(env.config, "a") as f:
        f.write("bogus_key: 1\n")
    r = env.ctl("config", "reload", check=False)
    ok(r.returncode == 1 and (env.config + ":") in r.stderr and "bogus_key" in r.stderr,
       "config reload of a broken file gives file:line: what is wrong")
    ok(env.j("status")["dial_plans"] == state["dial_plans"], "the running state is kept")
    with open(env.config, "w") as f:
        f.write(before.replace("name: fabrikam, voip_security: unsecured",
                               "name: fabrikam, voip_security: sip_secured"))
    env.ctl("config", "reload")
    plans = {p["name"]: p["voip_security"] for p in env.j("dialplan", "list")}
    ok(plans["fabrikam"] == "sip_secured", "a valid edited file applies on config reload")
    # Garbage on the socket: answered, daemon unharmed.
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(env.sock)
    s.sendall(b"this is not json\n{\"cmd\": 42}\n{\"cmd\": \"nope\"}\n")
    data = b""
    while data.count(b"\n") < 3:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    answers = [json.loads(l) for l in data.splitlines()]
    ok(len(answers) == 3 and not any(a["ok"] for a in answers), "malformed requests get errors")
    ok(env.ctl("status", check=False).returncode == 0, "the daemon survives them")


def test_follow(env):
    p = subprocess.Popen([CTL, "--socket", env.sock, "--json", "events", "--follow",
                          "--limit", "0"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        env.ctl("dialplan", "set", "northwind", "--security", "secured")
        time.sleep(1.0)
    finally:
        p.terminate()
        out, _ = p.communicate(timeout=10)
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    ok(any(e["id"] == "SecurityModeChanged" and e["fields"]["dial_plan"] == "northwind"
           for e in got), "events --follow streams new events as JSON lines")


def test_expiry_and_restart(env, ca, short, long_):
    # Only one CA-issued certificate left, 10 days from expiry: warned today.
    for f in os.listdir(env.store):
        os.unlink(os.path.join(env.store, f))
    # 9.5 days: whole days left is 9 whatever second the daemon looks.
    soon, skey = certs.leaf("um1.example.test", ca, not_after=certs.now() + D(days=9, hours=12))
    certs.write_pair(env.store, "pki-soon", soon, skey)
    env.wait_for(lambda: thumb_in_use(env) == certs.thumbprint(soon), "the 10-day certificate")
    ev = env.wait_for(lambda: [e for e in env.events() if e["id"] == "CertificateExpiringSoon"],
                      "CertificateExpiringSoon")
    ok(ev[-1]["fields"]["days_left"] == 9 and ev[-1]["fields"]["thumbprint_sha1"]
       == certs.thumbprint(soon), "CertificateExpiringSoon with days_left")
    n = len(ev)
    env.stop()
    env.start()
    time.sleep(1.5)
    ev = [e for e in env.events() if e["id"] == "CertificateExpiringSoon"]
    ok(len(ev) == n, "a restart the same day does not repeat the warning")
    ok(thumb_in_use(env) == certs.thumbprint(soon), "and selects the same certificate")

    # Expires while in use with nothing else valid: kept, CertificateExpired.
    brief, bkey = certs.leaf("um1.example.test", ca, not_after=certs.now() + D(seconds=6))
    certs.remove_pair(env.store, "pki-soon")
    certs.write_pair(env.store, "pki-brief", brief, bkey)
    env.wait_for(lambda: thumb_in_use(env) == certs.thumbprint(brief), "the brief certificate")
    gen_before = env.event_ids().count("SelfSignedCertificateGenerated")
    env.wait_for(lambda: [e for e in env.events() if e["id"] == "CertificateExpired"
                          and e["fields"]["thumbprint_sha1"] == certs.thumbprint(brief)],
                 "CertificateExpired", timeout=15)
    ok(True, "CertificateExpired is raised for the certificate in use")
    time.sleep(2)
    ok(thumb_in_use(env) == certs.thumbprint(brief), "the expired certificate stays in use")
    ok(env.event_ids().count("SelfSignedCertificateGenerated") == gen_before,
       "no self-signed replacement behind the operator's back")
    # Another valid candidate appears: it takes over.
    fresh, fkey = certs.leaf("um1.example.test", ca, not_after=certs.now() + D(days=200))
    certs.write_pair(env.store, "pki-fresh", fresh, fkey)
    env.wait_for(lambda: thumb_in_use(env) == certs.thumbprint(fresh), "replacement")
    ok(True, "a valid candidate replaces the expired one")
    # Store emptied: nothing valid after a store change -> generate.
    for f in os.listdir(env.store):
        os.unlink(os.path.join(env.store, f))
    env.wait_for(lambda: env.j("cert", "show")["kind"] == "self-signed",
                 "self-signed generated after the store emptied")
    ok(True, "an emptied store gets a fresh self-signed certificate")


def main():
    env = Env()
    try:
        env.start()
        test_startup_and_status(env)
        ca = certs.CA()
        short, long_ = test_ranking_and_hot_swap(env, ca)
        test_rejections(env, ca)
        test_export(env)
        test_modes_live(env)
        test_inventory(env)
        test_bad_input(env)
        test_follow(env)
        test_expiry_and_restart(env, ca, short, long_)
        env.stop()
        ok(not os.path.exists(env.sock), "SIGTERM stops the daemon and removes its socket")
        print(f"{__import__('dataplane_env').checks} passed, 0 failed")
    except Exception:
        print(env.tail_log(), file=sys.stderr)
        raise
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
