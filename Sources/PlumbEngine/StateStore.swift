import Foundation
import PlumbSystem

/// Ownership records under /run/plumb (0700; files 0600, written atomically),
/// serialized by an exclusive flock so concurrent runs never interleave.
public struct StateStore: Sendable {
    public let directory: String

    public init(directory: String = "/run/plumb") { self.directory = directory }

    public func path(_ manifest: String) -> String { "\(directory)/\(manifest).json" }

    /// Takes the store's lock (blocking); release by dropping the returned value.
    public func lock() throws -> FileLock {
        try prepare()
        return try FileLock(path: "\(directory)/.lock")
    }

    public func load(_ manifest: String) throws -> OwnershipRecord? {
        // Without access to the records (not root), a plan would silently assume
        // Plumb owns nothing: refuse instead.
        if Files.exists(directory), access(directory, R_OK | X_OK) != 0 {
            throw SystemError("read", "\(directory) (plumb's ownership records; run plumb as root)", .current)
        }
        let p = path(manifest)
        guard Files.exists(p) else { return nil }
        // Never follow a link planted where a record belongs (a root tool reading
        // or trusting a file someone else points it at).
        guard !Files.isSymlink(p) else {
            throw SystemError("refuse to read", "\(p): it is a symbolic link, not a plumb record", .loop)
        }
        let text = try Files.read(p)
        do {
            return try JSONDecoder().decode(OwnershipRecord.self, from: Data(text.utf8))
        } catch {
            throw SystemError("parse", "\(p): not a plumb ownership record (\(error))", .invalid)
        }
    }

    /// Saves `record`, or removes the file when the record holds nothing.
    public func save(_ record: OwnershipRecord) throws {
        try prepare()
        sweepTemporaries(record.manifest)
        if record.isEmpty { try Files.remove(path(record.manifest)); return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Files.writeAtomically(path(record.manifest), Array(try enc.encode(record)))
    }

    public func remove(_ manifest: String) throws {
        try Files.remove(path(manifest))
        sweepTemporaries(manifest)
    }

    /// A write killed between its temp file and the rename leaves NAME.json.tmp.PID;
    /// we hold the lock, so no live write of this manifest can own one.
    func sweepTemporaries(_ manifest: String) {
        let prefix = "\(manifest).json.tmp."
        for e in (try? Directory.entries(directory)) ?? [] where e.hasPrefix(prefix) {
            try? Files.remove("\(directory)/\(e)")
        }
    }

    public func manifests() -> [String] {
        ((try? Directory.entries(directory)) ?? []).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
    }

    func prepare() throws {
        guard !Files.isSymlink(directory) else {
            throw SystemError("refuse to use", "\(directory): it is a symbolic link, not plumb's state directory", .loop)
        }
        try Directory.create(directory, mode: 0o700)
        chmod(directory, 0o700)
    }
}
