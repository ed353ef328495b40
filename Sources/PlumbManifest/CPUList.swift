/// CPU lists as the kernel's `smp_affinity_list` takes them: "0", "1-3,5".
enum CPUList {
    /// The CPUs named, or nil when the text is not a CPU list (empty item, "3-1", letters).
    static func parse(_ text: String) -> [Int]? {
        var cpus: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let range = parseItem(item) else { return nil }
            cpus += range
        }
        return cpus
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
