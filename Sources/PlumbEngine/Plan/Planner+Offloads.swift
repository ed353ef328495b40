import PlumbManifest
import PlumbNetlink

/// `offloads:` (any netdev feature) and `txqueuelen:`.
extension Planner {
    /// One step per declared name whose state differs. A name the device does not list is
    /// refused with the names it does (closest first); a change the driver cannot make
    /// (the feature is fixed) is refused naming the feature and the driver. A fixed feature
    /// already at the declared value is left alone: there is nothing to change.
    func offloadSteps(_ o: Tuning.Offloads, _ s: NICState, path: String) throws -> [Step] {
        guard let features = s.features else { throw unsupported(s, "features", path: path) }
        var errors: [PlanError] = []
        var steps: [Step] = []
        for setting in o.settings {
            do {
                if let step = try offloadStep(setting, features, s, path: "\(path).\(setting.name)") { steps.append(step) }
            } catch let e as PlanError { errors.append(e) }
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        return steps
    }

    func offloadStep(_ setting: Tuning.Offloads.Setting, _ f: Ethtool.Features, _ s: NICState, path: String) throws -> Step? {
        guard let members = Ethtool.FeatureNames.resolve(setting.name, in: f),
              let state = Ethtool.FeatureNames.state(of: members, in: f) else {
            let close = Ethtool.FeatureNames.closeMatches(setting.name, in: f)
            let hint = close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"
            throw error(path, "\(s.name) (driver \(driverName(s))) has no feature \(setting.name)\(hint) "
                        + "(its features, as `ethtool -k \(s.name)` prints them: \(Ethtool.FeatureNames.known(in: f).joined(separator: " ")))")
        }
        let on = setting.on
        // As `ethtool -k` reads a name: on when any feature it stands for is on.
        let converged = on ? state.active : !members.contains { f[$0]!.active }
        if converged { return nil }
        // On: every changeable one that is off; off: every one that is on, which must all be changeable.
        let toChange = members.filter { f[$0]!.active != on && (on ? f[$0]!.changeable : true) }
        let fixed = toChange.filter { !f[$0]!.changeable }
        if toChange.isEmpty || !fixed.isEmpty {
            let which = fixed.isEmpty ? members : fixed
            throw error(path, "\(which.joined(separator: ", ")) of \(s.name) (driver \(driverName(s))) is fixed \(on ? "off" : "on"): "
                        + "the driver does not let it change (`ethtool -k \(s.name)` shows [fixed])")
        }
        let changes = Dictionary(uniqueKeysWithValues: toChange.map { ($0, Change(to: on, from: !on)) })
        return Step(.setOffload(OffloadChange(nic: s.name, name: setting.name, features: changes)))
    }

    func txQueueLenSteps(_ length: Int, _ s: NICState, path: String) throws -> [Step] {
        guard let have = s.txqueuelen else { throw error(path, "cannot read the txqueuelen of \(s.name)") }
        guard let c = change(length, have) else { return [] }
        return [Step(.setTxQueueLen(TxQueueLenChange(nic: s.name, length: c)))]
    }
}
