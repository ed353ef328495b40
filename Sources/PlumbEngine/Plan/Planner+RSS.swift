import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// `rss:` → one `ethtool -X` for the table and key, one `ethtool -N … rx-flow-hash` per flow
/// type, planned within what the driver reports: its table size and key size
/// (ETHTOOL_MSG_RSS_GET), its rx queues, and the flow types it answers ETHTOOL_GRXFH for.
extension Planner {
    func rssSteps(_ want: Tuning.RSS, _ s: NICState, channels: Tuning.Channels?, path: String) throws -> [Step] {
        guard let cur = s.rss else { throw unsupported(s, "rss", path: path) }
        var c = RSSChange(nic: s.name)
        if let table = want.table {
            let wanted = try indirectionTable(table, cur, rxQueues: rxQueueCount(s, channels), s, path: path)
            if wanted != cur.indirection { c.indirection = Change(to: wanted, from: cur.indirection) }
            c.table = table.ethtool
        }
        if let text = want.hashKey, let key = Tuning.RSS.keyBytes(text) {
            guard !cur.key.isEmpty else {
                throw error(path + ".hashKey", "\(s.name) (driver \(driverName(s))) has no RSS hash key to set (ETHTOOL_MSG_RSS_GET reports none)")
            }
            guard key.count == cur.key.count else {
                throw error(path + ".hashKey", "\(key.count) bytes, but the hash key of \(s.name) (driver \(driverName(s))) is \(cur.key.count) bytes")
            }
            if key != cur.key { c.key = Change(to: key, from: cur.key) }
        }
        var steps = c.isEmpty ? [] : [Step(.setRSS(c))]
        for h in want.hashFields {
            guard let have = s.hashFields[h.flow] else {
                throw error("\(path).hashFields.\(h.flow.rawValue)", "\(s.name) (driver \(driverName(s))) does not report rx-flow-hash \(h.flow.rawValue): "
                            + (s.unsupported["rx-flow-hash \(h.flow.rawValue)"] ?? "not reported"))
            }
            if have != h.fields {
                steps.append(Step(.setRxHash(RxHashChange(nic: s.name, flow: h.flow, fields: Change(to: h.fields, from: have)))))
            }
        }
        return steps
    }

    /// The rx queues the table may name: the channels the manifest declares (set before the
    /// table), else those the driver has now.
    func rxQueueCount(_ s: NICState, _ declared: Tuning.Channels?) -> Int? {
        if let d = declared, d.combined != nil || d.rx != nil {
            return (d.combined ?? s.channels?.combined ?? 0) + (d.rx ?? s.channels?.rx ?? 0)
        }
        return s.channels.map { $0.combined + $0.rx } ?? (s.rxQueues.isEmpty ? nil : s.rxQueues.count)
    }

    func indirectionTable(_ table: Tuning.RSS.Table, _ cur: Ethtool.RSS, rxQueues: Int?, _ s: NICState, path: String) throws -> [Int] {
        let size = cur.indirection.count
        guard size > 0 else {
            throw error(path, "\(s.name) (driver \(driverName(s))) has no RSS indirection table (ETHTOOL_MSG_RSS_GET reports none)")
        }
        let queues: Int, key: String
        switch table {
        case .equal(let n): (queues, key) = (n, "equal")
        case .weights(let w): (queues, key) = (w.count, "weights")
        }
        if let rxQueues, queues > rxQueues {
            throw error("\(path).\(key)", "\(queues) queues, but \(s.name) (driver \(driverName(s))) has \(rxQueues) rx queues")
        }
        return RSSTable.fill(table, size: size)
    }
}

extension Tuning.RSS.Table {
    /// `ethtool -X` words: "equal 2", "weight 1 3".
    var ethtool: String {
        switch self {
        case .equal(let n): return "equal \(n)"
        case .weights(let w): return "weight " + w.map(String.init).joined(separator: " ")
        }
    }
}

/// How `equal` and `weights` fill a table of the driver's size.
enum RSSTable {
    static func fill(_ table: Tuning.RSS.Table, size: Int) -> [Int] {
        switch table {
        case .equal(let n): return (0..<size).map { $0 % n }
        case .weights(let w): return weighted(w, size: size)
        }
    }

    /// Entry i goes to the first queue whose cumulative share of the table passes i, so
    /// queue q holds about size × w[q] / Σw entries, in contiguous runs.
    static func weighted(_ w: [Int], size: Int) -> [Int] {
        let total = w.reduce(0, +)
        guard total > 0 else { return Array(repeating: 0, count: size) }
        var bounds: [Int] = []
        var running = 0
        for v in w { running += v; bounds.append(size * running / total) }
        return (0..<size).map { i in bounds.firstIndex { i < $0 } ?? w.count - 1 }
    }
}
