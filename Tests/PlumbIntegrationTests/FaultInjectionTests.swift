import Foundation
import Testing

/// Issue "fault injection at every step", Must show 1: for each manifest and for EVERY step k
/// of its plan, `PLUMB_FAULT_STEP=k plumb apply` fails at step k, and afterwards the kernel of
/// the sandbox equals the snapshot taken before (links, addresses, routes, named namespaces,
/// nftables, forwarding/IPv6 sysctls, the NIC settings it tunes) and /run/plumb holds exactly
/// the records it held before. Each k runs in a fresh sandbox: no run can hide another's residue.
///
/// Each sandbox also holds things Plumb must never touch (a foreign veth pair, a foreign netns
/// with an address, a foreign nftables table), so "equal" covers more than "empty".
@Suite("Fault injection at every step", .timeLimit(.minutes(10)))
struct FaultInjectionTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var label: String
        /// The manifest whose apply fails at step k.
        var manifest: String
        /// Its name (`name:`): whose record a good apply writes.
        var name: String
        /// Shell lines run in each fresh sandbox before the snapshot (besides the bystanders).
        var setup: [String] = []
        /// A manifest (text) applied successfully during setup: "before" then has records and objects.
        var applied: String?
        /// Links whose ethtool settings (channels, features) belong in the snapshot.
        var ethtool: [String] = []
        var testDescription: String { label }
    }

    static let scenarios: [Scenario] = [
        Scenario(label: "manifests/demo.yaml", manifest: example("demo.yaml"), name: "demo"),
        Scenario(label: "manifests/nat.yaml", manifest: example("nat.yaml"), name: "natdemo"),
        Scenario(label: "tuning+bridge+nat on a 4-queue veth", manifest: tuningBridge, name: "tunebr",
                 setup: [vethWithFourQueues], ethtool: ["vt0", "vt1"]),
        // Not a fresh apply: the undo of each step must put back a *changed* value (MTU,
        // address, alias, table contents), not merely delete what the apply created.
        Scenario(label: "nat.yaml changed (new container, MTU, address, ports)", manifest: natChanged, name: "natdemo",
                 applied: example("nat.yaml")),
        // A repair: the apply re-enslaves, re-ups and re-addresses what was changed by hand;
        // rolling back must restore the hand-made state exactly.
        Scenario(label: "demo.yaml repairing drift (nomaster, MTU, down, address)", manifest: example("demo.yaml"),
                 name: "demo",
                 setup: ["ip link set web-eth0 nomaster", "ip link set db-eth0 mtu 1300",
                         "ip -n db link set eth0 mtu 1300", "ip -n cache link set eth0 down",
                         "ip -n web addr del 10.88.0.2/16 dev eth0"],
                 applied: example("demo.yaml")),
        // Macvlans: on a bridge the same plan creates, and on a hand-made parent that already
        // carries a foreign macvlan (which must be in the "after" snapshot exactly as before).
        Scenario(label: "manifests/macvlan.yaml", manifest: example("macvlan.yaml"), name: "macvlan"),
        // Policy routing (table routes, container and host rules) and NAT on both families.
        Scenario(label: "manifests/policy-routing.yaml", manifest: example("policy-routing.yaml"), name: "policy-routing"),
        Scenario(label: "manifests/dual-stack.yaml", manifest: example("dual-stack.yaml"), name: "dual-stack"),
        Scenario(label: "macvlan on a hand-made parent beside a foreign macvlan", manifest: macvlanOnVeth, name: "mvfault",
                 setup: ["ip netns add peer", "ip link add vp0 type veth peer name eth0 netns peer", "ip link set vp0 up",
                         "ip -n peer link set eth0 up", "ip -n peer addr add 10.99.0.1/24 dev eth0",
                         "ip link add link vp0 name fm0 netns peer type macvlan mode bridge",
                         "ip -n peer addr add 10.99.0.20/24 dev fm0"]),
    ]

    static let macvlanOnVeth = """
        version: 1
        name: mvfault
        containers:
          - name: app
            netns: app
            interfaces:
              - {name: eth1, macvlan: {parent: vp0, mode: private}, addresses: [10.99.0.10/24], mtu: 1400}
            routes:
              - {to: default, via: 10.99.0.1}
        """

    @Test("PLUMB_FAULT_STEP=k for every k: exit 1, 'injected fault at step k', kernel and records as before",
          arguments: scenarios)
    func everyStep(scenario: Scenario) async throws {
        let o = try await Heavy.run { try Self.injectEveryStep(scenario) }
        print("fault-injection: \(scenario.label) steps=\(o.steps) injected=\(o.injected) residue=\(o.residue) "
              + "undo-failures=\(o.undoFailures) runs-with-residue=\(o.runsWithResidue)")
        #expect(o.steps > 0, "\(scenario.label): the plan has no steps to fail")
        #expect(o.injected == o.steps, "faults injected at \(o.injected) of \(o.steps) steps")
        #expect(o.residue == 0 && o.undoFailures == 0, "\(scenario.label):\n\(o.findings.joined(separator: "\n"))")
    }

    struct Outcome: Sendable {
        var steps = 0, injected = 0, residue = 0, undoFailures = 0, runsWithResidue = 0
        var findings: [String] = []
    }

    /// For k in 1…N, each in a fresh sandbox: snapshot, `PLUMB_FAULT_STEP=k plumb apply`, snapshot.
    static func injectEveryStep(_ scenario: Scenario) throws -> Outcome {
        let steps = try planSteps(scenario)
        var o = Outcome(steps: steps.count)
        for (i, command) in steps.enumerated() {
            let k = i + 1
            let sandbox = try prepare(scenario)
            defer { sandbox.close() }
            let before = try KernelSnapshot.take(sandbox, ethtool: scenario.ethtool)
            let manifest = try sandbox.writeManifest(scenario.manifest, fileName: "\(scenario.name).yaml")

            let apply = try sandbox.plumb("apply", manifest, environment: ["PLUMB_FAULT_STEP": "\(k)"])
            if apply.status == 1 && apply.stderr.contains("injected fault at step \(k) ")
                && apply.stderr.contains("step \(k) failed: \(command)") {
                o.injected += 1
            } else {
                o.findings.append("k=\(k): the apply did not fail at step \(k) (\(command)):\n\(apply)")
            }
            if apply.stderr.contains("rollback INCOMPLETE") || !apply.stderr.contains("rolled back: every change") {
                o.undoFailures += 1
                o.findings.append("k=\(k): rollback not complete:\n\(apply.stderr)")
            }
            let diff = try KernelSnapshot.settle(sandbox, like: before, ethtool: scenario.ethtool).diff
            if !diff.isEmpty {
                o.residue += diff.count
                o.runsWithResidue += 1
                o.findings.append("k=\(k) (\(command)): \(diff.count) residue line(s):\n  " + diff.joined(separator: "\n  "))
            }
        }
        return o
    }

    /// The snapshot is not blind: the same apply without a fault changes it (a control run).
    @Test("control: the snapshot sees what a successful apply changes", arguments: scenarios)
    func snapshotSeesChanges(scenario: Scenario) throws {
        let sandbox = try Self.prepare(scenario)
        defer { sandbox.close() }
        let before = try KernelSnapshot.take(sandbox, ethtool: scenario.ethtool)
        let manifest = try sandbox.writeManifest(scenario.manifest, fileName: "\(scenario.name).yaml")
        let apply = try sandbox.plumb("apply", manifest, "--no-verify")
        try #require(apply.status == 0, "\(apply)")
        let diff = try KernelSnapshot.take(sandbox, ethtool: scenario.ethtool).diff(from: before)
        print("fault-injection control: \(scenario.label) lines-changed-by-a-good-apply=\(diff.count)")
        #expect(diff.count >= 3, "a good apply changed only \(diff.count) snapshot lines: \(diff)")
        if scenario.applied == nil {
            let record = try #require(try sandbox.manifestRecord(scenario.name), "apply wrote no record")
            #expect(diff.contains { $0.hasPrefix("+ plumb - f 600 ") && $0.contains(" \(record.id).json ") },
                    "the new record is not in the snapshot: \(diff)")
        }
    }

    /// The "changed" scenario's baseline: what a good apply of the change leaves. Moving www
    /// from 10.89.0.2 to 10.89.0.12 must keep its default route via 10.89.0.1 (the kernel
    /// drops a route whose gateway loses its last on-link address).
    @Test("changing a container's address keeps its default route; apply exits 0")
    func addressChangeKeepsRoutes() throws {
        let sandbox = try Sandbox()
        defer { sandbox.close() }
        try sandbox.applyOrFail(try sandbox.writeManifest(Self.example("nat.yaml"), fileName: "nat.yaml"))
        let changed = try sandbox.writeManifest(Self.natChanged, fileName: "natdemo.yaml")
        let apply = try sandbox.plumb("apply", changed)
        #expect(apply.status == 0, "\(apply)")
        let routes = try sandbox.routes(netns: "www")
        #expect(routes.contains(.init(dst: "default", gateway: "10.89.0.1", dev: "eth0")),
                "www lost its default route: \(routes)")
        try sandbox.expectConverged(changed)
    }

    /// Undo itself failing is reported, never hidden: `umount2` made to fail with EPERM (strace's
    /// syscall fault injection, outside the product) during the rollback of a fault at step 4.
    /// The error must name every undo step that failed, and what is left must stay Plumb's:
    /// recorded, so that `plumb destroy` removes it.
    @Test("a failing undo step is named in the error, and what it leaves stays destroyable")
    func failingUndoIsReported() throws {
        let strace = "/usr/bin/strace"
        try #require(FileManager.default.isExecutableFile(atPath: strace),
                     "strace is missing: scripts/install.sh must install strace (syscall fault injection)")
        let sandbox = try Sandbox()
        defer { sandbox.close() }
        let manifest = try sandbox.writeManifest(Self.example("demo.yaml"))
        let binary = try PlumbBinary.path()
        // Steps 1-3 create the namespaces web, db, cache; step 4 (the bridge) fails on purpose.
        let apply = try sandbox.run(
            [strace, "-f", "-o", "/dev/null", "-e", "trace=umount2", "-e", "inject=umount2:error=EPERM",
             binary, "apply", manifest], environment: ["PLUMB_FAULT_STEP": "4"], timeout: .seconds(60))
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("injected fault at step 4"), "\(apply)")
        #expect(apply.stderr.contains("rollback INCOMPLETE"), "an undo failed but the error does not say so:\n\(apply)")
        for ns in ["web", "db", "cache"] {
            #expect(apply.stderr.contains("ip netns delete \(ns): ") && apply.stderr.contains("(EPERM)"),
                    "the failed undo of netns \(ns) is not named:\n\(apply)")
        }
        #expect(!apply.stderr.contains("rolled back: every change"), "claims a full rollback:\n\(apply)")

        // The namespaces the failed undo left are still there; they must still be Plumb's.
        let left = try sandbox.netnsList()
        #expect(Set(left) == ["web", "db", "cache"], "left after the incomplete rollback: \(left)")
        #expect(try sandbox.manifestRecord("demo") != nil,
                "the record was removed although the rollback left web, db, cache: nothing can destroy them now")
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.netnsList() == [], "plumb destroy left the namespaces of the incomplete rollback:\n\(destroy)")
    }

    // MARK: Scenario plumbing

    /// The text of manifests/FILE.
    static func example(_ file: String) -> String {
        let path = PlumbBinary.packageRoot.appendingPathComponent("manifests/\(file)").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# cannot read \(path)"
    }

    static let vethWithFourQueues = "ip link add vt0 numtxqueues 4 numrxqueues 4 type veth peer name vt1 numtxqueues 4 numrxqueues 4"

    /// Tuning of a hand-made NIC (Plumb does not own vt0: it restores what it changed), a
    /// bridge with MTU and NAT, a container with MTU, MAC, two routes and a port forward.
    /// (eth0's MTU equals br1's: a port below its bridge is refused since the kernel lowers
    /// the bridge to it and apply would raise it back — drift forever.)
    static let tuningBridge = """
        version: 1
        name: tunebr
        host:
          sysctl: {net.ipv4.ip_forward: 1}
        nics:
          - name: vt0
            tuning:
              channels: {rx: 2, tx: 2}
              offloads: {gro: true}
        bridges:
          - name: br1
            addresses: [10.77.0.1/24]
            mtu: 1450
            nat: {masquerade: true}
        containers:
          - name: app
            netns: app
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.77.0.2/24], mtu: 1450, mac: "02:00:00:00:77:02"}
            routes:
              - {to: default, via: 10.77.0.1}
              - {to: 192.0.2.0/24, via: 10.77.0.1, metric: 50}
            ports:
              - {host: 8443, container: 443, protocol: tcp}
        """

    /// manifests/nat.yaml changed: bridge and www MTU 1400, www's address .2 → .12, ports
    /// replaced, a second container.
    static let natChanged = """
        version: 1
        name: natdemo
        bridges:
          - name: br1
            addresses: [10.89.0.1/16]
            mtu: 1400
            nat: {masquerade: true}
        containers:
          - name: www
            netns: www
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.89.0.12/16], mtu: 1400}
            routes:
              - {to: default, via: 10.89.0.1}
            ports:
              - {host: 8081, container: 81, protocol: tcp}
          - name: api
            netns: api
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.89.0.5/16]}
            routes:
              - {to: default, via: 10.89.0.1}
        """

    /// Objects Plumb does not own, in every sandbox: a veth pair with one end in a foreign
    /// netns carrying an address, and a foreign nftables table with a rule.
    /// DAD is off in the sandbox (and so in every namespace and link made after): an IPv6
    /// link-local address is "tentative" for ~1 s after its link comes up, and its local route
    /// appears only then, which would make two snapshots of one state differ.
    static let bystanders = [
        "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
        "ip netns add bystander",
        "ip netns exec bystander sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
        "ip link add keep0 type veth peer name keep1 netns bystander",
        "ip link set keep0 up",
        "ip addr add 192.168.77.1/24 dev keep0",
        "ip -n bystander link set keep1 up",
        "ip -n bystander addr add 192.168.77.2/24 dev keep1",
        "nft add table inet userfw",
        "nft 'add chain inet userfw input { type filter hook input priority 0 ; policy accept ; }'",
        "nft 'add rule inet userfw input tcp dport 22 accept comment \"not plumb s\"'",
    ]

    /// A fresh sandbox with the bystanders, the scenario's setup, and its base apply.
    static func prepare(_ s: Scenario) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.script(bystanders + (s.applied == nil ? s.setup : []))
        if let base = s.applied {
            try sandbox.mustApply(try sandbox.writeManifest(base, fileName: "base-\(s.name).yaml"))
            try sandbox.script(s.setup)
        }
        return sandbox
    }

    /// The plan's step commands (`plumb plan --output json`), in a sandbox prepared like the runs.
    static func planSteps(_ s: Scenario) throws -> [String] {
        let sandbox = try prepare(s)
        defer { sandbox.close() }
        let manifest = try sandbox.writeManifest(s.manifest, fileName: "\(s.name).yaml")
        let plan = try sandbox.plumb("plan", manifest, "--output", "json")
        guard plan.status == 0 else { throw SubprocessError(description: "plan failed:\n\(plan)") }
        struct Steps: Decodable { struct Step: Decodable { var command: String }; var steps: [Step] }
        return try plan.decode(Steps.self).steps.map(\.command)
    }
}

