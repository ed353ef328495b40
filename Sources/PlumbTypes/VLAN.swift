/// The tag protocol of a VF's port VLAN, as `ip link set PF vf N vlan V proto P` names it.
public enum VLANProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case dot1q = "802.1Q"
    case dot1ad = "802.1ad"
}

/// A VF's port VLAN: inserted on transmit, stripped on receive, set from the PF.
public struct VFVLAN: Sendable, Hashable, Codable, CustomStringConvertible {
    public var id: Int                  // 0 = none
    public var qos: Int                 // 802.1p priority, 0...7
    public var proto: VLANProtocol      // igb: 802.1Q only

    public init(id: Int, qos: Int = 0, proto: VLANProtocol = .dot1q) {
        self.id = id; self.qos = qos; self.proto = proto
    }

    /// `vlan 12 qos 3 proto 802.1ad`, as `ip link` takes it.
    public var description: String {
        "vlan \(id)" + (qos != 0 ? " qos \(qos)" : "") + (proto != .dot1q ? " proto \(proto.rawValue)" : "")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        qos = try c.decodeIfPresent(Int.self, forKey: .qos) ?? 0
        proto = try c.decodeIfPresent(VLANProtocol.self, forKey: .proto) ?? .dot1q
    }

    private enum CodingKeys: String, CodingKey { case id, qos, proto }
}

/// A VF's administrative link state, as `ip link set PF vf N state …` names it.
/// igb has none (EOPNOTSUPP on set; reads back as `auto`).
public enum VFLinkState: String, Sendable, Hashable, Codable, CaseIterable {
    case auto, enable, disable
}
