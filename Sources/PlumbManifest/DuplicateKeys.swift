import Yams

/// Composes YAML into a node tree that may keep repeated mapping keys.
///
/// Yams rejects a mapping with a repeated key by throwing, with no tree, which would stop the
/// loader at the first mistake and lose the key's path. So on that error we rename the first
/// occurrence in the text (Yams tells where it is) with an invisible prefix and compose again.
/// The strict reader strips the prefix, sees the key twice and reports the second occurrence
/// with its path and line, then goes on to find the file's other mistakes.
enum DuplicateKeys {
    /// U+E000 (private use): valid inside any YAML scalar, never in a real manifest key.
    static let marker: Unicode.Scalar = "\u{E000}"

    /// Every round removes one repetition; beyond this many the file is not worth rescuing.
    static let maxRounds = 100

    // `.basic`: every scalar stays a plain string; the strict reader types values
    // itself, so the default resolver's regular expression per scalar is pure cost.

    static func compose(_ yaml: String) throws -> Node? {
        var text = yaml
        // Each round re-parses the whole file: bound the total to ~8 MB of parsing, so
        // a big file with many repeats reports its first ones instead of taking minutes.
        let rounds = max(1, min(maxRounds, (8 << 20) / max(1, yaml.utf8.count)))
        for round in 1...rounds {
            do {
                return try Yams.compose(yaml: text, .basic)
            } catch let error as YamlError {
                guard case .duplicatedKeysInMapping(_, let context) = error,
                      let renamed = rename(in: text, at: context.mark, round: round) else { throw error }
                text = renamed
            }
        }
        return try Yams.compose(yaml: text, .basic)
    }

    /// The key as written, without the prefix `compose` may have added.
    static func strip(_ key: String) -> String {
        guard key.unicodeScalars.first == marker else { return key }
        let rest = key.unicodeScalars.dropFirst()
        guard let end = rest.firstIndex(of: marker) else { return key }
        return String(String.UnicodeScalarView(rest[rest.index(after: end)...]))
    }

    /// Inserts the prefix at the key that starts at `mark` (inside its quotes when quoted).
    private static func rename(in text: String, at mark: Mark, round: Int) -> String? {
        var scalars = Array(text.unicodeScalars)
        guard var at = offset(of: mark, in: scalars), at < scalars.count else { return nil }
        if scalars[at] == "\"" || scalars[at] == "'" { at += 1 }
        guard at < scalars.count, scalars[at] != marker else { return nil }
        let prefix = "\(marker)\(round)\(marker)".unicodeScalars
        scalars.insert(contentsOf: prefix, at: at)
        return String(String.UnicodeScalarView(scalars))
    }

    /// libyaml counts lines and columns from 1, columns in Unicode scalars; "\r\n" is one break.
    private static func offset(of mark: Mark, in scalars: [Unicode.Scalar]) -> Int? {
        var line = 1, i = 0
        while line < mark.line {
            guard i < scalars.count else { return nil }
            let s = scalars[i]
            i += 1
            if s == "\n" || (s == "\r" && (i == scalars.count || scalars[i] != "\n")) { line += 1 }
        }
        return i + mark.column - 1
    }
}
