# Run 1 tries to leave a file in /dev/shm (shared memory, outside the work dir); run 2, in a
# fresh box, must not find it. Either way run 1 exits 0: only persistence is a failure.
import os
import sys

PATH = "/dev/shm/iguazu-shared"
if sys.argv[1] == "1":
    try:
        with open(PATH, "w") as f:
            f.write("left by run 1\n")
        print("created")
    except OSError as exc:
        print(f"cannot create: {exc.strerror}")
else:
    print("EXISTS" if os.path.exists(PATH) else "absent")
