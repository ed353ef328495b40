import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// For a `vf:` interface: the PF-side settings the manifest declares for that VF
    /// (`ip link show PF` → `vf N … vlan 12 …`) hold now, and its PF is up.
    func vfChecks(_ iface: Interface, nic: String, index: Int) throws -> [Check] {
        guard let decl = manifest.nics.first(where: { $0.reference == nic }) else { return [] }
        let pfName = Observer(kernel: kernel).resolve(decl.selector.pfSelector) ?? nic
        let host = try kernel.links(in: .host)
        guard let link = try host.link(name: pfName),
              let s = try host.vfSettings(pfIndex: link.index, pfName: pfName).first(where: { $0.index == index }) else {
            return [Check("vf-settings", iface.name, .fail, expected: "VF \(index) of \(pfName)", observed: "not found", evidence: [.netlink])]
        }
        // igb gives a VF no link while its PF is down: name the cause beside the VF's `link-up`.
        let pfUp = Check.expect("pf-up", iface.name, link.up, expected: "\(pfName) up",
                                observed: "\(pfName) \(link.up ? "up" : "down")\(link.carrier ? ", carrier" : ", no carrier")",
                                evidence: [.netlink])
        let observed = "vf \(index) of \(pfName): mac \(s.mac?.description ?? "none"), \(s.vlan), spoofchk \(s.spoofCheck.map { $0 ? "on" : "off" } ?? "?"), trust \(s.trust.map { $0 ? "on" : "off" } ?? "?"), min_tx_rate \(s.minTxRate), max_tx_rate \(s.maxTxRate), state \(s.linkState?.rawValue ?? "?"), query_rss \(s.queryRSS.map { $0 ? "on" : "off" } ?? "?")"
        guard let want = decl.sriov?.vfs.first(where: { $0.index == index }) else {
            return [pfUp, Check("vf-settings", iface.name, .pass, expected: "report", observed: observed, evidence: [.netlink])]
        }
        let diff = VFPlan.difference(want, from: s)
        return [pfUp, .expect("vf-settings", iface.name, diff.isEmpty, expected: "as declared in nics",
                        observed: diff.isEmpty ? observed : "\(observed) — differs:\(diff.arguments)", evidence: [.netlink])]
    }
}
