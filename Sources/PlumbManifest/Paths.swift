/// Manifest paths as users read them: `containers[1].interfaces[0].addresses[0]`.
enum ManifestPath {
    static func key(_ parent: String, _ key: String) -> String {
        let k = key.isEmpty ? "\"\"" : key   // an empty key still needs a visible path
        return parent.isEmpty ? k : parent + "." + k
    }

    static func index(_ parent: String, _ i: Int) -> String {
        "\(parent)[\(i)]"
    }

    /// True when one path is the other or lies inside it. Used to drop a semantic finding
    /// that rests on a value the decoder already rejected (it would only repeat that error).
    static func overlaps(_ a: String, _ b: String) -> Bool {
        if a.isEmpty || b.isEmpty || a == b { return true }
        return isInside(a, b) || isInside(b, a)
    }

    private static func isInside(_ inner: String, _ outer: String) -> Bool {
        guard inner.hasPrefix(outer) else { return false }
        let next = inner[inner.index(inner.startIndex, offsetBy: outer.count)]
        return next == "." || next == "["
    }
}
