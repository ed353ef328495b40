import PlumbTypes
import Testing
@testable import PlumbSystem

/// A 4-CPU x86 host with an Intel 82576 (igb) as eth1 and eth2: one link vector and
/// four TxRx queue vectors each, plus the usual legacy and per-CPU rows.
let igbInterrupts = """
            CPU0       CPU1       CPU2       CPU3       
   0:         36          0          0          0   IO-APIC   2-edge      timer
   8:          0          0          1          0   IO-APIC   8-edge      rtc0
   9:          0          4          0          0   IO-APIC   9-fasteoi   acpi
  16:          0          0         29          0   IO-APIC  16-fasteoi   ehci_hcd:usb1, i801_smbus
 124:          0          0          0          1  IR-PCI-MSI 1048576-edge      eth1
 125:     193845          0          0          0  IR-PCI-MSI 1048577-edge      eth1-TxRx-0
 126:          0      88231          0          0  IR-PCI-MSI 1048578-edge      eth1-TxRx-1
 127:          0          0      51002          0  IR-PCI-MSI 1048579-edge      eth1-TxRx-2
 128:          0          0          0      47110  IR-PCI-MSI 1048580-edge      eth1-TxRx-3
 129:         12          0          0          0  IR-PCI-MSI 1050624-edge      eth2
 130:          7          0          0          0  IR-PCI-MSI 1050625-edge      eth2-TxRx-0
 NMI:         12         11          9         10   Non-maskable interrupts
 LOC:    1022335     998123     976512     965432   Local timer interrupts
 RES:       7187       4285       3311       2900   Rescheduling interrupts
 ERR:          0
 MIS:          0
"""

/// A 2-CPU virtio guest (this kind of CI machine): MSI-X chips named by PCI address.
let virtioInterrupts = """
           CPU0       CPU1       
 26:          0         15  IO-APIC   4-edge      ttyS0
 37:          0          0 PCI-MSIX-0000:00:03.0   0-edge      virtio2-config
 38:          0       1636 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
 39:       1259          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
LOC:      29740      34081   Local timer interrupts
"""

/// An arm64 host: GIC rows print the hardware irq and "Level"/"Edge" as two columns.
let armInterrupts = """
           CPU0       CPU1       CPU2       CPU3
 11:     123456     120001     119000     118500     GICv3  27 Level     arch_timer
 45:       9812          0          0          0   ITS-MSI 524288 Edge      eth0-rx-0
IPI0:      2211       2301       2099       2400       Rescheduling interrupts
"""

@Suite("/proc/interrupts")
struct InterruptsTests {
    @Test("reads the CPU columns and every row")
    func shape() throws {
        let table = try InterruptsTable(parsing: igbInterrupts)
        #expect(table.cpus == [0, 1, 2, 3])
        #expect(table.rows.count == 16)
        #expect(table.rows.map(\.label).suffix(5) == ["NMI", "LOC", "RES", "ERR", "MIS"])
    }

    @Test("a queue vector's counts, chip and name")
    func queueRow() throws {
        let row = try #require(try InterruptsTable(parsing: igbInterrupts)[126])
        #expect(row.counts == [0, 88231, 0, 0])
        #expect(row.total == 88231)
        #expect(row.chip == "IR-PCI-MSI")
        #expect(row.actions == ["eth1-TxRx-1"])
    }

    @Test("a shared line lists each handler")
    func sharedLine() throws {
        let row = try #require(try InterruptsTable(parsing: igbInterrupts)[16])
        #expect(row.chip == "IO-APIC")
        #expect(row.actions == ["ehci_hcd:usb1", "i801_smbus"])
    }

    @Test("named rows keep their text; short rows have fewer counts")
    func namedRows() throws {
        let table = try InterruptsTable(parsing: igbInterrupts)
        let loc = try #require(table.rows.first { $0.label == "LOC" })
        #expect(loc.irq == nil)
        #expect(loc.counts == [1022335, 998123, 976512, 965432])
        #expect(loc.text == "Local timer interrupts")
        #expect(loc.actions.isEmpty)
        let err = try #require(table.rows.first { $0.label == "ERR" })
        #expect(err.counts == [0])
    }

    @Test("chips named by PCI address, as on virtio")
    func virtio() throws {
        let row = try #require(try InterruptsTable(parsing: virtioInterrupts)[38])
        #expect(row.chip == "PCI-MSIX-0000:00:03.0")
        #expect(row.actions == ["virtio2-input.0"])
        #expect(row.counts == [0, 1636])
    }

    @Test("ARM's separate hardware irq and Level/Edge columns")
    func arm() throws {
        let table = try InterruptsTable(parsing: armInterrupts)
        #expect(table[11]?.chip == "GICv3")
        #expect(table[11]?.actions == ["arch_timer"])
        #expect(table[45]?.chip == "ITS-MSI")
        #expect(table[45]?.actions == ["eth0-rx-0"])
        #expect(table.rows.last?.label == "IPI0")
    }

    @Test("a missing CPU header is an error naming the file and line")
    func badHeader() {
        let error = #expect(throws: ProcFormatError.self) { try InterruptsTable(parsing: " 0: 36 IO-APIC 2-edge timer\n") }
        #expect(error?.description == "/proc/interrupts line 1: \"0:\" is not a CPUn column")
    }

    @Test("queue IRQs are the device's vectors named IFNAME-…, without the link vector")
    func igbQueues() throws {
        let table = try InterruptsTable(parsing: igbInterrupts)
        let queues = IRQs.queueIRQs(ifname: "eth1", vectors: [128, 124, 125, 126, 127], interrupts: table)
        #expect(queues.map(\.irq) == [125, 126, 127, 128])
        #expect(queues.map(\.name) == ["eth1-TxRx-0", "eth1-TxRx-1", "eth1-TxRx-2", "eth1-TxRx-3"])
        // eth2's own vectors only; eth1-TxRx-* are not its business.
        let eth2 = IRQs.queueIRQs(ifname: "eth2", vectors: [129, 130], interrupts: table)
        #expect(eth2.map(\.description) == ["130 eth2-TxRx-0"])
    }

    @Test("without vectors named after the interface, all of the device's vectors")
    func virtioQueues() throws {
        let table = try InterruptsTable(parsing: virtioInterrupts)
        let queues = IRQs.queueIRQs(ifname: "eth0", vectors: [37, 38, 39], interrupts: table)
        #expect(queues.map(\.name) == ["virtio2-config", "virtio2-input.0", "virtio2-output.0"])
    }

    @Test("planning spread for the igb queues of the fixture")
    func spreadIgb() throws {
        let table = try InterruptsTable(parsing: igbInterrupts)
        let queues = IRQs.queueIRQs(ifname: "eth1", vectors: [124, 125, 126, 127, 128], interrupts: table)
        let plan = IRQs.spread(queues.map(\.irq), over: try CPUSet(parsing: "0-1"))
        #expect(plan == [IRQAffinity(irq: 125, cpus: [0]), IRQAffinity(irq: 126, cpus: [1]),
                         IRQAffinity(irq: 127, cpus: [0]), IRQAffinity(irq: 128, cpus: [1])])
    }

    @Test("this machine's /proc/interrupts parses with one column per online CPU")
    func live() throws {
        let table = try InterruptsTable.read()
        let online = try IRQs.onlineCPUs()
        #expect(table.cpus == online.cpus)
        #expect(table.rows.contains { $0.label == "LOC" && $0.counts.count == online.count })
        #expect(try IRQs.msiVectors(of: "lo").isEmpty)
    }
}
