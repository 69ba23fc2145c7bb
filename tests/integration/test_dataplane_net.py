#!/usr/bin/python3
"""umedge-dataplane on TAP ports, without control: ARP and ping reach both
addresses, the UDP echo round-trips (also 4000 bytes, fragmented both ways),
a closed port gets port unreachable, counters move, a storm of hostile
frames is counted and never answered, no mbuf leaks, SIGTERM exits cleanly.

usage: test_dataplane_net.py BUILD_DIR SOURCE_DIR"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from dataplane_env import APP, EXT, GW, INT, Env, ok, wait  # noqa: E402

BUILD, SRC = sys.argv[1], sys.argv[2]


def status(env):
    return env.telemetry("/umedge/status")


def drops(env):
    return env.telemetry("/umedge/drops")


def main():
    env = Env(BUILD, SRC, "dpn")
    try:
        env.start_dataplane()
        ok(env.dp.poll() is None, "umedge-dataplane is up without control")
        s0 = status(env)
        ok(s0["connected"] == 0 and s0["snapshot_version"] == 0, "not connected, no snapshot")

        # ping and ARP, both sides
        r = env.sh(env.ns_gw, "ping", "-c", "3", "-i", "0.2", "-W", "2", EXT)
        ok(r.returncode == 0, f"ping {EXT} from the gateway namespace")
        r = env.sh(env.ns_gw, "ip", "neigh", "show", EXT)
        ok(env.engine_mac["external"] in r.stdout.lower(),
           f"ARP resolved {EXT} to the engine's MAC ({r.stdout.strip()})")
        r = env.sh(env.ns_app, "ping", "-c", "3", "-i", "0.2", "-W", "2", INT)
        ok(r.returncode == 0, f"ping {INT} from the application namespace")
        r = env.sh(env.ns_app, "ip", "neigh", "show", INT)
        ok(env.engine_mac["internal"] in r.stdout.lower(), f"ARP resolved {INT}")
        r = env.sh(env.ns_gw, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "4000", EXT)
        ok(r.returncode == 0, "a 4000-byte ping is reassembled and answered in fragments")
        r = env.sh(env.ns_gw, "ping", "-c", "1", "-W", "1", INT)
        ok(r.returncode != 0, "the internal address is not reachable from outside")

        # UDP echo
        res = env.run_in(env.ns_gw, "udp_echo", EXT, 1, 100, 1472, 1473, 4000, 8000)
        ok(all(res.values()), f"UDP echo on {EXT}: {res}")
        res = env.run_in(env.ns_app, "udp_echo", INT, 10, 4000)
        ok(all(res.values()), f"UDP echo on {INT}: {res}")
        res = env.run_in(env.ns_gw, "udp_closed", EXT, 9999)
        ok(res["result"] == "refused", f"closed UDP port: ICMP port unreachable ({res})")

        s1 = status(env)
        ok(s1["icmp_echo"] >= 8, f"icmp_echo counted ({s1['icmp_echo']})")
        ok(s1["udp_echo"] >= 8, f"udp_echo counted ({s1['udp_echo']})")
        ok(s1["reassembled"] >= 5 and s1["fragmented"] >= 5,
           f"reassembled {s1['reassembled']}, fragmented {s1['fragmented']}")
        ok(s1["arp_replies"] >= 2, "ARP replies counted")
        ports = env.telemetry("/umedge/ports")
        ok(all(p["rx_packets"] > 0 and p["tx_packets"] > 0 for p in ports.values()),
           f"both ports moved packets: {ports}")
        workers = env.telemetry("/umedge/workers")
        ok(sum(w["rx_packets"] for w in workers.values()) > 0, "worker counted packets")
        ok(drops(env)["udp_closed"] >= 1, "udp_closed counted")

        # hostile storm
        time.sleep(1)
        base_mbufs = status(env)["mbufs_in_use"]
        d0 = drops(env)
        st = env.run_in(env.ns_gw, "storm", env.tap_ext, env.engine_mac["external"], GW, EXT, 40,
                        timeout=180)
        ok(st["answers"] == 0, f"{st['total']} hostile frames, none answered "
           f"({st['answer_summaries']})")
        time.sleep(3)  # incomplete datagrams expire after 2 s
        d1 = drops(env)
        delta = {k: d1[k] - d0.get(k, 0) for k in d1}
        exact = ["bad_checksum", "ttl_expired", "martian", "bad_udp_checksum", "bad_icmp",
                 "icmp_other", "ip_proto", "other_ip"]
        for k in exact:
            ok(delta[k] == st["sent"][k], f"{k}: {delta[k]} counted for {st['sent'][k]} sent")
        for k in ["ethertype", "bad_arp", "other_mac", "bad_udp"]:
            ok(delta[k] >= st["sent"][k], f"{k}: {delta[k]} counted, {st['sent'][k]} sent")
        ok(delta["truncated"] + delta["bad_ip_header"] >=
           st["sent"]["short_ip"] + st["sent"]["total_len_long"] + st["sent"]["bad_version"],
           f"truncated {delta['truncated']} + bad_ip_header {delta['bad_ip_header']}")
        ok(delta["frag_timeout"] + delta["frag_error"] > 0,
           f"fragments dropped: timeout {delta['frag_timeout']}, error {delta['frag_error']}")
        # TCP segments are counted as no_tcp, or by the TCP stack once it is in
        counted = sum(delta.values())
        expected = st["total"] - st["sent"]["frag_incomplete"] - st["sent"]["tcp_bad_checksum"]
        ok(counted >= expected - 60, f"{counted} drops counted for {st['total']} frames")
        wait(lambda: status(env)["mbufs_in_use"] == base_mbufs, 10,
             f"mbufs in use back to {base_mbufs} (now {status(env)['mbufs_in_use']})")
        ok(True, f"no mbuf leaked: {base_mbufs} in use before and after the storm")
        r = env.sh(env.ns_gw, "ping", "-c", "2", "-i", "0.2", "-W", "2", EXT)
        ok(r.returncode == 0, "still answers after the storm")

        # clean exit
        rc = env.stop_dataplane()
        log = env.dp_log()
        ok(rc == 0, f"SIGTERM: exit code {rc}")
        ok("stopped" in log and "still in use" not in log, "drained, every mbuf returned")
    except Exception:
        print(env.dp_log()[-3000:], file=sys.stderr)
        raise
    finally:
        env.stop()
    print(f"1..{__import__('dataplane_env').checks}")


if __name__ == "__main__":
    main()
