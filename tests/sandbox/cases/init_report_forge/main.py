# Tries to forge the box init's report: open its descriptors through /proc/1/fd (same uid)
# and write a fake "could not exec" errno, then makes a forbidden call. The init is not
# dumpable, so /proc/1 is closed to us and the kill is reported as it happened.
import os
import socket
import struct

for fd in ("0", "1", "2", "3", "4", "17"):
    try:
        w = os.open(f"/proc/1/fd/{fd}", os.O_WRONLY)
        os.write(w, struct.pack("i", 2))
        print(f"wrote into the init's fd {fd}", flush=True)
    except OSError as exc:
        print(f"fd {fd}: {exc.strerror}", flush=True)
for name in ("environ", "mem", "cmdline"):
    try:
        with open(f"/proc/1/{name}", "rb") as f:
            f.read(1)
        print(f"read /proc/1/{name}", flush=True)
    except OSError as exc:
        print(f"{name}: {exc.strerror}", flush=True)
socket.socket(socket.AF_INET)
