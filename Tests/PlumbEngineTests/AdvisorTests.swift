import Foundation
@testable import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// Issue 16 "Must show" 3 (unit part): the advisor on recorded counters, two samples per
/// case in the kernel's own formats (AdvisorFixtures/CASE.txt: /proc/net/softnet_stat,
/// /proc/interrupts, the `ip -s link` counters, `ethtool -g -l -k` settings).
@Suite("Advisor")
struct AdvisorTests {
    static func advise(_ name: String) throws -> AdviceReport {
        let url = Bundle.module.url(forResource: "AdvisorFixtures/\(name)", withExtension: "txt")!
        let f = try AdvisorFixture(parsing: String(contentsOf: url, encoding: .utf8))
        return Advisor.advise(before: try f.sample("before"), after: try f.sample("after"), seconds: 5)
    }

    @Test("a healthy NIC under load gets no advice")
    func healthy() throws {
        let r = try Self.advise("healthy")
        #expect(r.advice.isEmpty, "\(r.advice)")
        #expect(r.unreadable.isEmpty)
    }

    @Test("rx_missed_errors rising with the ring below its maximum → rings: {rx: MAX}, naming the counter and its delta")
    func ringDrops() throws {
        let r = try Self.advise("ring-drops")
        #expect(r.advice == [Advice(knob: "rings", symptom: "the NIC ran out of rx descriptors while its rx ring is 256 of at most 4096",
                                    counter: "rx_missed_errors", delta: 5000,
                                    snippet: "nics:\n  - name: eth1\n    tuning:\n      rings: {rx: 4096}\n")])
    }

    @Test("rx_fifo_errors rising → rings as well")
    func fifoDrops() throws {
        let r = try Self.advise("fifo-drops")
        #expect(r.advice.map(\.knob) == ["rings"])
        #expect(r.advice.first?.counter == "rx_fifo_errors" && r.advice.first?.delta == 900)
    }

    @Test("time_squeeze → host.sysctl netdev_budget and netdev_budget_usecs, doubled from what they are")
    func timeSqueeze() throws {
        let r = try Self.advise("time-squeeze")
        #expect(r.advice.map(\.knob) == ["netdev_budget"])
        #expect(r.advice.first?.counter == "softnet_stat time_squeeze" && r.advice.first?.delta == 0x40)
        #expect(r.advice.first?.snippet == "host:\n  sysctl:\n    net.core.netdev_budget: 600\n    net.core.netdev_budget_usecs: 4000\n")
    }

    @Test("softnet dropped → host.sysctl netdev_max_backlog")
    func backlogDrops() throws {
        let r = try Self.advise("backlog-drops")
        #expect(r.advice.map(\.knob) == ["netdev_max_backlog"])
        #expect(r.advice.first?.delta == 0x200)
        #expect(r.advice.first?.snippet == "host:\n  sysctl:\n    net.core.netdev_max_backlog: 2000\n")
    }

    @Test("every queue interrupt on CPU 0 → irqAffinity: spread (and not RPS: the queues share the load)")
    func oneCPU() throws {
        let r = try Self.advise("one-cpu")
        #expect(r.advice.map(\.knob) == ["irqAffinity"])
        #expect(r.advice.first?.delta == 20000)
        #expect(r.advice.first?.counter == "/proc/interrupts (irqs 40,41,42,43)")
        #expect(r.advice.first?.snippet.hasSuffix("      irqAffinity: spread\n") == true)
    }

    @Test("one queue for four CPUs where the driver allows eight → channels: {combined: 4}")
    func fewQueues() throws {
        let r = try Self.advise("few-queues")
        #expect(r.advice.map(\.knob) == ["channels"])
        #expect(r.advice.first?.snippet.hasSuffix("      channels: {combined: 4}\n") == true)
        #expect(r.advice.first?.delta == nil)
    }

    @Test("GRO off and changeable → offloads: {gro: true}")
    func groOff() throws {
        let r = try Self.advise("gro-off")
        #expect(r.advice.map(\.knob) == ["gro"])
        #expect(r.advice.first?.counter == "generic-receive-offload")
    }

    @Test("one queue taking nearly every interrupt → rps: {cpus: spread}, naming its irq and delta")
    func busyQueue() throws {
        let r = try Self.advise("busy-queue")
        #expect(r.advice.map(\.knob) == ["rps"])
        #expect(r.advice.first?.counter == "/proc/interrupts irq 40" && r.advice.first?.delta == 19000)
        #expect(r.advice.first?.symptom.contains("eth1-TxRx-0") == true)
        #expect(r.advice.first?.snippet.hasSuffix("      rps: {cpus: spread, flowEntries: 4096}\n") == true)
    }

    @Test("what was not read gives no advice and is reported: no rings, no interrupts, no sysctls")
    func unreadable() {
        var a = CounterSample(nic: "vt0", driver: "veth", link: LinkStats(), onlineCPUs: [0, 1],
                              unreadable: ["rings": "EOPNOTSUPP", "interrupts": "none", "net.core.netdev_budget": "absent"])
        let b = a
        a.link?.rxMissedErrors = 0
        let r = Advisor.advise(before: a, after: b, seconds: 1)
        #expect(r.advice.isEmpty)
        #expect(Set(r.unreadable.keys) == ["rings", "interrupts", "net.core.netdev_budget"])
    }
}

