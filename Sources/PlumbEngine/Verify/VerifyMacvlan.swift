import PlumbNetlink
import PlumbTypes

extension Verifier {
    /// The container's macvlan sits on the declared parent in the declared mode: a
    /// macvlan re-made by hand on another NIC would pass every other check.
    func macvlanCheck(_ l: LinkInfo, parent: String, mode: MacvlanMode, host: NamespaceSnapshot) -> Check {
        let parentLink = host.link(named: parent)
        let onParent = l.kind == "macvlan" && parentLink != nil && l.peerIndex == parentLink?.index
        let observedParent = l.peerIndex.map { i in host.link(index: i)?.name ?? "ifindex \(i)" } ?? "none"
        return .expect("macvlan", l.name, onParent && l.macvlanMode == mode,
                       expected: "macvlan mode \(mode.rawValue) on \(parent)",
                       observed: "\(l.kind ?? "physical")\(l.macvlanMode.map { " mode \($0.rawValue)" } ?? "") on \(observedParent)",
                       evidence: [.netlink])
    }
}
