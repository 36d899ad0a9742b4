# Spins in the interpreter forever: the CPU limit must stop it.
while True:
    pass
