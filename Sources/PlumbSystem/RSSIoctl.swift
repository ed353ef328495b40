import CLinux
import PlumbTypes

/// RSS set and rx flow hashing through SIOCETHTOOL, in the caller's network namespace.
/// Kernel fact: 6.12 reads RSS over ethtool netlink (ETHTOOL_MSG_RSS_GET, PlumbNetlink) but
/// has no netlink RSS set and no netlink rx-flow-hash (later kernels add them): these ioctls
/// are its only interface, the ones `ethtool -X` and `ethtool -N … rx-flow-hash` use.
public enum RSSIoctl {
    /// The indirection table's size and the hash key's, in bytes (0: the driver has none).
    /// Equivalent to: the sizes `ethtool -x NIC` prints ("RX flow hash indirection table … with N entries").
    public static func sizes(_ nic: String) throws -> (indirection: Int, key: Int) {
        var indir: UInt32 = 0, key: UInt32 = 0
        guard plumb_rss_sizes(nic, &indir, &key) == 0 else { throw SystemError("ETHTOOL_GRSSH", nic) }
        return (Int(indir), Int(key))
    }

    /// Writes the indirection table (each entry an rx queue) and/or the hash key; nil leaves
    /// it as it is. The table must have the driver's size (`sizes`).
    /// Equivalent to: `ethtool -X NIC weight …|equal N [hkey KEY]` (ETHTOOL_SRSSH).
    public static func set(_ nic: String, indirection: [Int]?, key: [UInt8]?) throws {
        let table = indirection?.map { UInt32(truncatingIfNeeded: $0) }
        let rc: Int32 = withOptionalPointer(table) { t in
            withOptionalPointer(key) { k in
                plumb_rss_set(nic, t, UInt32(table?.count ?? 0), k, UInt32(key?.count ?? 0))
            }
        }
        guard rc == 0 else { throw SystemError("ETHTOOL_SRSSH", nic) }
    }

    /// Equivalent to: `ethtool -n NIC rx-flow-hash TYPE` (ETHTOOL_GRXFH).
    public static func hashFields(_ nic: String, _ flow: RxFlowType) throws -> RxHashFields {
        var bits: UInt64 = 0
        guard plumb_rxfh_get(nic, flow.kernelValue, &bits) == 0 else { throw SystemError("ETHTOOL_GRXFH \(flow.rawValue)", nic) }
        return RxHashFields(bits: bits)
    }

    /// Equivalent to: `ethtool -N NIC rx-flow-hash TYPE FIELDS` (ETHTOOL_SRXFH).
    public static func setHashFields(_ nic: String, _ flow: RxFlowType, _ fields: RxHashFields) throws {
        guard plumb_rxfh_set(nic, flow.kernelValue, fields.bits) == 0 else { throw SystemError("ETHTOOL_SRXFH \(flow.rawValue)", nic) }
    }

    static func withOptionalPointer<T, R>(_ array: [T]?, _ body: (UnsafePointer<T>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
