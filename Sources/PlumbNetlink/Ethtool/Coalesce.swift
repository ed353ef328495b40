import CNetlink

extension Ethtool {
    /// One interrupt-coalescing parameter, by the manifest's name, with the `ethtool -C`
    /// option and the ETHTOOL_A_COALESCE_* attribute it equals. The two adaptive switches
    /// carry 0/1 like the kernel's u8; the others are u32 counts (µs or frames). The `Irq`
    /// variants apply while the interrupt is being serviced (the kernel's `*_irq`).
    public enum CoalesceParam: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable, Comparable {
        case adaptiveRx, adaptiveTx
        case rxUsecs, rxFrames, rxUsecsIrq, rxFramesIrq
        case txUsecs, txFrames, txUsecsIrq, txFramesIrq

        /// The `ethtool -C` / `ethtool -c` name.
        public var option: String {
            switch self {
            case .adaptiveRx: return "adaptive-rx"
            case .adaptiveTx: return "adaptive-tx"
            case .rxUsecs: return "rx-usecs"
            case .rxFrames: return "rx-frames"
            case .rxUsecsIrq: return "rx-usecs-irq"
            case .rxFramesIrq: return "rx-frames-irq"
            case .txUsecs: return "tx-usecs"
            case .txFrames: return "tx-frames"
            case .txUsecsIrq: return "tx-usecs-irq"
            case .txFramesIrq: return "tx-frames-irq"
            }
        }

        var attribute: Int {
            switch self {
            case .adaptiveRx: return ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX
            case .adaptiveTx: return ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX
            case .rxUsecs: return ETHTOOL_A_COALESCE_RX_USECS
            case .rxFrames: return ETHTOOL_A_COALESCE_RX_MAX_FRAMES
            case .rxUsecsIrq: return ETHTOOL_A_COALESCE_RX_USECS_IRQ
            case .rxFramesIrq: return ETHTOOL_A_COALESCE_RX_MAX_FRAMES_IRQ
            case .txUsecs: return ETHTOOL_A_COALESCE_TX_USECS
            case .txFrames: return ETHTOOL_A_COALESCE_TX_MAX_FRAMES
            case .txUsecsIrq: return ETHTOOL_A_COALESCE_TX_USECS_IRQ
            case .txFramesIrq: return ETHTOOL_A_COALESCE_TX_MAX_FRAMES_IRQ
            }
        }

        /// On/off (u8) rather than a count (u32).
        public var isSwitch: Bool { self == .adaptiveRx || self == .adaptiveTx }

        /// "on"/"off" for a switch, the number otherwise.
        public func show(_ v: Int) -> String { isSwitch ? (v != 0 ? "on" : "off") : String(v) }

        public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    /// Interrupt coalescing, as `ethtool -c` shows it. The kernel puts a parameter in its
    /// reply when the driver supports it (or it is non-zero): nil means not reported, and a
    /// manifest asking for it is refused naming the driver.
    public struct Coalesce: Sendable, Equatable, Codable, CustomStringConvertible {
        public var adaptiveRx: Bool?
        public var adaptiveTx: Bool?
        public var rxUsecs: Int?
        public var rxFrames: Int?
        public var txUsecs: Int?
        public var txFrames: Int?
        public var rxUsecsIrq: Int?
        public var rxFramesIrq: Int?
        public var txUsecsIrq: Int?
        public var txFramesIrq: Int?

        public init(adaptiveRx: Bool? = nil, adaptiveTx: Bool? = nil, rxUsecs: Int? = nil,
                    rxFrames: Int? = nil, txUsecs: Int? = nil, txFrames: Int? = nil) {
            self.adaptiveRx = adaptiveRx; self.adaptiveTx = adaptiveTx; self.rxUsecs = rxUsecs
            self.rxFrames = rxFrames; self.txUsecs = txUsecs; self.txFrames = txFrames
        }

