# Tries to reach the network from a learner's box: the filter kills it (a runtime error).
import socket
socket.create_connection(("127.0.0.1", 80))
