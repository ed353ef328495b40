import Foundation
import PlumbEngine
import PlumbManifest
import Testing

/// The pure planner, driven from fixture folders recorded from the real kernel
/// (`plumb plan M --save-observed observed.json` inside a sandbox):
///   desired.yaml   the manifest
///   observed.json  the kernel state and ownership record the planner sees
///   plan.txt       the expected steps, one summary per line (empty: converged)
///   errors.txt     or the expected plan errors, one per line
/// No privileges: the planner never touches the kernel.
@Suite("Planner fixtures")
struct PlannerFixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }

    @Test("every fixture folder plans exactly as recorded", arguments: cases)
    func plansAsRecorded(_ name: String) throws {
        let dir = Self.root.appendingPathComponent(name)
        let manifest = try ManifestLoader.load(path: dir.appendingPathComponent("desired.yaml").path)
        let seen = try RecordedObservation.load(dir.appendingPathComponent("observed.json").path)
        let planner = Planner(manifest: manifest, observed: seen.observed, record: seen.record)
        let expectedErrors = try? String(contentsOf: dir.appendingPathComponent("errors.txt"), encoding: .utf8)
        if let expectedErrors {
            #expect(throws: (any Error).self) { try planner.applyPlan() }
            do { _ = try planner.applyPlan() } catch { #expect("\(error)\n" == expectedErrors) }
            return
        }
        let expected = try String(contentsOf: dir.appendingPathComponent("plan.txt"), encoding: .utf8)
        let plan = try planner.applyPlan()
        #expect(plan.steps.map { $0.summary + "\n" }.joined() == expected)
    }

    @Test("the folders cover a fresh host, a converged host, drift, foreign objects, NAT and tuning")
    func coverage() {
        #expect(Set(Self.cases).isSuperset(of: ["demo-empty", "demo-converged", "demo-host-veth-deleted",
                                                 "demo-foreign-bridge", "nat-rule-deleted", "tuning-veth"]))
    }

    @Test("a converged kernel plans nothing")
    func convergedIsEmpty() throws {
        let dir = Self.root.appendingPathComponent("demo-converged")
        let manifest = try ManifestLoader.load(path: dir.appendingPathComponent("desired.yaml").path)
        let seen = try RecordedObservation.load(dir.appendingPathComponent("observed.json").path)
        #expect(try Planner(manifest: manifest, observed: seen.observed, record: seen.record).applyPlan().converged)
    }
}
