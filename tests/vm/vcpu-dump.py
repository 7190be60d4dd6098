#!/usr/bin/env python3
"""When a lab guest passes the host's limit, asks QEMU where each vCPU is before it is killed.

A guest wedged in its kernel (both vCPUs spinning with interrupts off, or QEMU stuck in a
device model) runs no watchdog of its own, so this is the only witness: whether QEMU answers
QMP at all, each vCPU's privilege level and instruction pointer, three samples a second
apart, named against the guest's /proc/kallsyms (stage2.sh writes it to OUT/kallsyms.gz at
boot; Debian's System.map is a stub), then each vCPU's local APIC.
usage: vcpu-dump.py OUT
"""
import bisect
import gzip
import json
import os
import re
import socket
import sys
import time


def qmp(path, cmd):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(15)
    sock.connect(path)
    f = sock.makefile("rw")

    def reply():
        while True:
            msg = json.loads(f.readline())
            if "event" not in msg:
                return msg

    reply()
    for c in ({"execute": "qmp_capabilities"}, cmd):
        f.write(json.dumps(c) + "\n")
        f.flush()
        r = reply()
    sock.close()
    return r


def load_symbols(out):
    """Text symbols from the guest's /proc/kallsyms (OUT/kallsyms.gz, written at boot)."""
    try:
        lines = gzip.open(os.path.join(out, "kallsyms.gz"), "rt").read().splitlines()
    except (OSError, EOFError):
        return None
    syms = []
    for line in lines:
        f = line.split()
        if len(f) >= 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2] + (" " + f[3] if len(f) > 3 else "")))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def name(syms, rip):
    if not syms or not syms[0]:
        return "?"
    addrs, names = syms
    i = bisect.bisect_right(addrs, rip) - 1
    if i < 0 or rip - addrs[i] > 0x10000:
        return "(no symbol: a module loaded after boot?)"
    return "%s+0x%x" % (names[i], rip - addrs[i])


def main():
    out = sys.argv[1]
    sock = os.path.join(out, "qmp.sock")
    try:
        st = qmp(sock, {"execute": "query-status"})
        print("qemu: status %s" % st.get("return", st))
    except Exception as e:  # noqa: BLE001 - any failure here is the finding
        print("qemu: does not answer QMP (%s): QEMU itself is stuck, not just the guest" % e)
        return 1
    syms = load_symbols(out)
    ncpus = 0
    for sample in range(3):
        r = qmp(sock, {"execute": "human-monitor-command",
                       "arguments": {"command-line": "info registers -a"}})
        text = r.get("return", "")
        blocks = re.split(r"\n(?=CPU#\d)", text.strip())
        ncpus = len(blocks)
        for cpu, block in enumerate(blocks):
            rip = re.search(r"RIP=([0-9a-f]+)", block)
            flags = re.search(r"CPL=(\d).*HLT=(\d)", block)
            if not rip:
                continue
            v = int(rip.group(1), 16)
            cpl = flags.group(1) if flags else "?"
            hlt = flags.group(2) if flags else "?"
            where = name(syms, v) if cpl == "0" else "user space"
            print("sample %d vCPU %d: CPL=%s HLT=%s RIP=%016x %s" % (sample, cpu, cpl, hlt, v, where))
        time.sleep(1)
    # A vCPU that halts and never wakes: its local APIC says why (a vector stuck in service
    # that masks the timer, a timer not armed, an interrupt requested but not taken).
    for cpu in range(ncpus):
        r = qmp(sock, {"execute": "human-monitor-command",
                       "arguments": {"command-line": "info lapic %d" % cpu}})
        for line in r.get("return", "").strip().splitlines():
            print("lapic %d: %s" % (cpu, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
