import Foundation
import Testing

/// Issue 5 "Must show" 1: NIC receive tuning declared in the manifest, on a veth with four
/// queue pairs made by hand in the sandbox, checked independently with `ethtool -l/-k`; and the
/// settings a veth or a sandbox cannot take are plan errors that name path, driver and maximum.
@Suite("NIC tuning", .timeLimit(.minutes(10)))
struct TuningTests {
    static let manifest = """
        version: 1
        name: tune
        nics:
          - name: vt0
            tuning:
              channels: {rx: 2, tx: 2}
              offloads: {gro: true}
        """

    @Test("apply: ethtool -l shows rx 2 tx 2, ethtool -k shows gro on, verify reports the NIC")
    func applySetsChannelsAndGRO() throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        try #require(try sandbox.channels("vt0") == .init(rx: 4, tx: 4), "the veth did not start with 4 queues")
        try #require(try sandbox.gro("vt0") == "off", "a veth starts with GRO off")
        let manifest = try sandbox.writeManifest(Self.manifest)

        let plan = try sandbox.plumb("plan", manifest)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("ethtool -L vt0 rx 2 tx 2"), "\(plan)")
        #expect(plan.stdout.contains("ethtool -K vt0 gro on"), "\(plan)")

        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.channels("vt0") == .init(rx: 2, tx: 2))
        #expect(try sandbox.gro("vt0") == "on")

        let verify = try sandbox.plumb("verify", manifest, "--output", "json")
        #expect(verify.status == 0, "\(verify)")
        let report = try verify.decode(NICVerifyReport.self)
        #expect(report.ok)
        let nic = try #require(report.nics.first { $0.name == "vt0" }, "no nic vt0 in \(verify.stdout)")
        #expect(nic.driver == "veth")
        #expect(nic.ok)
        #expect(nic.checks.first { $0.name == "channels" }?.status == "pass", "\(nic.checks)")
        #expect(nic.checks.first { $0.name == "gro" }?.status == "pass", "\(nic.checks)")
        #expect(!nic.checks.contains { $0.status == "fail" }, "\(nic.checks)")
    }

    @Test("re-apply plans nothing: plan --detailed-exitcode 0, and a second apply changes nothing")
    func reapplyPlansNothing() throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        try sandbox.expectConverged(manifest)
        let again = try sandbox.plumb("apply", manifest)
        #expect(again.status == 0, "\(again)")
        #expect(!again.stdout.contains("ethtool -"), "the second apply ran steps:\n\(again)")
        #expect(try sandbox.channels("vt0") == .init(rx: 2, tx: 2))
        #expect(try sandbox.gro("vt0") == "on")
    }

    @Test("drift: channels changed by hand make plan exit 2; apply sets them back")
    func handChangedChannelsAreDrift() throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        try sandbox.must(["ethtool", "-L", "vt0", "rx", "3", "tx", "3"])
        let plan = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("ethtool -L vt0 rx 2 tx 2"), "\(plan)")
        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.channels("vt0") == .init(rx: 2, tx: 2))
        try sandbox.expectConverged(manifest)
    }

    @Test("destroy restores rx 4 tx 4 and gro off, keeps the veth it did not create")
    func destroyRestoresOriginals() throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.channels("vt0") == .init(rx: 4, tx: 4))
        #expect(try sandbox.gro("vt0") == "off")
        let links = try sandbox.links()
        #expect(Set(links) == ["lo", "vt0", "vt1"], "links after destroy: \(links)")
        #expect(try !sandbox.list("/run/plumb").contains("tune.json"), "state file left")
    }

    @Test("a failure injected at the GRO step (PLUMB_FAULT_STEP=2) puts the channels back to rx 4 tx 4")
    func faultRollsBackChannels() throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        let manifest = try sandbox.writeManifest(Self.manifest)

        let apply = try sandbox.plumb("apply", manifest, environment: ["PLUMB_FAULT_STEP": "2"])
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("ethtool -K vt0 gro on"), "step 2 is not the GRO step:\n\(apply)")
        #expect(apply.stderr.contains("injected fault"), "\(apply)")
        #expect(try sandbox.channels("vt0") == .init(rx: 4, tx: 4))
        #expect(try sandbox.gro("vt0") == "off")
        #expect(try !sandbox.list("/run/plumb").contains("tune.json"), "state file left")
    }

    // MARK: What cannot be applied

    struct Refused: Sendable, CustomTestStringConvertible {
        var label: String
        var manifest: String
        var words: [String]
        var marker: String
        var testDescription: String { label }
    }

    static let refused: [Refused] = [
        Refused(label: "rings on a veth",
                manifest: nicManifest("rings: {rx: 256}"),
                words: ["nics[0].tuning.rings", "vt0", "veth", "does not support"], marker: "rings:"),
        Refused(label: "channels rx 9 beyond the maximum 4",
                manifest: nicManifest("channels: {rx: 9}"),
                words: ["nics[0].tuning.channels.rx", "9", "maximum 4", "vt0", "veth"], marker: "channels:"),
        Refused(label: "net.core.netdev_budget in a network namespace",
                manifest: """
                    version: 1
                    name: tbad
                    host:
                      sysctl: {net.core.netdev_budget: 600}
                    """,
                words: ["host.sysctl.net.core.netdev_budget", "initial", "namespace"], marker: "netdev_budget"),
    ]

    @Test("refused settings: plan and apply exit 1 naming path, driver and maximum; nothing changes",
          arguments: refused)
    func refusedSettings(refused: Refused) throws {
        let sandbox = try Sandbox()
        try sandbox.addTunableVeth()
        let manifest = try sandbox.writeManifest(refused.manifest)
        let line = try #require(Manifests.line(of: refused.marker, in: refused.manifest))

        for command in ["plan", "apply"] {
            let result = try sandbox.plumb(command, manifest)
            #expect(result.status == 1, "\(result)")
            let wanted = refused.words + ["(line \(line))"]
            #expect(result.stderr.split(separator: "\n").contains { l in wanted.allSatisfy { l.contains($0) } },
                    "no stderr line with \(wanted):\n\(result)")
        }
        #expect(try sandbox.channels("vt0") == .init(rx: 4, tx: 4))
        #expect(try sandbox.gro("vt0") == "off")
        #expect(try !sandbox.list("/run/plumb").contains("tbad.json"), "state file written")
    }

    static func nicManifest(_ tuning: String) -> String {
        """
        version: 1
        name: tbad
        nics:
          - name: vt0
            tuning:
              \(tuning)
        """
    }
}

