/// Naming rules of the kernel and of plumb, as pure functions: each returns why a name is
/// refused (nil when it is fine), so a diagnostic can say what to change.
enum NameRules {
    /// Container names end up in state file names and link aliases: keep them to a portable set.
    static func isValidContainerName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.unicodeScalars.allSatisfy(isPortable)
    }

    /// A named netns is a file under /run/netns, like `ip netns add` makes.
    static func isValidNetnsName(_ name: String) -> Bool {
        isValidContainerName(name) && name != "." && name != ".."
    }

    /// Manifest ids become part of host-side names and state paths, so they are lowercase and short.
    static func isValidManifestName(_ name: String) -> Bool {
        guard (1...32).contains(name.utf8.count), let first = name.unicodeScalars.first,
              isLowerAlnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// The default id from a file name: lowercase, anything outside [a-z0-9._-] becomes "-".
    static func sanitizedManifestName(_ raw: String) -> String {
        String(String.UnicodeScalarView(raw.lowercased().unicodeScalars.map { s in
            isLowerAlnum(s) || s == "." || s == "_" || s == "-" ? s : "-"
        }))
    }

    /// A PCI address as sysfs spells it: domain:bus:device.function, e.g. 0000:01:00.0.
    static func isValidPCIAddress(_ text: String) -> Bool {
        let hex = Array(text.utf8)
        guard hex.count == 12, hex[4] == UInt8(ascii: ":"), hex[7] == UInt8(ascii: ":"),
              hex[10] == UInt8(ascii: "."), (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(hex[11]) else { return false }
        return [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { isLowerHex(hex[$0]) }
    }

    private static func isPortable(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
            || s == "." || s == "_" || s == "-"
    }

    private static func isLowerAlnum(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("0"..."9").contains(s)
    }

    private static func isLowerHex(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
    }
}
