/* A netlink socket talks to the kernel's routing and interface code (a large attack
 * surface), not to the network: it must be refused like any family but AF_UNIX. */
#include <linux/netlink.h>
#include <stdio.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    printf("socket=%d\n", s);
    return 0;
}