/// `plumb verify --output json`, the part about NICs: `nics: [{name, driver, ok, checks}]`.
struct NICVerifyReport: Decodable {
    struct NIC: Decodable {
        var name: String
        var driver: String?
        var ok: Bool
        var checks: [VerifyReport.Check]
    }
    var ok: Bool
    var nics: [NIC]
}

struct Channels: Equatable, CustomStringConvertible {
    var rx: Int
    var tx: Int
    var description: String { "rx \(rx) tx \(tx)" }
}

extension Sandbox {
    /// vt0 ↔ vt1 with four rx and four tx queues each: a veth's channel maximum is its queue count.
    func addTunableVeth() throws {
        try must(["ip", "link", "add", "vt0", "numtxqueues", "4", "numrxqueues", "4",
                  "type", "veth", "peer", "name", "vt1", "numtxqueues", "4", "numrxqueues", "4"])
    }

    /// RX and TX under "Current hardware settings" of `ethtool -l DEV`.
    func channels(_ device: String) throws -> Channels {
        let text = try must(["ethtool", "-l", device]).stdout
        guard let current = text.range(of: "Current hardware settings:") else {
            throw SubprocessError(description: "no current settings in ethtool -l \(device):\n\(text)")
        }
        func value(_ key: String) -> Int? {
            text[current.upperBound...].split(separator: "\n")
                .first { $0.hasPrefix("\(key):") }
                .flatMap { Int($0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)) }
        }
        guard let rx = value("RX"), let tx = value("TX") else {
            throw SubprocessError(description: "no RX/TX in ethtool -l \(device):\n\(text)")
        }
        return Channels(rx: rx, tx: tx)
    }

    /// "on" or "off": generic-receive-offload in `ethtool -k DEV`.
    func gro(_ device: String) throws -> String {
        let text = try must(["ethtool", "-k", device]).stdout
        let line = text.split(separator: "\n").first { $0.hasPrefix("generic-receive-offload:") }
        guard let state = line?.split(separator: " ").dropFirst().first else {
            throw SubprocessError(description: "no generic-receive-offload in ethtool -k \(device):\n\(text)")
        }
        return String(state)
    }
}
