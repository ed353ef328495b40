import PlumbEngine
import PlumbTypes
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

    @Test("layers that fail to come (the IPAM plugin failed) leave nothing and the store unlocked, a host layer guessed early undone with the rest",
          arguments: [false, true])
    func layersFail(guessed: Bool) throws {
        struct NoAddresses: Error {}
        let w = World()
        let before = w.kernel.snapshot()
        #expect(throws: NoAddresses.self) {
            try w.engine().provision(binding: nil, hostOwner: host.owner, early: guessed ? host : nil) { () throws -> (host: Layer?, container: Layer) in
                throw NoAddresses()
            }
        }
        #expect(w.kernel.log.contains("createBridge") == guessed, "the guess was \(guessed ? "not " : "")applied: \(w.kernel.log)")
        expectSame(w.kernel.snapshot(), before, "after layers that never came")
        #expect(w.recordFiles().isEmpty)
        w.kernel.addProcess(4242)
        #expect(try provisionLate(w, pid: 4242).report?.ok == true, "the lock was released")
    }

    @Test("a table of the network's name made by someone else after the host read (while the IPAM plugin runs) is refused, never replaced: it keeps its rules and nothing of the layers stays")
    func tableMadeMeanwhile() throws {
        let w = World()
        w.kernel.addProcess(4242)
        let before = w.kernel.snapshot()
        let table = Marks(host.owner).table
        let theirs = "table \(table) {\n\tchain theirs {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"
        #expect(throws: (any Error).self) {
            try w.engine().provision(binding: nil, hostOwner: host.owner) {
                w.kernel.tables[table] = theirs
                return (host, container(pid: 4242))
            }
        }
        #expect(w.kernel.tables[table] == theirs, "their table was changed")
        #expect(w.kernel.log.contains("createTable") && !w.kernel.log.contains("replaceTable"), "\(w.kernel.log)")
        w.kernel.tables[table] = nil
        expectSame(w.kernel.snapshot(), before, "after the refused create")
        #expect(w.recordFiles().isEmpty)
    }

    /// `host` as guessed with another gateway: what a CNI ADD guesses before its IPAM answer.
    var wrongGuess: Layer {
        var l = host
        l.manifest.bridges[0].addresses = [IPPrefix("10.88.0.254/16")!]
        return l
    }

    func hostAddresses(_ w: World) -> [String] {
        w.kernel.snapshot().namespaces.first { $0.names.contains("host") }?.addresses ?? []
    }

    func provisionEarly(_ w: World, early: Layer, layers: () throws -> (host: Layer?, container: Layer)) throws -> Engine.Provisioned {
        try w.engine().provision(binding: nil, hostOwner: host.owner, early: early, layers: layers)
    }

    @Test("a host layer guessed early is made while the layers are awaited, only where it has no record yet; a wrong guess ends as the layers' host layer")
    func earlyHostLayer() throws {
        let w = World()
        let start = w.kernel.snapshot()
        w.kernel.addProcess(4242)
        var seenDuring: [String] = []
        let first = try provisionEarly(w, early: wrongGuess) {
            seenDuring = hostAddresses(w)
            return (host, container(pid: 4242))
        }
        #expect(first.report?.ok == true)
        #expect(seenDuring.contains { $0.contains(" 10.88.0.254/16 ") }, "the guess was not made before the layers came: \(seenDuring)")
        let after = hostAddresses(w)
        #expect(after.contains { $0.contains(" 10.88.0.1/16 ") } && !after.contains { $0.contains("10.88.0.254") }, "\(after)")
        // The host layer has a record now: a second guess is not applied.
        w.kernel.log.removeAll()
        let again = try provisionEarly(w, early: wrongGuess) {
            #expect(w.kernel.log.isEmpty, "the guess was applied over a recorded host layer: \(w.kernel.log)")
            return (host, container(pid: 4242))
        }
        #expect(again.host?.converged == true)
        try w.engine().unprovision(container(pid: 4242).owner, removeUnusedHost: true, host: host.owner)
        w.kernel.killProcess(4242)
        expectSame(w.kernel.snapshot(), start, "after unprovision")
    }

    @Test("a right guess is the host layer's apply: once the layers come, the host is not read again to plan it, and the container is provisioned and verified on it")
    func rightGuessNotPlannedAgain() throws {
        func hostDumpsAfterLayers(early: Layer) throws -> (Int, Engine.Provisioned) {
            let w = World()
            w.kernel.addProcess(4242)
            let done = try provisionEarly(w, early: early) {
                w.kernel.linkDumps = [:]
                return (host, container(pid: 4242))
            }
            return (w.kernel.linkDumps[FakeKernel.hostID, default: 0], done)
        }
        let (right, made) = try hostDumpsAfterLayers(early: host)
        let (wrong, _) = try hostDumpsAfterLayers(early: wrongGuess)
        #expect(made.report?.ok == true)
        #expect(made.host?.converged == false, "the host layer's plan is the early apply's")
        #expect(right < wrong, "host link dumps after the layers came: right guess \(right), wrong guess \(wrong)")
    }

    @Test("a guess the kernel refuses is dropped, rolled back, and does not fail the provisioning: the host layer from the layers is made")
    func refusedGuessDropped() throws {
        let w = World()
        w.kernel.addProcess(4242)
        w.kernel.fail("createBridge", with: .exists)   // the guess's bridge only: the fault fires once
        let done = try provisionEarly(w, early: wrongGuess) { (host, container(pid: 4242)) }
        #expect(done.report?.ok == true)
        #expect(done.host?.converged == false, "the host layer was made after the refused guess")
        #expect(w.kernel.log.filter { $0 == "createBridge" }.count == 2, "\(w.kernel.log)")
        let addresses = hostAddresses(w)
        #expect(addresses.contains { $0.contains(" 10.88.0.1/16 ") } && !addresses.contains { $0.contains("10.88.0.254") }, "\(addresses)")
    }
}
