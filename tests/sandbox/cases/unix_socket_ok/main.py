# AF_UNIX must stay usable (runtimes and libraries use socketpair internally): an echo
# between the two ends of a pair, and a child process using one end.
import os
import socket

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.sendall(b"ping")
b.sendall(b.recv(4) + b"-pong")
print(a.recv(9).decode())
if os.fork() == 0:
    b.sendall(b"from child")
    os._exit(0)
os.wait()
print(a.recv(10).decode())