/// A fixture: `[settings]` (driver, rings RX MAX, channels combined N MAX, gro on|off, cpus LIST,
/// sysctl KEY VALUE, queue IRQ NAME) and per sample `[S link]` (`name value` counters as
/// `ip -s link` / ethtool name them), `[S softnet_stat]` and `[S interrupts]` as the kernel prints them.
struct AdvisorFixture {
    var sections: [String: [String]] = [:]

    init(parsing text: String) throws {
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix("#") {
            if line.hasPrefix("[") && line.hasSuffix("]") { current = String(line.dropFirst().dropLast()); continue }
            if !line.isEmpty { sections[current, default: []].append(String(line)) }
        }
    }

    func sample(_ which: String) throws -> CounterSample {
        var s = CounterSample(nic: "eth1")
        for line in sections["settings"] ?? [] {
            let w = line.split(separator: " ").map(String.init)
            switch w[0] {
            case "driver": s.driver = w[1]
            case "rings": s.rings = Ethtool.Rings(rx: Int(w[1])!, rxMax: Int(w[2])!, rxMini: 0, rxMiniMax: 0, rxJumbo: 0, rxJumboMax: 0, tx: 256, txMax: 4096)
            case "channels": s.channels = Ethtool.Channels(combined: Int(w[2])!, combinedMax: Int(w[3])!)
            case "gro": s.gro = Ethtool.Feature(active: w[1] == "on", requested: w[1] == "on", changeable: true)
            case "cpus": s.onlineCPUs = try CPUSet(parsing: w[1]).cpus
            case "sysctl": s.sysctls[w[1]] = w[2]
            default: break
            }
        }
        var link = LinkStats()
        for line in sections["\(which) link"] ?? [] {
            let w = line.split(separator: " ")
            let v = UInt64(w[1])!
            switch w[0] {
            case "rx_packets": link.rxPackets = v
            case "rx_missed_errors": link.rxMissedErrors = v
            case "rx_fifo_errors": link.rxFifoErrors = v
            default: break
            }
        }
        s.link = link
        s.softnet = try SoftnetStat(parsing: (sections["\(which) softnet_stat"] ?? []).joined(separator: "\n"))
        let table = try InterruptsTable(parsing: (sections["\(which) interrupts"] ?? []).joined(separator: "\n"))
        let queues = table.rows.compactMap { r in r.irq.map { QueueIRQ(irq: $0, name: r.actions.joined(separator: ",")) } }
        s.interrupts = CounterSample.queueInterrupts(queues, in: table)
        return s
    }
}

extension AdvisorTests {
    @Test("an RSS table that leaves rx queues without entries → rss: {equal: N} over all of them; a table over all queues → nothing")
    func rssTable() {
        var b = CounterSample(nic: "eth1", driver: "igb", channels: Ethtool.Channels(combined: 4, combinedMax: 8), onlineCPUs: [0, 1, 2, 3])
        b.rss = Ethtool.RSS(indirection: (0..<128).map { $0 % 2 })
        let r = Advisor.advise(before: b, after: b, seconds: 5)
        #expect(r.advice == [Advice(knob: "rss", symptom: "the RSS table of eth1 sends its 128 entries to queue 0, 1 only, of its 4 rx queues",
                                    counter: "ethtool -x", delta: nil, snippet: "nics:\n  - name: eth1\n    tuning:\n      rss: {equal: 4}\n")])
        b.rss = Ethtool.RSS(indirection: (0..<128).map { $0 % 4 })
        #expect(Advisor.advise(before: b, after: b, seconds: 5).advice.isEmpty)
    }
}
