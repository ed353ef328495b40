/// A set of CPUs, written the way the kernel writes and reads them in
/// `/proc/irq/N/smp_affinity_list` and `/sys/devices/system/cpu/online`: "0-3,5".
public struct CPUSet: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral, Codable {
    /// The largest CPU number accepted (the kernel's NR_CPUS ceiling is 8192).
    public static let maxCPU = 8191

    /// Sorted, without duplicates.
    public private(set) var cpus: [Int]

    public init<S: Sequence<Int>>(_ cpus: S) { self.cpus = Array(Set(cpus)).sorted() }
    public init(arrayLiteral cpus: Int...) { self.init(cpus) }

    /// Parses a CPU list: comma-separated numbers and ranges ("0-3,5"); surrounding
    /// whitespace (the newline sysfs ends with) is ignored and "" is the empty set.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpace()
        var cpus: [Int] = []
        if !trimmed.isEmpty {
            for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                cpus += try Self.range(item, in: text)
            }
        }
        self.init(cpus)
    }

    private static func range(_ item: Substring, in text: String) throws -> ClosedRange<Int> {
        let ends = item.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count) else { throw CPUListError(text: text, reason: "\"\(item)\" is not N or N-M") }
        let low = try number(ends[0], in: text)
        let high = ends.count == 2 ? try number(ends[1], in: text) : low
        guard low <= high else { throw CPUListError(text: text, reason: "range \"\(item)\" ends below its start") }
        return low...high
    }

    private static func number(_ digits: Substring, in text: String) throws -> Int {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), digits.count <= 5,
              let n = Int(digits) else {
            throw CPUListError(text: text, reason: "\"\(digits)\" is not a CPU number")
        }
        guard n <= maxCPU else { throw CPUListError(text: text, reason: "CPU \(n) is beyond \(maxCPU)") }
        return n
    }

    public var isEmpty: Bool { cpus.isEmpty }
    public var count: Int { cpus.count }
    public func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }

    /// The canonical list, as the kernel prints it: "0-3,5"; "" when empty.
    public var description: String {
        var parts: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// A CPU list that does not parse: the text and what is wrong with it.
public struct CPUListError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "CPU list \"\(text.trimmingSpace())\": \(reason)" }
}

extension CPUSet {
    /// Written as the kernel writes it: "0-3,5".
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
