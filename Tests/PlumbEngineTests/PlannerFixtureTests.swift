import Foundation
import PlumbEngine
import PlumbManifest
import Testing

/// The pure planner, driven from fixture folders recorded from the real kernel inside a
/// private sandbox (`plumb apply`, a change with `ip` or `nft`, then
/// `plumb plan desired.yaml --save-observed observed.json`; scripts/record-planner-fixtures.sh):
///   desired.yaml   the manifest
///   observed.json  the kernel state and ownership record the planner saw (`RecordedObservation`)
///   plan.txt       the steps `plumb plan` printed, one summary per line (empty: converged)
///   errors.txt     or the plan errors it printed, one per line
/// No privileges: the planner never touches the kernel.
@Suite("Planner fixtures")
struct PlannerFixtureTests {
    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    struct Fixture {
        var planner: Planner
        var plan: String?
        var errors: String?

        init(_ name: String) throws {
            let dir = PlannerFixtureTests.root.appendingPathComponent(name)
            let m = try ManifestLoader.load(path: dir.appendingPathComponent("desired.yaml").path)
            let seen = try RecordedObservation.load(dir.appendingPathComponent("observed.json").path)
            planner = Planner(layer: .manifest(m, identity: ManifestIdentity(name: m.name, source: nil)),
                              observed: seen.observed, record: seen.record)
            plan = try? String(contentsOf: dir.appendingPathComponent("plan.txt"), encoding: .utf8)
            errors = try? String(contentsOf: dir.appendingPathComponent("errors.txt"), encoding: .utf8)
        }
    }

    @Test("every fixture folder plans exactly as recorded", arguments: cases)
    func plansAsRecorded(_ name: String) throws {
        let f = try Fixture(name)
        #expect((f.plan == nil) != (f.errors == nil), "\(name) needs exactly one of plan.txt and errors.txt")
        if let expected = f.errors {
            let refusal = #expect(throws: PlanErrors.self) { try f.planner.applyPlan() }
            #expect(refusal.map { "\($0)\n" } == expected)
        } else {
            #expect(try f.planner.applyPlan().steps.map { $0.summary + "\n" }.joined() == f.plan)
        }
    }

    @Test("the folders cover a fresh host, a converged host, drift, foreign objects, NAT and tuning")
    func coverage() {
        #expect(Set(Self.cases) == ["demo-empty", "demo-converged", "demo-host-veth-deleted", "demo-extra-address",
                                    "demo-foreign-bridge", "nat-rule-deleted", "tuning-veth"])
    }

    @Test("a converged kernel plans nothing; each drift plans only its repair")
    func convergedAndDrift() throws {
        #expect(try Fixture("demo-converged").planner.applyPlan().converged)
        let repair = try Fixture("demo-host-veth-deleted").planner.applyPlan()
        #expect(repair.steps.map(\.action.name) == ["create-veth", "add-address", "add-route"])
        #expect(repair.steps.allSatisfy { $0.action.object == "db-eth0" || $0.action.namespace == .named("db") })
    }

    @Test("an extra address's deletion carries the routes through its subnet, for the undo")
    func extraAddressCarriesRoutes() throws {
        let plan = try Fixture("demo-extra-address").planner.applyPlan()
        guard case .deleteAddress(let a)? = plan.steps.first?.action else { Issue.record("no deletion: \(plan.steps)"); return }
        #expect(a.routes.map(\.description) == ["default via 10.88.0.1"])
        #expect(plan.steps.first?.action.undo.map(\.command) == ["ip -n web addr add 10.88.9.9/16 dev eth0",
                                                                  "ip -n web route add default via 10.88.0.1 dev eth0"])
    }
}
