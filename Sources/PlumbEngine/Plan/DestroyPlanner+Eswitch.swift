import PlumbTypes

/// An eswitch mode this owner changed goes back — after the VF count is restored — only
/// while the devlink device is the one Plumb changed (its handle, not the netdev's name)
/// and still in the mode Plumb set. Another owner that uses the PF's VFs inherits the
/// original instead, so the last owner out restores it.
extension DestroyPlanner {
    func eswitchRestoreSteps(_ notes: inout [String], _ handovers: inout [Handover]) -> [Step] {
        record.eswitches.sorted { $0.pf < $1.pf }.compactMap { o in
            let needing = others.filter { $0.needsLink(of: o.pf) || $0.eswitches.contains { $0.device == o.device } }
            if !needing.isEmpty {
                notes.append("\(o.device) stays in \(o.mode.applied) mode: \(needing.map { "\($0.owner)" }.joined(separator: ", ")) still uses \(o.pf)")
                if !needing.contains(where: { r in r.eswitches.contains { $0.device == o.device } }) {
                    handovers.append(Handover(heir: needing[0].id, what: .eswitch(o)))
                }
                return nil
            }
            guard let seen = observed.eswitch[o.pf], seen.handle == o.device, let mode = seen.mode else {
                notes.append("\(o.pf) left as it is: it is no longer the devlink device \(o.device) plumb changed")
                return nil
            }
            guard let change = restore(o.mode, mode) else { return nil }   // already back at the original
            return Step(.setEswitchMode(EswitchChange(pf: o.pf, device: o.device, mode: change)), reason: "restore: plumb set \(o.mode.applied)")
        }
    }
}
