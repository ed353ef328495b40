// The libnl surface Plumb uses, plus two helpers libnl 3.7 lacks:
// it drops the kernel's extended-ACK text and maps errno to its own
// coarse NLE_* codes, so an error callback captures both verbatim.
#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <errno.h>
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
#include <netlink/route/rule.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/sriov.h>
#include <netlink/route/link/inet6.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/devlink.h>
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

// ---- Events (plumb watch): what one multicast message says, in plain fields ----
#include <linux/net_namespace.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <net/if.h>

enum plumb_event_kind { PLUMB_EV_OTHER = 0, PLUMB_EV_LINK, PLUMB_EV_ADDR, PLUMB_EV_ROUTE, PLUMB_EV_NSID, PLUMB_EV_NFT, PLUMB_EV_RULE };

typedef struct plumb_event {
    int kind;            // plumb_event_kind
    int removed;         // 1 for RTM_DEL*/NFT_MSG_DEL*
    int ifindex;         // link, address, route's output device (0 when none)
    unsigned int flags;  // link: ifi_flags
    int prefixlen;       // address, route destination
    int family;          // AF_INET/AF_INET6 for address and route
    unsigned char addr[16];   // address, route destination (zero: default)
    char name[IFNAMSIZ];      // link: IFLA_IFNAME
    char table[64];           // nftables: NFTA_TABLE_NAME / NFTA_CHAIN_TABLE / NFTA_RULE_TABLE
    int nft_type;             // NFT_MSG_* for nftables messages
    unsigned int rule_table;  // rule: the table it looks up (FRA_TABLE, else the header's)
} plumb_event;

/// Fills `ev` from one rtnetlink or nf_tables multicast message.
static inline void plumb_event_parse(struct nlmsghdr *h, plumb_event *ev) {
    memset(ev, 0, sizeof(*ev));
    int t = h->nlmsg_type;
    if (t == RTM_NEWLINK || t == RTM_DELLINK) {
        struct ifinfomsg *ifi = nlmsg_data(h);
        // AF_BRIDGE copies tell of bridge-port state (STP, learning) and repeat what the
        // AF_UNSPEC message already said of membership: no news for a plan.
        if (ifi->ifi_family == AF_BRIDGE) return;
        ev->kind = PLUMB_EV_LINK; ev->removed = t == RTM_DELLINK;
        ev->ifindex = ifi->ifi_index; ev->flags = ifi->ifi_flags;
        struct nlattr *n = nlmsg_find_attr(h, sizeof(*ifi), IFLA_IFNAME);
        if (n) nla_strlcpy(ev->name, n, sizeof(ev->name));
    } else if (t == RTM_NEWADDR || t == RTM_DELADDR) {
        struct ifaddrmsg *ifa = nlmsg_data(h);
        ev->kind = PLUMB_EV_ADDR; ev->removed = t == RTM_DELADDR;
        ev->ifindex = ifa->ifa_index; ev->prefixlen = ifa->ifa_prefixlen; ev->family = ifa->ifa_family;
        struct nlattr *a = nlmsg_find_attr(h, sizeof(*ifa), IFA_LOCAL);
        if (!a) a = nlmsg_find_attr(h, sizeof(*ifa), IFA_ADDRESS);
        if (a && nla_len(a) <= 16) memcpy(ev->addr, nla_data(a), nla_len(a));
        // IPv6 link-local addresses are the kernel's own (addrconf, DAD finishing a second
        // after a link comes up): never declared, no news for a plan.
        if (ifa->ifa_family == AF_INET6 && ev->addr[0] == 0xfe && (ev->addr[1] & 0xc0) == 0x80) ev->kind = PLUMB_EV_OTHER;
    } else if (t == RTM_NEWROUTE || t == RTM_DELROUTE) {
        struct rtmsg *rt = nlmsg_data(h);
        ev->kind = PLUMB_EV_ROUTE; ev->removed = t == RTM_DELROUTE;
        ev->prefixlen = rt->rtm_dst_len; ev->family = rt->rtm_family;
        struct nlattr *d = nlmsg_find_attr(h, sizeof(*rt), RTA_DST);
        if (d && nla_len(d) <= 16) memcpy(ev->addr, nla_data(d), nla_len(d));
        struct nlattr *o = nlmsg_find_attr(h, sizeof(*rt), RTA_OIF);
        if (o) ev->ifindex = (int)nla_get_u32(o);
        // The kernel's own routes: the local table, local/broadcast/multicast/anycast types,
        // IPv6 link-local and multicast prefixes, cloned cache entries. Never declared.
        int own = rt->rtm_table == RT_TABLE_LOCAL || rt->rtm_type != RTN_UNICAST || (rt->rtm_flags & RTM_F_CLONED)
               || (rt->rtm_family == AF_INET6 && rt->rtm_dst_len > 0
                   && (ev->addr[0] == 0xff || (ev->addr[0] == 0xfe && (ev->addr[1] & 0xc0) == 0x80)));
        if (own) ev->kind = PLUMB_EV_OTHER;
    } else if (t == RTM_NEWRULE || t == RTM_DELRULE) {
        struct fib_rule_hdr *frh = nlmsg_data(h);
        ev->kind = PLUMB_EV_RULE; ev->removed = t == RTM_DELRULE; ev->family = frh->family;
        struct nlattr *tb = nlmsg_find_attr(h, sizeof(*frh), FRA_TABLE);
        ev->rule_table = tb ? nla_get_u32(tb) : frh->table;
    } else if (t == RTM_NEWNSID || t == RTM_DELNSID) {
        ev->kind = PLUMB_EV_NSID; ev->removed = t == RTM_DELNSID;
    } else if ((t >> 8) == NFNL_SUBSYS_NFTABLES) {
        int m = t & 0xff;
        ev->kind = PLUMB_EV_NFT; ev->nft_type = m;
        ev->removed = m == NFT_MSG_DELTABLE || m == NFT_MSG_DELCHAIN || m == NFT_MSG_DELRULE
                   || m == NFT_MSG_DELSET || m == NFT_MSG_DELSETELEM;
        int attr = m == NFT_MSG_NEWTABLE || m == NFT_MSG_DELTABLE ? NFTA_TABLE_NAME
                 : m == NFT_MSG_NEWCHAIN || m == NFT_MSG_DELCHAIN ? NFTA_CHAIN_TABLE
                 : m == NFT_MSG_NEWRULE || m == NFT_MSG_DELRULE ? NFTA_RULE_TABLE : -1;
        if (attr >= 0) {
            struct nlattr *n = nlmsg_find_attr(h, sizeof(struct nfgenmsg), attr);
            if (n) nla_strlcpy(ev->table, n, sizeof(ev->table));
        }
    }
}

