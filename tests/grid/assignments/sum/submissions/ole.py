# Prints forever.
while True:
    print("3" * 1000)
