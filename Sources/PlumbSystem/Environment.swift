import Glibc

/// The process environment, read from `environ` directly: Foundation's
/// `ProcessInfo.processInfo.environment` first builds the whole ProcessInfo (~0.7 ms of
/// a CNI call, whose budget is a few ms).
public enum Environment {
    /// Every `NAME=value` entry, in `environ`'s order.
    public static func all() -> EnvironmentList {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if text.contains("=") { entries.append(text) }
            p += 1
        }
        return EnvironmentList(entries: entries)
    }

    /// One variable, or nil when unset.
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// An environment as `environ` holds it: `NAME=value` entries in order, a name looked up
/// by a scan (the first entry of a name wins, as `getenv` reads it). A few dozen entries,
/// each looked up once or twice: a Dictionary's first use in a process is ~0.4 ms of the
/// Swift runtime's type-metadata work, and a CNI call is a new process each time.
public struct EnvironmentList: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [String]

    public init(entries: [String]) { self.entries = entries }

    public init(dictionaryLiteral elements: (String, String)...) {
        entries = elements.map { "\($0.0)=\($0.1)" }
    }

    /// The value of `name`; set replaces every entry of it (nil removes them).
    public subscript(name: String) -> String? {
        get { entries.first { Self.named($0, name) }.map { String($0.dropFirst(name.utf8.count + 1)) } }
        set {
            entries.removeAll { Self.named($0, name) }
            if let newValue { entries.append("\(name)=\(newValue)") }
        }
    }

    static func named(_ entry: String, _ name: String) -> Bool {
        entry.utf8.count > name.utf8.count && entry.utf8.starts(with: name.utf8)
            && entry.utf8[entry.utf8.index(entry.utf8.startIndex, offsetBy: name.utf8.count)] == UInt8(ascii: "=")
    }
}
