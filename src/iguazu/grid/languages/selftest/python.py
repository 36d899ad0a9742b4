# The Python self-test: reads numbers until the end of input, prints their sum and count.
import sys

xs = [int(t) for t in sys.stdin.read().split()]
print(sum(xs), len(xs))
