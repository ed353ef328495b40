import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue "concurrency", Must show 2 (second half): Plumb processes started at the same moment
/// in one sandbox — 8 applies of 8 different manifests, 8 applies of one manifest, then their
/// destroys; 50 CNI ADDs, then 50 DELs — each end as if they had run one after another.
@Suite("Concurrency: parallel applies and CNI ADD/DEL", .serialized, .timeLimit(.minutes(10)))
struct ConcurrencyTests {
    /// Manifest i: bridge pbrI with 10.(100+i).0.1/24, three containers pIcJ; NAT on even i,
    /// so four manifests share net.ipv4.ip_forward.
    static func manifest(_ i: Int) -> String {
        var text = """
            version: 1
            name: par\(i)
            bridges:
              - name: pbr\(i)
                addresses: [10.\(100 + i).0.1/24]
                nat: {masquerade: \(i % 2 == 0)}
            containers:

            """
        for j in 0..<3 {
            text += """
                  - name: p\(i)c\(j)
                    netns: p\(i)c\(j)
                    interfaces:
                      - {name: eth0, veth: {bridge: pbr\(i)}, addresses: [10.\(100 + i).0.\(10 + j)/24]}
                    routes:
                      - {to: default, via: 10.\(100 + i).0.1}

                """
        }
        return text
    }

    struct Different: Sendable {
        var applies: [CommandResult], destroys: [CommandResult]
        var converged: Int, netns: Int, ports: [Int], tables: Int, forward: String, forwardAfter: String, left: [String]
    }

    @Test("8 parallel applies of 8 different manifests all exit 0 and plan nothing; 8 parallel destroys leave nothing")
    func eightDifferentManifests() async throws {
        let o = try await Heavy.run { () throws -> Different in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let paths = try (0..<8).map { try sandbox.writeManifest(Self.manifest($0), fileName: "par\($0).yaml") }
            let applies = try sandbox.parallel(paths.map { ["apply", $0] })
            var converged = 0
            for path in paths where try sandbox.plumb("plan", path, "--detailed-exitcode").status == 0 { converged += 1 }
            let netns = try sandbox.netnsList().count
            let ports = try (0..<8).map { try sandbox.links(master: "pbr\($0)").count }
            let tables = try sandbox.must(["nft", "list", "tables"]).stdout.split(separator: "\n").count
            let forward = try sandbox.ipForward()
            let destroys = try sandbox.parallel(paths.map { ["destroy", $0] })
            return Different(applies: applies, destroys: destroys, converged: converged, netns: netns, ports: ports,
                             tables: tables, forward: forward, forwardAfter: try sandbox.ipForward(),
                             left: try CrashTests.leftovers(sandbox))
        }
        let applied = o.applies.filter { $0.status == 0 }.count, destroyed = o.destroys.filter { $0.status == 0 }.count
        print("concurrency: different-manifests=8 applied=\(applied) converged=\(o.converged) netns=\(o.netns) "
              + "bridge-ports=\(o.ports.reduce(0, +)) nat-tables=\(o.tables) destroyed=\(destroyed) leftovers=\(o.left.count) "
              + "ip_forward=\(o.forward)→\(o.forwardAfter)")
        #expect(applied == 8, "\(o.applies.filter { $0.status != 0 })")
        #expect(o.converged == 8)
        #expect(o.netns == 24)
        #expect(o.ports == Array(repeating: 3, count: 8))
        #expect(o.tables == 4, "one NAT table per even manifest")
        #expect(o.forward == "1")
        #expect(destroyed == 8, "\(o.destroys.filter { $0.status != 0 })")
        #expect(o.left.isEmpty, "left after 8 parallel destroys: \(o.left)")
        #expect(o.forwardAfter == "0", "net.ipv4.ip_forward not restored after the last NAT manifest went")
    }

    struct Same: Sendable {
        var applies: [CommandResult], plan: CommandResult, netns: [String], links: [String], destroy: CommandResult, left: [String]
    }

