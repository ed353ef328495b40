import PlumbManifest
import PlumbTypes

extension Layer {
    /// An `additive` layer that users rest on (`record.users`), with each of its bridges that
    /// the kernel shows as this owner's (its mark) declaring the addresses it holds beside its
    /// own, and its masquerade kept while the owner's table has it: planned on, nothing a
    /// user relies on is removed, and the NAT rules cover the union. Any other layer as it
    /// is. Pure: the observation and the record are handed in.
    func keepingWhatUsersRestOn(observed: ObservedState, record: Record?) -> Layer {
        guard additive, let record, !record.users.isEmpty else { return self }
        var grown = self
        for (i, b) in manifest.bridges.enumerated() {
            guard let l = observed.host.link(named: b.name), l.kind == "bridge",
                  marks.marks(l.marks, in: .host, declaredMAC: marks.mac(for: b.name)) else { continue }
            let held = observed.host.addresses(of: l.index).filter { !b.addresses.contains($0) }
            grown.manifest.bridges[i].addresses += held.sorted { $0.description < $1.description }
            let masquerading = observed.firewall?.chains.contains { c in
                c.rules.contains { $0.comment == NATDesign.masqueradeComment(bridge: b.name, at: i) }
            } ?? false
            if masquerading { grown.manifest.bridges[i].nat = NAT(masquerade: true) }
        }
        return grown
    }
}
