import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Verifier {
    /// igbvf brings a VF's link back only at its reset, seconds after its PF came up again
    /// (up to 5.5 s on the lab's 82576 after a PF down and up): a VF that is up without carrier
    /// while its PF has carrier gets a bounded wait before it is judged. A VF whose PF is
    /// down, that is down itself, or whose link state is declared disabled is judged at once.
    func waitForVFLinks(_ c: Container, ns: NamespaceRef, host: NamespaceSnapshot,
                        timeout: Duration = .seconds(10)) throws {
        let waiting = c.interfaces.filter { iface in
            guard case .vf(let nic, let index) = iface.kind else { return false }
            let declared = manifest.nics.first { $0.reference == nic }?.sriov?.vfs.first { $0.index == index }
            return declared?.linkState != .disable && pfHasCarrier(nic, host: host)
        }
        guard !waiting.isEmpty else { return }
        let ops = try kernel.links(in: ns)
        for iface in waiting {
            guard let l = try ops.link(name: iface.name), l.up, !l.carrier else { continue }
            _ = try? ops.waitForCarrier(index: l.index, name: iface.name, timeout: timeout)
        }
    }

    func pfHasCarrier(_ nic: String, host: NamespaceSnapshot) -> Bool {
        guard let decl = manifest.nics.first(where: { $0.reference == nic }),
              let name = Observer(kernel: kernel).resolve(decl.selector.pfSelector),
              let pf = host.link(named: name) else { return false }
        return pf.up && pf.carrier
    }
}
