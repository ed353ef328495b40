// The libnl surface Plumb uses, plus two helpers libnl 3.7 lacks:
// it drops the kernel's extended-ACK text and maps errno to its own
// coarse NLE_* codes, so an error callback captures both verbatim.
#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/handlers.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/sriov.h>
#include <netlink/route/link/inet6.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/socket.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/// What the kernel said about the last failed request on a socket.
typedef struct plumb_nl_ack {
    int error;          // positive errno, 0 when none
    char message[256];  // NLMSGERR_ATTR_MSG, "" when the kernel sent none
} plumb_nl_ack;

static inline int plumb_nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg) {
    (void)nla;
    plumb_nl_ack *ack = (plumb_nl_ack *)arg;
    ack->error = -err->error;
    ack->message[0] = 0;
    // nlmsgerr sits right after the header of the NLMSG_ERROR message.
    struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
    if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t off = sizeof(*err);
        if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
            off += err->msg.nlmsg_len - NLMSG_HDRLEN;
        int len = (int)hdr->nlmsg_len - NLMSG_HDRLEN - (int)off;
        struct nlattr *head = (struct nlattr *)((char *)err + off);
        struct nlattr *a;
        int rem;
        if (len > 0) {
            nla_for_each_attr(a, head, len, rem) {
                if (nla_type(a) == NLMSGERR_ATTR_MSG) {
                    strncpy(ack->message, (const char *)nla_data(a), sizeof(ack->message) - 1);
                    ack->message[sizeof(ack->message) - 1] = 0;
                }
            }
        }
    }
    return NL_STOP;
}

/// Installs the capturing error callback and asks the kernel for extended ACKs.
static inline int plumb_nl_capture_errors(struct nl_sock *sk, plumb_nl_ack *ack) {
    int one = 1;
    int fd = nl_socket_get_fd(sk);
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    return nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, plumb_nl_err_cb, ack);
}

// The ethtool generic netlink family (Sources/PlumbNetlink/Ethtool/).
#include <linux/genetlink.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
