import CNetlink
import Glibc
import PlumbTypes
import PlumbSystem

/// A VF's transmit rate bounds in Mb/s (0: none), as IFLA_VF_RATE carries them together.
public struct VFRate: Sendable, Hashable, Codable {
    public var min: Int
    public var max: Int
    public init(min: Int, max: Int) { self.min = min; self.max = max }
}

/// One PF-side VF setting: one attribute inside IFLA_VFINFO_LIST → IFLA_VF_INFO.
public enum VFSetting: Sendable, Equatable, CustomStringConvertible {
    case mac(MACAddress)          // IFLA_VF_MAC
    case vlan(VFVLAN)             // IFLA_VF_VLAN (802.1Q) or IFLA_VF_VLAN_LIST (802.1ad)
    case maxTxRate(Int)           // IFLA_VF_TX_RATE, Mb/s, 0 = unlimited (the minimum is kept)
    case rate(VFRate)             // IFLA_VF_RATE: minimum and maximum together
    case spoofCheck(Bool)         // IFLA_VF_SPOOFCHK
    case linkState(VFLinkState)   // IFLA_VF_LINK_STATE
    case queryRSS(Bool)           // IFLA_VF_RSS_QUERY_EN
    case trust(Bool)              // IFLA_VF_TRUST

    /// The setting's name in messages: "mac", "vlan", "max_tx_rate", "rate", "spoofchk", "link-state", "query_rss", "trust".
    public var name: String {
        switch self {
        case .mac: return "mac"
        case .vlan: return "vlan"
        case .maxTxRate: return "max_tx_rate"
        case .rate: return "rate"
        case .spoofCheck: return "spoofchk"
        case .linkState: return "link-state"
        case .queryRSS: return "query_rss"
        case .trust: return "trust"
        }
    }

    /// The `ip link set PF vf N …` arguments: "vlan 12 qos 3", "spoofchk on".
    public var description: String {
        switch self {
        case .mac(let m): return "mac \(m)"
        case .vlan(let v): return v.description
        case .maxTxRate(let r): return "max_tx_rate \(r)"
        case .rate(let r): return "min_tx_rate \(r.min) max_tx_rate \(r.max)"
        case .spoofCheck(let on): return "spoofchk \(on ? "on" : "off")"
        case .linkState(let s): return "state \(s.rawValue)"
        case .queryRSS(let on): return "query_rss \(on ? "on" : "off")"
        case .trust(let on): return "trust \(on ? "on" : "off")"
        }
    }
}

/// Sets PF-side settings of one VF; nil fields are left as they are.
/// Equivalent to: `ip link set dev PF vf N [mac M] [vlan V [qos Q] [proto 802.1Q|802.1ad]]
/// [max_tx_rate R | min_tx_rate MIN max_tx_rate MAX] [spoofchk on|off] [state auto|enable|disable]
/// [query_rss on|off] [trust on|off]`.
///
/// Executed as one RTM_SETLINK on the PF per setting, in the kernel's own order, so a
/// refusal names exactly the setting the driver refused (the kernel stops at the first
/// failing attribute of a message and does not say which). `driver` only feeds the hint
/// of an error (`driver igb has no per-VF link state`).
public struct SetVF: Sendable, Equatable {
    public var pfIndex: Int
    public var pfName: String
    public var vf: Int
    public var mac: MACAddress?
    public var vlan: VFVLAN?
    /// The maximum alone (IFLA_VF_TX_RATE: the kernel keeps the minimum); ignored with `rate`.
    public var maxTxRate: Int?
    /// Both bounds (IFLA_VF_RATE): what a change of the minimum needs.
    public var rate: VFRate?
    public var spoofCheck: Bool?
    public var linkState: VFLinkState?
    public var queryRSS: Bool?
    public var trust: Bool?
    public var driver: String?