extension Sandbox {
    /// Runs shell lines in order inside the sandbox (one `sh -e`); throws with the output.
    /// Throws instead of `#require`, so it also works in a `Heavy.run` body.
    func script(_ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        let r = try sh("set -e\n" + lines.joined(separator: "\n"))
        guard r.succeeded else { throw SubprocessError(description: "setup failed:\n\(lines.joined(separator: "\n"))\n\(r)") }
    }

    /// `plumb apply` that must succeed: `applyOrFail` without `#require`, for `Heavy.run` bodies.
    func mustApply(_ manifest: String) throws {
        let r = try plumb("apply", manifest)
        guard r.status == 0 else { throw SubprocessError(description: "apply failed:\n\(r)") }
    }
}

/// Long, blocking test bodies (sandboxes, subprocesses, polling loops) run here, each on a thread
/// of its own, at most one per core at a time. Swift Testing runs a synchronous test on the
/// cooperative pool, which has one thread per core (two in CI): a body that blocks one for a
/// minute starves every other suite past its time limit. So a heavy body returns what it saw,
/// and the test checks that after the `await`. A suite's time limit counts the time its test
/// waits here for a permit (behind minute-long neighbours): suites that use `Heavy` allow 10
/// minutes. The sandbox's parent-death signal follows the
/// spawning thread, which lives until the body (and its `defer { sandbox.close() }`) is done.
enum Heavy {
    static let gate = DispatchSemaphore(value: max(2, ProcessInfo.processInfo.activeProcessorCount))

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                gate.wait()
                defer { gate.signal() }
                continuation.resume(with: Result(catching: body))
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// `run`, with every permit: no other heavy body runs meanwhile. For the few tests
    /// whose figure is a latency (the watcher's repair time), which a neighbour's minute of
    /// namespaces on two cores would measure instead. One exclusive taker at a time, so two
    /// never hold half the permits each.
    static func exclusive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let permits = max(2, ProcessInfo.processInfo.activeProcessorCount)
                exclusiveTaker.lock()
                for _ in 0..<permits { gate.wait() }
                exclusiveTaker.unlock()
                defer { for _ in 0..<permits { gate.signal() } }
                continuation.resume(with: Result(catching: body))
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
    static let exclusiveTaker = NSLock()
}

