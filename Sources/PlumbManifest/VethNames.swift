/// The host-side name of a veth pair when the manifest gives none.
///
/// Readable `web-eth0` when it fits IFNAMSIZ (15 bytes); otherwise `pl` + 13 hex digits of a
/// hash of "container/interface", which is stable across runs and machines, so a re-apply finds
/// the same link (Swift's `Hasher` is seeded per process and would not be).
public func vethHostName(container: String, interface: String) -> String {
    let readable = "\(container)-\(interface)"
    if readable.utf8.count <= 15 { return readable }
    let hex = String(fnv1a64("\(container)/\(interface)"), radix: 16)
    let padded = String(repeating: "0", count: 16 - hex.count) + hex
    return "pl" + padded.prefix(13)
}

/// FNV-1a, 64-bit: tiny, deterministic, and good enough to spread names (not a security hash).
func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return hash
}

extension Container {
    /// The host end of `interface`'s veth: the explicit `hostName`, else the derived one.
    /// nil for a VF, which has no host end.
    public func hostName(of interface: Interface) -> String? {
        guard case .veth(_, let given) = interface.kind else { return nil }
        return given ?? vethHostName(container: name, interface: interface.name)
    }
}
