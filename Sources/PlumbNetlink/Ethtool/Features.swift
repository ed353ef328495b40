import CNetlink

extension Ethtool {
    /// The kernel's name of the generic-receive-offload feature (`ethtool -K dev gro on`).
    public static let groFeature = "rx-gro"

    /// One netdev feature, as `ethtool -k` shows it.
    public struct Feature: Sendable, Equatable, Codable, CustomStringConvertible {
        /// In effect now (`dev->features`).
        public var active: Bool
        /// What was last asked for (`dev->wanted_features`); differs from `active`
        /// when the kernel cannot honour it (a feature it depends on is off).
        public var requested: Bool
        /// The driver lets it be toggled; ethtool prints "[fixed]" when not.
        public var changeable: Bool

        public init(active: Bool, requested: Bool, changeable: Bool) {
            self.active = active; self.requested = requested; self.changeable = changeable
        }

        public var description: String { (active ? "on" : "off") + (changeable ? "" : " [fixed]") }
    }

    /// Every feature of a device, by the kernel's name ("rx-gro", "rx-checksum", …).
    public struct Features: Sendable, Equatable, Codable {
        public var byName: [String: Feature]
        public init(byName: [String: Feature]) { self.byName = byName }

        public subscript(name: String) -> Feature? { byName[name] }
        /// Generic receive offload.
        public var gro: Feature? { byName[Ethtool.groFeature] }

        /// Reads the four bitsets of ETHTOOL_MSG_FEATURES_GET_REPLY (verbose form, with names).
        init(_ a: EthtoolAttributes) throws {
            let hw = try EthtoolBitset(a, ETHTOOL_A_FEATURES_HW)
            let wanted = try EthtoolBitset(a, ETHTOOL_A_FEATURES_WANTED)
            let active = try EthtoolBitset(a, ETHTOOL_A_FEATURES_ACTIVE)
            let nochange = try EthtoolBitset(a, ETHTOOL_A_FEATURES_NOCHANGE)
            var byName: [String: Feature] = [:]
            for name in hw.listed.union(active.set).union(wanted.set) {
                byName[name] = Feature(active: active.set.contains(name), requested: wanted.set.contains(name),
                                       changeable: hw.set.contains(name) && !nochange.set.contains(name))
            }
            self.byName = byName
        }
    }
}

/// A bitset in the verbose (bit-by-bit, named) form: the names it lists, and those set.
/// With ETHTOOL_A_BITSET_NOMASK every listed bit is set; otherwise a bit is set when it
/// carries ETHTOOL_A_BITSET_BIT_VALUE.
struct EthtoolBitset {
    var listed: Set<String> = []
    var set: Set<String> = []

    init(_ parent: EthtoolAttributes, _ type: Int) throws {
        guard let a = try parent.nested(type, maxType: ETHTOOL_A_BITSET_MAX) else { return }
        if a.attribute(ETHTOOL_A_BITSET_BITS) == nil && a.attribute(ETHTOOL_A_BITSET_VALUE) != nil {
            throw EthtoolParseError("compact bitset where a verbose one was asked for")
        }
        let noMask = a.flag(ETHTOOL_A_BITSET_NOMASK)
        for bit in try a.elements(ETHTOOL_A_BITSET_BITS, maxType: ETHTOOL_A_BITSET_BIT_MAX) {
            let name = bit.string(ETHTOOL_A_BITSET_BIT_NAME) ?? "bit\(bit.count(ETHTOOL_A_BITSET_BIT_INDEX))"
            listed.insert(name)
            if noMask || bit.flag(ETHTOOL_A_BITSET_BIT_VALUE) { set.insert(name) }
        }
    }

    /// A request bitset that sets the named bits on or off and leaves the rest.
    static func changes(_ type: Int, _ values: [String: Bool]) -> EthtoolAttribute {
        let bits: [EthtoolAttribute] = values.keys.sorted().map { name in
            .nested(ETHTOOL_A_BITSET_BITS_BIT, [.string(ETHTOOL_A_BITSET_BIT_NAME, name)]
                    + (values[name]! ? [.flag(ETHTOOL_A_BITSET_BIT_VALUE)] : []))
        }
        return .nested(type, [.nested(ETHTOOL_A_BITSET_BITS, bits)])
    }
}

extension EthtoolRequest {
    static func features(_ ifname: String) -> EthtoolRequest {
        .get(ETHTOOL_MSG_FEATURES_GET, "ETHTOOL_MSG_FEATURES_GET", ifname,
             reply: Reply(command: ETHTOOL_MSG_FEATURES_GET_REPLY, maxType: ETHTOOL_A_FEATURES_MAX))
    }

    /// FEATURES_SET without its optional reply: the result is re-read instead.
    static func setFeatures(_ ifname: String, _ values: [String: Bool]) -> EthtoolRequest {
        var request = set(ETHTOOL_MSG_FEATURES_SET, "ETHTOOL_MSG_FEATURES_SET", ifname,
                          [EthtoolBitset.changes(ETHTOOL_A_FEATURES_WANTED, values)])
        request.flags = UInt32(ETHTOOL_FLAG_OMIT_REPLY)
        return request
    }
}

extension EthtoolSocket {
    /// Every feature of the device with its state.
    /// Equivalent to: `ethtool -k IFNAME`.
    public func features(_ ifname: String) throws -> Ethtool.Features {
        try get(.features(ifname), Ethtool.Features.init)
    }

    /// Turns the named features on or off, then re-reads them: a feature the kernel
    /// accepted but did not change (fixed, or held off by a dependency) is an
    /// EOPNOTSUPP error naming it. An unknown name fails in the kernel ("bit name not found").
    /// Equivalent to: `ethtool -K IFNAME NAME on|off …`.
    @discardableResult
    public func setFeatures(_ ifname: String, _ values: [String: Bool]) throws -> Ethtool.Features {
        let request = EthtoolRequest.setFeatures(ifname, values)
        try set(request)
        let now = try features(ifname)
        for (name, on) in values.sorted(by: { $0.key < $1.key }) where now[name]?.active != on {
            let fixed = now[name]?.changeable == false
            let why = fixed ? "the device does not let it change" : "the kernel kept it (a feature it needs is off?)"
            throw request.failure(.notSupported, "\(name) is \(on ? "off" : "on") after requesting \(on ? "on" : "off"): \(why)",
                                  label: label)
        }
        return now
    }

    /// Turns generic receive offload on or off and returns its re-read state.
    /// Equivalent to: `ethtool -K IFNAME gro on|off`.
    @discardableResult
    public func setGRO(_ ifname: String, _ on: Bool) throws -> Ethtool.Feature {
        try setFeatures(ifname, [Ethtool.groFeature: on])[Ethtool.groFeature]!
    }
}
