import Foundation

/// Plumb's ownership records as a user finds them: `plumb show --output json` lists
/// each record's owner and id; the file is `/run/plumb/ID.json` (named by the owner's
/// id, never by a manifest name).
extension Sandbox {
    struct RecordInfo: CustomStringConvertible {
        var id: String
        var kind: String          // manifest, hook, cni-network, cni-attachment
        var manifest: String?
        var container: String?
        var network: String?
        var containerID: String?
        var file: String { "/run/plumb/\(id).json" }
        var description: String { "\(kind) \(manifest ?? network ?? "?")\(container.map { "/\($0)" } ?? "") (\(id))" }
    }

    /// Every healthy record (`plumb show --output json`).
    func records() throws -> [RecordInfo] {
        let out = try plumb("show", "--output", "json")
        guard out.status == 0, let root = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any],
              let records = root["records"] as? [[String: Any]] else {
            throw SubprocessError(description: "plumb show --output json failed:\n\(out)")
        }
        return records.compactMap { r in
            guard let owner = r["owner"] as? [String: Any], let kind = owner["kind"] as? String else { return nil }
            return RecordInfo(id: r["id"] as? String ?? "", kind: kind, manifest: owner["manifest"] as? String,
                              container: owner["container"] as? String, network: owner["network"] as? String,
                              containerID: owner["containerID"] as? String)
        }
    }

    /// The record of manifest `name` itself (its CLI / host layer), if any.
    func manifestRecord(_ name: String) throws -> RecordInfo? {
        try records().first { $0.kind == "manifest" && $0.manifest == name }
    }

    /// The record of hook container `container` of manifest `name`, if any.
    func hookRecord(_ name: String, container: String) throws -> RecordInfo? {
        try records().first { $0.kind == "hook" && $0.manifest == name && $0.container == container }
    }

    /// Any record of manifest `name` (its own or its hook containers').
    func hasRecords(of name: String) throws -> Bool {
        try records().contains { $0.manifest == name }
    }
}
