# Three numbers where two are asked for.
n = int(input())
print(1, n - 1, 0)
