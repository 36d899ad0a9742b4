/* Tries to reach the host's listening port over TCP. The box has its own network namespace
 * (only a loopback), and the filter kills any socket() that is not AF_UNIX anyway. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    int r = connect(s, (struct sockaddr *)&to, sizeof to);
    printf("socket=%d connect=%d\n", s, r); /* never reached: the socket call is fatal */
    return 0;
}
