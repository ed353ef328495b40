#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include "CLinux.h"

/* Seeing a forwarded packet arrive: an AF_PACKET socket on one link of a container, opened
   before the packet is sent, reads what the link receives for the host (not what it sends).
   SOCK_DGRAM: the data starts at the IP header. */

int plumb_arrival_socket(int ifindex, int ipv6) {
    int proto = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, proto);
    if (fd < 0) return -1;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = proto;
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

/* The transport header of an IPv4 or IPv6 packet carrying `proto`, its destination address
   in *dst (4 or 16 bytes); NULL for anything else (a fragment, an extension header). */
static const unsigned char *transport(const unsigned char *p, ssize_t len, int proto, const unsigned char **dst, int *alen) {
    if (len >= 20 && (p[0] >> 4) == 4) {
        int ihl = (p[0] & 0x0f) * 4;
        int fragment = ((p[6] & 0x1f) << 8 | p[7]) != 0;
        if (ihl < 20 || len < ihl + 8 || p[9] != proto || fragment) return NULL;
        *dst = p + 16; *alen = 4;
        return p + ihl;
    }
    if (len >= 48 && (p[0] >> 4) == 6) {
        if (p[6] != proto) return NULL;
        *dst = p + 24; *alen = 16;
        return p + 40;
    }
    return NULL;
}

int plumb_arrival_wait(int fd, int proto, const unsigned char *dst, int dst_len, int dport, int sport, int timeout_ms) {
    long deadline = plumb_now_ms() + timeout_ms;
    for (;;) {
        int ready = plumb_wait_readable(fd, deadline);
        if (ready <= 0) return ready;
        unsigned char in[128];
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t got = recvfrom(fd, in, sizeof in, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &len);
        if (got < 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
        if (got > (ssize_t)sizeof in) got = sizeof in;
        const unsigned char *addr;
        int alen;
        const unsigned char *t = transport(in, got, proto, &addr, &alen);
        if (!t || alen != dst_len || memcmp(addr, dst, alen) != 0) continue;
        int s = t[0] << 8 | t[1], d = t[2] << 8 | t[3];
        if (s == sport && d == dport) return 1;
    }
}
