import PlumbManifest
import PlumbTypes

extension Verifier {
    /// Each declared eswitch mode as devlink reports it; in switchdev mode, a representor
    /// for every VF the manifest enables (the host's handle on that VF's traffic).
    func eswitchChecks() -> [Check] {
        guard layer.managesHost else { return [] }
        return manifest.nics.flatMap { nic -> [Check] in
            guard let want = nic.sriov?.eswitchMode else { return [] }
            guard let name = Observer(kernel: kernel).resolve(nic.selector.pfSelector) else {
                return [.expect("eswitch", nic.reference, false, expected: want.rawValue, observed: "no such PF", evidence: [.devlink])]
            }
            let s = kernel.eswitch.eswitch(of: name)
            var checks: [Check] = [.expect("eswitch", name, s.mode == want, expected: want.rawValue,
                                           observed: s.mode.map { "\($0) (\(s.handle.map(\.description) ?? "?"))" } ?? (s.unsupported ?? "unknown"),
                                           evidence: [.devlink])]
            if want == .switchdev, s.mode == .switchdev, let n = nic.sriov?.numVFs {
                checks.append(.expect("representors", name, s.representors.count == n, expected: "\(n) VF representors",
                                      observed: s.representors.isEmpty ? "none" : s.representors.joined(separator: " "), evidence: [.devlink]))
            }
            return checks
        }
    }
}
