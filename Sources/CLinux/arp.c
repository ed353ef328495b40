#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include "CLinux.h"

/* The layout of an Ethernet/IPv4 ARP packet (RFC 826), without the Ethernet header
   (SOCK_DGRAM: the kernel adds it from the sockaddr_ll). */
enum { ARP_LEN = 28, OP = 6, SHA = 8, SPA = 14, THA = 18, TPA = 24 };

int plumb_arp_socket(void) {
    /* Not bound: it sees the ARP of every link of its namespace, and asks on any of them. */
    return socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
}

int plumb_arp_ask(int fd, int ifindex, int reply_ifindex, const unsigned char smac[6], const unsigned char sip[4],
                  const unsigned char dmac[6], const unsigned char tip[4], int timeout_ms, unsigned char out_mac[6]) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ARP);
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    memcpy(sll.sll_addr, dmac, 6);

    unsigned char request[ARP_LEN] = { 0, 1, 8, 0, 6, 4, 0, 1 };   /* Ethernet, IPv4, request */
    memcpy(request + SHA, smac, 6);
    memcpy(request + SPA, sip, 4);
    memset(request + THA, 0, 6);
    memcpy(request + TPA, tip, 4);
    if (sendto(fd, request, sizeof request, 0, (struct sockaddr *)&sll, sizeof sll) < 0) return -1;

    long deadline = plumb_now_ms() + timeout_ms;
    for (;;) {
        int ready = plumb_wait_readable(fd, deadline);
        if (ready <= 0) return ready;
        unsigned char in[64];
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t got = recvfrom(fd, in, sizeof in, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
        if (got < ARP_LEN || (from.sll_ifindex != ifindex && from.sll_ifindex != reply_ifindex)) continue;
        /* A reply (op 2) from the address asked about, to the address that asked. */
        if (in[OP] == 0 && in[OP + 1] == 2 && memcmp(in + SPA, tip, 4) == 0 && memcmp(in + TPA, sip, 4) == 0) {
            memcpy(out_mac, in + SHA, 6);
            return 1;
        }
    }
}