    public init(pfIndex: Int, pfName: String, vf: Int, mac: MACAddress? = nil, vlan: VFVLAN? = nil,
                maxTxRate: Int? = nil, rate: VFRate? = nil, spoofCheck: Bool? = nil, linkState: VFLinkState? = nil,
                queryRSS: Bool? = nil, trust: Bool? = nil, driver: String? = nil) {
        self.pfIndex = pfIndex; self.pfName = pfName; self.vf = vf; self.mac = mac; self.vlan = vlan
        self.maxTxRate = maxTxRate; self.rate = rate; self.spoofCheck = spoofCheck; self.linkState = linkState
        self.queryRSS = queryRSS; self.trust = trust; self.driver = driver
    }

    /// The settings to send, in the order the kernel applies them within one IFLA_VF_INFO.
    public var settings: [VFSetting] {
        var out: [VFSetting] = []
        if let m = mac { out.append(.mac(m)) }
        if let v = vlan { out.append(.vlan(v)) }
        if let r = rate { out.append(.rate(r)) } else if let r = maxTxRate { out.append(.maxTxRate(r)) }
        if let s = spoofCheck { out.append(.spoofCheck(s)) }
        if let l = linkState { out.append(.linkState(l)) }
        if let q = queryRSS { out.append(.queryRSS(q)) }
        if let t = trust { out.append(.trust(t)) }
        return out
    }

    /// Rejects what the kernel would reject with a bare EINVAL, before touching it.
    public func validate() throws {
        func fail(_ setting: String, _ reason: String) -> VFRequestError {
            VFRequestError(pf: pfName, vf: vf, setting: setting, reason: reason)
        }
        guard pfIndex > 0 else { throw fail("pf", "ifindex \(pfIndex) is not a link") }
        guard (0...Int(Int32.max - 1)).contains(vf) else { throw fail("vf", "index \(vf) is out of range") }
        if let v = vlan {
            guard (0...4095).contains(v.id) else { throw fail("vlan", "\(v.id) is not in 0...4095") }
            guard (0...7).contains(v.qos) else { throw fail("qos", "\(v.qos) is not in 0...7") }
            guard v.qos == 0 || v.id != 0 else { throw fail("qos", "qos \(v.qos) needs a VLAN id") }
        }
        if let m = mac, m.isMulticast { throw fail("mac", "\(m) is a multicast address") }
        if let r = maxTxRate, !(0...Int(UInt32.max)).contains(r) { throw fail("max_tx_rate", "\(r) Mb/s is out of range") }
        if let r = rate {
            guard (0...Int(UInt32.max)).contains(r.min) else { throw fail("min_tx_rate", "\(r.min) Mb/s is out of range") }
            guard (0...Int(UInt32.max)).contains(r.max) else { throw fail("max_tx_rate", "\(r.max) Mb/s is out of range") }
            // The kernel's own rule (do_setvfinfo): EINVAL for a minimum above a set maximum.
            guard r.max == 0 || r.min <= r.max else { throw fail("min_tx_rate", "\(r.min) Mb/s is above max_tx_rate \(r.max)") }
        }
    }
}

/// A request refused before it reached the kernel.
public struct VFRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pf: String
    public var vf: Int
    public var setting: String
    public var reason: String
    public var description: String { "\(pf) vf \(vf) \(setting): \(reason)" }
}

/// A VF setting the kernel (the PF's driver) refused. Reads like
/// `RTM_SETLINK eth1 vf 0 link-state in host: Operation not supported (EOPNOTSUPP) — driver igb has no per-VF link state`.
public struct VFSettingError: Error, Sendable, CustomStringConvertible {
    public var pf: String
    public var vf: Int
    public var setting: VFSetting
    public var driver: String?
    /// Settings of the same request that took effect before this one (to undo them).
    public var applied: [VFSetting]
    public var cause: NetlinkError

    public init(pf: String, vf: Int, setting: VFSetting, driver: String?, applied: [VFSetting], cause: NetlinkError) {
        self.pf = pf; self.vf = vf; self.setting = setting; self.driver = driver; self.applied = applied; self.cause = cause
    }

