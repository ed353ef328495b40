import Foundation
import PlumbSystem

/// What the watcher (`plumb watch`) has repaired, per manifest name: kept in a file so
/// `plumb metrics`, a separate process, can export it. Under Plumb's state directory
/// (tmpfs: counters start again at boot, which Prometheus' counters allow).
public struct WatchCounters: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// Repairs that converged the kernel again.
        public var repairs: UInt64
        /// Repairs that failed (rolled back or refused).
        public var failedRepairs: UInt64
        /// When the last repair, made or failed, ended; nil before the first.
        public var lastRepair: Date?

        public init(repairs: UInt64 = 0, failedRepairs: UInt64 = 0, lastRepair: Date? = nil) {
            self.repairs = repairs; self.failedRepairs = failedRepairs; self.lastRepair = lastRepair
        }
    }

    public var manifests: [String: Entry]

    public init(manifests: [String: Entry] = [:]) { self.manifests = manifests }

    /// The manifest's counters; zero for one never repaired.
    public subscript(manifest manifest: String) -> Entry {
        get { manifests[manifest] ?? Entry() }
        set { manifests[manifest] = newValue }
    }

    /// Counts one repair of `manifest` that ended at `time`.
    public mutating func recordRepair(manifest: String, succeeded: Bool, at time: Date = Date()) {
        var e = self[manifest: manifest]
        if succeeded { e.repairs += 1 } else { e.failedRepairs += 1 }
        e.lastRepair = time
        self[manifest: manifest] = e
    }

    /// The file under the store's directory. A dot file: `plumb show` lists every other
    /// `.json` there as a record (or as a corrupt one).
    public static func path(in store: RecordStore) -> String { "\(store.directory)/.watch-counters.json" }

    /// The counters in `path`; empty when there is no file (the watcher never ran).
    /// Never read through a symlink, like a record.
    public static func load(from path: String) throws -> WatchCounters {
        guard Files.exists(path) || Files.isSymlink(path) else { return WatchCounters() }
        guard !Files.isSymlink(path) else { throw StoreError(path: path, reason: "it is a symbolic link, not plumb's watch counters") }
        do {
            return try decoder.decode(WatchCounters.self, from: Data(try Files.read(path).utf8))
        } catch {
            throw StoreError(path: path, reason: "not plumb's watch counters (\(error))")
        }
    }

    /// Writes them atomically (a scrape never reads half a file); mode 0644: counters are no secret.
    public func save(to path: String) throws {
        if let cut = path.lastIndex(of: "/"), cut != path.startIndex {
            try Directory.create(String(path[..<cut]), mode: 0o700)
        }
        try Files.writeAtomically(path, Array(try Self.encoder.encode(self)), mode: 0o644)
    }

    private static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    private static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
