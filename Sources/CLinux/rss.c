// RSS indirection, hash key and rx flow hash fields through the SIOCETHTOOL ioctl.
// Kernel fact: Debian 12's 6.12 reads RSS over ethtool netlink (ETHTOOL_MSG_RSS_GET) but
// has no netlink RSS set and no netlink rx-flow-hash at all (both came in later kernels):
// ETHTOOL_SRSSH and ETHTOOL_GRXFH/SRXFH are the only interfaces, the ones `ethtool -X`
// and `ethtool -N rx-flow-hash` use. Each call opens an AF_INET datagram socket in the
// caller's network namespace, names the device in struct ifreq, and closes it.
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CLinux.h"

static int ethtool_ioctl(const char *ifname, void *data) {
    if (strlen(ifname) >= IFNAMSIZ) { errno = ENODEV; return -1; }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    ifr.ifr_data = data;
    int rc = ioctl(fd, SIOCETHTOOL, &ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int plumb_rss_sizes(const char *ifname, unsigned *indir_size, unsigned *key_size) {
    struct ethtool_rxfh rxfh;
    memset(&rxfh, 0, sizeof rxfh);
    rxfh.cmd = ETHTOOL_GRSSH;
    if (ethtool_ioctl(ifname, &rxfh) < 0) return -1;
    *indir_size = rxfh.indir_size;
    *key_size = rxfh.key_size;
    return 0;
}

int plumb_rss_set(const char *ifname, const unsigned *indir, unsigned indir_size,
                  const unsigned char *key, unsigned key_size) {
    size_t bytes = sizeof(struct ethtool_rxfh) + indir_size * sizeof(__u32) + key_size;
    struct ethtool_rxfh *rxfh = calloc(1, bytes);
    if (!rxfh) { errno = ENOMEM; return -1; }
    rxfh->cmd = ETHTOOL_SRSSH;
    // hfunc 0 (calloc) is ETH_RSS_HASH_NO_CHANGE: the hash function stays.
    // A table of size 0 would reset it to the driver's default; "no change" leaves it.
    rxfh->indir_size = indir ? indir_size : ETH_RXFH_INDIR_NO_CHANGE;
    rxfh->key_size = key ? key_size : 0;
    if (indir) memcpy(rxfh->rss_config, indir, indir_size * sizeof(__u32));
    if (key) memcpy((unsigned char *)rxfh->rss_config + (indir ? indir_size * sizeof(__u32) : 0), key, key_size);
    int rc = ethtool_ioctl(ifname, rxfh);
    int saved = errno;
    free(rxfh);
    errno = saved;
    return rc;
}

int plumb_rxfh_get(const char *ifname, unsigned flow_type, unsigned long long *fields) {
    struct ethtool_rxnfc nfc;
    memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_GRXFH;
    nfc.flow_type = flow_type;
    if (ethtool_ioctl(ifname, &nfc) < 0) return -1;
    *fields = nfc.data;
    return 0;
}

int plumb_rxfh_set(const char *ifname, unsigned flow_type, unsigned long long fields) {
    struct ethtool_rxnfc nfc;
    memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_SRXFH;
    nfc.flow_type = flow_type;
    nfc.data = fields;
    return ethtool_ioctl(ifname, &nfc);
}
