/// What a check's verdict rests on. A report that says PASS must say why it believes it:
/// a kernel table it read, or a packet it saw arrive. JSON: `"evidence": ["icmp-echo", "arp"]`.
public enum Evidence: String, Codable, Sendable, Hashable, CaseIterable {
    /// rtnetlink state: links, addresses, routes, bridge ports, MTUs (`ip -d link/addr/route`).
    case netlink
    /// devlink netlink: a PF's eswitch mode (`devlink dev eswitch show`), and its representors in sysfs.
    case devlink
    /// The namespace file's identity (nsfs device + inode, a pid's start time) against the record.
    case namespaceIdentity = "namespace-identity"
    /// /proc and /sys values (sysctls, softnet_stat).
    case procfs
    /// ethtool netlink (rings, channels, coalescing, features) and /proc/interrupts.
    case ethtool
    /// The nftables ruleset as libnftables lists it (`nft -j list ruleset`).
    case nftables
    /// Plumb's ownership records under /run/plumb.
    case records
    /// Sockets bound in the host namespace, through sock_diag (`ss -ltnu`).
    case sockDiag = "sock-diag"
    /// An ICMP/ICMPv6 echo from inside the container to its gateway, answered.
    case icmpEcho = "icmp-echo"
    /// An echo as large as the interface's MTU, Don't Fragment set, answered.
    case icmpEchoFullSize = "icmp-echo-mtu"
    /// The container's ARP entry for its gateway: freshly resolved, its MAC compared.
    case arp
    /// ARP across the container's port both ways without a flood: the bridge's own request
    /// (its MAC, the gateway's address) sent to the container's MAC and answered by the
    /// container's kernel, which learns the gateway's MAC from it; broadcast ARP for the
    /// gateway was exercised on that bridge from another container earlier in the run.
    case arpFromBridge = "arp-from-bridge"
    /// The container's IPv6 neighbour (ND) entry for its gateway, its MAC compared.
    case nd
    /// A TCP connection to a listener Plumb opened itself, carrying a nonce.
    case tcpNonce = "tcp-nonce"
    /// A segment as large as the interface's MTU allows, carried by that connection.
    case tcpFullSize = "tcp-mtu"
    /// A UDP datagram with a nonce, received on a socket Plumb opened itself.
    case udpNonce = "udp-nonce"
    /// A TCP handshake answered by a server that already held the port.
    case tcpHandshake = "tcp-handshake"
    /// A UDP datagram answered by a server that already held the port (back through the NAT).
    case udpAnswer = "udp-answer"
    /// ICMP port unreachable from the container's kernel: the datagram reached it, no socket took it.
    case icmpUnreachable = "icmp-unreachable"
    /// The probe packet seen arriving on the container's link (a packet socket there).
    case linkArrival = "link-arrival"
    /// The container namespace's UDP counters (`/proc/net/snmp`, `snmp6`) received a datagram in the probe's window.
    case udpCounters = "udp-counters"
    /// The probe flow's conntrack entry (ctnetlink): where NAT really sent it.
    case conntrack
    /// The interface's receive counters moved with the probe.
    case rxCounters = "rx-counters"
    /// Traffic from the outside namespace Plumb creates for the check (through the host's
    /// real prerouting, forward and postrouting hooks).
    case outside
}
