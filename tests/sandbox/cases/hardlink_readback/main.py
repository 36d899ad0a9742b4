# A hard link is a regular file, so read-back cannot tell it from a written one: linking a
# host file (the canary, a binary of /usr, ld.so.cache) into /box must fail. The work dir is
# its own tmpfs, so every such link crosses filesystems (EXDEV) or the file is not there.
import os
import sys

for target in (sys.argv[1], "/usr/bin/python3", "/etc/ld.so.cache"):
    try:
        os.link(target, "out.txt")
    except OSError as exc:
        print(f"{target}: {exc.strerror}", file=sys.stderr)
    else:
        print("linked", target)
        sys.exit(1)
with open("out.txt", "w") as f:
    f.write("safe\n")
