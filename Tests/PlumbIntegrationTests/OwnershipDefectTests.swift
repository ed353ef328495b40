import Foundation
import Testing

/// Ownership defects around links (docs/ARCHITECTURE.md §2): a name is never proof. Each test
/// replays, in its own sandbox, what an admin does by hand next to a Plumb manifest — deletes
/// one of Plumb's links and makes a foreign one with the same name, renames Plumb's links,
/// deletes Plumb's namespaces while Plumb runs — and checks what the user then sees from
/// `plumb` and from iproute2.
@Suite("Ownership defects: foreign links, renames, racing the kernel", .timeLimit(.minutes(10)))
struct OwnershipDefectTests {
    /// One container on one bridge: br0 (gateway), netns web, veth web-eth0 ⇄ eth0.
    static let manifest = """
        version: 1
        name: own
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
        containers:
          - name: web
            netns: web
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}
            routes:
              - {to: default, via: 10.88.0.1}
        """

    /// A refusal that says the object is not Plumb's: never created by it, or no longer marked.
    static func refusesAsForeign(_ text: String) -> Bool {
        text.contains("not created by plumb") || text.contains("no longer carries its mark")
    }

    // MARK: 1. A foreign veth under the name of Plumb's host end

    @Test("a foreign veth pair made under Plumb's host-end name: apply refuses naming it; apply and destroy leave the pair as it was")
    func foreignVethUnderHostEndName() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        try sandbox.must(["ip", "link", "del", "web-eth0"])
        try sandbox.must(["ip", "link", "add", "web-eth0", "type", "veth", "peer", "name", "admin0"])
        try sandbox.must(["ip", "link", "set", "web-eth0", "alias", "admin uplink"])
        let hostEnd = try #require(try sandbox.facts(of: "web-eth0"))
        let peer = try #require(try sandbox.facts(of: "admin0"))
        try #require(hostEnd.peer == "admin0" && hostEnd.alias == "admin uplink", "setup: \(hostEnd)")

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("web-eth0") && Self.refusesAsForeign(apply.stderr), "\(apply)")
        #expect(try sandbox.facts(of: "web-eth0") == hostEnd, "apply changed the foreign web-eth0")
        #expect(try sandbox.facts(of: "admin0") == peer, "apply changed the foreign pair's peer")

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.facts(of: "web-eth0") == hostEnd, "destroy changed or deleted the foreign web-eth0")
        #expect(try sandbox.facts(of: "admin0") == peer, "destroy changed or deleted the foreign pair's peer")
        // Plumb's own objects did go.
        #expect(try sandbox.netnsList() == [])
        #expect(try sandbox.facts(of: "br0") == nil, "Plumb's br0 outlived destroy")
        #expect(try sandbox.records().isEmpty)
    }

    // MARK: 2. A foreign bridge under the name of Plumb's bridge

    @Test("a foreign br0 made after Plumb's was deleted: apply refuses naming it; its MAC, address and alias survive apply and destroy, and it gets no ports")
    func foreignBridgeUnderBridgeName() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        try sandbox.must(["ip", "link", "del", "br0"])
        try sandbox.must(["ip", "link", "add", "br0", "type", "bridge"])
        try sandbox.must(["ip", "addr", "add", "192.168.77.1/24", "dev", "br0"])
        try sandbox.must(["ip", "link", "set", "br0", "alias", "admin bridge"])
        let bridge = try #require(try sandbox.facts(of: "br0"))

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("br0") && Self.refusesAsForeign(apply.stderr), "\(apply)")
        #expect(try sandbox.facts(of: "br0") == bridge, "apply changed the foreign br0")
        #expect(try sandbox.links(master: "br0") == [], "apply enslaved a port to the foreign br0")

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.facts(of: "br0") == bridge, "destroy changed or deleted the foreign br0")
        #expect(try sandbox.netnsList() == [])
        var seen: [String] = []
        #expect(try eventually { seen = try sandbox.links(); return Set(seen) == ["lo", "br0"] }, "links after destroy: \(seen)")
    }

    // MARK: 3. A foreign eth0 inside a namespace Plumb created

    @Test("a foreign eth0 made inside Plumb's netns: apply refuses it; destroy keeps the netns with the link, says so, and removes the rest")
    func foreignLinkInPlumbNamespace() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        try sandbox.must(["ip", "-n", "web", "link", "del", "eth0"])
        try sandbox.must(["ip", "-n", "web", "link", "add", "eth0", "type", "veth", "peer", "name", "admin0"])
        let eth0 = try #require(try sandbox.facts(of: "eth0", netns: "web"))
        let admin0 = try #require(try sandbox.facts(of: "admin0", netns: "web"))

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("eth0") && apply.stderr.contains("netns web") && Self.refusesAsForeign(apply.stderr),
                "\(apply)")
        #expect(try sandbox.facts(of: "eth0", netns: "web") == eth0, "apply changed or deleted the foreign eth0")

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("netns web") && destroy.stdout.contains("eth0") && destroy.stdout.contains("note:"),
                "destroy does not say why netns web stays:\n\(destroy)")
        #expect(try sandbox.netnsList() == ["web"], "the namespace holding a foreign link was deleted")
        #expect(try sandbox.facts(of: "eth0", netns: "web") == eth0)
        #expect(try sandbox.facts(of: "admin0", netns: "web") == admin0)
        // Plumb's other objects are gone: the bridge, its host ends, its record.
        var seen: [String] = []
        #expect(try eventually { seen = try sandbox.links(); return seen == ["lo"] }, "links left in the host: \(seen)")
        #expect(try sandbox.records().isEmpty)
    }

    // MARK: 12. Renames

    @Test("Plumb's br0 renamed brX by hand: apply renames it back (same ifindex), one bridge holds the gateway, probes pass, then converged")
    func renamedBridgeGetsItsNameBack() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let bridge = try #require(try sandbox.facts(of: "br0"))

        // The kernel renames only a link that is down.
        try sandbox.must(["ip", "link", "set", "br0", "down"])
        try sandbox.must(["ip", "link", "set", "br0", "name", "brX"])

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("PASS  eth0 probe"), "\(apply)")
        let links = try sandbox.links()
        #expect(links.contains("br0") && !links.contains("brX"), "links: \(links)")
        #expect(try sandbox.facts(of: "br0")?.ifindex == bridge.ifindex, "br0 was re-created instead of renamed back")
        #expect(try sandbox.holders(of: "10.88.0.1/16") == ["br0"], "the gateway address is not on br0 alone")
        #expect(try sandbox.links(master: "br0") == ["web-eth0"])
        let ping = try sandbox.ping(from: "web", "10.88.0.1")
        #expect(ping.succeeded, "\(ping)")
        try sandbox.expectConverged(manifest)
    }

    @Test("Plumb's host veth renamed by hand: apply renames it back (same pair, still a port of br0) and the container keeps its route")
    func renamedHostVethGetsItsNameBack() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let hostEnd = try #require(try sandbox.facts(of: "web-eth0"))
        let peer = try #require(try sandbox.facts(of: "eth0", netns: "web"))

        try sandbox.must(["ip", "link", "set", "web-eth0", "down"])
        try sandbox.must(["ip", "link", "set", "web-eth0", "name", "wX"])

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 0, "\(apply)")
        #expect(apply.stdout.contains("PASS  eth0 probe"), "\(apply)")
        let links = try sandbox.links()
        #expect(links.contains("web-eth0") && !links.contains("wX"), "links: \(links)")
        #expect(try sandbox.facts(of: "web-eth0")?.ifindex == hostEnd.ifindex, "web-eth0 was re-created instead of renamed back")
        #expect(try sandbox.facts(of: "eth0", netns: "web")?.ifindex == peer.ifindex, "the container's eth0 was re-created")
        #expect(try sandbox.links(master: "br0") == ["web-eth0"])
        #expect(try sandbox.routes(netns: "web").contains(.init(dst: "default", gateway: "10.88.0.1", dev: "eth0")),
                "\((try? sandbox.routes(netns: "web")) ?? [])")
        let ping = try sandbox.ping(from: "web", "10.88.0.1")
        #expect(ping.succeeded, "\(ping)")
        try sandbox.expectConverged(manifest)
    }

    // MARK: 13. Racing the kernel's cleanup

    /// Three containers; `changed` moves every address up by 10 (a changed manifest).
    static func trio(changed: Bool) -> String {
        var text = """
            version: 1
            name: race
            bridges:
              - name: br0
                addresses: [10.88.0.1/16]
            containers:

            """
        for (i, name) in ["web", "db", "cache"].enumerated() {
            text += """
                  - name: \(name)
                    netns: \(name)
                    interfaces:
                      - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.\(i + 2 + (changed ? 10 : 0))/16]}
                    routes:
                      - {to: default, via: 10.88.0.1}

                """
        }
        return text
    }

    /// `ip netns del` for web, db and cache while a process keeps each namespace alive for
    /// `hold` seconds more (an open nsfs file), then — at once — `plumb ARGS`. The kernel
    /// removes the namespaces' veth pairs, host ends included, some time during Plumb's run:
    /// before it looks, between its look and its step, or after. Sweeping `hold` puts the
    /// vanishing at each of those moments in some round.
    static func deleteNamespacesThen(_ sandbox: Sandbox, hold: String, _ args: String) throws -> CommandResult {
        let script = """
            exec 3</run/netns/web 4</run/netns/db 5</run/netns/cache
            ip netns del web && ip netns del db && ip netns del cache || exit 99
            sleep \(hold) </dev/null >/dev/null 2>&1 &
            exec 3<&- 4<&- 5<&-
            \(try PlumbBinary.path()) \(args)
            status=$?
            wait
            exit $status
            """
        var result = try sandbox.sh(script, timeout: .seconds(60))
        result.argv = ["ip netns del web db cache (held \(hold) s); plumb \(args)"]
        return result
    }

    static let holds = ["0", "0.01", "0.02", "0.03", "0.05", "0.08"]

    @Test("ip netns del on Plumb's namespaces right before apply (also of a changed manifest): apply succeeds and converges, round after round")
    func applyAfterNamespacesDeletedByHand() throws {
        let sandbox = try Sandbox()
        let original = try sandbox.writeManifest(Self.trio(changed: false), fileName: "race.yaml")
        let changed = try sandbox.writeManifest(Self.trio(changed: true), fileName: "race-changed.yaml")
        try sandbox.applyOrFail(original)
        var failures: [String] = []
        var manifest = original
        for (round, hold) in Self.holds.enumerated() {
            manifest = round % 2 == 0 ? changed : original
            // The user looks at the plan first; the namespaces vanish before the apply.
            let plan = try sandbox.plumb("plan", manifest)
            if plan.status != 0 { failures.append("round \(round): plan:\n\(plan)") }
            let apply = try Self.deleteNamespacesThen(sandbox, hold: hold, "apply --no-verify \(manifest)")
            if apply.status != 0 { failures.append("round \(round): \(apply)") }
            let converged = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
            if converged.status != 0 { failures.append("round \(round): not converged after apply:\n\(converged)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n---\n"))")
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("ip netns del on Plumb's namespaces right before destroy: destroy succeeds and leaves nothing, round after round")
    func destroyAfterNamespacesDeletedByHand() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.trio(changed: false), fileName: "race.yaml")
        var failures: [String] = []
        for (round, hold) in Self.holds.enumerated() {
            let apply = try sandbox.plumb("apply", "--no-verify", manifest)
            try #require(apply.status == 0, "round \(round): \(apply)")
            let destroy = try Self.deleteNamespacesThen(sandbox, hold: hold, "destroy \(manifest)")
            if destroy.status != 0 { failures.append("round \(round): \(destroy)") }
            var left: [String] = []
            if !(try eventually { left = try sandbox.links(); return left == ["lo"] }) {
                failures.append("round \(round): links left after destroy: \(left)")
            }
            if try sandbox.hasRecords(of: "race") { failures.append("round \(round): the record outlived destroy") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n---\n"))")
        try sandbox.expectPristine(manifest: "race")
    }

    /// umount2's syscall number, as /proc/PID/task/TID/syscall shows it.
    #if arch(arm64)
    static let umount2 = 39
    #else
    static let umount2 = 166
    #endif

    /// The exact moment, made deterministic: strace holds destroy's `umount2` of
    /// /run/netns/web for 1.5 s (syscall delay injection, as FaultInjectionTests inject
    /// errors); once /proc shows Plumb inside that syscall, the admin runs `ip netns del web`.
    @Test("ip netns del on the namespace destroy is deleting at that very moment: destroy succeeds and leaves nothing")
    func destroyRacingIPNetnsDel() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let strace = "/usr/bin/strace"
        try #require(FileManager.default.isExecutableFile(atPath: strace),
                     "strace is missing: scripts/install.sh must install strace (syscall fault injection)")
        let out = sandbox.scratch.appendingPathComponent("destroy.out").path
        let script = """
            \(strace) -f -o /dev/null -e trace=umount2 -e inject=umount2:delay_enter=1500000 \
                \(try PlumbBinary.path()) destroy \(manifest) > \(out) 2>&1 &
            tracer=$!
            held=no
            for i in $(seq 1 1500); do
              child=$(tr -d ' ' < /proc/$tracer/task/$tracer/children 2>/dev/null)
              if [ -n "$child" ] && grep -qs '^\(Self.umount2) ' /proc/$child/task/*/syscall; then held=yes; break; fi
              sleep 0.01
            done
            if [ $held = no ]; then echo "destroy never reached umount2" >&2; wait $tracer; exit 99; fi
            ip netns del web || exit 98
            wait $tracer
            """
        let race = try sandbox.sh(script, timeout: .seconds(60))
        let destroyOutput = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        try #require(race.status != 99 && race.status != 98, "the race was not set up:\n\(race)\n\(destroyOutput)")
        #expect(race.status == 0, "destroy failed when the namespace it was deleting vanished:\n\(destroyOutput)")
        try sandbox.expectPristine(manifest: "own")
    }
}

