# An IPv6 socket, as a program might open to bypass an IPv4-only rule: any family but
# AF_UNIX is fatal.
import socket

s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
print("opened", s.fileno())
