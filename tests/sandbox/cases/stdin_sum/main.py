# Reads every number on stdin to its end: stdin must arrive whole and then be closed.
import sys

print(sum(int(word) for word in sys.stdin.read().split()))