    @Test("8 parallel applies of the same manifest all exit 0 and converge to one copy of it")
    func eightSameManifest() async throws {
        let o = try await Heavy.run { () throws -> Same in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let path = try sandbox.writeManifest(Self.manifest(0), fileName: "par0.yaml")
            let applies = try sandbox.parallel(Array(repeating: ["apply", path], count: 8))
            let plan = try sandbox.plumb("plan", path, "--detailed-exitcode")
            let netns = try sandbox.netnsList().sorted(), links = try sandbox.links().sorted()
            let destroy = try sandbox.plumb("destroy", path)
            return Same(applies: applies, plan: plan, netns: netns, links: links, destroy: destroy,
                        left: try CrashTests.leftovers(sandbox))
        }
        let applied = o.applies.filter { $0.status == 0 }.count
        print("concurrency: same-manifest=8 applied=\(applied) converged=\(o.plan.status == 0) netns=\(o.netns.count) links=\(o.links.count)")
        #expect(applied == 8, "\(o.applies.filter { $0.status != 0 })")
        #expect(o.plan.status == 0, "\(o.plan)")
        #expect(o.netns == ["p0c0", "p0c1", "p0c2"])
        #expect(o.links == ["lo", "p0c0-eth0", "p0c1-eth0", "p0c2-eth0", "pbr0"])
        #expect(o.destroy.status == 0, "\(o.destroy)")
        #expect(o.left.isEmpty, "\(o.left)")
    }

    static let cniConfig = """
        {"cniVersion":"1.1.0","name":"plumbnet","type":"plumb","bridge":{"name":"cni-br0","masquerade":true},\
        "ipam":{"type":"host-local","ranges":[[{"subnet":"10.99.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/run/cni-ipam"}}
        """

    struct CNI: Sendable {
        var adds: [CommandResult], dels: [CommandResult], addresses: [String]
        var ports: Int, inside: Int, records: Int, hostLinks: [String], innerLeft: [String], recordsAfter: [String]
        var nft: String, leases: [String], forward: String
    }

