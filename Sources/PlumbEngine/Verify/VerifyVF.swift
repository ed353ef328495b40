import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// For a `vf:` interface: the PF-side settings the manifest declares for that VF
    /// (`ip link show PF` → `vf N … vlan 12 …`) hold now.
    func vfChecks(_ iface: Interface, nic: String, index: Int) throws -> [Check] {
        guard let decl = manifest.nics.first(where: { $0.reference == nic }) else { return [] }
        let pfName = Observer(kernel: kernel).resolve(decl.selector.pfSelector) ?? nic
        let host = try kernel.links(in: .host)
        guard let link = try host.link(name: pfName),
              let s = try host.vfSettings(pfIndex: link.index, pfName: pfName).first(where: { $0.index == index }) else {
            return [Check("vf-settings", iface.name, .fail, expected: "VF \(index) of \(pfName)", observed: "not found", evidence: [.netlink])]
        }
        let observed = "vf \(index) of \(pfName): mac \(s.mac?.description ?? "none"), \(s.vlan), spoofchk \(s.spoofCheck.map { $0 ? "on" : "off" } ?? "?"), trust \(s.trust.map { $0 ? "on" : "off" } ?? "?"), max_tx_rate \(s.maxTxRate)"
        guard let want = decl.sriov?.vfs.first(where: { $0.index == index }) else {
            return [Check("vf-settings", iface.name, .pass, expected: "report", observed: observed, evidence: [.netlink])]
        }
        let diff = VFPlan.difference(want, from: s)
        return [.expect("vf-settings", iface.name, diff.isEmpty, expected: "as declared in nics",
                        observed: diff.isEmpty ? observed : "\(observed) — differs:\(diff.arguments)", evidence: [.netlink])]
    }
}
