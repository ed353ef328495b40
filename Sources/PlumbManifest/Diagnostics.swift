/// One problem found in a manifest, named by the path a user can search for in the file.
///
/// Reads like `containers[1].interfaces[0].addresses[0]: "10.88.0.300/16" is not an IPv4 or
/// IPv6 prefix (line 14)`. The path is empty for whole-file problems (unreadable, bad YAML).
public struct ManifestDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path; self.line = line; self.message = message
    }

    public var description: String {
        let head = path.isEmpty ? Self.clipped(message) : "\(Self.clipped(path)): \(Self.clipped(message))"
        guard let line else { return head }
        return "\(head) (line \(line))"
    }

    /// A hostile value may be megabytes long: quote its start and end, never all of it.
    static func clipped(_ s: String, limit: Int = 240) -> String {
        guard s.count > limit else { return s }
        return "\(s.prefix(limit / 2))…(\(s.count - limit) characters)…\(s.suffix(limit / 2))"
    }
}

/// Every problem of one manifest file, so a user fixes them all in one round.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var diagnostics: [ManifestDiagnostic]

    public init(file: String, diagnostics: [ManifestDiagnostic]) {
        self.file = file; self.diagnostics = diagnostics
    }

    public var description: String {
        let count = diagnostics.count == 1 ? "1 error" : "\(diagnostics.count) errors"
        let body = ManifestDiagnostic.sortedByLine(diagnostics).map { "  \($0)" }
        return ([file + ": " + count] + body).joined(separator: "\n")
    }
}

extension ManifestDiagnostic {
    /// Reading order: whole-file problems (no line) first, then by line; ties keep their order.
    static func sortedByLine(_ diagnostics: [ManifestDiagnostic]) -> [ManifestDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }
}