    public var errno: Errno { cause.errno }
    /// True when the driver lacks the feature (EOPNOTSUPP, or igb's EPROTONOSUPPORT for 802.1ad).
    public var isUnsupported: Bool { errno == .notSupported || errno == VFSettingError.protocolNotSupported }

    public var hint: String? {
        let who = driver.map { "driver \($0)" } ?? "the PF's driver"
        switch (errno, setting) {
        case (.notSupported, .linkState): return "\(who) has no per-VF link state"
        case (.notSupported, .maxTxRate), (.notSupported, .rate): return "\(who) has no per-VF transmit rate limit"
        case (.invalid, .rate): return "\(who) may have no minimum VF rate (igb, ixgbe, i40e refuse one), and the rate must not exceed the PF's link speed"
        case (.notSupported, .queryRSS): return "\(who) cannot let a VF query RSS"
        case (.notSupported, .trust): return "\(who) cannot set VF trust"
        case (.notSupported, .spoofCheck): return "\(who) has no per-VF spoof checking"
        case (.notSupported, .mac): return "\(who) cannot set a VF MAC from the PF"
        case (.notSupported, .vlan): return "\(who) has no VF port VLAN"
        case (VFSettingError.protocolNotSupported, .vlan): return "\(who) supports only 802.1Q VF VLANs"
        case (.invalid, .maxTxRate):
            return "the rate must not exceed the PF's link speed in Mb/s, and igb needs the PF link up"
                + " (it drops for a moment after VFs are enabled)"
        default: return nil
        }
    }

    public var description: String { "\(cause)" + (hint.map { " — \($0)" } ?? "") }

    static let protocolNotSupported = Errno(rawValue: EPROTONOSUPPORT)
}

extension RouteSocket {
    /// Sends each setting of `r` in its own RTM_SETLINK; stops at the first refusal
    /// with a VFSettingError (which lists the settings already applied).
    public func execute(_ r: SetVF) throws {
        try r.validate()
        var applied: [VFSetting] = []
        for s in r.settings {
            do {
                try setVF(pfIndex: r.pfIndex, vf: r.vf, s, object: "\(r.pfName) vf \(r.vf) \(s.name)")
            } catch let e as NetlinkError {
                throw VFSettingError(pf: r.pfName, vf: r.vf, setting: s, driver: r.driver, applied: applied, cause: e)
            }
            applied.append(s)
        }
    }

    /// One setting, one message. Equivalent to: `ip link set dev PF vf N SETTING`.
    func setVF(pfIndex: Int, vf: Int, _ s: VFSetting, object: String) throws {
        var msg: OpaquePointer?
        try perform("RTM_SETLINK", object) { VFMessage.build(pfIndex: pfIndex, vf: vf, s, into: &msg) }
        // nl_send_sync sends (adding NLM_F_REQUEST|NLM_F_ACK), frees the message and waits for the ACK.
        try perform("RTM_SETLINK", object) { nl_send_sync(sock, msg) }
    }
}

/// The RTM_SETLINK message for one VF setting, built by libnl's SR-IOV API:
/// `rtnl_link_vf_alloc` + `rtnl_link_vf_set_*` + `rtnl_link_vf_add` on a change link,
/// `rtnl_link_build_change_request` for the message, retyped from RTM_NEWLINK to
/// RTM_SETLINK (which modifies an existing link and can never create one).
enum VFMessage {
    static let rtmSetLink: UInt16 = 19   // RTM_SETLINK

