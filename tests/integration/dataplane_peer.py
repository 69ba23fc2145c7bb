#!/usr/bin/python3
"""The peer side of the dataplane integration tests, run inside a namespace
(ip netns exec NS /usr/bin/python3 dataplane_peer.py CMD ARGS...). Prints one
JSON object. Every loop is bounded in count and time.

  udp_echo HOST SIZE...           RFC 862 echo round trips
  udp_closed HOST PORT            connected socket: refused or timeout
  udp_spray HOST FIRST COUNT      one datagram to each of COUNT ports
  storm IFACE ENGINE_MAC SRC DST ROUNDS
                                  hostile frames; reports answers seen"""
import json
import random
import socket
import sys
import time


def udp_echo(host, *sizes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    res = {}
    for n in map(int, sizes):
        data = bytes((i * 13 + n) & 0xff for i in range(n))
        good = False
        for _ in range(3):  # the first may wait for ARP
            s.sendto(data, (host, 7))
            try:
                got, frm = s.recvfrom(65535)
                good = got == data and frm == (host, 7)
                break
            except socket.timeout:
                continue
        res[str(n)] = good
    return res


def udp_closed(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, int(port)))
    s.send(b"anyone?")
    try:
        s.recv(100)
        return {"result": "answered"}
    except ConnectionRefusedError:
        return {"result": "refused"}
    except socket.timeout:
        return {"result": "timeout"}


def udp_spray(host, first, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in range(int(first), int(first) + int(count)):
        s.sendto(b"rtp?", (host, p))
    return {"sent": int(count)}


def storm(iface, mac, src, dst, rounds):
    from scapy.all import (ARP, ICMP, IP, TCP, UDP, AsyncSniffer, Ether, Raw, conf,
                           get_if_hwaddr, sendp)
    conf.verb = 0
    rounds = int(rounds)
    rnd = random.Random(862)
    me = get_if_hwaddr(iface).lower()
    e = Ether(src=me, dst=mac)
    e4 = Ether(src=me, dst=mac, type=0x0800)  # for raw IPv4 bytes
    kinds = {
        "bad_checksum": lambda: e / IP(src=src, dst=dst, chksum=0x1234) / UDP(dport=7) / b"x",
        "bad_version": lambda: e4 / Raw(b"\x65" + bytes(IP(src=src, dst=dst) / ICMP())[1:]),
        "total_len_long": lambda: e / IP(src=src, dst=dst, len=1000) / ICMP(),
        "short_ip": lambda: e4 / Raw(bytes(IP(src=src, dst=dst))[:12]),
        "ttl_expired": lambda: e / IP(src=src, dst=dst, ttl=0) / ICMP(),
        "martian": lambda: e / IP(src="127.0.0.1", dst=dst) / ICMP(),
        "other_ip": lambda: e / IP(src=src, dst="192.0.2.99") / ICMP(),
        "bad_udp_checksum": lambda: e / IP(src=src, dst=dst) / UDP(dport=7, chksum=0x1111) / b"y",
        "bad_udp": lambda: e / IP(src=src, dst=dst) / UDP(dport=7, len=100) / b"z",
        "bad_icmp": lambda: e / IP(src=src, dst=dst) / ICMP(chksum=1),
        "icmp_other": lambda: e / IP(src=src, dst=dst) / ICMP(type=13),
        # a bad checksum: no TCP stack answers it (and without one: no_tcp)
        "tcp_bad_checksum": lambda: e / IP(src=src, dst=dst) / TCP(dport=5060, flags="S",
                                                                   chksum=0x1234),
        "ip_proto": lambda: e / IP(src=src, dst=dst, proto=47) / b"gre?",
        "ethertype": lambda: Ether(src=me, dst=mac, type=0x86dd) /
        Raw(bytes(rnd.getrandbits(8) for _ in range(40))),
        "bad_arp": lambda: Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc=me, hwlen=8, pdst=dst, psrc=src),
        "other_mac": lambda: Ether(src=me, dst="02:11:22:33:44:55") / IP(src=src, dst=dst) / ICMP(),
        "garbage_ip": lambda: e4 / Raw(bytes([0x45]) +
                                      bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 80)))),
        # fragments that never complete, overlap, or are too many
        "frag_incomplete": lambda: e / IP(src=src, dst=dst, id=rnd.randrange(1, 65535),
                                          flags="MF", frag=0) / UDP(dport=7) / (b"a" * 64),
        "frag_overlap": lambda: [e / IP(src=src, dst=dst, id=4242, flags="MF", frag=0) /
                                 (b"b" * 64),
                                 e / IP(src=src, dst=dst, id=4242, flags="MF", frag=4) /
                                 (b"c" * 64)],
        "frag_tiny_many": lambda: [e / IP(src=src, dst=dst, id=777, flags="MF", frag=k) /
                                   (b"d" * 8) for k in range(12)],
    }
    frames, sent = [], {}
    for k, make in kinds.items():
        n = 0
        for _ in range(rounds):
            f = make()
            for x in (f if isinstance(f, list) else [f]):
                frames.append(x)
                n += 1
        sent[k] = n
    rnd.shuffle(frames)
    answers = []
    sniff = AsyncSniffer(iface=iface, store=True,
                         lfilter=lambda p: p.haslayer(Ether) and p[Ether].src.lower() == mac
                         and p[Ether].dst.lower() != mac and not p.haslayer(ARP))
    sniff.start()
    time.sleep(0.5)
    t0 = time.time()
    for i in range(0, len(frames), 100):
        sendp(frames[i:i + 100], iface=iface)
        if time.time() - t0 > 60:
            break
    time.sleep(1.0)
    answers = sniff.stop() or []
    return {"sent": sent, "total": len(frames), "answers": len(answers),
            "answer_summaries": [f"{a[Ether].src}>{a[Ether].dst} {a.summary()}" for a in answers[:5]]}


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"udp_echo": udp_echo, "udp_closed": udp_closed, "udp_spray": udp_spray,
          "storm": storm}[cmd]
    print(json.dumps(fn(*args)))


if __name__ == "__main__":
    main()
