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
#include <stdlib.h>
#include <arpa/inet.h>

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

// Conntrack through ctnetlink (libnl-nf-3, Debian libnl-nf-3-dev): verification asks
// where NAT really sent one probe flow.
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/ct.h>

static inline int plumb_nl_stop(struct nl_msg *msg, void *arg) {
    (void)msg; (void)arg;
    return NL_STOP;
}

static inline int plumb_ct_collect(struct nl_msg *msg, void *arg) {
    struct nfnl_ct **out = (struct nfnl_ct **)arg;
    struct nfnl_ct *ct = NULL;
    if (nfnlmsg_ct_parse(nlmsg_hdr(msg), &ct) == 0) {
        if (*out) nfnl_ct_put(*out);
        *out = ct;
    }
    return NL_OK;
}

/// IPCTNL_MSG_CT_GET for `query`'s original tuple, with NLM_F_ACK: the kernel answers with
/// the entry (flagged NLM_F_MULTI, with no DONE after it: the ACK ends the reading) or an
/// error (ENOENT: no such flow). 0 and *out NULL: none.
/// Equivalent to: `conntrack -G -p PROTO -s SRC -d DST --sport SP --dport DP`.
static inline int plumb_ct_get(struct nl_sock *sk, const struct nfnl_ct *query, struct nfnl_ct **out) {
    *out = NULL;
    struct nl_msg *msg = NULL;
    int err = nfnl_ct_build_query_request(query, 0, &msg);
    if (err < 0) return err;
    err = nl_send_auto_complete(sk, msg);
    nlmsg_free(msg);
    if (err < 0) return err;
    struct nl_cb *cb = nl_cb_clone(nl_socket_get_cb(sk));
    if (!cb) return -NLE_NOMEM;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, plumb_ct_collect, out);
    // The entry comes flagged NLM_F_MULTI, so libnl would read on for a DONE that never
    // comes: the ACK ends it.
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, plumb_nl_stop, NULL);
    err = nl_recvmsgs(sk, cb);
    nl_cb_put(cb);
    if (err == -NLE_OBJ_NOTFOUND) return 0;
    return err < 0 ? err : 0;
}

// sock_diag (NETLINK_SOCK_DIAG), through libnl's core: which sockets of this namespace
// are bound, as `ss -ltnu` lists them. libnl-idiag speaks only the old TCP-only request.
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

typedef struct plumb_bound {
    unsigned char family;
    unsigned char state;
    unsigned short port;       // host order
    unsigned char address[16];
    unsigned int uid;
    unsigned int inode;
} plumb_bound;

typedef struct plumb_bound_list {
    plumb_bound *items;
    int count;
    int capacity;
} plumb_bound_list;

static inline int plumb_diag_collect(struct nl_msg *msg, void *arg) {
    plumb_bound_list *list = (plumb_bound_list *)arg;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlmsg_datalen(h) < (int)sizeof(struct inet_diag_msg)) return NL_OK;
    struct inet_diag_msg *d = (struct inet_diag_msg *)nlmsg_data(h);
    if (list->count == list->capacity) {
        int cap = list->capacity ? list->capacity * 2 : 64;
        plumb_bound *grown = (plumb_bound *)realloc(list->items, (size_t)cap * sizeof(plumb_bound));
        if (!grown) return NL_STOP;
        list->items = grown;
        list->capacity = cap;
    }
    plumb_bound *b = &list->items[list->count++];
    memset(b, 0, sizeof(*b));
    b->family = d->idiag_family;
    b->state = d->idiag_state;
    b->port = ntohs(d->id.idiag_sport);
    memcpy(b->address, d->id.idiag_src, d->idiag_family == AF_INET ? 4 : 16);
    b->uid = d->idiag_uid;
    b->inode = d->idiag_inode;
    return NL_OK;
}

/// One SOCK_DIAG_BY_FAMILY dump of `protocol` sockets of `family` in `states` (a bit mask
/// of TCP_* states). Equivalent to: `ss -ltn` (TCP, LISTEN) or `ss -lun` (UDP, unconnected).
static inline int plumb_sock_diag(struct nl_sock *sk, unsigned char family, unsigned char protocol,
                                  unsigned int states, plumb_bound_list *out) {
    struct inet_diag_req_v2 req;
    memset(&req, 0, sizeof(req));
    req.sdiag_family = family;
    req.sdiag_protocol = protocol;
    req.idiag_states = states;
    struct nl_msg *msg = nlmsg_alloc_simple(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
    if (!msg) return -NLE_NOMEM;
    if (nlmsg_append(msg, &req, sizeof(req), NLMSG_ALIGNTO) < 0) { nlmsg_free(msg); return -NLE_NOMEM; }
    int err = nl_send_auto(sk, msg);
    nlmsg_free(msg);
    if (err < 0) return err;
    struct nl_cb *cb = nl_cb_clone(nl_socket_get_cb(sk));
    if (!cb) return -NLE_NOMEM;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, plumb_diag_collect, out);
    err = nl_recvmsgs(sk, cb);
    nl_cb_put(cb);
    return err < 0 ? err : 0;
}

