/// The sysctls Plumb may write: network ones, spelled as `sysctl(8)` writes them.
/// One rule for manifests and for records read back from /run/plumb.
public enum SysctlKeys {
    /// Why Plumb must not write `key`; nil when it may.
    public static func problem(_ key: String) -> String? {
        let words = key.split(separator: ".", omittingEmptySubsequences: false)
        let wordsOK = words.count >= 2 && words.allSatisfy { w in
            !w.isEmpty && w.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        }
        if !wordsOK { return "\"\(key.prefix(80))\" is not a sysctl key (dotted lowercase words, like net.ipv4.ip_forward)" }
        if words[0] != "net" { return "\"\(key)\" is not a network sysctl; plumb sets only net.* keys" }
        return nil
    }

    /// The procfs file of a valid key: `net.ipv4.ip_forward` → /proc/sys/net/ipv4/ip_forward.
    public static func path(_ key: String) -> String {
        "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
    }
}
