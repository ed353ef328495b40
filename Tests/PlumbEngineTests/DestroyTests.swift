import PlumbEngine
import Foundation
import PlumbSystem
import Testing

/// Destroy removes what the record lists and restores the first originals, whatever
/// happened in between: a destroy cut short, a container dropped from the manifest,
/// tuning changed behind plumb's back.
@Suite("Destroy")
struct DestroyTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    @Test("a destroy cut short by the kernel keeps what is left in the record; the next destroy finishes")
    func interrupted() throws {
        let w = World()
        let start = w.kernel.snapshot()
        try w.engine().apply(mixed)
        w.kernel.fail("deleteLink", with: .busy)
        let error = #expect(throws: DestroyError.self) { try w.engine().destroy(mixed.owner) }
        #expect(error?.step.action.command == "ip link del dev br0")
        #expect(error?.errno == .busy)
        let left = try #require(try w.record(mixed))
        #expect(left.links.map(\.link.name) == ["br0"])
        #expect(left.namespaces.isEmpty && left.table == nil)
        #expect(w.kernel.host.link(named: "br0") != nil && w.kernel.named.isEmpty)
        try w.engine().destroy(mixed.owner)
        expectSame(w.kernel.snapshot(), start, "after the second destroy")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("a container dropped from the manifest keeps its namespace until destroy, which removes it")
    func droppedContainer() throws {
        let w = World()
        let start = w.kernel.snapshot()
        try w.engine().apply(mixed)
        let withoutDB = try layer(Manifests.mixed.replacingOccurrences(of: "  - name: db\n    netns: db\n", with: "  - name: gone\n    netns: gone\n")
            .replacingOccurrences(of: "hostName: veth-db", with: "hostName: veth-gone"))
        let plan = try w.engine().apply(withoutDB)
        // (web's IPv4-only forward has its own note.)
        #expect(plan.notes.filter { !$0.contains("forwards") } == ["netns db is no longer used by the manifest; it stays until plumb destroy"])
        #expect(w.kernel.named["db"] != nil && w.kernel.named["gone"] != nil)
        try w.engine().destroy(withoutDB.owner)
        expectSame(w.kernel.snapshot(), start, "after destroy")
    }

    @Test("tuning changed behind plumb's back is repaired, and destroy restores the value from before the first apply")
    func tuningDrift() throws {
        let w = World()
        try w.engine().apply(mixed)
        w.kernel.nics["eth1"]!.rings!.rx = 512
        w.kernel.irqAffinity[41] = [3]
        #expect(lines(try w.engine().plan(mixed)) == ["~ ethtool -G eth1 rx 1024", "~ echo 1 > /proc/irq/41/smp_affinity_list   (eth1-TxRx-1)"])
        try w.engine().apply(mixed)
        let nic = try #require(try w.record(mixed)?.nics.first)
        #expect(nic.ringsRx == Kept(original: 256, applied: 1024))
        #expect(try w.record(mixed)?.irqs.first { $0.irq == 41 }?.cpus.original == [0, 1, 2, 3])
        try w.engine().destroy(mixed.owner)
        #expect(w.kernel.nics["eth1"]!.rings!.rx == 256)
        #expect(w.kernel.irqAffinity[41] == [0, 1, 2, 3])
    }
}
