import Foundation
import PlumbJSON
import PlumbSystem
import PlumbTypes

/// Ownership records under /run/plumb (0700; files 0600, written atomically, never
/// read through a symlink), one file per owner named by its id — never by a name.
/// Every change to the kernel happens under the store's exclusive lock.
public struct RecordStore: Sendable {
    public let directory: String
    /// Records this store read or wrote, each with its file's identity (`RecordMemo`).
    let memo = RecordMemo()

    public init(directory: String = "/run/plumb") { self.directory = directory }

    public func path(_ id: OwnerID) -> String { "\(directory)/\(id.rawValue).json" }

    /// Takes the store's lock (blocking); released when the returned value goes.
    /// Temporaries a killed writer left (its PID is gone) go here, whoever's they were.
    public func lock() throws -> FileLock {
        try prepare()
        let lock = try FileLock(path: "\(directory)/.lock")
        for name in Files.staleTemporaries(in: directory) { try? Files.remove("\(directory)/\(name)") }
        return lock
    }

    /// Takes the lock that one owner's verifications share (blocking): a verify resolves and
    /// then removes the neighbour entries its probes caused, so two at once — the watcher's
    /// and an operator's, or parallel applies — would each see the other's cleanup as a
    /// broken path. Separate from the store's lock, which a provision holds around its verify.
    public func verifyLock(_ id: OwnerID) throws -> FileLock {
        try prepare()
        return try FileLock(path: verifyLockPath(id))
    }

    func verifyLockPath(_ id: OwnerID) -> String { "\(directory)/.verify-\(id.rawValue).lock" }

    /// The owner's verify lock file goes with its record (one per CNI attachment would
    /// otherwise pile up for the node's life). Taken first: a verify of it running now
    /// ends before the file goes, and one waiting opens a new file.
    func removeVerifyLock(_ id: OwnerID) {
        guard Files.exists(verifyLockPath(id)), let lock = try? FileLock(path: verifyLockPath(id)) else { return }
        lock.removeFile()
    }

    /// The owner's record, nil when it has none. A file there that is not this owner's
    /// valid record is an error naming it: a plan must never assume Plumb owns nothing.
    public func load(_ owner: Owner) throws -> Record? {
        guard let r = try load(id: owner.id) else { return nil }
        guard r.owner == owner else {
            throw StoreError(path: path(owner.id), reason: "it belongs to \(r.owner), not \(owner)")
        }
        return r
    }

    public func load(id: OwnerID) throws -> Record? {
        try checkReadable()
        let p = path(id)
        guard Files.exists(p) else { memo.forget(p); return nil }
        let r = try memo.record(at: p) { try decode(p) }
        guard r.id == id else { throw StoreError(path: p, reason: "its owner is \(r.owner) (id \(r.id)), not \(id)") }
        return r
    }

    /// Saves `record`, or removes its file when it holds nothing.
    public func save(_ record: Record) throws {
        try prepare()
        if record.isEmpty { return try remove(record.id) }
        let p = path(record.id)
        memo.forget(p)
        try Files.writeAtomically(p, Array(try JSONEncoding.encode(record, style: .pretty)))
        memo.remember(record, at: p)
    }

    public func remove(_ id: OwnerID) throws {
        memo.forget(path(id))
        try Files.remove(path(id))
        removeVerifyLock(id)
    }

    /// Every record file: the healthy ones decoded, the others with why they are not.
    public func all() throws -> [StoredRecord] {
        try checkReadable()
        guard Files.exists(directory) else { return [] }
        return try Directory.entries(directory).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { file in
            let p = "\(directory)/\(file)"
            do {
                let r = try decode(p)
                guard file == "\(r.id.rawValue).json" else {
                    return .corrupt(file: p, reason: "it holds the record of \(r.owner) (id \(r.id))")
                }
                return .healthy(r)
            } catch let e as StoreError {
                return .corrupt(file: p, reason: e.reason)
            }
        }
    }

    /// The healthy records (corrupt ones are for `show` to report).
    public func records() throws -> [Record] {
        try all().compactMap { if case .healthy(let r) = $0 { return r } else { return nil } }
    }

    func decode(_ p: String) throws -> Record {
        // A link planted where a record belongs would make a root tool read, trust or
        // later delete a file someone else points it at.
        guard !Files.isSymlink(p) else { throw StoreError(path: p, reason: "it is a symbolic link, not a plumb record") }
        let data: Data
        do { data = Data(try Files.read(p).utf8) } catch { throw StoreError(path: p, reason: "\(error)") }
        struct Header: Decodable { var schema: Int? }
        guard let node = try? JSONDecoding.parse(data), let header = try? JSONDecoding.decode(Header.self, from: node) else {
            throw StoreError(path: p, reason: "not a plumb ownership record (not a JSON object)")
        }
        guard let schema = header.schema else {
            throw StoreError(path: p, reason: "not a plumb ownership record of this version (no schema; written by plumb before 0.2?)")
        }
        guard schema == Record.currentSchema else {
            throw StoreError(path: p, reason: "record schema \(schema) is not the one this plumb reads (\(Record.currentSchema)): refused, not half-read")
        }
        let r: Record
        do { r = try JSONDecoding.decode(Record.self, from: node) } catch {
            throw StoreError(path: p, reason: "not a valid plumb ownership record (\(describeDecoding(error)))")
        }
        let problems = r.problems()
        guard problems.isEmpty else {
            throw StoreError(path: p, reason: "refused: " + problems.joined(separator: "; "))
        }
        return r
    }

    /// Without access to the records (not root), a plan would silently assume Plumb
    /// owns nothing: refuse instead.
    func checkReadable() throws {
        guard !Files.isSymlink(directory) else {
            throw StoreError(path: directory, reason: "it is a symbolic link, not plumb's state directory")
        }
        if Files.exists(directory), access(directory, R_OK | X_OK) != 0 {
            let e = Errno.current
            throw StoreError(path: directory, reason: "cannot read plumb's ownership records: \(e.message) (\(e.name)); run plumb as root")
        }
    }

    func prepare() throws {
        try checkReadable()
        try Directory.create(directory, mode: 0o700)
        chmod(directory, 0o700)
    }
}

/// One file under /run/plumb: a record, or why it is not one.
public enum StoredRecord: Sendable {
    case healthy(Record)
    case corrupt(file: String, reason: String)
}

/// A record file Plumb will not use.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
