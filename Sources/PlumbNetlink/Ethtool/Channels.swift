import CNetlink

extension Ethtool {
    /// A device's queue counts (RSS channels), as `ethtool -l` shows them.
    /// A maximum of 0 means the device has no channels of that kind (ethtool: "n/a").
    public struct Channels: Sendable, Equatable, Codable, CustomStringConvertible {
        public var rx: Int, rxMax: Int
        public var tx: Int, txMax: Int
        public var other: Int, otherMax: Int
        public var combined: Int, combinedMax: Int

        public init(rx: Int = 0, rxMax: Int = 0, tx: Int = 0, txMax: Int = 0, other: Int = 0,
                    otherMax: Int = 0, combined: Int = 0, combinedMax: Int = 0) {
            self.rx = rx; self.rxMax = rxMax; self.tx = tx; self.txMax = txMax
            self.other = other; self.otherMax = otherMax; self.combined = combined; self.combinedMax = combinedMax
        }

        public var description: String {
            "rx \(rx)/\(rxMax) tx \(tx)/\(txMax) other \(other)/\(otherMax) combined \(combined)/\(combinedMax)"
        }

        init(_ a: EthtoolAttributes) {
            self.init(rx: a.count(ETHTOOL_A_CHANNELS_RX_COUNT), rxMax: a.count(ETHTOOL_A_CHANNELS_RX_MAX),
                      tx: a.count(ETHTOOL_A_CHANNELS_TX_COUNT), txMax: a.count(ETHTOOL_A_CHANNELS_TX_MAX),
                      other: a.count(ETHTOOL_A_CHANNELS_OTHER_COUNT), otherMax: a.count(ETHTOOL_A_CHANNELS_OTHER_MAX),
                      combined: a.count(ETHTOOL_A_CHANNELS_COMBINED_COUNT),
                      combinedMax: a.count(ETHTOOL_A_CHANNELS_COMBINED_MAX))
        }
    }
}

extension EthtoolRequest {
    static func channels(_ ifname: String) -> EthtoolRequest {
        .get(ETHTOOL_MSG_CHANNELS_GET, "ETHTOOL_MSG_CHANNELS_GET", ifname,
             reply: Reply(command: ETHTOOL_MSG_CHANNELS_GET_REPLY, maxType: ETHTOOL_A_CHANNELS_MAX))
    }

    static func setChannels(_ ifname: String, rx: Int?, tx: Int?, other: Int?,
                            combined: Int?) throws -> EthtoolRequest {
        try checkedSet(ETHTOOL_MSG_CHANNELS_SET, "ETHTOOL_MSG_CHANNELS_SET", ifname) {
            [try .count(ETHTOOL_A_CHANNELS_RX_COUNT, rx, "rx"),
             try .count(ETHTOOL_A_CHANNELS_TX_COUNT, tx, "tx"),
             try .count(ETHTOOL_A_CHANNELS_OTHER_COUNT, other, "other"),
             try .count(ETHTOOL_A_CHANNELS_COMBINED_COUNT, combined, "combined")]
        }
    }
}

extension EthtoolSocket {
    /// The device's queue counts and their maxima.
    /// Equivalent to: `ethtool -l IFNAME`.
    public func channels(_ ifname: String) throws -> Ethtool.Channels {
        try get(.channels(ifname), Ethtool.Channels.init)
    }

    /// Changes the given queue counts; nil ones stay as they are. The kernel refuses a
    /// count beyond its maximum with EINVAL ("requested channel count exceeds maximum").
    /// Equivalent to: `ethtool -L IFNAME [rx N] [tx N] [other N] [combined N]`.
    public func setChannels(_ ifname: String, rx: Int? = nil, tx: Int? = nil,
                            other: Int? = nil, combined: Int? = nil) throws {
        try set(.setChannels(ifname, rx: rx, tx: tx, other: other, combined: combined))
    }
}
