# Pretends to be the launcher failing: prints a bwrap-like error and exits as bwrap would.
# The report must stay the program's own runtime error, with its stderr as it was.
import sys

print("bwrap: Can't mount proc on /newroot/proc: Operation not permitted", file=sys.stderr)
sys.exit(1)
