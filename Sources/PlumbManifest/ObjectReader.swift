import Yams

/// A mapping read strictly: unknown and repeated keys are reported where they stand, and the
/// remaining fields are handed out by name. A field's line is its key's line, which is where a
/// user looks even when the value continues on the next lines.
struct ObjectReader {
    let base: NodeReader
    /// In document order, for free-form mappings such as `host.sysctl`.
    private(set) var entries: [(key: String, value: NodeReader)] = []

    init?(_ base: NodeReader, allowed: [String]?) {
        guard case .mapping(let mapping) = base.node else {
            base.expected("a mapping")
            return nil
        }
        self.base = base
        var firstLine: [String: Int?] = [:]
        for (keyNode, value) in mapping {
            guard let key = accept(keyNode, allowed: allowed, firstLine: &firstLine) else { continue }
            let path = ManifestPath.key(base.path, key)
            entries.append((key, NodeReader(node: value, path: path, line: keyNode.mark?.line, log: base.log)))
        }
    }

    /// The key's text, or nil after reporting why it cannot be used.
    private func accept(_ keyNode: Node, allowed: [String]?, firstLine: inout [String: Int?]) -> String? {
        let line = keyNode.mark?.line
        guard case .scalar(let s) = keyNode else {
            base.log.fail(base.path.isEmpty ? "(top level)" : base.path, line,
                          "keys must be strings, got \(keyNode.mapping != nil ? "a mapping" : "a list")")
            return nil
        }
        let key = DuplicateKeys.strip(s.string)
        let path = ManifestPath.key(base.path, key)
        if let first = firstLine[key] {
            base.log.fail(path, line, "duplicate key" + (first.map { "; first given at line \($0)" } ?? ""), rejects: false)
            return nil
        }
        firstLine[key] = line
        if let allowed, !allowed.contains(key) {
            base.log.fail(path, line, "unknown key; expected one of \(allowed.joined(separator: ", "))", rejects: false)
            return nil
        }
        return key
    }

    func has(_ key: String) -> Bool {
        entries.contains { $0.key == key }
    }

    /// The field, or nil when absent or null (JSON writers often spell "absent" as null).
    func optional(_ key: String) -> NodeReader? {
        guard let r = entries.first(where: { $0.key == key })?.value, !r.isNull else { return nil }
        return r
    }

    /// The field, or nil after reporting it missing. A null value is returned so that the
    /// typed read reports "got null" at the field's own line.
    func required(_ key: String) -> NodeReader? {
        if let r = entries.first(where: { $0.key == key })?.value { return r }
        base.log.fail(ManifestPath.key(base.path, key), base.line, "missing required key")
        return nil
    }

    /// For "exactly one of" groups (veth | vf, name | match, pci | mac).
    func exactlyOne(of keys: [String]) -> (key: String, value: NodeReader)? {
        let present = entries.filter { keys.contains($0.key) }
        if present.count == 1 { return present[0] }
        let options = keys.joined(separator: ", ")
        base.fail(present.isEmpty ? "needs one of \(options)" : "give only one of \(options)")
        return nil
    }

    // MARK: Typed fields, absent → nil

    func int(_ key: String) -> Int? { optional(key)?.int() }
    func bool(_ key: String) -> Bool? { optional(key)?.bool() }
    func string(_ key: String) -> String? { optional(key)?.string() }
}