/// `ip netns set NAME auto`: gives the namespace behind `fd` an id in the socket's namespace,
/// so a NETLINK_LISTEN_ALL_NSID listener there hears its events. Returns libnl's result.
static inline int plumb_assign_nsid(struct nl_sock *sk, int fd) {
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNSID, NLM_F_REQUEST | NLM_F_ACK);
    if (!msg) return -NLE_NOMEM;
    struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
    int rc = nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO);
    if (rc >= 0) rc = nla_put_u32(msg, NETNSA_FD, (uint32_t)fd);
    if (rc >= 0) rc = nla_put_s32(msg, NETNSA_NSID, -1);
    if (rc >= 0) rc = nl_send_auto(sk, msg);
    nlmsg_free(msg);
    if (rc < 0) return rc;
    return nl_wait_for_ack(sk);
}

/// Reads one datagram of multicast messages from a non-blocking listener socket, with room
/// for the NETLINK_LISTEN_ALL_NSID control message (libnl's nl_recv has none and leaves such
/// a datagram queued forever). `*nsid` is the namespace id it came from, -1 for our own.
/// Returns the bytes read, 0 when nothing is queued, -errno on error (ENOBUFS: overrun).
static inline int plumb_recv_events(int fd, void *buf, size_t len, int *nsid) {
    char control[CMSG_SPACE(sizeof(int)) * 2];
    struct sockaddr_nl from;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control, .msg_controllen = sizeof(control) };
    *nsid = -1;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == 270 /* SOL_NETLINK */ && c->cmsg_type == NETLINK_LISTEN_ALL_NSID)
            *nsid = *(int *)CMSG_DATA(c);
    }
    return (int)n;
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

