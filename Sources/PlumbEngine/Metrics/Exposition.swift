/// Prometheus' text exposition format 0.0.4: per family one `# HELP` and one `# TYPE`
/// line, then its samples. Pure: values in, text out.
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable { case counter, gauge }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [MetricSample]

    public init(_ name: String, _ kind: Kind, help: String, samples: [MetricSample] = []) {
        self.name = name; self.kind = kind; self.help = help; self.samples = samples
    }
}

/// One sample: label pairs in the order given, and a value.
public struct MetricSample: Sendable, Equatable {
    public var labels: [(String, String)]
    public var value: MetricValue

    public init(_ labels: [(String, String)] = [], _ value: MetricValue) { self.labels = labels; self.value = value }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.value == b.value && a.labels.map { [$0.0, $0.1] } == b.labels.map { [$0.0, $0.1] }
    }
}

/// Counters are 64-bit integers in the kernel: printed as integers, never through a
/// Double (which loses precision above 2^53).
public enum MetricValue: Sendable, Equatable {
    case count(UInt64)
    case real(Double)

    public static func flag(_ on: Bool) -> MetricValue { .count(on ? 1 : 0) }

    var text: String {
        switch self {
        case .count(let n): return String(n)
        case .real(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
            return "\(d)"
        }
    }
}

public enum Exposition {
    /// The families as one exposition; families without samples are left out (a HELP
    /// with nothing under it tells a reader nothing), and free-form `notes` become
    /// comment lines at the top, where a human reading the file finds them.
    public static func render(_ families: [MetricFamily], notes: [String] = []) -> String {
        var out = notes.map { "# \(oneLine($0))\n" }.joined()
        for f in families where !f.samples.isEmpty {
            out += "# HELP \(f.name) \(escapeHelp(f.help))\n# TYPE \(f.name) \(f.kind.rawValue)\n"
            for s in f.samples { out += "\(f.name)\(labelText(s.labels)) \(s.value.text)\n" }
        }
        return out
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        // An empty label value is the same series as no label: leave it out.
        let shown = labels.filter { !$0.1.isEmpty }
        guard !shown.isEmpty else { return "" }
        return "{" + shown.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed.
    public static func escapeLabel(_ s: String) -> String { escape(s, quote: true) }

    /// HELP text escapes backslash and line feed (a quote is literal there).
    public static func escapeHelp(_ s: String) -> String { escape(s, quote: false) }

    /// By scalar, not by Character: "\r\n" is one Character in Swift, and its "\n" must go.
    static func escape(_ s: String, quote: Bool) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\"" where quote: out.append(contentsOf: "\\\"".unicodeScalars)
            default: out.append(u)
            }
        }
        return String(out)
    }

    /// A comment must stay on its line: any line break would start a new (unparsable) line.
    static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }
}
