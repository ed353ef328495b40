/// A flow type whose receive hash `ethtool -N NIC rx-flow-hash TYPE FIELDS` sets, by
/// ethtool's name, with the kernel's `*_FLOW` number (linux/ethtool.h).
public enum RxFlowType: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable, Comparable {
    case tcp4, udp4, sctp4, ah4, esp4, tcp6, udp6, sctp6, ah6, esp6

    /// TCP_V4_FLOW …: the value of `struct ethtool_rxnfc.flow_type`.
    public var kernelValue: UInt32 {
        switch self {
        case .tcp4: return 0x01
        case .udp4: return 0x02
        case .sctp4: return 0x03
        case .ah4: return 0x09
        case .esp4: return 0x0a
        case .tcp6: return 0x05
        case .udp6: return 0x06
        case .sctp6: return 0x07
        case .ah6: return 0x0b
        case .esp6: return 0x0c
        }
    }

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// The packet fields a flow type's receive hash covers, as ethtool's letters: m (destination
/// MAC), v (VLAN tag), t (L3 protocol), s (source IP), d (destination IP), f (L4 bytes 0-1,
/// the source port), n (L4 bytes 2-3, the destination port), r (discard the flow). The bits
/// are the kernel's RXH_* (linux/ethtool.h).
public struct RxHashFields: Hashable, Sendable, Codable, CustomStringConvertible {
    public var bits: UInt64
    public init(bits: UInt64) { self.bits = bits }

    static let letters: [(Character, UInt64)] = [
        ("m", 1 << 1), ("v", 1 << 2), ("t", 1 << 3), ("s", 1 << 4), ("d", 1 << 5),
        ("f", 1 << 6), ("n", 1 << 7), ("r", 1 << 31),
    ]

    /// "sdfn", or several groups `["sd", "fn"]` joined; nil for a letter ethtool does not know.
    public init?(letters text: String) {
        var bits: UInt64 = 0
        for c in text {
            guard let bit = Self.letters.first(where: { $0.0 == c })?.1 else { return nil }
            bits |= bit
        }
        self.bits = bits
    }

    /// In ethtool's order: "sdfn"; "" when nothing is hashed.
    public var description: String {
        String(Self.letters.filter { bits & $0.1 != 0 }.map(\.0))
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let f = RxHashFields(letters: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not rx-flow-hash letters"))
        }
        self = f
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
