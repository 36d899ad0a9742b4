# Reads only the first line (three numbers) and then looks for all nine: IndexError on
# every test, a runtime error.
dials = [int(x) for x in input().split()]
a, b, c, d, e, f, g, h, i = (dials[k] for k in range(9))
print(a, b, c, d, e, f, g, h, i)
