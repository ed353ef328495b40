import Foundation
import PlumbEngine
import Testing

/// The watcher's counters file: what `plumb metrics` (another process) reads back.
@Suite("Watch counters file")
struct WatchCountersTests {
    @Test("saved and loaded back equal; mode 0644; a dot file, so not listed as a record")
    func roundTrip() throws {
        let w = World()
        var c = WatchCounters()
        c.recordRepair(manifest: "demo", succeeded: true, at: Date(timeIntervalSince1970: 1_700_000_000))
        c.recordRepair(manifest: "demo", succeeded: false, at: Date(timeIntervalSince1970: 1_700_000_100))
        c.recordRepair(manifest: "nat", succeeded: true, at: Date(timeIntervalSince1970: 1_700_000_200))
        let path = WatchCounters.path(in: w.store)
        try c.save(to: path)
        let back = try WatchCounters.load(from: path)
        #expect(back == c)
        #expect(back[manifest: "demo"] == WatchCounters.Entry(repairs: 1, failedRepairs: 1,
                                                              lastRepair: Date(timeIntervalSince1970: 1_700_000_100)))
        #expect(back[manifest: "never"] == WatchCounters.Entry())
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try w.store.all().isEmpty, "plumb show must not list the counters as a (corrupt) record")
    }

    @Test("no file: zero counters; a symlink or garbage: an error naming the file")
    func missingAndBad() throws {
        let w = World()
        let path = WatchCounters.path(in: w.store)
        #expect(try WatchCounters.load(from: path) == WatchCounters())
        try FileManager.default.createDirectory(atPath: w.directory, withIntermediateDirectories: true)
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try WatchCounters.load(from: path) }
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/hostname")
        let e = #expect(throws: StoreError.self) { try WatchCounters.load(from: path) }
        #expect(e?.description.contains("symbolic link") == true)
    }
}