// MARK: - Observing links and tables the way a user does

/// What a user would compare before and after: `ip -j link show` and `ip -j addr show`.
struct LinkFacts: Equatable, CustomStringConvertible {
    var ifindex: Int
    var kind: String?
    var mac: String
    var alias: String?
    /// The veth peer's name when it is in the same namespace (`ip link` shows NAME@PEER).
    var peer: String?
    var master: String?
    var addresses: [String]
    var description: String {
        "#\(ifindex) \(kind ?? "?") \(mac) alias \(alias ?? "-") peer \(peer ?? "-") master \(master ?? "-") \(addresses)"
    }
}

extension Sandbox {
    /// The link `name` as iproute2 shows it in `netns` (nil: the sandbox's own), nil when absent.
    func facts(of name: String, netns: String? = nil) throws -> LinkFacts? {
        let ip = netns.map { ["ip", "-n", $0] } ?? ["ip"]
        let show = try run(ip + ["-d", "-j", "link", "show", "dev", name])
        guard show.succeeded,
              let objects = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [[String: Any]],
              let link = objects.first else { return nil }
        return LinkFacts(ifindex: link["ifindex"] as? Int ?? -1,
                         kind: (link["linkinfo"] as? [String: Any])?["info_kind"] as? String,
                         mac: link["address"] as? String ?? "",
                         alias: link["ifalias"] as? String, peer: link["link"] as? String,
                         master: link["master"] as? String,
                         addresses: try addresses(netns: netns, dev: name).sorted())
    }

    /// The links of the sandbox's own namespace holding `prefix` ("10.88.0.1/16").
    func holders(of prefix: String) throws -> [String] {
        try links().filter { try addresses(dev: $0).contains(prefix) }
    }

    /// A sysctl of the sandbox's own namespace, read from /proc/sys as `sysctl -n` would.
    func sysctl(_ path: String) throws -> String {
        try must(["cat", "/proc/sys/" + path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