    @Test("50 parallel CNI ADDs get 50 distinct addresses; 50 parallel DELs leave no veth, bridge, record or rule")
    func fiftyCNIAttachments() async throws {
        let count = 50
        let o = try await Heavy.run { () throws -> CNI in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.script((0..<count).map { "ip netns add ctr\($0)" })
            let config = try sandbox.writeManifest(Self.cniConfig, fileName: "plumbnet.conf")

            let adds = try sandbox.cniParallel("ADD", config: config, count: count)
            struct Result: Decodable { struct IP: Decodable { var address: String }; var ips: [IP]? }
            let addresses = adds.compactMap { (try? JSONDecoder().decode(Result.self, from: Data($0.stdout.utf8)))?.ips?.first?.address }
            let distinct = Set(addresses)
            let ports = try sandbox.links(master: "cni-br0").count
            var inside = 0
            for i in 0..<count where try sandbox.addresses(netns: "ctr\(i)", dev: "eth0").contains(where: { distinct.contains($0) }) {
                inside += 1
            }
            let records = try sandbox.list("/run/plumb").filter(CrashTests.isRecord).count

            let dels = try sandbox.cniParallel("DEL", config: config, count: count)
            var innerLeft: [String] = []
            for i in 0..<count { innerLeft += try sandbox.links(netns: "ctr\(i)").filter { $0 != "lo" }.map { "ctr\(i)/\($0)" } }
            return CNI(adds: adds, dels: dels, addresses: addresses, ports: ports, inside: inside, records: records,
                       hostLinks: try sandbox.links(), innerLeft: innerLeft,
                       recordsAfter: try sandbox.list("/run/plumb").filter(CrashTests.isRecord) + sandbox.ownerlessStoreFiles(),
                       nft: try sandbox.must(["nft", "list", "ruleset"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       leases: try sandbox.list("/run/cni-ipam/plumbnet").filter { $0.hasPrefix("10.") },
                       forward: try sandbox.ipForward())
        }
        let distinct = Set(o.addresses)
        let added = o.adds.filter { $0.status == 0 }.count, deleted = o.dels.filter { $0.status == 0 }.count
        print("concurrency: cni-add=\(count) succeeded=\(added) distinct-addresses=\(distinct.count) "
              + "addresses-inside=\(o.inside) bridge-ports=\(o.ports) records=\(o.records) | cni-del=\(count) succeeded=\(deleted) "
              + "veths-left=\(o.hostLinks.filter { $0 != "lo" }.count + o.innerLeft.count) records-left=\(o.recordsAfter.count) "
              + "nft-empty=\(o.nft.isEmpty) leases-left=\(o.leases.count) ip_forward-after=\(o.forward)")
        #expect(added == count, "\(o.adds.filter { $0.status != 0 }.prefix(3))")
        #expect(o.addresses.count == count && distinct.count == count, "addresses: \(o.addresses.sorted())")
        #expect(distinct.allSatisfy { $0.hasPrefix("10.99.") }, "\(distinct.sorted())")
        #expect(o.inside == count, "only \(o.inside) of \(count) containers hold their address on eth0")
        #expect(o.ports == count, "cni-br0 has \(o.ports) ports")
        #expect(deleted == count, "\(o.dels.filter { $0.status != 0 }.prefix(3))")
        #expect(o.hostLinks == ["lo"], "host links after 50 DELs: \(o.hostLinks)")
        #expect(o.innerLeft.isEmpty, "\(o.innerLeft)")
        #expect(o.recordsAfter.isEmpty, "/run/plumb after 50 DELs: \(o.recordsAfter)")
        #expect(o.nft.isEmpty, "nft ruleset after 50 DELs:\n\(o.nft)")
        #expect(o.leases.isEmpty, "host-local leases left: \(o.leases)")
        #expect(o.forward == "0", "net.ipv4.ip_forward not restored after the network's last DEL")
    }
}

extension Sandbox {
    /// Starts `plumb ARGS` for every element of `commands` at once and waits for all of them.
    func parallel(_ commands: [[String]], environment: [[String: String]]? = nil, stdin: String? = nil,
                  timeout: Duration = .seconds(120)) throws -> [CommandResult] {
        let binary = try PlumbBinary.path()
        var pids: [(pid_t, String)] = []
        defer {
            for (pid, _) in pids { kill(pid, SIGKILL); _ = Subprocess.wait(pid, timeout: .seconds(5)) }  // only if still running
        }
        for (i, args) in commands.enumerated() {
            let out = scratch.appendingPathComponent("par-\(i)-\(UUID().uuidString.prefix(6))").path
            let quoted = ([binary] + args).map { "'\($0)'" }.joined(separator: " ")
            let line = stdin.map { "exec \(quoted) < '\($0)'" } ?? "exec \(quoted)"
            let pid = try Subprocess.spawn(["nsenter", "--target", String(holderPID), "--net", "--mount", "--", "/bin/sh", "-c", line],
                                           environment: environment?[i] ?? [:], stdoutPath: out + ".out", stderrPath: out + ".err")
            pids.append((pid, out))
        }
        var results: [CommandResult] = []
        let deadline = ContinuousClock.now + timeout
        while let (pid, out) = pids.first {
            let left = max(deadline - ContinuousClock.now, .milliseconds(1))
            let (status, timedOut) = Subprocess.wait(pid, timeout: left)
            pids.removeFirst()
            results.append(CommandResult(argv: ["plumb"] + commands[results.count], status: status,
                                         stdout: (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? "",
                                         stderr: (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "",
                                         timedOut: timedOut))
        }
        return results
    }

    /// `count` CNI invocations at once: container ctrI, netns /run/netns/ctrI, eth0, the config on stdin.
    func cniParallel(_ command: String, config: String, count: Int) throws -> [CommandResult] {
        try parallel(Array(repeating: [], count: count),
                     environment: (0..<count).map {
                         ["CNI_COMMAND": command, "CNI_CONTAINERID": "ctr\($0)", "CNI_NETNS": "/run/netns/ctr\($0)",
                          "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"]
                     }, stdin: config)
    }
}