/// What a user can observe of a sandbox's kernel and of /run/plumb, as canonical, sorted lines:
///
/// - every named netns, and in the host and each netns: links (name, kind, master, MTU, UP flag,
///   operstate, alias, MAC, promiscuity), addresses (all attributes but lifetimes), IPv4 and IPv6
///   routes of every table (all attributes but expiry), IPv4 and IPv6 rules, the forwarding, rp_filter and
///   disable_ipv6 sysctls of every interface plus ip_forward, the whole nftables ruleset;
/// - `ethtool -l` and `ethtool -k` of the named links;
/// - /run/plumb: every entry's type, mode, size and SHA-256. Lock files (`.lock`,
///   `.<network>.lock`: empty, only ever flock'ed) and the CNI IPAM version cache
///   (`.ipam-version-…`) are not records and are left out.
///
/// ifindex, netnsid, counters and lifetimes are left out: they differ between two identical
/// states (ifindexes are never reused, netnsids are assigned on first sight).
struct KernelSnapshot: Equatable {
    var lines: [String]

    static func take(_ sandbox: Sandbox, ethtool: [String] = []) throws -> KernelSnapshot {
        let result = try sandbox.sh(script(ethtool: ethtool), timeout: .seconds(60))
        guard result.succeeded else { throw SubprocessError(description: "snapshot failed:\n\(result)") }
        var lines: [String] = []
        for chunk in result.stdout.components(separatedBy: "\n@@@ ").dropFirst() {
            let header = chunk.prefix { $0 != "\n" }
            let body = String(chunk.dropFirst(header.count))
            let words = header.split(separator: " ").map(String.init)
            let section = words.first ?? "?", ns = words.count > 1 ? words[1] : "-"
            lines += try canonical(section: section, ns: ns, body: body)
        }
        return KernelSnapshot(lines: lines.sorted())
    }

