# Writes to stderr forever: the output limit counts stderr as well as stdout.
import sys

line = "e" * 4095 + "\n"
while True:
    sys.stderr.write(line)
