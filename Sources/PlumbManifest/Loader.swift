import Foundation
import Yams

/// Reads a manifest file into a model that is valid as a whole, or throws a `ManifestError`
/// listing every problem with its path and line.
public enum ManifestLoader {
    /// The manifest at `path`; its base name without extension is the default `name`.
    public static func load(path: String, requireNetns: Bool = true) throws -> Manifest {
        let text: String
        do {
            text = try readText(path)
        } catch let problem as ManifestDiagnostic {
            throw ManifestError(file: path, diagnostics: [problem])
        }
        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, file: path, defaultName: base, requireNetns: requireNetns)
    }

    /// Decodes and validates YAML or JSON text. `file` only labels the error.
    public static func parse(_ text: String, file: String = "<input>", defaultName: String,
                             requireNetns: Bool = true) throws -> Manifest {
        let root: Node
        do {
            try Limits.checkSize(text)
            guard let node = try DuplicateKeys.compose(text) else {
                throw ManifestDiagnostic(path: "", line: nil, message: "the manifest is empty; it needs at least version: 1")
            }
            try Limits.checkTree(node)
            root = node
        } catch let error as YamlError {
            throw ManifestError(file: file, diagnostics: [syntaxDiagnostic(error)])
        } catch let problem as ManifestDiagnostic {
            throw ManifestError(file: file, diagnostics: [problem])
        }
        let (manifest, problems) = decodeAndValidate(root, defaultName: defaultName, requireNetns: requireNetns)
        guard problems.isEmpty else { throw ManifestError(file: file, diagnostics: problems) }
        return manifest
    }

    /// Decoder problems plus the semantic findings that do not rest on a rejected value, by line.
    static func decodeAndValidate(_ root: Node, defaultName: String, requireNetns: Bool)
        -> (Manifest, [ManifestDiagnostic]) {
        let log = ReadLog()
        let fallback = NameRules.sanitizedManifestName(defaultName)
        var manifest = Decode.manifest(NodeReader(node: root, path: "", line: root.mark?.line, log: log),
                                       defaultName: fallback)
        manifest.lines = SourceLines(log.lines)
        if manifest.name == fallback, log.lines["name"] == nil, !NameRules.isValidManifestName(fallback) {
            log.fail("name", nil, "\"\(fallback)\" (from the file name) is not a valid manifest name "
                     + "(1-32 of a-z 0-9 . _ -, starting with a letter or digit); add a name: key")
        }
        let rejected = log.rejected
        let findings = Validator.findings(manifest, requireNetns: requireNetns).filter { f in
            !f.involves.contains { p in rejected.contains { ManifestPath.overlaps(p, $0) } }
        }
        return (manifest, ManifestDiagnostic.sortedByLine(log.diagnostics + findings.map(\.diagnostic)))
    }

    /// The file's text, or the one diagnostic that says why it cannot be had.
    static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is not UTF-8 text")
        }
        return text
    }

    /// A YAML syntax error as a diagnostic: libyaml's own words, at its line.
    static func syntaxDiagnostic(_ error: YamlError) -> ManifestDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            // libyaml's own order: "while parsing a flow sequence: did not find expected ','".
            let lead = context.map { "\($0.text): " } ?? ""
            return ManifestDiagnostic(path: "", line: mark.line, message: "invalid YAML: \(lead)\(problem)")
        case .reader(let problem, let offset, _, let yaml):
            // offset counts Characters from the start; libyaml stops at the first bad one.
            let line = offset.map { yaml.prefix($0).filter { $0 == "\n" || $0 == "\r\n" }.count + 1 }
            return ManifestDiagnostic(path: "", line: line, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let keys, let context):
            let list = keys.joined(separator: ", ")
            return ManifestDiagnostic(path: "", line: context.mark.line, message: "invalid YAML: duplicate key \(list)")
        default:
            return ManifestDiagnostic(path: "", line: nil, message: "invalid YAML: \(error)")
        }
    }
}
