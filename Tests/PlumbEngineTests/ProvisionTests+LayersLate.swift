import PlumbEngine
import PlumbManifest
import Testing

/// A CNI ADD learns its layers only when its IPAM plugin answers: the engine locks the
/// store and reads the host (and the host layer's table) first, then plans on that read.
extension ProvisionTests {
    func provisionLate(_ w: World, pid: Int) throws -> Engine.Provisioned {
        var asked = false
        let done = try w.engine().provision(binding: nil, hostOwner: host.owner) {
            asked = true
            return (host, container(pid: pid))
        }
        #expect(asked)
        return done
    }

    @Test("the first provisioning makes the host layer; the next plans the host layer converged on the early read of host and table")
    func earlyRead() throws {
        let w = World()
        let start = w.kernel.snapshot()
        w.kernel.addProcess(4242)
        let first = try provisionLate(w, pid: 4242)
        #expect(first.report?.ok == true)
        #expect(first.host?.converged == false, "the bridge and its masquerade table were made")
        // The same layers again (the container entry re-applied in place): a stale or missed
        // table read would plan the table anew.
        let again = try provisionLate(w, pid: 4242)
        #expect(again.host?.converged == true, "\(again.host?.steps.count ?? -1) steps")
        #expect(again.container.converged == true)
        try w.engine().unprovision(container(pid: 4242).owner, removeUnusedHost: true, host: host.owner)
        w.kernel.killProcess(4242)
        expectSame(w.kernel.snapshot(), start, "after unprovision")
    }

    @Test("layers that fail to come (the IPAM plugin failed) leave nothing and the store unlocked")
    func layersFail() throws {
        struct NoAddresses: Error {}
        let w = World()
        let before = w.kernel.snapshot()
        #expect(throws: NoAddresses.self) {
            try w.engine().provision(binding: nil, hostOwner: host.owner) { () throws -> (host: Layer?, container: Layer) in throw NoAddresses() }
        }
        expectSame(w.kernel.snapshot(), before, "after layers that never came")
        #expect(w.recordFiles().isEmpty)
        w.kernel.addProcess(4242)
        #expect(try provisionLate(w, pid: 4242).report?.ok == true, "the lock was released")
    }
}
