import PlumbTypes

/// A PF this owner brought up goes down again — last, once its VFs are back at their
/// original count — only while it is still up and still the link Plumb raised, and only
/// when no other owner needs it: one that raised it too takes it down when it goes; one
/// that uses its VFs (a count, settings, a VF in a container) inherits the original, so
/// the last owner out restores it.
extension DestroyPlanner {
    func pfAdminRestoreSteps(_ notes: inout [String], _ handovers: inout [Handover]) -> [Step] {
        record.raisedPFs.sorted { $0.pf < $1.pf }.compactMap { o in
            let needing = others.filter { $0.needsLink(of: o.pf) }
            if !needing.isEmpty {
                notes.append("\(o.pf) stays up: \(needing.map { "\($0.owner)" }.joined(separator: ", ")) still uses it")
                if !needing.contains(where: { r in r.raisedPFs.contains { $0.pf == o.pf } }) {
                    handovers.append(Handover(heir: needing[0].id, what: .pfAdmin(o)))
                }
                return nil
            }
            guard let link = index.hostLinks[o.pf], sameLink(o.pf, o.link, &notes),
                  let change = restore(o.up, link.up) else { return nil }
            return Step(.setPFAdmin(PFAdminChange(pf: o.pf, up: change)), reason: "restore: plumb brought it up")
        }
    }
}

extension Record {
    /// Whether this owner needs the PF named `pf` up: it raised it, or uses its VFs.
    func needsLink(of pf: String) -> Bool {
        raisedPFs.contains { $0.pf == pf } || numVFs.contains { $0.pf == pf } || vfs.contains { $0.pf == pf }
            || movedVFs.contains { $0.pf == pf }
    }
}
