import CNetlink

/// Kernel fact: Debian 12's uapi headers are 6.1's and lack the RSS message (added in 6.4);
/// the running 6.12 kernel has it, with these numbers (include/uapi/linux/ethtool_netlink.h).
enum RSSAttribute {
    static let getCommand = 38          // ETHTOOL_MSG_RSS_GET
    static let getReply = 38            // ETHTOOL_MSG_RSS_GET_REPLY
    static let hashFunction = 3         // ETHTOOL_A_RSS_HFUNC (u32)
    static let indirection = 4          // ETHTOOL_A_RSS_INDIR (binary: u32 per entry)
    static let hashKey = 5              // ETHTOOL_A_RSS_HKEY (binary)
    static let max = 7                  // ETHTOOL_A_RSS_MAX in 6.12
}

extension Ethtool {
    /// The RSS of a device's default context, as `ethtool -x` shows it.
    public struct RSS: Sendable, Equatable, Codable, CustomStringConvertible {
        /// The rx queue of each indirection table entry (empty: the driver has no table).
        public var indirection: [Int]
        /// The hash key (empty: the driver has none to show or set).
        public var key: [UInt8]
        public init(indirection: [Int], key: [UInt8] = []) { self.indirection = indirection; self.key = key }

        public var description: String {
            let queues = Set(indirection).sorted().map(String.init).joined(separator: ",")
            return "\(indirection.count) entries over queues \(queues.isEmpty ? "none" : queues)"
                + (key.isEmpty ? ", no hash key" : ", \(key.count)-byte key")
        }

        init(_ a: EthtoolAttributes) {
            let table = a.bytes(RSSAttribute.indirection) ?? []
            // u32s in host order, as the kernel copies its array.
            indirection = table.withUnsafeBytes { raw in
                (0..<table.count / 4).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
            }
            key = a.bytes(RSSAttribute.hashKey) ?? []
        }
    }
}

extension EthtoolRequest {
    static func rss(_ ifname: String) -> EthtoolRequest {
        .get(RSSAttribute.getCommand, "ETHTOOL_MSG_RSS_GET", ifname,
             reply: Reply(command: RSSAttribute.getReply, maxType: RSSAttribute.max))
    }
}

extension EthtoolSocket {
    /// The indirection table and hash key (veth: EOPNOTSUPP).
    /// Equivalent to: `ethtool -x IFNAME`.
    public func rss(_ ifname: String) throws -> Ethtool.RSS {
        try get(.rss(ifname), Ethtool.RSS.init)
    }
}
