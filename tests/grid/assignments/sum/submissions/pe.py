# The right number, with a space before it: only whitespace differs.
a, b = map(int, input().split())
print("", a + b)