// VF counters (IFLA_VF_STATS). libnl 3.7's rtnl_link_vf_get_stat knows six of them, not the
// kernel's rx/tx dropped (4.20+): the PF's RTM_NEWLINK is read raw, all eight from one place.
enum {
    PLUMB_VF_HAS_DROPPED = 1,   // the kernel sent IFLA_VF_STATS_RX_DROPPED / _TX_DROPPED
};

typedef struct plumb_vf_stats {
    unsigned int vf;
    unsigned int flags;
    unsigned long long rx_packets, tx_packets, rx_bytes, tx_bytes, broadcast, multicast, rx_dropped, tx_dropped;
} plumb_vf_stats;

typedef struct plumb_vf_stats_list {
    plumb_vf_stats *items;
    int capacity;
    int count;
} plumb_vf_stats_list;

static inline unsigned long long plumb_nla_u64_or0(struct nlattr *a) { return a ? nla_get_u64(a) : 0; }

/// The VF counters in one RTM_NEWLINK message (`hdr`): one entry per IFLA_VF_INFO that
/// carries IFLA_VF_STATS, its VF number from IFLA_VF_MAC. Stops at `out->capacity`.
static inline void plumb_vf_stats_parse(struct nlmsghdr *hdr, plumb_vf_stats_list *out) {
    struct nlattr *tb[IFLA_MAX + 1];
    if (hdr->nlmsg_type != RTM_NEWLINK || nlmsg_parse(hdr, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0) return;
    if (!tb[IFLA_VFINFO_LIST]) return;
    struct nlattr *info;
    int rem;
    nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem) {
        if (nla_type(info) != IFLA_VF_INFO || out->count >= out->capacity) continue;
        struct nlattr *vf[IFLA_VF_MAX + 1];
        if (nla_parse_nested(vf, IFLA_VF_MAX, info, NULL) < 0 || !vf[IFLA_VF_MAC] || !vf[IFLA_VF_STATS]) continue;
        if (nla_len(vf[IFLA_VF_MAC]) < (int)sizeof(struct ifla_vf_mac)) continue;
        struct nlattr *st[IFLA_VF_STATS_MAX + 1];
        if (nla_parse_nested(st, IFLA_VF_STATS_MAX, vf[IFLA_VF_STATS], NULL) < 0) continue;
        plumb_vf_stats *s = &out->items[out->count++];
        memset(s, 0, sizeof(*s));
        s->vf = ((struct ifla_vf_mac *)nla_data(vf[IFLA_VF_MAC]))->vf;
        s->rx_packets = plumb_nla_u64_or0(st[IFLA_VF_STATS_RX_PACKETS]);
        s->tx_packets = plumb_nla_u64_or0(st[IFLA_VF_STATS_TX_PACKETS]);
        s->rx_bytes = plumb_nla_u64_or0(st[IFLA_VF_STATS_RX_BYTES]);
        s->tx_bytes = plumb_nla_u64_or0(st[IFLA_VF_STATS_TX_BYTES]);
        s->broadcast = plumb_nla_u64_or0(st[IFLA_VF_STATS_BROADCAST]);
        s->multicast = plumb_nla_u64_or0(st[IFLA_VF_STATS_MULTICAST]);
        if (st[IFLA_VF_STATS_RX_DROPPED] && st[IFLA_VF_STATS_TX_DROPPED]) {
            s->flags |= PLUMB_VF_HAS_DROPPED;
            s->rx_dropped = nla_get_u64(st[IFLA_VF_STATS_RX_DROPPED]);
            s->tx_dropped = nla_get_u64(st[IFLA_VF_STATS_TX_DROPPED]);
        }
    }
}

static inline int plumb_vf_stats_collect(struct nl_msg *msg, void *arg) {
    plumb_vf_stats_parse(nlmsg_hdr(msg), (plumb_vf_stats_list *)arg);
    return NL_OK;
}

/// One RTM_GETLINK of `ifindex` with RTEXT_FILTER_VF (what `ip -s link show dev PF` asks),
/// its VF counters into `out`; then the ACK libnl asked for. 0 or a negative NLE_* code.
static inline int plumb_vf_stats_get(struct nl_sock *sk, int ifindex, plumb_vf_stats_list *out) {
    struct ifinfomsg ifi;
    memset(&ifi, 0, sizeof(ifi));
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
    if (!msg) return -NLE_NOMEM;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_VF) < 0) {
        nlmsg_free(msg);
        return -NLE_NOMEM;
    }
    int err = nl_send_auto(sk, msg);
    nlmsg_free(msg);
    if (err < 0) return err;
    struct nl_cb *own = nl_socket_get_cb(sk);
    struct nl_cb *cb = nl_cb_clone(own);
    nl_cb_put(own);
    if (!cb) return -NLE_NOMEM;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, plumb_vf_stats_collect, out);
    err = nl_recvmsgs(sk, cb);
    nl_cb_put(cb);
    if (err < 0) return err;
    return nl_wait_for_ack(sk);
}
