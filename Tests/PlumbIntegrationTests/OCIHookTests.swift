import Foundation
import Testing

/// The OCI hook front end (docs/ARCHITECTURE.md §5): crun and runc run a busybox container whose
/// config.json names `plumb hook createRuntime|poststop MANIFEST` as hooks. What a user sees:
/// the container's own command pings its gateway; after the container is deleted nothing of
/// it is left (the manifest's bridge stays until `plumb destroy`); a createRuntime that fails
/// makes the runtime refuse the container, shows Plumb's message, and leaves nothing.
@Suite("OCI hook (crun, runc)", .timeLimit(.minutes(10)))
struct OCIHookTests {
    static let name = "oci-itest"
    static let gateway = "10.88.0.1"

    /// `web` has no netns: the hook supplies /proc/<pid>/ns/net of the container.
    static func manifest(route: String = "{to: default, via: 10.88.0.1}", extra: String = "") -> String {
        """
        version: 1
        name: oci-itest
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
        containers:
          - name: web
            interfaces:
              - name: eth0
                veth: {bridge: br0}
                addresses: [10.88.0.2/16]
            routes:
              - \(route)
        \(extra)
        """
    }

    static let dbEntry = """
          - name: db
            interfaces:
              - name: eth0
                veth: {bridge: br0}
                addresses: [10.88.0.3/16]
            routes:
              - {to: default, via: 10.88.0.1}
        """

    /// Pings the gateway up to three times, 250 ms apart (a lost first echo is the kernel's
    /// global ARP table or linkwatch, not the configuration: see Sandbox.ping), prints what
    /// `ip addr` shows inside, and exits with the ping's status.
    static let pingGateway = ["sh", "-c", """
        ip addr show eth0
        for i in 1 2 3; do ping -c1 -W2 \(gateway) && exit 0; sleep 0.25; done
        exit 1
        """]

    /// The same, writing its results to /out (for create/start, whose stdio nobody keeps).
    static let pingGatewayToOut = ["sh", "-c", """
        ip addr show eth0 > /out/addr 2>&1
        status=1
        for i in 1 2 3; do ping -c1 -W2 \(gateway) >> /out/ping 2>&1 && { status=0; break; }; sleep 0.25; done
        echo $status > /out/status
        """]

    // MARK: Harness self-test (no Plumb involved: must pass before any hook test means anything)

