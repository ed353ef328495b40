import PlumbManifest
import PlumbTypes

extension Layer {
    /// An `additive` layer that users rest on (`record.users`), with each of its bridges that
    /// the kernel shows as this owner's (its mark) declaring the addresses it holds beside its
    /// own: planned on, nothing a user needs is removed, and the NAT rules follow the union.
    /// Any other layer as it is. Pure: the observation and the record are handed in.
    func keepingUsersAddresses(observed: ObservedState, record: Record?) -> Layer {
        guard additive, let record, !record.users.isEmpty else { return self }
        var grown = self
        for (i, b) in manifest.bridges.enumerated() {
            guard let l = observed.host.link(named: b.name), l.kind == "bridge",
                  marks.marks(l.marks, in: .host, declaredMAC: marks.mac(for: b.name)) else { continue }
            let held = observed.host.addresses(of: l.index).filter { !b.addresses.contains($0) }
            grown.manifest.bridges[i].addresses += held.sorted { $0.description < $1.description }
        }
        return grown
    }
}
