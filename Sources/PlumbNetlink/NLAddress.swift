import CNetlink
import Glibc
import PlumbTypes

/// Conversions between Plumb's address values and libnl's `nl_addr`.
enum NLAddress {
    /// A new nl_addr the caller must `nl_addr_put`.
    static func make(_ a: IPAddress, prefix: Int) -> OpaquePointer {
        let family = a.family == .v4 ? AF_INET : AF_INET6
        let p = a.bytes.withUnsafeBytes { nl_addr_build(family, $0.baseAddress, $0.count) }!
        nl_addr_set_prefixlen(p, Int32(prefix))
        return p
    }

    static func make(_ p: IPPrefix) -> OpaquePointer { make(p.address, prefix: p.length) }

    static func make(_ mac: MACAddress) -> OpaquePointer {
        mac.bytes.withUnsafeBytes { nl_addr_build(AF_LLC, $0.baseAddress, 6) }!
    }

    static func bytes(_ p: OpaquePointer) -> [UInt8] {
        let len = Int(nl_addr_get_len(p))
        guard len > 0, let raw = nl_addr_get_binary_addr(p) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: len))
    }

    static func ip(_ p: OpaquePointer?) -> IPAddress? {
        guard let p else { return nil }
        return IPAddress(bytes: bytes(p))
    }

    static func prefix(_ p: OpaquePointer?) -> IPPrefix? {
        guard let p, let a = ip(p) else { return nil }
        return IPPrefix(address: a, length: Int(nl_addr_get_prefixlen(p)))
    }

    static func mac(_ p: OpaquePointer?) -> MACAddress? {
        guard let p else { return nil }
        return MACAddress(bytes: bytes(p))
    }
}
