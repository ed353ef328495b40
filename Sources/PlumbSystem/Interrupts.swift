import PlumbTypes
/// A procfs file whose text does not have the expected shape.
public struct ProcFormatError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String
    public init(file: String, line: Int, reason: String) { self.file = file; self.line = line; self.reason = reason }
    public var description: String { "\(file) line \(line): \(reason)" }
}

/// One row of /proc/interrupts:
/// ` 125:     193845          0  IR-PCI-MSI 1048577-edge      eth1-TxRx-0`.
public struct InterruptRow: Hashable, Sendable {
    /// "125", or a named row's label: "NMI", "LOC", "ERR".
    public var label: String
    /// The IRQ number of a numeric row.
    public var irq: Int? { Int(label) }
    /// Interrupts delivered to each CPU, in the header's column order.
    public var counts: [UInt64]
    /// Everything after the counts: "IR-PCI-MSI 1048577-edge eth1-TxRx-0", "Local timer interrupts".
    public var text: String
    /// The irq_chip of a numeric row ("IR-PCI-MSI", "PCI-MSIX-0000:00:03.0"); "" for named rows.
    public var chip: String
    /// The handlers' names of a numeric row (["eth1-TxRx-0"]; shared lines list several).
    public var actions: [String]

    public var total: UInt64 { counts.reduce(0, +) }
}

/// /proc/interrupts: the CPUs of its columns and its rows.
public struct InterruptsTable: Sendable {
    public static let path = "/proc/interrupts"
    /// The CPU number of each count column (offline CPUs have none).
    public var cpus: [Int]
    public var rows: [InterruptRow]

    /// Equivalent to: `cat /proc/interrupts`.
    public static func read() throws -> InterruptsTable {
        try InterruptsTable(parsing: Files.read(path))
    }

    public init(parsing text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first else { throw ProcFormatError(file: Self.path, line: 1, reason: "empty") }
        cpus = try header.split(separator: " ").map { column in
            guard column.hasPrefix("CPU"), let n = Int(column.dropFirst(3)) else {
                throw ProcFormatError(file: Self.path, line: 1, reason: "\"\(column)\" is not a CPUn column")
            }
            return n
        }
        let columns = cpus.count
        rows = try lines.dropFirst().enumerated().map { i, line in
            try Self.row(line, columns: columns, lineNumber: i + 2)
        }
    }

    public subscript(irq: Int) -> InterruptRow? { rows.first { $0.irq == irq } }

    /// Splits "label: counts… text" and the text of numeric rows into chip and actions.
    static func row(_ line: Substring, columns: Int, lineNumber: Int) throws -> InterruptRow {
        guard let colon = line.firstIndex(of: ":") else {
            throw ProcFormatError(file: path, line: lineNumber, reason: "no \"label:\"")
        }
        let label = line[..<colon].trimmingSpace()
        var tokens = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        var counts: [UInt64] = []
        while counts.count < columns, let first = tokens.first, let n = UInt64(first) {
            counts.append(n); tokens = tokens.dropFirst()
        }
        var row = InterruptRow(label: label, counts: counts, text: tokens.joined(separator: " "), chip: "", actions: [])
        if row.irq != nil { (row.chip, row.actions) = chipAndActions(Array(tokens)) }
        return row
    }

    /// After the counts a numeric row has the chip, the hardware irq and flow
    /// ("1048577-edge", "9-fasteoi"; on ARM "27 Level"), then the actions
    /// ("ehci_hcd:usb1, i801_smbus"). Old kernels fuse chip and flow ("PCI-MSI-edge").
    static func chipAndActions(_ tokens: [Substring]) -> (String, [String]) {
        guard !tokens.isEmpty else { return ("", []) }
        let flow = tokens.indices.dropFirst().first { isFlow(tokens[$0]) }
        var chip = tokens[..<(flow ?? 1)]
        if flow != nil, chip.count > 1, chip.last!.allSatisfy(\.isNumber) { chip = chip.dropLast() }
        let actions = tokens[(flow.map { $0 + 1 } ?? 1)...].joined(separator: " ").split(separator: ",")
        return (chip.joined(separator: " "), actions.map { $0.trimmingSpace() }.filter { !$0.isEmpty })
    }

    /// "1048577-edge", "9-fasteoi", or ARM's "Level" / "Edge".
    private static func isFlow(_ token: Substring) -> Bool {
        if token == "Level" || token == "Edge" { return true }
        guard let dash = token.firstIndex(of: "-") else { return false }
        let hwirq = token[..<dash], flow = token[token.index(after: dash)...]
        return !hwirq.isEmpty && hwirq.allSatisfy(\.isNumber) && !flow.isEmpty && flow.allSatisfy(\.isLetter)
    }
}
