# Run 1 leaves files in /box and /tmp; run 2, in a fresh box, must not find them.
import os
import sys

PATHS = ("/box/persist.txt", "/tmp/persist.txt")
if sys.argv[1] == "1":
    for path in PATHS:
        with open(path, "w") as f:
            f.write("left by run 1\n")
    print("wrote")
else:
    found = [p for p in PATHS if os.path.exists(p)]
    print(f"PRESENT: {found}" if found else "absent")
