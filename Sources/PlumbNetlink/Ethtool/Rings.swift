import CNetlink

extension Ethtool {
    /// A device's descriptor ring sizes, as `ethtool -g` shows them.
    /// A maximum of 0 means the device has no such ring (ethtool: "n/a").
    public struct Rings: Sendable, Equatable, Codable, CustomStringConvertible {
        public var rx: Int, rxMax: Int
        public var rxMini: Int, rxMiniMax: Int
        public var rxJumbo: Int, rxJumboMax: Int
        public var tx: Int, txMax: Int
        /// Receive buffer size in bytes, when the driver reports one.
        public var rxBufferLength: Int?

        public init(rx: Int = 0, rxMax: Int = 0, rxMini: Int = 0, rxMiniMax: Int = 0, rxJumbo: Int = 0,
                    rxJumboMax: Int = 0, tx: Int = 0, txMax: Int = 0, rxBufferLength: Int? = nil) {
            self.rx = rx; self.rxMax = rxMax; self.rxMini = rxMini; self.rxMiniMax = rxMiniMax
            self.rxJumbo = rxJumbo; self.rxJumboMax = rxJumboMax; self.tx = tx; self.txMax = txMax
            self.rxBufferLength = rxBufferLength
        }

        public var description: String { "rx \(rx)/\(rxMax) tx \(tx)/\(txMax)" }

        init(_ a: EthtoolAttributes) {
            self.init(rx: a.count(ETHTOOL_A_RINGS_RX), rxMax: a.count(ETHTOOL_A_RINGS_RX_MAX),
                      rxMini: a.count(ETHTOOL_A_RINGS_RX_MINI), rxMiniMax: a.count(ETHTOOL_A_RINGS_RX_MINI_MAX),
                      rxJumbo: a.count(ETHTOOL_A_RINGS_RX_JUMBO), rxJumboMax: a.count(ETHTOOL_A_RINGS_RX_JUMBO_MAX),
                      tx: a.count(ETHTOOL_A_RINGS_TX), txMax: a.count(ETHTOOL_A_RINGS_TX_MAX),
                      rxBufferLength: a.optionalCount(ETHTOOL_A_RINGS_RX_BUF_LEN))
        }
    }
}

extension EthtoolRequest {
    static func rings(_ ifname: String) -> EthtoolRequest {
        .get(ETHTOOL_MSG_RINGS_GET, "ETHTOOL_MSG_RINGS_GET", ifname,
             reply: Reply(command: ETHTOOL_MSG_RINGS_GET_REPLY, maxType: ETHTOOL_A_RINGS_MAX))
    }

    static func setRings(_ ifname: String, rx: Int?, tx: Int?, rxMini: Int?,
                         rxJumbo: Int?) throws -> EthtoolRequest {
        try checkedSet(ETHTOOL_MSG_RINGS_SET, "ETHTOOL_MSG_RINGS_SET", ifname) {
            [try .count(ETHTOOL_A_RINGS_RX, rx, "rx"),
             try .count(ETHTOOL_A_RINGS_RX_MINI, rxMini, "rx-mini"),
             try .count(ETHTOOL_A_RINGS_RX_JUMBO, rxJumbo, "rx-jumbo"),
             try .count(ETHTOOL_A_RINGS_TX, tx, "tx")]
        }
    }
}

extension EthtoolSocket {
    /// The device's ring sizes and their maxima (veth: EOPNOTSUPP).
    /// Equivalent to: `ethtool -g IFNAME`.
    public func rings(_ ifname: String) throws -> Ethtool.Rings {
        try get(.rings(ifname), Ethtool.Rings.init)
    }

    /// Resizes the given rings; nil ones stay. Most drivers reset the device to do it
    /// (a short link flap); a size beyond the maximum fails with EINVAL.
    /// Equivalent to: `ethtool -G IFNAME [rx N] [tx N] [rx-mini N] [rx-jumbo N]`.
    public func setRings(_ ifname: String, rx: Int? = nil, tx: Int? = nil,
                         rxMini: Int? = nil, rxJumbo: Int? = nil) throws {
        try set(.setRings(ifname, rx: rx, tx: tx, rxMini: rxMini, rxJumbo: rxJumbo))
    }
}
