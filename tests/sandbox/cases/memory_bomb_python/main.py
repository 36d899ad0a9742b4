# Keeps 1 MiB after 1 MiB alive, every byte written (not zero pages the kernel may share),
# until the kernel kills it for memory.
chunks = []
while True:
    chunks.append(bytearray(b"\xff") * (1 << 20))
