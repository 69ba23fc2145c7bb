"""The machine a Python benchmark under perf/ ran on, for its first lines
(the C benchmarks have bench_machine.c)."""
import os
import platform
import time

WATCHED = ("aes", "sha_ni", "avx2", "avx512f", "vaes")  # flags the crypto paths use


def host_lines(name):
    """The benchmark's name and time, the machine, the CPU model and its
    flags that matter here, and the load average at the start."""
    with open("/proc/cpuinfo") as f:
        info = f.read()
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                  if ln.startswith("model name")), "?")
    flags = next((ln.split(":", 1)[1].split() for ln in info.splitlines()
                  if ln.startswith("flags")), [])
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    return [f"{name}: " + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
            f"kernel {platform.release()}",
            f"cpu: {model} ({' '.join(x for x in WATCHED if x in flags)})",
            f"load average at start: {load}"]
