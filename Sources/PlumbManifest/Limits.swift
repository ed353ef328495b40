import Yams

/// Bounds that keep a hostile manifest from costing unbounded time or memory:
/// a manifest is data a person wrote, so a few MiB and a few hundred thousand
/// values are far beyond any real one (1000 containers take about 170 KB).
enum Limits {
    static let maxBytes = 4 << 20
    static let maxValues = 200_000

    static func checkSize(_ text: String) throws {
        let n = text.utf8.count
        guard n <= maxBytes else {
            throw ManifestDiagnostic(path: "", line: nil,
                message: "the manifest is \(n) bytes; plumb reads manifests of at most \(maxBytes) bytes (\(maxBytes >> 20) MiB)")
        }
    }

    /// A tree of more than `maxValues` values is refused: a few YAML aliases can
    /// expand to millions (the "billion laughs"; Yams expands them when composing,
    /// sharing storage, so the tree is cheap to hold but not to decode). The walk
    /// stops at the limit, so it is bounded too.
    static func checkTree(_ root: Node) throws {
        var count = 0
        var stack = [root]
        while let node = stack.popLast() {
            count += 1
            if count > maxValues {
                throw ManifestDiagnostic(path: "", line: nil, message: "the manifest has more than \(maxValues) values; plumb refuses it")
            }
            switch node {
            case .scalar, .alias: break
            case .mapping(let m): for (k, v) in m { stack.append(k); stack.append(v) }
            case .sequence(let s): stack.append(contentsOf: s)
            }
        }
    }
}
