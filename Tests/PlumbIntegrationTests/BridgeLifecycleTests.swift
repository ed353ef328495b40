import Testing

/// Issue "Must show" 2 and 4: a three-container bridge manifest from apply to destroy,
/// each test in its own private sandbox, observed with iproute2 as a user would.
@Suite("Bridge manifest lifecycle", .timeLimit(.minutes(10)))
struct BridgeLifecycleTests {
    let members = Manifests.trioMembers

    @Test("apply: every container has its address and route, pings its gateway, and the plan is empty")
    func applyConverges() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)

        #expect(try Set(sandbox.netnsList()) == Set(members.map(\.container)))
        for m in members {
            #expect(try sandbox.addresses(netns: m.container, dev: "eth0").contains("\(m.address)/16"),
                    "ip -n \(m.container) addr")
            #expect(try sandbox.routes(netns: m.container)
                .contains(.init(dst: "default", gateway: Manifests.gateway, dev: "eth0")),
                    "ip -n \(m.container) route")
            let ping = try sandbox.ping(from: m.container, Manifests.gateway)
            #expect(ping.succeeded, "\(ping)")
        }
        #expect(try Set(sandbox.links(master: "br0")) == Set(members.map(\.hostVeth)),
                "host veths enslaved to br0")
        try sandbox.expectConverged(manifest)
    }

    @Test("verify --output json: ok, every check passes, and each container answered a probe")
    func verifyReportsEveryCheckPassing() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)

        let verify = try sandbox.plumb("verify", manifest, "--output", "json")
        #expect(verify.status == 0, "\(verify)")
        let report = try verify.decode(VerifyReport.self)
        #expect(report.manifest == "trio")
        #expect(report.ok)
        #expect(Set(report.containers.map(\.name)) == Set(members.map(\.container)))
        let notPassing = report.allChecks.filter { $0.check.status != "pass" }
        #expect(notPassing.isEmpty, "\(notPassing.map { "\($0.owner): \($0.check)" })")
        for container in report.containers {
            #expect(container.ok, "container \(container.name)")
            #expect(container.checks.contains { $0.name == "probe" && $0.status == "pass" },
                    "no passing probe check for \(container.name): \(container.checks)")
        }
    }

    @Test("drift: a host veth deleted by hand makes plan exit 2 naming it; apply repairs only that")
    func driftIsPlannedAndRepaired() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        let victim = members[1], bystander = members[0]
        let bystanderIndex = try ifindex(of: bystander.hostVeth, in: sandbox)

        try sandbox.must(["ip", "link", "del", victim.hostVeth])

        let plan = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains(victim.hostVeth), "plan does not name \(victim.hostVeth):\n\(plan)")
        let json = try sandbox.plumb("plan", manifest, "--detailed-exitcode", "--output", "json")
        #expect(json.status == 2, "\(json)")
        let report = try json.decode(PlanReport.self)
        #expect(!report.converged)
        #expect(report.steps.contains { $0.object == victim.hostVeth }, "steps: \(report.steps.map(\.object))")

        let repair = try sandbox.plumb("apply", manifest)
        #expect(repair.status == 0, "\(repair)")
        try sandbox.expectConverged(manifest)
        let ping = try sandbox.ping(from: victim.container, Manifests.gateway)
        #expect(ping.succeeded, "\(ping)")
        #expect(try ifindex(of: bystander.hostVeth, in: sandbox) == bystanderIndex,
                "apply re-created \(bystander.hostVeth), which had not drifted")
    }

    /// A Linux bridge whose MAC was never set takes the lowest MAC of its ports and changes it
    /// whenever a port with a lower one joins or that port leaves. The containers' ARP caches
    /// still hold the old gateway MAC (REACHABLE for 15–45 s), so their traffic to the gateway
    /// is lost meanwhile. Deleting the port that lends br0 its MAC makes that deterministic.
    @Test("repairing one container's veth keeps br0's MAC, so the others still reach their gateway")
    func repairDoesNotCutOffOthers() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        for m in members {   // fills each container's ARP cache with br0's current MAC
            let ping = try sandbox.ping(from: m.container, Manifests.gateway)
            try #require(ping.succeeded, "\(ping)")
        }
        let bridgeMAC = try mac(of: "br0", in: sandbox)
        var victim = members[1]
        for m in members where try mac(of: m.hostVeth, in: sandbox) == bridgeMAC { victim = m }

        try sandbox.must(["ip", "link", "del", victim.hostVeth])
        let repair = try sandbox.plumb("apply", manifest)
        #expect(repair.status == 0, "\(repair)")

        #expect(try mac(of: "br0", in: sandbox) == bridgeMAC, "br0 changed its MAC")
        for m in members where m.container != victim.container {
            let ping = try sandbox.ping(from: m.container, Manifests.gateway)
            #expect(ping.succeeded, "\(m.container) lost its gateway:\n\(ping)")
        }
    }

    @Test("destroy: no netns, only lo, nothing under /run/plumb for the manifest")
    func destroyLeavesNothing() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        let record = try sandbox.manifestRecord("trio")
        #expect(try record.map { try sandbox.exists($0.file) } == true, "apply wrote no record")

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: "trio")
    }

    @Test("destroy spares a netns, a bridge and a veth pair that Plumb did not create")
    func foreignObjectsSurviveDestroy() throws {
        let sandbox = try Sandbox()
        try sandbox.must(["ip", "netns", "add", "foreign"])
        try sandbox.must(["ip", "link", "add", "foreignbr", "type", "bridge"])
        try sandbox.must(["ip", "link", "add", "fa", "type", "veth", "peer", "name", "fb"])
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.netnsList() == ["foreign"])
        var seen: [String] = []
        let settled = try eventually { seen = try sandbox.links(); return Set(seen) == ["lo", "foreignbr", "fa", "fb"] }
        #expect(settled, "links after destroy: \(seen)")
    }

    private func ifindex(of link: String, in sandbox: Sandbox) throws -> Int {
        try attribute("ifindex", of: link, in: sandbox)
    }

    private func mac(of link: String, in sandbox: Sandbox) throws -> String {
        try attribute("address", of: link, in: sandbox)
    }

    /// One field of `ip -j link show` for `link` in the sandbox's own namespace.
    private func attribute<T>(_ key: String, of link: String, in sandbox: Sandbox) throws -> T {
        let object = try #require(try sandbox.linkObjects().first { $0["ifname"] as? String == link },
                                  "\(link) is missing")
        return try #require(object[key] as? T, "\(link) has no \(key)")
    }
}