/// Sends one RTM_GETLINK of `ifindex` (with IFLA_EXT_MASK `ext_mask` when non-zero), hands
/// each reply to `collect(msg, arg)` through a clone of the socket's callbacks (its error
/// capture kept), then reads the ACK libnl asked for. 0 or a negative NLE_* code.
static inline int plumb_getlink_one(struct nl_sock *sk, int ifindex, uint32_t ext_mask,
                                    int (*collect)(struct nl_msg *, void *), void *arg) {
    struct ifinfomsg ifi;
    memset(&ifi, 0, sizeof(ifi));
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
    if (!msg) return -NLE_NOMEM;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0
        || (ext_mask != 0 && nla_put_u32(msg, IFLA_EXT_MASK, ext_mask) < 0)) {
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
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, collect, arg);
    err = nl_recvmsgs(sk, cb);
    nl_cb_put(cb);
    if (err < 0) return err;
    return nl_wait_for_ack(sk);
}

/// One RTM_GETLINK of `ifindex` with RTEXT_FILTER_VF (what `ip -s link show dev PF` asks),
/// its VF counters into `out`; then the ACK libnl asked for. 0 or a negative NLE_* code.
static inline int plumb_vf_stats_get(struct nl_sock *sk, int ifindex, plumb_vf_stats_list *out) {
    return plumb_getlink_one(sk, ifindex, RTEXT_FILTER_VF, plumb_vf_stats_collect, out);
}

/// `ip link add link PARENT name NAME [netns NS] [mtu M] type ipvlan mode MODE FLAG`: libnl 3.7
/// has no setter for IFLA_IPVLAN_FLAGS, so the RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) is built
/// here. `ns_fd` < 0: none; `mtu` 0: the parent's. Then the ACK. 0 or a negative NLE_* code.
static inline int plumb_ipvlan_add(struct nl_sock *sk, const char *name, int parent, int ns_fd, unsigned mtu,
                                   uint16_t mode, uint16_t flags) {
    struct ifinfomsg ifi;
    memset(&ifi, 0, sizeof(ifi));
    ifi.ifi_family = AF_UNSPEC;
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    if (!msg) return -NLE_NOMEM;
    struct nlattr *info, *data;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, IFLA_IFNAME, name) < 0
        || nla_put_u32(msg, IFLA_LINK, (uint32_t)parent) < 0
        || (ns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)ns_fd) < 0)
        || (mtu > 0 && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
        || !(info = nla_nest_start(msg, IFLA_LINKINFO)) || nla_put_string(msg, IFLA_INFO_KIND, "ipvlan") < 0
        || !(data = nla_nest_start(msg, IFLA_INFO_DATA)) || nla_put_u16(msg, IFLA_IPVLAN_MODE, mode) < 0
        || nla_put_u16(msg, IFLA_IPVLAN_FLAGS, flags) < 0) {
        nlmsg_free(msg);
        return -NLE_NOMEM;
    }
    nla_nest_end(msg, data);
    nla_nest_end(msg, info);
    int err = nl_send_auto(sk, msg);
    nlmsg_free(msg);
    if (err < 0) return err;
    return nl_wait_for_ack(sk);
}

static inline int plumb_ipvlan_flags_collect(struct nl_msg *msg, void *arg) {
    int *out = arg;
    struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[IFLA_IPVLAN_MAX + 1];
    if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_LINKINFO]) return NL_OK;
    if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 || !info[IFLA_INFO_DATA]) return NL_OK;
    if (nla_parse_nested(data, IFLA_IPVLAN_MAX, info[IFLA_INFO_DATA], NULL) < 0) return NL_OK;
    *out = data[IFLA_IPVLAN_FLAGS] ? nla_get_u16(data[IFLA_IPVLAN_FLAGS]) : 0;
    return NL_OK;
}

/// `ip -d link show dev IFINDEX`'s ipvlan flags (IFLA_IPVLAN_FLAGS, which libnl 3.7 does not
/// parse) into `*flags` (-1 when the link carries none); then the ACK. 0 or a negative NLE_* code.
static inline int plumb_ipvlan_flags_get(struct nl_sock *sk, int ifindex, int *flags) {
    *flags = -1;
    return plumb_getlink_one(sk, ifindex, 0, plumb_ipvlan_flags_collect, flags);
}