    /// Lines only in `before` ("- …") and only in self ("+ …").
    func diff(from before: KernelSnapshot) -> [String] {
        let a = Set(before.lines), b = Set(lines)
        return before.lines.filter { !b.contains($0) }.map { "- " + $0 } + lines.filter { !a.contains($0) }.map { "+ " + $0 }
    }

    /// Snapshots until equal to `before` or `timeout` passes: the kernel removes a deleted
    /// netns's veths and updates operstate asynchronously (linkwatch), a few ms later.
    static func settle(_ sandbox: Sandbox, like before: KernelSnapshot, ethtool: [String],
                       timeout: Duration = .seconds(3)) throws -> (snapshot: KernelSnapshot, diff: [String]) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let now = try take(sandbox, ethtool: ethtool)
            let diff = now.diff(from: before)
            if diff.isEmpty || ContinuousClock.now >= deadline { return (now, diff) }
            usleep(100_000)
        }
    }

    static func script(ethtool: [String]) -> String {
        """
        sec() { printf '\\n@@@ %s\\n' "$*"; }
        sec netns; ip -j netns list
        for ns in host $(ip netns list | cut -d' ' -f1); do
          if [ "$ns" = host ]; then ipn=ip; ex=; else ipn="ip -n $ns"; ex="ip netns exec $ns"; fi
          sec link $ns; $ipn -j -d link show
          sec addr $ns; $ipn -j addr show
          sec route4 $ns; $ipn -j -4 route show table all
          sec route6 $ns; $ipn -j -6 route show table all 2>/dev/null
          sec rule4 $ns; $ipn -j -4 rule show
          sec rule6 $ns; $ipn -j -6 rule show 2>/dev/null
          sec sysctl $ns; $ex sh -c 'cd /proc/sys/net && grep -r . ipv4/ip_forward ipv4/conf/*/forwarding ipv4/conf/*/rp_filter ipv6/conf/*/disable_ipv6 ipv6/conf/*/forwarding 2>/dev/null' || true
          sec nft $ns; $ex nft list ruleset
        done
        for dev in \(ethtool.joined(separator: " ")); do
          sec ethtool $dev; ethtool -l $dev; ethtool -k $dev
        done
        sec plumb; if [ -d /run/plumb ]; then cd /run/plumb && for f in $(ls -A); do
          case "$f" in .lock|.*.lock|.ipam-version-*) continue;; esac
          printf '%s %s\\n' "$(stat -c '%F %a %s %n' "$f" | sed 's/regular empty file/f/; s/regular file/f/')" "$(sha256sum < "$f" 2>/dev/null | cut -c1-16)"
        done; fi
        true
        """
    }

    static func canonical(section: String, ns: String, body: String) throws -> [String] {
        func json() throws -> [[String: Any]] {
            let t = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty { return [] }
            guard let a = try JSONSerialization.jsonObject(with: Data(t.utf8)) as? [[String: Any]] else {
                throw SubprocessError(description: "snapshot: \(section) \(ns) is not a JSON array: \(t)")
            }
            return a
        }
        func text(_ v: Any?) -> String {
            switch v {
            case nil: return "-"
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            case let a as [Any]: return "[" + a.map { text($0) }.joined(separator: ",") + "]"
            default: return "\(v!)"
            }
        }
        switch section {
        case "netns":
            return try json().map { "netns \(text($0["name"]))" }
        case "link":
            return try json().map { l in
                let info = l["linkinfo"] as? [String: Any]
                let up = ((l["flags"] as? [String]) ?? []).contains("UP")
                return "link \(ns) \(text(l["ifname"])) kind=\(text(info?["info_kind"])) master=\(text(l["master"])) "
                    + "mtu=\(text(l["mtu"])) up=\(up) oper=\(text(l["operstate"])) alias=\(text(l["ifalias"])) "
                    + "mac=\(text(l["address"])) promisc=\(text(l["promiscuity"]))"
            }
        case "addr":
            return try json().flatMap { l in
                ((l["addr_info"] as? [[String: Any]]) ?? []).map { a in
                    let rest = a.keys.filter { !$0.hasSuffix("life_time") }.sorted().map { "\($0)=\(text(a[$0]))" }
                    return "addr \(ns) \(text(l["ifname"])) " + rest.joined(separator: " ")
                }
            }
        case "route4", "route6", "rule4", "rule6":
            return try json().map { r in
                let fields = r.keys.filter { $0 != "expires" }.sorted().map { "\($0)=\(text(r[$0]))" }
                return "\(section) \(ns) " + fields.joined(separator: " ")
            }
        case "sysctl", "nft", "ethtool", "plumb":
            return body.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }.map { "\(section) \(ns) \($0)" }
        default:
            return ["? \(section) \(ns)"]
        }
    }
}
