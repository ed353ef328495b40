import Foundation
import PlumbSystem

/// The records one process read or wrote, each with the identity of its file then
/// (`Files.identity`: device, inode, size, modification and change times). Reading a
/// record again whose file is still that file returns it without decoding it again; any
/// write, rename or removal since makes it a new file, which is decoded (and checked) as
/// the first was. A CNI ADD reads its network's record three times and the record it has
/// just written once: JSON decoding is most of what that cost.
final class RecordMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (identity: FileIdentity, record: Record)] = [:]

    /// The record at `path`, decoded by `decode` unless this file was decoded or written here.
    func record(at path: String, decode: () throws -> Record) throws -> Record {
        let before = Files.identity(path)
        if let before, let known = lock.withLock({ entries[path] }), known.identity == before { return known.record }
        let r = try decode()
        if let before, Files.identity(path) == before { lock.withLock { entries[path] = (before, r) } }
        return r
    }

    /// `record`, just written to `path` by this process.
    func remember(_ record: Record, at path: String) {
        guard let identity = Files.identity(path) else { return }
        lock.withLock { entries[path] = (identity, record) }
    }

    func forget(_ path: String) {
        _ = lock.withLock { entries.removeValue(forKey: path) }
    }
}
