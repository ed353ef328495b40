import Testing

/// Issue "Must show" 3, first half: an invalid manifest is reported in full and touches nothing.
@Suite("Invalid manifests", .timeLimit(.minutes(10)))
struct ValidationTests {
    /// Five independent mistakes, one per line, none resting on another.
    static let fiveMistakes = """
        version: 1
        name: mistakes
        nics:
          - name: eth1
            sriov:
              numVFs: 1
              vfs:
                - {index: 0, vlan: 5000}
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
            stp: true
        containers:
          - name: web
            netns: web
            interfaces:
              - name: eth0
                veth: {bridge: br0}
                addresses: [10.88.0.300/16]
          - name: db
            netns: db
            interfaces:
              - name: eth0
                veth: {bridge: br9}
                addresses: [10.88.0.3/16]
          - name: cache
            netns: cache
            interfaces:
              - name: eth0-much-too-long
                veth: {bridge: br0}
                addresses: [10.88.0.4/16]
        """

    /// Each mistake: words its error line must contain, and the marker of the line it is on.
    static let expected: [(words: [String], marker: String)] = [
        (["nics[0].sriov.vfs[0].vlan"], "vlan: 5000"),                        // VLAN beyond 4095
        (["bridges[0]", "stp"], "stp: true"),                                 // unknown key
        (["containers[0].interfaces[0].addresses[0]", "10.88.0.300/16"], "10.88.0.300/16"),  // bad prefix
        (["containers[1].interfaces[0].veth.bridge", "br9"], "bridge: br9"),  // undeclared bridge
        (["containers[2].interfaces[0].name"], "eth0-much-too-long"),         // name > 15 bytes
    ]

    @Test("five mistakes: exit 1, each reported with its path and line, kernel untouched")
    func everyMistakeIsReported() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.fiveMistakes)

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        let lines = apply.stderr.split(separator: "\n")
        for mistake in Self.expected {
            let line = try #require(Manifests.line(of: mistake.marker, in: Self.fiveMistakes))
            let wanted = mistake.words + ["(line \(line))"]
            #expect(lines.contains { l in wanted.allSatisfy { l.contains($0) } },
                    "no stderr line with \(wanted):\n\(apply.stderr)")
        }
        try sandbox.expectPristine(manifest: "mistakes")
    }
}
