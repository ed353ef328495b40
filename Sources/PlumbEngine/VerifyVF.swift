import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Verifier {
    /// For a `vf:` interface: the PF-side settings the manifest declares for that VF
    /// (`ip link show PF` → `vf N … vlan 12 …`) hold now.
    func vfChecks(_ iface: Interface, nic: String, index: Int) throws -> [Check] {
        guard let decl = manifest.nics.first(where: { $0.reference == nic }) else { return [] }
        let pfName = Observer(session: session).resolve(decl) ?? nic
        guard let link = try session.host.link(name: pfName),
              let s = try session.host.vfSettings(pfIndex: link.index, pfName: pfName, vf: index) else {
            return [Check("vf-settings", iface.name, .fail, expected: "VF \(index) of \(pfName)", observed: "not found")]
        }
        let observed = "vf \(index) of \(pfName): mac \(s.mac?.description ?? "none"), vlan \(s.vlan), spoofchk \(s.spoofCheck.map { $0 ? "on" : "off" } ?? "?"), trust \(s.trust.map { $0 ? "on" : "off" } ?? "?"), max_tx_rate \(s.maxTxRate)"
        guard let want = decl.sriov?.vfs.first(where: { $0.index == index }) else {
            return [Check("vf-settings", iface.name, .pass, expected: "report", observed: observed)]
        }
        let step = Planner(manifest: manifest, observed: ObservedState(), record: nil)
            .vfSettingStep(want, pf: PhysicalFunction(name: pfName, pciAddress: "", driver: nil, mac: "", totalVFs: nil, numVFs: nil), current: s)
        return [.expect("vf-settings", iface.name, step == nil, expected: "as declared in nics",
                        observed: step.map { "\(observed) — differs: \($0.command)" } ?? observed)]
    }
}
