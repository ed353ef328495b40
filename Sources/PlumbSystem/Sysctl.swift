/// Kernel parameters through /proc/sys (never by running `sysctl`).
/// Network sysctls are per namespace: /proc/sys/net shows the namespace of the
/// thread that opens the file, so read and write them on a thread inside it.
public enum Sysctls {
    public static func path(_ key: String) -> String {
        "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
    }

    /// Equivalent to: `sysctl -n KEY`.
    public static func read(_ key: String) throws -> String {
        let text = try Files.read(path(key))
        return text.split(whereSeparator: { $0 == "\n" }).first.map(String.init)?
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") ?? ""
    }

    /// Equivalent to: `sysctl -w KEY=VALUE`.
    public static func write(_ key: String, _ value: String) throws {
        try Files.writeAttribute(path(key), value)
    }

    /// True when the key exists in the calling thread's namespace
    /// (net.core.netdev_budget exists only in the initial one).
    public static func exists(_ key: String) -> Bool { Files.exists(path(key)) }
}