    /// Builds into `msg` (the caller owns it); returns libnl's 0 / -NLE_*.
    static func build(pfIndex: Int, vf: Int, _ s: VFSetting, into msg: inout OpaquePointer?) -> Int32 {
        let orig = rtnl_link_alloc()!, change = rtnl_link_alloc()!
        defer { rtnl_link_put(orig); rtnl_link_put(change) }
        rtnl_link_set_ifindex(orig, Int32(pfIndex))
        guard let object = rtnl_link_vf_alloc() else { return -NLE_NOMEM }
        defer { rtnl_link_vf_put(object) }   // rtnl_link_vf_add took its own reference
        rtnl_link_vf_set_index(object, UInt32(vf))
        let rc = apply(s, to: object)
        guard rc == 0 else { return rc }
        let added = rtnl_link_vf_add(change, object)
        guard added == 0 else { return added }
        let built = rtnl_link_build_change_request(orig, change, 0, &msg)
        guard built == 0, let msg else { return built }
        nlmsg_hdr(msg).pointee.nlmsg_type = rtmSetLink
        return 0
    }

    /// The message as bytes (for tests; frees it).
    static func bytes(pfIndex: Int, vf: Int, _ s: VFSetting) -> [UInt8]? {
        var msg: OpaquePointer?
        guard build(pfIndex: pfIndex, vf: vf, s, into: &msg) == 0, let msg else { return nil }
        defer { nlmsg_free(msg) }
        let hdr = nlmsg_hdr(msg)!
        return Array(UnsafeRawBufferPointer(start: hdr, count: Int(hdr.pointee.nlmsg_len)))
    }

    private static func apply(_ s: VFSetting, to vf: OpaquePointer) -> Int32 {
        switch s {
        case .mac(let m):
            let a = NLAddress.make(m)
            rtnl_link_vf_set_addr(vf, a)   // takes its own reference
            nl_addr_put(a)
        case .vlan(let v):
            return setVLAN(v, on: vf)
        case .maxTxRate(let r):
            // The old API (IFLA_VF_TX_RATE): the kernel keeps the VF's min_tx_rate,
            // as `ip link … max_tx_rate R` does by re-reading it.
            var rate = nl_vf_rate(api: Int32(RTNL_LINK_VF_RATE_API_OLD.rawValue), rate: UInt32(r),
                                  max_tx_rate: 0, min_tx_rate: 0)
            rtnl_link_vf_set_rate(vf, &rate)
        case .rate(let r):
            // The new API (IFLA_VF_RATE): both bounds, as `ip link … min_tx_rate A max_tx_rate B`.
            var rate = nl_vf_rate(api: Int32(RTNL_LINK_VF_RATE_API_NEW.rawValue), rate: 0,
                                  max_tx_rate: UInt32(r.max), min_tx_rate: UInt32(r.min))
            rtnl_link_vf_set_rate(vf, &rate)
        case .queryRSS(let on): rtnl_link_vf_set_rss_query_en(vf, on ? 1 : 0)
        case .spoofCheck(let on): rtnl_link_vf_set_spoofchk(vf, on ? 1 : 0)
        case .linkState(let state): rtnl_link_vf_set_linkstate(vf, state.kernelValue)
        case .trust(let on): rtnl_link_vf_set_trust(vf, on ? 1 : 0)
        }
        return 0
    }

    /// libnl sends `vf_vlan_proto` unconverted (docs/ARCHITECTURE.md §6): 0 selects 802.1Q and the
    /// plain IFLA_VF_VLAN; htons(0x88a8) selects IFLA_VF_VLAN_LIST with 802.1ad.
    private static func setVLAN(_ v: VFVLAN, on vf: OpaquePointer) -> Int32 {
        var list: UnsafeMutablePointer<nl_vf_vlans_t>?
        let rc = rtnl_link_vf_vlan_alloc(&list, 1)
        guard rc == 0, let list else { return rc < 0 ? rc : -NLE_NOMEM }
        defer { rtnl_link_vf_vlan_put(list) }   // rtnl_link_vf_set_vlans took its own reference
        list.pointee.vlans[0] = nl_vf_vlan_info_t(
            vf_vlan: UInt32(v.id), vf_vlan_qos: UInt32(v.qos),
            vf_vlan_proto: v.proto == .dot1ad ? VFProto.dot1ad.bigEndian : 0)
        rtnl_link_vf_set_vlans(vf, list)
        return 0
    }
}
