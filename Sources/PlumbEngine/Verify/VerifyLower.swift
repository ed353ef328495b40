import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Verifier {
    /// The container's ipvlan sits on the declared parent in the declared mode (the mode is
    /// the parent's: another ipvlan created there since may have switched it).
    func ipvlanCheck(_ l: LinkInfo, parent: String, mode: IpvlanMode, flag: IpvlanFlag, host: NamespaceSnapshot) -> Check {
        let parentLink = host.link(named: parent)
        let onParent = l.kind == "ipvlan" && parentLink != nil && l.peerIndex == parentLink?.index
        return .expect("ipvlan", l.name, onParent && l.ipvlanMode == mode && l.ipvlanFlag == flag,
                       expected: "ipvlan mode \(mode.rawValue) \(flag.rawValue) on \(parent)",
                       observed: "\(l.kind ?? "physical")\(l.ipvlanMode.map { " mode \($0.rawValue)" } ?? "")\(l.ipvlanFlag.map { " \($0.rawValue)" } ?? "") on \(parentName(l, host: host, inner: nil))",
                       evidence: [.netlink])
    }

    /// The container's VLAN has the declared id and protocol, on the declared parent: an
    /// interface of the container when it declares one by that name, else the host's link.
    func vlanCheck(_ l: LinkInfo, parent: String, id: Int, proto: VLANProtocol, container c: Container,
                   inner: NamespaceSnapshot, host: NamespaceSnapshot) -> Check {
        let inContainer = c.hasSibling(parent, of: l.name) || (host.link(named: parent) == nil && inner.link(named: parent) != nil)
        let parentLink = inContainer ? inner.link(named: parent) : host.link(named: parent)
        let onParent = l.kind == "vlan" && parentLink != nil && l.peerIndex == parentLink?.index
            && (l.linkNetnsID == nil) == inContainer
        return .expect("vlan", l.name, onParent && l.vlanID == id && l.vlanProtocol == proto,
                       expected: "vlan \(id) \(proto.rawValue) on \(parent)",
                       observed: "\(l.kind ?? "physical")\(l.vlanID.map { " \($0)" } ?? "")\(l.vlanProtocol.map { " \($0.rawValue)" } ?? "") on \(parentName(l, host: host, inner: inner))",
                       evidence: [.netlink])
    }

    /// The name of the link's IFLA_LINK: in the host when the kernel names another namespace
    /// (IFLA_LINK_NETNSID), else beside it.
    func parentName(_ l: LinkInfo, host: NamespaceSnapshot, inner: NamespaceSnapshot?) -> String {
        guard let i = l.peerIndex else { return "none" }
        let beside = l.linkNetnsID == nil ? inner : host
        return (beside ?? host).link(index: i)?.name ?? "ifindex \(i)"
    }
}
