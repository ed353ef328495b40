import CNetlink

extension Ethtool {
    /// Interrupt coalescing, as `ethtool -c` shows it. The kernel reports only what the
    /// driver supports (or what is non-zero): nil means not reported.
    public struct Coalesce: Sendable, Equatable, Codable, CustomStringConvertible {
        public var adaptiveRx: Bool?
        public var adaptiveTx: Bool?
        public var rxUsecs: Int?
        public var rxFrames: Int?
        public var txUsecs: Int?
        public var txFrames: Int?

        public init(adaptiveRx: Bool? = nil, adaptiveTx: Bool? = nil, rxUsecs: Int? = nil,
                    rxFrames: Int? = nil, txUsecs: Int? = nil, txFrames: Int? = nil) {
            self.adaptiveRx = adaptiveRx; self.adaptiveTx = adaptiveTx; self.rxUsecs = rxUsecs
            self.rxFrames = rxFrames; self.txUsecs = txUsecs; self.txFrames = txFrames
        }

        public var description: String {
            func show<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "n/a" }
            return "adaptive-rx \(show(adaptiveRx)) rx-usecs \(show(rxUsecs)) rx-frames \(show(rxFrames))"
        }

        init(_ a: EthtoolAttributes) {
            self.init(adaptiveRx: a.bool(ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX),
                      adaptiveTx: a.bool(ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX),
                      rxUsecs: a.optionalCount(ETHTOOL_A_COALESCE_RX_USECS),
                      rxFrames: a.optionalCount(ETHTOOL_A_COALESCE_RX_MAX_FRAMES),
                      txUsecs: a.optionalCount(ETHTOOL_A_COALESCE_TX_USECS),
                      txFrames: a.optionalCount(ETHTOOL_A_COALESCE_TX_MAX_FRAMES))
        }
    }
}

extension EthtoolRequest {
    static func coalesce(_ ifname: String) -> EthtoolRequest {
        .get(ETHTOOL_MSG_COALESCE_GET, "ETHTOOL_MSG_COALESCE_GET", ifname,
             reply: Reply(command: ETHTOOL_MSG_COALESCE_GET_REPLY, maxType: ETHTOOL_A_COALESCE_MAX))
    }

    static func setCoalesce(_ ifname: String, adaptiveRx: Bool?, rxUsecs: Int?,
                            rxFrames: Int?) throws -> EthtoolRequest {
        try checkedSet(ETHTOOL_MSG_COALESCE_SET, "ETHTOOL_MSG_COALESCE_SET", ifname) {
            [.bool(ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, adaptiveRx),
             try .count(ETHTOOL_A_COALESCE_RX_USECS, rxUsecs, "rx-usecs"),
             try .count(ETHTOOL_A_COALESCE_RX_MAX_FRAMES, rxFrames, "rx-frames")]
        }
    }
}

extension EthtoolSocket {
    /// The device's interrupt coalescing (veth: EOPNOTSUPP).
    /// Equivalent to: `ethtool -c IFNAME`.
    public func coalesce(_ ifname: String) throws -> Ethtool.Coalesce {
        try get(.coalesce(ifname), Ethtool.Coalesce.init)
    }

    /// Changes the given receive coalescing settings; nil ones stay. A setting the
    /// driver does not support fails with EOPNOTSUPP.
    /// Equivalent to: `ethtool -C IFNAME [adaptive-rx on|off] [rx-usecs N] [rx-frames N]`.
    public func setCoalesce(_ ifname: String, adaptiveRx: Bool? = nil, rxUsecs: Int? = nil,
                            rxFrames: Int? = nil) throws {
        try set(.setCoalesce(ifname, adaptiveRx: adaptiveRx, rxUsecs: rxUsecs, rxFrames: rxFrames))
    }
}
