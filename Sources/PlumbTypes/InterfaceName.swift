/// The rules an interface name must pass before it reaches the kernel, as one pure
/// function both the manifest validator and the CNI front end use.
///
/// The kernel's own `dev_valid_name` refuses an empty name, more than IFNAMSIZ-1
/// (15) bytes, "." and "..", '/', ':' and whitespace. Plumb also refuses what the
/// kernel treats specially instead of refusing: '%' (`dev_alloc_name` expands "%d"
/// into the first free number, so the link would not have the name asked for),
/// "all" and "default" (the names of the per-interface sysctl directories
/// `net/ipv4/conf/all` and `…/default`), and control characters (they would print
/// as terminal escapes in `ip link`).
public enum InterfaceNames {
    /// Why `name` cannot be an interface name; nil when it can.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > 15 { return "it is longer than 15 bytes" }
        if name == "." || name == ".." { return "\".\" and \"..\" are reserved" }
        if name == "all" || name == "default" {
            return "\"\(name)\" is the kernel's name for the per-interface sysctl defaults (net.ipv4.conf.\(name))"
        }
        if let bad = name.unicodeScalars.first(where: isForbidden) { return "it contains \(describe(bad))" }
        return nil
    }

    private static func isForbidden(_ s: Unicode.Scalar) -> Bool {
        // The kernel's isspace() set, '/', ':', '%', and every other control character.
        s == "/" || s == ":" || s == "%" || s == " " || s.value < 0x20 || s.value == 0x7f
    }

    private static func describe(_ s: Unicode.Scalar) -> String {
        switch s {
        case "/", ":": return "'\(s)'"
        case "%": return "'%' (the kernel would replace %d with a number of its choice)"
        case "\0": return "NUL"
        case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}": return "whitespace"
        default: return "a control character (U+\(String(s.value, radix: 16, uppercase: true)))"
        }
    }
}
