/// CPU lists as the kernel's `smp_affinity_list` takes them: "0", "1-3,5".
enum CPUList {
    /// The CPUs named, or nil when the text is not a CPU list (empty item, "3-1", letters).
    /// The highest CPU number accepted (the kernel's NR_CPUS limit, 8192 CPUs):
    /// ranges are checked, never expanded, so "0-99999" × 2000 costs nothing.
    static let maxCPU = 8191

    static func parse(_ text: String) -> [ClosedRange<Int>]? {
        var ranges: [ClosedRange<Int>] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let range = parseItem(item), range.upperBound <= maxCPU else { return nil }
            ranges.append(range)
        }
        return ranges
    }

    private static func parseItem(_ item: Substring) -> ClosedRange<Int>? {
        let ends = item.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let low = number(ends[0]) else { return nil }
        guard ends.count == 2 else { return low...low }
        guard let high = number(ends[1]), low <= high else { return nil }
        return low...high
    }

    /// Digits only: `Int("+1")` would accept a sign the kernel does not.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(text)
    }
}
