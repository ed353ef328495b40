import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// A VF whose container namespace died before destroy: the kernel has already moved its
/// netdev back to the host, under its container name (or `devN` when that name was
/// taken), still carrying Plumb's alias and the container's MTU. It is found by its PCI
/// address (the PF's `virtfnN`), never by the name it had.
extension DestroyPlanner {
    func strandedVFStep(_ v: MovedVF, _ notes: inout [String], _ handovers: inout [Handover]) -> Step? {
        guard let netdev = observed.pfs[v.pf]?.pf?.vfs.first(where: { $0.index == v.vf })?.netdevs.first,
              let link = index.hostLinks[netdev] else {
            // Not in the host: another owner may have moved it on from where the kernel put
            // it, with this owner's mark and the container's name as its "host" state.
            if let heir = vfUser(v.pf, v.vf), heir.movedVFs.contains(where: { $0.pf == v.pf && $0.vf == v.vf && $0.previous?.alias == marks.alias }) {
                handovers.append(Handover(heir: heir.id, what: .movedVF(v)))
                notes.append("VF \(v.vf) of \(v.pf) left alone: \(heir.owner) uses it now (it brings it home as \(v.hostName ?? "the kernel names it") when it goes)")
            }
            return nil
        }
        // Another manifest or attachment may have taken the VF since: its mark, not ours.
        guard link.alias == marks.alias else {
            notes.append("VF \(v.vf) of \(v.pf) (\(netdev)) left alone: it no longer carries plumb's mark")
            return nil
        }
        var name = v.hostName
        if let wanted = name, wanted != netdev, index.hostLinks[wanted] != nil {
            notes.append("VF \(v.vf) of \(v.pf) stays \(netdev): its old name \(wanted) is taken by another link")
            name = netdev
        }
        return Step(.returnVF(VFReturn(pf: v.pf, vf: v.vf, from: LinkRef(netdev, in: .host, index: link.index),
                                       hostName: name ?? netdev, alias: marks.alias, restore: v.previous)),
                    reason: "\(v.link.namespace) is gone: the kernel put VF \(v.vf) back in the host as \(netdev)")
    }
}

extension DestroyPlanner {
    /// Another owner that uses this VF now (moved it into its container, or set it): its
    /// PF-side settings are that owner's to keep, and the originals pass to it.
    func vfUser(_ pf: String, _ vf: Int) -> Record? {
        others.first { o in o.movedVFs.contains { $0.pf == pf && $0.vf == vf } || o.vfs.contains { $0.pf == pf && $0.vf == vf } }
    }
}

extension VFOriginal {
    /// The heir's entry with the originals of `earlier` (the values before either owner
    /// set them): where the heir kept a value, it keeps what it applied and takes the
    /// earlier original; where it kept none, it takes the earlier one whole.
    func inheriting(_ earlier: VFOriginal) -> VFOriginal {
        func merge<V>(_ mine: Kept<V>?, _ theirs: Kept<V>?) -> Kept<V>? {
            guard let theirs else { return mine }
            guard var mine else { return theirs }
            mine.original = theirs.original
            return mine
        }
        var v = self
        v.mac = merge(mac, earlier.mac); v.vlan = merge(vlan, earlier.vlan); v.maxTxRate = merge(maxTxRate, earlier.maxTxRate)
        v.spoofCheck = merge(spoofCheck, earlier.spoofCheck); v.linkState = merge(linkState, earlier.linkState)
        v.trust = merge(trust, earlier.trust); v.minTxRate = merge(minTxRate, earlier.minTxRate)
        v.queryRSS = merge(queryRSS, earlier.queryRSS)
        return v
    }
}
