# Hunts for the hidden tests, which live on the host beside the boxes' work dirs: the path
# itself, the whole visible tree (/usr, the host's own read-only files, only by name: reading
# 5 GB would take too long), and every path named in mountinfo, its parents and their
# hidden-tests* entries. Prints whatever holds the hidden tests' marker: nothing may (the
# marker is built at run time, or this very file would match).
import glob
import os
import sys

NEEDLE = b"HIDDEN" + b"-"
seen = set()


def check(path):
    if path in seen:
        return
    seen.add(path)
    try:
        if os.path.isdir(path):
            for name in os.listdir(path):
                if name.startswith("hidden-tests") or name.endswith(".in"):
                    check(os.path.join(path, name))
            return
        if not os.path.isfile(path):  # a device like /dev/ptmx would block the read
            return
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError:
        return
    if NEEDLE in data:
        print(path, data.decode(errors="replace"))


for arg in sys.argv[1:]:
    check(arg)
    check(os.path.join(arg, "1.in"))
for root, dirs, files in os.walk("/"):
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys")]
    for name in dirs + files:
        if not root.startswith("/usr") or name.startswith("hidden-tests"):
            check(os.path.join(root, name))
with open("/proc/self/mountinfo") as f:
    mounts = [line.split()[3:5] for line in f]  # root within its filesystem, mount point
for path in {p for pair in mounts for p in pair}:
    while True:
        check(path)
        for found in glob.glob(os.path.join(path, "hidden-tests*")):
            check(found)
        if path in ("/", ""):
            break
        path = os.path.dirname(path)
print("searched", len(seen), "paths")
