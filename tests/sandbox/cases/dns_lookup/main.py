# Resolves a name: glibc reads /etc/resolv.conf, nsswitch.conf and /etc/hosts, then asks a
# name server over UDP. Whatever it gets to, no answer may come back.
import socket

print(socket.getaddrinfo("example.com", 80))
