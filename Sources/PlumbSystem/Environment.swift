import Glibc

/// The process environment, read from `environ` directly: Foundation's
/// `ProcessInfo.processInfo.environment` first builds the whole ProcessInfo (~0.7 ms of
/// a CNI call, whose budget is a few ms).
public enum Environment {
    /// Every `NAME=value` entry; the first of a name given twice wins, as `getenv` reads it.
    public static func all() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                let name = String(text[..<eq])
                if env[name] == nil { env[name] = String(text[text.index(after: eq)...]) }
            }
            p += 1
        }
        return env
    }

    /// One variable, or nil when unset.
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
