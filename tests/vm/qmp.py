#!/usr/bin/env python3
"""Sends one QMP command (JSON on stdin) to QEMU's QMP socket and prints the reply."""
import json
import socket
import sys


def read_msg(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("qmp: connection closed")
        msg = json.loads(line)
        if "event" not in msg:  # events arrive unasked; the reply is the next non-event
            return msg


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # QEMU greets only once its devices are up: opening VFs through VFIO under nested TCG on a
    # loaded host took longer than 30 s.
    sock.settimeout(120)
    sock.connect(sys.argv[1])
    f = sock.makefile("rw")
    read_msg(f)  # greeting
    f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    f.flush()
    read_msg(f)
    f.write(json.dumps(json.load(sys.stdin)) + "\n")
    f.flush()
    reply = read_msg(f)
    print(json.dumps(reply))
    return 1 if "error" in reply else 0


if __name__ == "__main__":
    sys.exit(main())
