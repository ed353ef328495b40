extension Ethtool {
    /// The names `ethtool -k` prints for a device's features, and the kernel features
    /// each stands for. The kernel knows features by its own names ("rx-gro",
    /// "tx-checksum-ip-generic"); ethtool shows a dozen of them under older names that
    /// may cover several kernel features ("tx-checksumming") and accepts short forms of
    /// those in `ethtool -K` ("gro", "tx"). A manifest may use any of the three.
    public enum FeatureNames {
        struct Group { var long: String; var short: String; var members: [String] }

        /// ethtool's legacy names, in the order `ethtool -k` prints them.
        static let groups: [Group] = [
            Group(long: "rx-checksumming", short: "rx", members: ["rx-checksum"]),
            Group(long: "tx-checksumming", short: "tx", members: ["tx-checksum-ipv4", "tx-checksum-ip-generic",
                                                                  "tx-checksum-ipv6", "tx-checksum-fcoe-crc", "tx-checksum-sctp"]),
            Group(long: "scatter-gather", short: "sg", members: ["tx-scatter-gather", "tx-scatter-gather-fraglist"]),
            Group(long: "tcp-segmentation-offload", short: "tso", members: ["tx-tcp-segmentation", "tx-tcp-ecn-segmentation",
                                                                           "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation"]),
            Group(long: "udp-fragmentation-offload", short: "ufo", members: ["tx-udp-fragmentation"]),
            Group(long: "generic-segmentation-offload", short: "gso", members: ["tx-generic-segmentation"]),
            Group(long: "generic-receive-offload", short: "gro", members: ["rx-gro"]),
            Group(long: "large-receive-offload", short: "lro", members: ["rx-lro"]),
            Group(long: "rx-vlan-offload", short: "rxvlan", members: ["rx-vlan-hw-parse"]),
            Group(long: "tx-vlan-offload", short: "txvlan", members: ["tx-vlan-hw-insert"]),
            Group(long: "ntuple-filters", short: "ntuple", members: ["rx-ntuple-filter"]),
            Group(long: "receive-hashing", short: "rxhash", members: ["rx-hashing"]),
        ]

        /// The kernel features `name` stands for on this device; nil when the device has
        /// no feature by that name.
        public static func resolve(_ name: String, in f: Features) -> [String]? {
            if f.byName[name] != nil { return [name] }
            guard let g = groups.first(where: { $0.long == name || $0.short == name }) else { return nil }
            let present = g.members.filter { f.byName[$0] != nil }
            return present.isEmpty ? nil : present
        }

        /// A name's state as `ethtool -k` prints it: on when any feature it stands for is
        /// on, changeable unless all of them are fixed.
        public static func state(of members: [String], in f: Features) -> Feature? {
            let fs = members.compactMap { f.byName[$0] }
            guard !fs.isEmpty else { return nil }
            return Feature(active: fs.contains { $0.active }, requested: fs.contains { $0.requested },
                           changeable: fs.contains { $0.changeable })
        }

        /// Every name a manifest may use on this device, sorted.
        public static func known(in f: Features) -> [String] {
            let legacy = groups.filter { g in g.members.contains { f.byName[$0] != nil } }.flatMap { [$0.long, $0.short] }
            return (legacy + f.byName.keys).sorted()
        }

        /// Up to `limit` known names nearest to `name` (edit distance at most a third
        /// of its length, or sharing a word), for "did you mean".
        public static func closeMatches(_ name: String, in f: Features, limit: Int = 3) -> [String] {
            let words = Set(name.split(separator: "-"))
            let scored = known(in: f).map { ($0, distance(name, $0)) }.filter { candidate, d in
                d <= max(2, name.count / 3) || !words.isDisjoint(with: candidate.split(separator: "-").filter { $0.count > 3 })
            }
            return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
        }

        /// Levenshtein distance, one row at a time.
        static func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a.utf8), b = Array(b.utf8)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
    }
}
