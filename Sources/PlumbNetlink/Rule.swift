import CNetlink
import Glibc
import PlumbTypes

/// A policy-routing rule of one family (`ip rule show`, `ip -6 rule show`): which traffic
/// (source, destination, input and output interface, firewall mark) looks up which table,
/// at which priority. Only `lookup` rules: the kind Plumb makes and compares.
public struct RuleInfo: Sendable, Equatable, Hashable, Codable {
    public var family: IPFamily
    /// FRA_PRIORITY; nil when asking the kernel to choose (it takes the first rule's minus one).
    public var priority: Int?
    public var from: IPPrefix?
    public var to: IPPrefix?
    public var iif: String?
    public var oif: String?
    public var fwmark: UInt32?
    /// The mark's mask; nil is all ones (as `ip rule` prints it: `fwmark 0x10` = `0x10/0xffffffff`).
    public var fwmask: UInt32?
    public var table: Int
    /// FRA_PROTOCOL (RTPROT_*): who made the rule. Plumb marks the rules it makes with
    /// `RuleInfo.plumbProtocol`: the kernel keeps no alias on a rule, this is its mark.
    public var proto: Int

    /// RTPROT value 126 marks a rule as Plumb's (`ip rule` prints `proto 126`). iproute2's
    /// rt_protos names 0–4, 8–19, 42, 99, 186–192; 126 is none of them.
    public static let plumbProtocol = 126

    public init(family: IPFamily, priority: Int? = nil, from: IPPrefix? = nil, to: IPPrefix? = nil, iif: String? = nil,
                oif: String? = nil, fwmark: UInt32? = nil, fwmask: UInt32? = nil, table: Int, proto: Int = RuleInfo.plumbProtocol) {
        self.family = family; self.priority = priority; self.from = from; self.to = to; self.iif = iif; self.oif = oif
        self.fwmark = fwmark; self.fwmask = fwmask; self.table = table; self.proto = proto
    }

    /// `from 10.1.0.2 iif eth0 fwmark 0x10/0xff lookup 100` as `ip rule` prints it (with
    /// `priority P` first when fixed). A /32 (/128) prints as the bare address.
    public var text: String {
        func prefix(_ p: IPPrefix) -> String { p.length == p.address.bytes.count * 8 ? p.address.description : p.network.description }
        var parts: [String] = []
        if let priority { parts.append("priority \(priority)") }
        parts.append("from \(from.map(prefix) ?? "all")")
        if let to { parts.append("to \(prefix(to))") }
        if let iif { parts.append("iif \(iif)") }
        if let oif { parts.append("oif \(oif)") }
        if let fwmark {
            parts.append("fwmark 0x\(String(fwmark, radix: 16))" + (fwmask.map { $0 == .max ? "" : "/0x\(String($0, radix: 16))" } ?? ""))
        }
        parts.append("lookup \(table)")
        return parts.joined(separator: " ")
    }

    /// The same traffic to the same table: the kernel's rule answers the wanted one. A wanted
    /// rule without a priority takes any; a mask of all ones is the same as none.
    public func matches(_ want: RuleInfo) -> Bool {
        family == want.family && (want.priority == nil || priority == want.priority)
            && from?.network == want.from?.network && to?.network == want.to?.network
            && iif == want.iif && oif == want.oif && fwmark == want.fwmark
            && (fwmask ?? .max) == (want.fwmask ?? .max) && table == want.table
    }
}

extension RouteSocket {
    /// Every rule of both families. Equivalent to: `ip rule show; ip -6 rule show`.
    public func rules() throws -> [RuleInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETRULE", "dump") { rtnl_rule_alloc_cache(sock, AF_UNSPEC, &cache) }
        defer { nl_cache_free(cache) }
        return collect(cache) { r -> RuleInfo? in
            let family: IPFamily
            switch rtnl_rule_get_family(r) {
            case AF_INET: family = .v4
            case AF_INET6: family = .v6
            default: return nil
            }
            var proto: UInt8 = 0
            _ = rtnl_rule_get_protocol(r, &proto)
            // No mark reads as all ones from libnl, or as mark 0 where the kernel sends FRA_FWMARK anyway.
            let mark = rtnl_rule_get_mark(r), mask = rtnl_rule_get_mask(r)
            let marked = mark != .max && !(mark == 0 && (mask == 0 || mask == .max))
            return RuleInfo(family: family, priority: Int(rtnl_rule_get_prio(r)),
                            from: NLAddress.prefix(rtnl_rule_get_src(r)), to: NLAddress.prefix(rtnl_rule_get_dst(r)),
                            iif: rtnl_rule_get_iif(r).map { String(cString: $0) }, oif: rtnl_rule_get_oif(r).map { String(cString: $0) },
                            fwmark: marked ? mark : nil, fwmask: marked && mask != .max ? mask : nil,
                            table: Int(rtnl_rule_get_table(r)), proto: Int(proto))
        }.compactMap { $0 }
    }

    /// Equivalent to: `ip [-6] rule add [priority P] from SRC to DST iif I oif O fwmark M/MASK lookup T proto 126`
    /// (EEXIST when the same rule is there).
    public func addRule(_ r: RuleInfo) throws {
        try withRule(r) { rule in
            try perform("RTM_NEWRULE", r.text) { rtnl_rule_add(sock, rule, NLM_F_CREATE | NLM_F_EXCL) }
        }
    }

    /// Equivalent to: `ip [-6] rule del [priority P] from SRC … lookup T` (the first rule that matches).
    public func deleteRule(_ r: RuleInfo) throws {
        try withRule(r) { rule in
            try perform("RTM_DELRULE", r.text) { rtnl_rule_delete(sock, rule, 0) }
        }
    }

    private func withRule(_ r: RuleInfo, _ body: (OpaquePointer) throws -> Void) throws {
        let rule = rtnl_rule_alloc()!
        defer { rtnl_rule_put(rule) }
        rtnl_rule_set_family(rule, r.family == .v4 ? AF_INET : AF_INET6)
        rtnl_rule_set_action(rule, 1)   // FR_ACT_TO_TBL: lookup
        rtnl_rule_set_table(rule, UInt32(r.table))
        if let p = r.priority { rtnl_rule_set_prio(rule, UInt32(p)) }
        _ = rtnl_rule_set_protocol(rule, UInt8(r.proto))
        var owned: [OpaquePointer] = []
        defer { owned.forEach { nl_addr_put($0) } }
        if let from = r.from { let a = NLAddress.make(from.network); owned.append(a); _ = rtnl_rule_set_src(rule, a) }
        if let to = r.to { let a = NLAddress.make(to.network); owned.append(a); _ = rtnl_rule_set_dst(rule, a) }
        if let iif = r.iif { _ = rtnl_rule_set_iif(rule, iif) }
        if let oif = r.oif { _ = rtnl_rule_set_oif(rule, oif) }
        if let m = r.fwmark {
            rtnl_rule_set_mark(rule, m)
            rtnl_rule_set_mask(rule, r.fwmask ?? .max)
        }
        try body(rule)
    }
}
