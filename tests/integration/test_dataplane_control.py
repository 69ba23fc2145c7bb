#!/usr/bin/python3
"""umedge-dataplane with umedge-control and two workers (software dispatch):
hello and snapshot over the control socket, `umedgectl --json status` shows
status.dataplane, a live change reaches the workers (a listener closes), the
dataplane keeps its snapshot while control is away and reconnects.

usage: test_dataplane_control.py BUILD_DIR SOURCE_DIR"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataplane_env import EXT, INT, Env, ctl, ok, wait  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]


def main():
    env = Env(BUILD, SRC, "dpc", workers=2)
    try:
        env.start_control()
        env.start_dataplane()
        ok("2 worker(s), software dispatch" in env.dp_log(), "two workers, software dispatch")
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 1, 15, "hello accepted")
        st = env.telemetry("/umedge/status")
        ok(st["snapshot_version"] >= 1, f"snapshot {st['snapshot_version']} applied")
        v1 = st["snapshot_version"]

        # traffic on both sides, spread over the workers
        res = env.run_in(env.ns_gw, "udp_echo", EXT, 10, 4000)
        ok(all(res.values()), f"UDP echo through the dispatcher: {res}")
        res = env.run_in(env.ns_app, "udp_echo", INT, 10, 4000)
        ok(all(res.values()), f"UDP echo on the internal side: {res}")
        r = env.sh(env.ns_gw, "ping", "-c", "3", "-i", "0.2", "-W", "2", EXT)
        ok(r.returncode == 0, "ping through the dispatcher")

        # media is keyed by our local port: a range of ports reaches both workers
        def rx():
            return [w["rx_packets"] for w in env.telemetry("/umedge/workers").values()]
        before = rx()
        env.run_in(env.ns_gw, "udp_spray", EXT, 20000, 64)
        wait(lambda: sum(rx()) - sum(before) >= 64, 10, "64 media datagrams received")
        delta = [a - b for a, b in zip(rx(), before)]
        ok(all(n > 0 for n in delta), f"media ports spread over both workers: {delta}")

        # status.dataplane through control, after a stats notification
        time.sleep(2.5)
        rc, status = ctl(env, "status")
        ok(rc == 0 and isinstance(status, dict), "umedgectl --json status")
        dp = status.get("dataplane") or {}
        ok(dp.get("connected") is True, "status.dataplane.connected")
        ports = dp.get("ports", [])
        ok(len(ports) == 2 and all({"id", "name", "link", "rx_packets", "tx_packets",
                                    "rx_dropped"} <= set(p) for p in ports),
           f"status.dataplane.ports: {ports}")
        ok(sum(p["rx_packets"] for p in ports) > 0, "port counters reach control")
        workers = dp.get("workers", [])
        ok(len(workers) == 2 and all({"lcore", "rx_packets", "tx_packets"} <= set(w)
                                     for w in workers), f"status.dataplane.workers: {workers}")
        ok(isinstance(dp.get("drops"), dict) and "no_arp" in dp["drops"] and
           "ring_full" in dp["drops"], "status.dataplane.drops by reason")

        # the snapshot's UDP 5060 listener is open: the SIP proxy reads the
        # datagram (not SIP: counted as a message-layer refusal)
        def sip_in():
            rc, st = ctl(env, "status")
            return (((st.get("dataplane") or {}).get("sip") or {}).get("udp") or {}).get("in", 0)
        before = sip_in()
        res = env.run_in(env.ns_gw, "udp_closed", EXT, 5060)
        ok(res["result"] == "timeout", f"UDP 5060 is a listener: no port unreachable ({res})")
        wait(lambda: sip_in() > before, 5, "the datagram counted by SIP")
        ok(True, "counted under status.dataplane.sip.udp.in")

        # a live change: fabrikam (the only unsecured plan) leaves, 5060 closes
        rc, out = ctl(env, "server", "dissociate", "fabrikam")
        ok(rc == 0, f"server dissociate fabrikam ({out})")
        wait(lambda: env.telemetry("/umedge/status")["snapshot_version"] > v1, 10,
             "a new snapshot reaches the dataplane")
        res = env.run_in(env.ns_gw, "udp_closed", EXT, 5060)
        ok(res["result"] == "refused", f"UDP 5060 closed after the change ({res})")
        v2 = env.telemetry("/umedge/status")["snapshot_version"]

        # control goes away: the dataplane keeps its snapshot and its traffic
        env.stop_control()
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 0, 10, "disconnect seen")
        ok(env.telemetry("/umedge/status")["snapshot_version"] == v2, "snapshot kept")
        r = env.sh(env.ns_gw, "ping", "-c", "2", "-i", "0.2", "-W", "2", EXT)
        ok(r.returncode == 0, "ping while control is away")
        res = env.run_in(env.ns_gw, "udp_closed", EXT, 5060)
        ok(res["result"] == "refused", "the kept snapshot still applies")
        env.start_control()
        wait(lambda: env.telemetry("/umedge/status")["connected"] == 1, 15, "reconnected")
        ok(True, "reconnected to the restarted control")

        rc = env.stop_dataplane()
        ok(rc == 0 and "still in use" not in env.dp_log(), f"clean exit ({rc})")
    except Exception:
        print(env.dp_log()[-3000:], file=sys.stderr)
        raise
    finally:
        env.stop()
    print(f"1..{__import__('dataplane_env').checks}")


if __name__ == "__main__":
    main()
