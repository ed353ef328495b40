import Testing

/// What an interrupted run can leave behind is still Plumb's to mend: found by the
/// crash campaign (a kill between a netns bind mount and `lo up`; a kill between a
/// record's temp file and its rename).
@Suite("Leftovers of interrupted runs", .timeLimit(.minutes(10)))
struct LeftoverTests {
    @Test("lo down in a namespace plumb created is drift: plan exits 2 naming it, apply repairs it")
    func loDownIsDrift() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        let c = Manifests.trioMembers[0].container
        try sandbox.must(["ip", "-n", c, "link", "set", "lo", "down"])

        let plan = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("ip -n \(c) link set dev lo up"), "\(plan)")
        try sandbox.applyOrFail(manifest)
        try sandbox.expectConverged(manifest)
        #expect(try sandbox.sh("ip -n \(c) -o link show lo").stdout.contains("UP"))
    }

    @Test("a record's temp file left by a killed write is swept by the next write")
    func staleTemporaryIsSwept() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        let record = try #require(try sandbox.manifestRecord("trio"))
        try sandbox.must(["touch", "\(record.file).tmp.99999"])

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.list("/run/plumb").filter { !$0.hasPrefix(".") } == [])
    }
}
