import PlumbEngine
import Testing

/// A change to an applied manifest that fails is undone back to the applied state, and
/// the record back to the applied record: deletions are put back (an address with the
/// route the kernel dropped along with it), replaced values get their old ones back.
@Suite("Rollback of a change")
struct ChangeRollbackTests {
    static func manifest(_ address: String, _ port: Int, _ mtu: Int, _ budget: Int) -> String {
        """
        version: 1
        name: change
        host: {sysctl: {net.core.netdev_budget: \(budget)}}
        bridges: [{name: br0, addresses: [10.88.0.1/16, 10.50.0.1/24], nat: {masquerade: true}}]
        containers:
          - name: web
            netns: web
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16, \(address)], mtu: \(mtu)}]
            routes: [{to: default, via: 10.88.0.1}, {to: 10.60.0.0/16, via: 10.50.0.1}]
            ports: [{host: \(port), container: 80, protocol: tcp}]
        """
    }

    let v1: Layer, v2: Layer
    init() throws {
        v1 = try layer(Self.manifest("10.50.0.2/24", 8080, 1500, 600))
        v2 = try layer(Self.manifest("10.50.0.3/24", 8081, 1400, 700))
    }

    /// The standard host with v1 applied.
    func applied() throws -> World {
        let w = World()
        try w.engine().apply(v1)
        return w
    }

    @Test("the change plan replaces the address and re-adds the route the kernel drops with the old one")
    func changePlan() throws {
        let w = try applied()
        let plan = lines(try w.engine().plan(v2))
        #expect(plan.dropLast() == [
            "~ sysctl -w net.core.netdev_budget=700",
            "~ ip link set dev web-eth0 mtu 1400",
            "~ ip -n web link set dev eth0 mtu 1400",
            "- ip -n web addr del 10.50.0.2/24 dev eth0   # not in the manifest",
            "+ ip -n web addr add 10.50.0.3/24 dev eth0",
            "+ ip -n web route add 10.60.0.0/16 via 10.50.0.1 dev eth0",
        ])
        let nat = try #require(plan.last)
        #expect(nat.hasPrefix("~ nft -f - (add table \(v2.marks.table); delete table \(v2.marks.table); table \(v2.marks.table) { … })   # "))
        #expect(nat.contains("missing rule \"containers[0] web port tcp/8081\" in chain prerouting; extra rule \"containers[0] web port tcp/8080\" in chain prerouting: fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80"))
        try w.engine().apply(v2)
        #expect(try w.engine().plan(v2).converged)
        #expect(try w.record(v2)?.sysctls.first { $0.key == "net.core.netdev_budget" }?.value.original == "300")
    }

    @Test("a fault at every step of the change leaves the applied kernel and record as they were")
    func faultAtEveryStep() throws {
        let reference = try StepOperations(v2, in: applied())
        #expect(reference.entries.contains { $0.step.action.name == "delete-address" })
        for (i, entry) in reference.entries.enumerated() {
            let k = i + 1
            for refused in [nil] + entry.operations.map(Optional.some) {
                let w = try applied()
                let before = w.kernel.snapshot(), record = w.recordFiles()
                let what = "\(refused.map { "\($0.name) refused" } ?? "faultStep") at step \(k) (\(entry.step.summary))"
                w.kernel.log = []
                if let op = refused { w.kernel.fail(op.name, with: .noBufferSpace, skip: op.skip) }
                let error = #expect(throws: ApplyError.self, "\(what)") { try w.engine(faultStep: refused == nil ? k : nil).apply(v2) }
                #expect(error?.stepNumber == k && error?.undoFailures.isEmpty == true, "\(what)")
                expectSame(w.kernel.snapshot(), before, what)
                #expect(w.recordFiles() == record, "\(what)")
            }
        }
    }
}