    @Test("harness: the busybox bundle runs in a new netns with no hooks and exits 0", arguments: OCIRuntime.allCases)
    func harnessRunsBusybox(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let bundle = try BusyboxBundle(in: rt.sandbox.scratch, args: ["sh", "-c", "echo hello from $(hostname); ip -o link"])
        let run = try rt.run(runtime, bundle, id: "plain")
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("hello from busybox"), "\(run)")
        // A new network namespace: only its own lo, none of the sandbox's links.
        let inside = run.stdout.split(separator: "\n").filter { $0.contains(": <") }
        #expect(inside.count == 1 && inside[0].contains("lo:"), "container links: \(inside)")
        #expect(try rt.listed(runtime) == [], "\(runtime) still lists the container after run")
        #expect(try rt.sandbox.links() == ["lo"])
    }

    // MARK: The lifecycle

    @Test("create provisions web into the container; its command pings 10.88.0.1; delete removes it, destroy removes br0",
          arguments: OCIRuntime.allCases)
    func createStartDelete(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let manifest = try sandbox.writeManifest(Self.manifest())
        let bundle = try BusyboxBundle(in: sandbox.scratch, args: Self.pingGatewayToOut,
                                       hooks: try OCIHook.plumb(manifest))

        let create = try rt.create(runtime, bundle, id: "web")
        try #require(create.succeeded, "\(runtime) create failed:\n\(create)\n\(hookLog(bundle))")
        // createRuntime ran: br0 with its gateway, the host end of web's veth on it, the records.
        #expect(try sandbox.addresses(dev: "br0").contains("10.88.0.1/16"))
        #expect(try sandbox.links(master: "br0").count == 1, "no veth on br0 after create: \((try? sandbox.links()) ?? [])")
        #expect(try sandbox.manifestRecord(Self.name) != nil, "no shared record")
        #expect(try sandbox.hookRecord(Self.name, container: "web") != nil, "no container record")

        let start = try rt.start(runtime, id: "web")
        try #require(start.succeeded, "\(start)")
        #expect(try rt.waitStopped(runtime, id: "web"), "the container did not finish within 20 s")
        #expect(bundle.output("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0",
                "the container's ping failed:\n\(bundle.output("ping") ?? "(no output)")")
        #expect(bundle.output("addr")?.contains("inet 10.88.0.2/16") == true, "eth0 inside: \(bundle.output("addr") ?? "-")")

        let delete = try rt.delete(runtime, id: "web")
        #expect(delete.succeeded, "\(delete)")
        // poststop ran: nothing of web is left; the manifest's shared layer (br0) stays.
        var links: [String] = []
        #expect(try eventually { links = try sandbox.links(); return links == ["lo", "br0"] }, "links left: \(links)")
        #expect(try sandbox.hookRecord(Self.name, container: "web") == nil, "the container record outlived delete\n\(hookLog(bundle))")
        #expect(try rt.listed(runtime) == [])

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.succeeded, "\(destroy)")
        try sandbox.expectPristine(manifest: Self.name)
    }

    @Test("run: the exit code of `RUNTIME run` is the container's ping of its gateway; nothing of web is left",
          arguments: OCIRuntime.allCases)
    func runPingsGateway(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let manifest = try sandbox.writeManifest(Self.manifest())
        let bundle = try BusyboxBundle(in: sandbox.scratch, args: Self.pingGateway,
                                       hooks: try OCIHook.plumb(manifest))
        let run = try rt.run(runtime, bundle, id: "web")
        #expect(run.succeeded, "\(run)\n\(hookLog(bundle))")
        #expect(run.stdout.contains("inet 10.88.0.2/16"), "eth0 inside the container:\n\(run.stdout)")
        #expect(run.stdout.contains("1 packets received"), "\(run)")

        var links: [String] = []
        #expect(try eventually { links = try sandbox.links(); return links == ["lo", "br0"] }, "links left: \(links)")
        #expect(try sandbox.hookRecord(Self.name, container: "web") == nil, "poststop left web's record\n\(hookLog(bundle))")
        #expect(try sandbox.plumb("destroy", manifest).succeeded)
        try sandbox.expectPristine(manifest: Self.name)
    }

    @Test("prestart (deprecated, still sent) provisions like createRuntime", arguments: OCIRuntime.allCases)
    func prestartStage(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let manifest = try sandbox.writeManifest(Self.manifest())
        let bundle = try BusyboxBundle(in: sandbox.scratch, args: Self.pingGateway,
                                       hooks: try OCIHook.plumb(manifest, stages: ["prestart", "poststop"]))
        let run = try rt.run(runtime, bundle, id: "web")
        #expect(run.succeeded, "\(run)\n\(hookLog(bundle))")
        #expect(try eventually { try sandbox.links() == ["lo", "br0"] }, "left: \((try? sandbox.links()) ?? [])")
        #expect(try sandbox.hookRecord(Self.name, container: "web") == nil, "poststop left web's record\n\(hookLog(bundle))")
    }

    @Test("the annotation plumb.network/container selects the entry; a relative MANIFEST is the bundle's")
    func annotationSelectsEntry() throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let bundle = try BusyboxBundle(in: sandbox.scratch, args: Self.pingGatewayToOut,
                                       annotations: ["plumb.network/container": "web"],
                                       hooks: try OCIHook.plumb("net/plumb.yaml"))
        try FileManager.default.createDirectory(atPath: bundle.path + "/net", withIntermediateDirectories: true)
        try Self.manifest().write(toFile: bundle.path + "/net/plumb.yaml", atomically: true, encoding: .utf8)

        let create = try rt.create(.crun, bundle, id: "ctr-7f3a9c")
        try #require(create.succeeded, "\(create)\n\(hookLog(bundle))")
        #expect(try sandbox.hookRecord(Self.name, container: "web") != nil, "the record is not the annotated entry's: \((try? sandbox.records()) ?? [])")
        #expect(try rt.start(.crun, id: "ctr-7f3a9c").succeeded)
        #expect(try rt.waitStopped(.crun, id: "ctr-7f3a9c"))
        #expect(bundle.output("status")?.hasPrefix("0") == true, "ping failed:\n\(bundle.output("ping") ?? "-")")
        #expect(try rt.delete(.crun, id: "ctr-7f3a9c").succeeded)
        #expect(try eventually { try sandbox.links() == ["lo", "br0"] })
        #expect(try sandbox.hookRecord(Self.name, container: "web") == nil)
    }

    @Test("poststop of web leaves db, on the same bridge, working")
    func poststopLeavesTheOtherContainer() throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let manifest = try sandbox.writeManifest(Self.manifest(extra: Self.dbEntry))
        let hooks = try OCIHook.plumb(manifest)
        let web = try BusyboxBundle(in: sandbox.scratch, name: "web", args: ["sleep", "30"], hooks: hooks)
        let db = try BusyboxBundle(in: sandbox.scratch, name: "db", args: ["sleep", "30"], hooks: hooks)
        try #require(try rt.create(.crun, web, id: "web").succeeded)
        let createDB = try rt.create(.crun, db, id: "db")
        try #require(createDB.succeeded, "\(createDB)")
        #expect(try sandbox.links(master: "br0").count == 2)

        #expect(try sandbox.run(OCIRuntime.crun.argv(["delete", "--force", "web"])).succeeded)
        #expect(try eventually { try sandbox.links(master: "br0").count == 1 }, "web's veth outlived its delete")
        #expect(try sandbox.hookRecord(Self.name, container: "web") == nil)
        #expect(try sandbox.hookRecord(Self.name, container: "db") != nil, "db's record went with web's")

        // db, still created (its init paused), answers from inside its namespace.
        let pid = try #require(try rt.state(.crun, id: "db")?["pid"] as? Int)
        let ping = try sandbox.run(["nsenter", "--net=/proc/\(pid)/ns/net", "ping", "-c1", "-W2", Self.gateway])
        #expect(ping.succeeded, "\(ping)")
    }

    // MARK: A createRuntime that fails

    @Test("an OCI id that matches no entry (and no annotation): the runtime refuses, Plumb says why, nothing is made",
          arguments: OCIRuntime.allCases)
    func unknownContainerIsRefused(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let manifest = try rt.sandbox.writeManifest(Self.manifest())
        try expectRefused(rt, runtime, manifest: manifest, id: "nobody", leaves: ["lo"])
    }

    @Test("an invalid manifest: the runtime refuses, Plumb says why, nothing is made", arguments: OCIRuntime.allCases)
    func badManifestIsRefused(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        let bad = Self.manifest().replacingOccurrences(of: "10.88.0.2/16", with: "10.88.0.300/16")
        let manifest = try rt.sandbox.writeManifest(bad, fileName: "bad.yaml")
        try expectRefused(rt, runtime, manifest: manifest, id: "web", leaves: ["lo"])
    }

    @Test("a route the kernel refuses (broadcast gateway): the runtime refuses and web's veth is rolled back",
          arguments: OCIRuntime.allCases)
    func kernelRefusalRollsBack(runtime: OCIRuntime) throws {
        let rt = try RuntimeSandbox()
        // Valid for the validator (inside 10.88.0.0/16), EINVAL for the kernel: see Manifests.rollbackTrio.
        let manifest = try rt.sandbox.writeManifest(Self.manifest(route: "{to: default, via: 10.88.255.255}"))
        // The bridge is the manifest's shared layer: whether it stays is not the container's business.
        try expectRefused(rt, runtime, manifest: manifest, id: "web", leaves: ["lo", "br0"], orOnly: ["lo"])
    }

    /// `RUNTIME run` must fail, show `plumb: error` where that runtime shows a hook's stderr,
    /// and leave no veth, no container record and no container in the runtime's list.
    private func expectRefused(_ rt: RuntimeSandbox, _ runtime: OCIRuntime, manifest: String, id: String,
                               leaves expected: [String], orOnly alternative: [String]? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sandbox = rt.sandbox
        let bundle = try BusyboxBundle(in: sandbox.scratch, args: ["echo", "the container must not run"],
                                       hooks: try OCIHook.plumb(manifest))
        let run = try rt.run(runtime, bundle, id: id)
        #expect(!run.succeeded && !run.timedOut, "\(runtime) ran the container:\n\(run)", sourceLocation: sourceLocation)
        #expect(!run.stdout.contains("the container must not run"), "\(run)", sourceLocation: sourceLocation)
        let message = runtime.hookStderrInRuntimeError
            ? run.stderr
            : bundle.hookStderr
        #expect(message.contains("plumb: error"), "Plumb's message is not where \(runtime) shows hook stderr:\n\(message)\n\(run)",
                sourceLocation: sourceLocation)
        if runtime == .crun {
            #expect(run.stderr.contains("error executing hook"), "\(run)", sourceLocation: sourceLocation)
        }
        var links: [String] = []
        let clean = try eventually {
            links = try sandbox.links()
            return links == expected || links == alternative
        }
        #expect(clean, "left behind: \(links)", sourceLocation: sourceLocation)
        let records = try sandbox.records().filter { $0.kind == "hook" }
        #expect(records.isEmpty, "container records left: \(records)", sourceLocation: sourceLocation)
        if expected == ["lo"] && alternative == nil {
            #expect(try sandbox.records().filter { $0.manifest == Self.name }.isEmpty,
                    "a refused hook wrote records", sourceLocation: sourceLocation)
        }
        #expect(try rt.listed(runtime) == [], "\(runtime) kept the refused container", sourceLocation: sourceLocation)
    }

    /// What Plumb said, for failure messages (crun's copy of the hooks' stderr).
    private func hookLog(_ bundle: BusyboxBundle) -> String {
        "--- hooks' stderr (run.oci.hooks.stderr)\n\(bundle.hookStderr)"
    }
}