        /// The parameter's value (a switch as 0/1); nil when the driver does not report it.
        public subscript(_ p: CoalesceParam) -> Int? {
            get {
                switch p {
                case .adaptiveRx: return adaptiveRx.map { $0 ? 1 : 0 }
                case .adaptiveTx: return adaptiveTx.map { $0 ? 1 : 0 }
                case .rxUsecs: return rxUsecs
                case .rxFrames: return rxFrames
                case .rxUsecsIrq: return rxUsecsIrq
                case .rxFramesIrq: return rxFramesIrq
                case .txUsecs: return txUsecs
                case .txFrames: return txFrames
                case .txUsecsIrq: return txUsecsIrq
                case .txFramesIrq: return txFramesIrq
                }
            }
            set {
                switch p {
                case .adaptiveRx: adaptiveRx = newValue.map { $0 != 0 }
                case .adaptiveTx: adaptiveTx = newValue.map { $0 != 0 }
                case .rxUsecs: rxUsecs = newValue
                case .rxFrames: rxFrames = newValue
                case .rxUsecsIrq: rxUsecsIrq = newValue
                case .rxFramesIrq: rxFramesIrq = newValue
                case .txUsecs: txUsecs = newValue
                case .txFrames: txFrames = newValue
                case .txUsecsIrq: txUsecsIrq = newValue
                case .txFramesIrq: txFramesIrq = newValue
                }
            }
        }

        /// What the driver reports, in `ethtool -c` order: "adaptive-rx off rx-usecs 3 …".
        public var description: String {
            let shown = CoalesceParam.allCases.compactMap { p in self[p].map { "\(p.option) \(p.show($0))" } }
            return shown.isEmpty ? "nothing reported" : shown.joined(separator: " ")
        }

        init(_ a: EthtoolAttributes) {
            self.init()
            for p in CoalesceParam.allCases {
                self[p] = p.isSwitch ? a.bool(p.attribute).map { $0 ? 1 : 0 } : a.optionalCount(p.attribute)
            }
        }
    }
}

extension EthtoolRequest {
    static func coalesce(_ ifname: String) -> EthtoolRequest {
        .get(ETHTOOL_MSG_COALESCE_GET, "ETHTOOL_MSG_COALESCE_GET", ifname,
             reply: Reply(command: ETHTOOL_MSG_COALESCE_GET_REPLY, maxType: ETHTOOL_A_COALESCE_MAX))
    }

    static func setCoalesce(_ ifname: String, _ values: [Ethtool.CoalesceParam: Int]) throws -> EthtoolRequest {
        try checkedSet(ETHTOOL_MSG_COALESCE_SET, "ETHTOOL_MSG_COALESCE_SET", ifname) {
            try values.keys.sorted().map { p in
                p.isSwitch ? .bool(p.attribute, values[p]! != 0) : try .count(p.attribute, values[p], p.option)
            }
        }
    }

    static func setCoalesce(_ ifname: String, adaptiveRx: Bool?, rxUsecs: Int?, rxFrames: Int?) throws -> EthtoolRequest {
        var values: [Ethtool.CoalesceParam: Int] = [:]
        values[.adaptiveRx] = adaptiveRx.map { $0 ? 1 : 0 }
        values[.rxUsecs] = rxUsecs
        values[.rxFrames] = rxFrames
        return try setCoalesce(ifname, values)
    }
}

extension EthtoolSocket {
    /// The device's interrupt coalescing (veth: EOPNOTSUPP).
    /// Equivalent to: `ethtool -c IFNAME`.
    public func coalesce(_ ifname: String) throws -> Ethtool.Coalesce {
        try get(.coalesce(ifname), Ethtool.Coalesce.init)
    }

    /// Changes the given coalescing parameters in one message; the others stay. The kernel
    /// refuses the whole message (EOPNOTSUPP) when one is beyond what the driver supports.
    /// Equivalent to: `ethtool -C IFNAME [adaptive-rx on|off] [rx-usecs N] [tx-frames-irq N] …`.
    public func setCoalesce(_ ifname: String, _ values: [Ethtool.CoalesceParam: Int]) throws {
        try set(.setCoalesce(ifname, values))
    }

    /// The receive subset, as `ethtool -C IFNAME adaptive-rx … rx-usecs … rx-frames …`.
    public func setCoalesce(_ ifname: String, adaptiveRx: Bool? = nil, rxUsecs: Int? = nil,
                            rxFrames: Int? = nil) throws {
        try set(.setCoalesce(ifname, adaptiveRx: adaptiveRx, rxUsecs: rxUsecs, rxFrames: rxFrames))
    }
}
