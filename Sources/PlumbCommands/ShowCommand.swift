import ArgumentParser
import Glibc
import PlumbEngine

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List what plumb owns on this host, or one NIC's receive-path report.",
        discussion: """
        Without --nic: every ownership record under /run/plumb — its owner, namespaces,
        links, VFs, sysctls, tables and original values — and every file there that is
        not a valid record, with why (a corrupt record never hides the healthy ones).
        With --nic NAME: the NIC's rings, channels, coalescing, GRO, queue IRQ spread and
        error counters — what `ethtool -g -l -c -k -S` and /proc/interrupts show by hand —
        with warnings where the receive path looks starved; for an SR-IOV PF, what its
        driver can do with VFs (each VF setting, the VF count rule, eswitch modes), from
        Plumb's driver facts merged with what the kernel reports.

        With --nic NAME --advise: the NIC's counters sampled twice, --interval seconds
        apart (rtnetlink link stats, /proc/net/softnet_stat, /proc/interrupts, rings,
        channels, GRO), each symptom mapped to the knob that addresses it as a manifest
        snippet to paste, naming the counter and how much it moved; and what could not be
        read (a veth has no rings or queue interrupts), from which nothing is advised.

        Examples:
          plumb show --output json
          plumb show --nic eth1
          plumb show --nic eth1 --advise --interval 5
        """)

    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "Show the receive-path report of this NIC instead.")
    var nic: String?

    @Flag(help: "With --nic: sample the counters over --interval and advise which knob to turn.")
    var advise = false

    @Option(help: "With --advise: seconds between the two samples.")
    var interval: Double = 2

    func validate() throws {
        if advise && nic == nil { throw ValidationError("--advise needs --nic NAME") }
        if !(0.1...3600).contains(interval) { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
    }

    func run() throws {
        if let nic, advise { return adviseNIC(nic) }
        if let nic { return showNIC(nic) }
        let all = PlumbCommands.run { try RecordStore().all() }
        let records = all.compactMap { if case .healthy(let r) = $0 { return r } else { return nil } }
        let corrupt = all.compactMap { s -> CorruptRecord? in
            if case .corrupt(let file, let reason) = s { return CorruptRecord(file: file, reason: reason) } else { return nil }
        }
        if output == .json { printJSON(ShowOutput(records: records.map(ShownRecord.init), corrupt: corrupt)); return }
        if all.isEmpty { print("plumb owns nothing on this host."); return }
        for r in records { print(describe(r)) }
        for c in corrupt { print("CORRUPT \(c.file): \(c.reason)") }
    }

    func describe(_ r: Record) -> String {
        var lines = ["\(r.owner) — id \(r.id)"]
        for n in r.namespaces { lines.append("  \(n.created ? "created" : "uses") \(n.ref)" + (n.identity.map { " (\($0))" } ?? "")) }
        for l in r.links where l.kind != .vethPeer {
            lines.append("  \(l.kind.rawValue) \(l.link.name)" + (l.peer.map { " (peer \($0.name) in \($0.namespace))" } ?? "")
                         + (l.parent.map { " in \(l.link.namespace) on \($0.name)" } ?? ""))
        }
        for v in r.movedVFs { lines.append("  vf \(v.vf) of \(v.pf) as \(v.link.name) in \(v.link.namespace)") }
        if let t = r.table { lines.append("  nftables table \(t)") }
        for s in r.sysctls { lines.append("  sysctl \(s.key) (was \(s.value.original), set \(s.value.applied))") }
        for n in r.nics { lines.append("  tuned \(n.nic)") }
        for i in r.irqs { lines.append("  irq \(i.irq) of \(i.nic) (was \(i.cpus.original), set \(i.cpus.applied))") }
        for v in r.vfs { lines.append("  vf \(v.vf) of \(v.pf) settings changed") }
        for n in r.numVFs { lines.append("  sriov_numvfs of \(n.pf) (was \(n.count.original), set \(n.count.applied))") }
        for p in r.raisedPFs { lines.append("  brought \(p.pf) up (it was down)") }
        for b in r.boundVFs {
            lines.append("  vf \(b.vf) of \(b.pf) bound to \(b.driver.applied ?? "no driver") (was \(b.driver.original ?? "no driver"))"
                         + (b.iommuGroup.map { ", /dev/vfio/\($0)" } ?? ""))
        }
        for m in r.modprobe { lines.append("  \(m.file.path) (\(m.text.original == nil ? "absent" : "had text") before)") }
        if !r.users.isEmpty { lines.append("  used by \(r.users.map(\.rawValue).joined(separator: ", "))") }
        if let b = r.binding { lines.append("  provisioned into container \(b.containerID)") }
        return lines.joined(separator: "\n")
    }

    func showNIC(_ name: String) {
        let report = PlumbCommands.run { try NICReporter.current(name, kernel: try LinuxKernel()) }
        if output == .json { printJSON(report); return }
        print("nic \(report.name) (driver \(report.driver.isEmpty ? "unknown" : report.driver))")
        report.checks.forEach { print(Render.row($0)) }
        report.sriov?.text.forEach { print($0) }
    }
}

extension ShowCommand {
    func adviseNIC(_ name: String) {
        let report = PlumbCommands.run { () throws -> AdviceReport in
            let sampler = CounterSampler(kernel: try LinuxKernel())
            let before = try sampler.sample(name)
            usleep(UInt32(interval * 1_000_000))
            return Advisor.advise(before: before, after: try sampler.sample(name), seconds: interval)
        }
        if output == .json { printJSON(report); return }
        print("nic \(report.nic) (driver \(report.driver.isEmpty ? "unknown" : report.driver)), counters sampled \(report.intervalSeconds) s apart")
        if report.advice.isEmpty { print("no advice: nothing it read points at a knob") }
        for a in report.advice {
            print("\n\(a.knob): \(a.symptom)\n  counter: \(a.counter)" + (a.delta.map { " +\($0)" } ?? " (setting)"))
            print(a.snippet.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        }
        if !report.unreadable.isEmpty {
            print("\ncould not read (no advice from these):")
            for (what, why) in report.unreadable.sorted(by: { $0.key < $1.key }) { print("  \(what): \(why)") }
        }
    }
}

struct CorruptRecord: Encodable { var file: String; var reason: String }
struct ShowOutput: Encodable { var records: [ShownRecord]; var corrupt: [CorruptRecord] }

/// A record as `show --output json` prints it: its fields plus its id and file.
struct ShownRecord: Encodable {
    var record: Record
    init(_ r: Record) { record = r }
    enum Keys: String, CodingKey { case id, file }
    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(record.id.rawValue, forKey: .id)
        try c.encode(RecordStore().path(record.id), forKey: .file)
    }
}
