import Yams

/// What one walk over a manifest learned: every problem, and the line of every path read.
/// Shared by all readers of a document so that no mistake stops the walk.
final class ReadLog {
    private(set) var diagnostics: [ManifestDiagnostic] = []
    private(set) var lines: [String: Int] = [:]
    /// Paths whose value in the model is a placeholder: semantic findings resting on them
    /// would only echo the decoding error, so the loader drops those findings.
    private(set) var rejected: [String] = []

    func record(_ path: String, line: Int?) {
        if let line, lines[path] == nil { lines[path] = line }
    }

    /// A problem at `path`. `rejects: false` for problems that leave the model intact, such as
    /// an unknown or repeated key (the rest of the object was still read).
    func fail(_ path: String, _ line: Int?, _ message: String, rejects: Bool = true) {
        diagnostics.append(ManifestDiagnostic(path: path, line: line, message: message))
        if rejects { rejected.append(path) }
    }

    /// Marks a placeholder the decoder put at `path` after a problem reported elsewhere.
    func reject(_ path: String) {
        rejected.append(path)
    }
}

/// One YAML node with the path and line a diagnostic about it cites.
/// Every typed read returns nil after logging why, so callers just fall through.
struct NodeReader {
    let node: Node
    let path: String
    let line: Int?
    let log: ReadLog

    init(node: Node, path: String, line: Int?, log: ReadLog) {
        self.node = node; self.path = path; self.line = line; self.log = log
        log.record(path, line: line)
    }

    func fail(_ message: String) {
        log.fail(path, line, message)
    }

    // MARK: Scalars

    /// The text of a scalar, and whether it was written plain (unquoted), which is what makes
    /// `12` a number and `"12"` a string.
    var scalar: (text: String, plain: Bool)? {
        guard case .scalar(let s) = node else { return nil }
        return (s.string, s.style == .plain || s.style == .any)
    }

    var isNull: Bool {
        guard let s = scalar, s.plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.text)
    }

    func int() -> Int? {
        if let s = scalar, s.plain, let v = Self.decimal(s.text) { return v }
        expected("an integer")
        return nil
    }

    func bool() -> Bool? {
        if let s = scalar, s.plain, let v = Self.boolean(s.text) { return v }
        expected("true or false")
        return nil
    }

    /// Any non-null scalar: names like `1234` or MACs like `12:34:56:00:00:10` are strings here.
    func string() -> String? {
        if let s = scalar, !isNull { return s.text }
        expected("a string")
        return nil
    }

    func choice(_ options: [String]) -> String? {
        guard let text = string() else { return nil }
        if options.contains(text) { return text }
        fail("expected one of \(options.joined(separator: ", ")), got \(described)")
        return nil
    }

    // MARK: Collections

    func list() -> [NodeReader]? {
        guard case .sequence(let items) = node else { expected("a list"); return nil }
        return items.enumerated().map { i, item in
            NodeReader(node: item, path: ManifestPath.index(path, i), line: item.mark?.line ?? line, log: log)
        }
    }

    /// A strict mapping: only `keys`, each at most once (nil `keys`: any key, e.g. sysctl names).
    func object(_ keys: [String]?) -> ObjectReader? {
        ObjectReader(self, allowed: keys)
    }

    // MARK: Messages

    /// How a user would recognise the value in the file.
    var described: String {
        switch node {
        case .scalar(let s): return isNull ? "null" : "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func expected(_ what: String) {
        var message = "expected \(what), got \(described)"
        if let s = scalar, !s.plain, Self.decimal(s.text) != nil || Self.boolean(s.text) != nil {
            message += " (a quoted string; remove the quotes)"
        }
        fail(message)
    }

    /// Decimal only: hex, octal and `_` separators of YAML 1.1 are surprising in a network file.
    static func decimal(_ text: String) -> Int? {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(text)
    }

    /// YAML 1.2's booleans only: `yes`/`no`/`on`/`off` of YAML 1.1 are refused, not guessed.
    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}
