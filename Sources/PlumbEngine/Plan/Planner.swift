import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// Desired (a layer) + observed (kernel) + record (what is this owner's) → ordered
/// steps. Pure: no kernel, no files, so `plan` runs on a recorded state and unit
/// tests drive it from fixtures. An empty plan means converged.
public struct Planner {
    public let layer: Layer
    public let observed: ObservedState
    public let record: Record
    /// `--allow-disruptive`: a VF count change that must pass through 0 is allowed.
    public let allowDisruptive: Bool
    /// The host ports other owners' records publish (one owner per host port).
    public let portsElsewhere: [PortClaim]

    let index: PlanIndex

    public init(layer: Layer, observed: ObservedState, record: Record?, allowDisruptive: Bool = false,
                portsElsewhere: [PortClaim] = []) {
        self.layer = layer; self.observed = observed
        self.record = record ?? Record(owner: layer.owner)
        self.allowDisruptive = allowDisruptive
        self.portsElsewhere = portsElsewhere
        index = PlanIndex(observed: observed, record: self.record)
    }

    var manifest: Manifest { layer.manifest }
    var marks: Marks { layer.marks }
    var alias: String { marks.alias }

    /// The apply plan, in kernel order: sysctls, SR-IOV (the PF up first), tuning, namespaces, bridges,
    /// veths, link settings, addresses, routes (gateways must be reachable), NAT.
    public func applyPlan() throws -> Plan {
        var errors: [PlanError] = []
        var p = Phases()
        func collect(_ body: () throws -> Void) {
            do { try body() } catch let e as PlanError { errors.append(e) } catch let e as PlanErrors { errors += e.errors } catch {
                errors.append(PlanError(path: "", line: nil, message: "\(error)"))
            }
        }
        collect { p.sysctls = try sysctlSteps() }
        if layer.managesHost {
            for (i, nic) in manifest.nics.enumerated() {
                collect { p.sriov += try eswitchSteps(nic, index: i) }
                collect { p.sriov += try sriovSteps(nic, index: i) }
                collect { p.tuning += try tuningSteps(nic, index: i) }
            }
            for (i, b) in manifest.bridges.enumerated() { collect { try bridgeSteps(b, index: i, into: &p) } }
            collect { p.rules += try hostRuleSteps() }
        }
        for (i, c) in manifest.containers.enumerated() { collect { try containerSteps(c, index: i, into: &p) } }
        p.sriov = pfAdminSteps() + p.sriov   // before the VFs are made or configured
        collect { try checkPortOwners() }
        collect { p.firewall = try firewallSteps() }
        collect { try checkBridgePorts(p) }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        return Plan(owner: layer.owner, steps: p.ordered, notes: pruneNotes() + shadowNotes() + familyNotes() + rfsNotes() + spreadNotes(p.tuning) + irqbalanceNotes())
    }

    /// Steps by phase; `ordered` is the order the kernel needs them in.
    struct Phases {
        var sysctls: [Step] = [], sriov: [Step] = [], tuning: [Step] = [], namespaces: [Step] = [], renames: [Step] = []
        var links: [Step] = [], settings: [Step] = [], addresses: [Step] = [], routes: [Step] = [], rules: [Step] = []
        var firewall: [Step] = []
        var ordered: [Step] {
            sysctls + sriov + tuning + namespaces + renames + links + settings + addresses + routes + rules + firewall
        }
    }

    func error(_ path: String, _ message: String) -> PlanError {
        PlanError(path: path, line: manifest.lines.line(of: path), message: message)
    }

    /// The record's namespaces no container of the manifest names any more: apply
    /// leaves them (their removal cannot be undone if a later step fails); destroy removes them.
    func pruneNotes() -> [String] {
        let named = Set(manifest.containers.compactMap(\.netns))
        return record.namespaces.filter { !named.contains($0.ref) }.map {
            "\($0.ref) is no longer used by the manifest; \($0.created ? "it stays" : "plumb's links in it stay") until plumb destroy"
        }
    }
}
