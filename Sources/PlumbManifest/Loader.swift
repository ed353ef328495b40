import Foundation
import Glibc
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
        return Normalise.manifest(manifest)
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

    /// The file's text, or the one diagnostic that says why it cannot be had. Only a
    /// regular file is read (a FIFO would block, /dev/zero never end), at most one byte
    /// past the size limit.
    static func readText(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw unreadable(errno) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is a directory")
        default: throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is not a regular file (a pipe, socket or device)")
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(errno) }
        defer { close(fd) }
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is not a regular file (a pipe, socket or device)")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= Limits.maxBytes {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw unreadable(errno) }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        if bytes.count > Limits.maxBytes {
            throw ManifestDiagnostic(path: "", line: nil, message: "the manifest is larger than \(Limits.maxBytes) bytes; plumb reads manifests of at most \(Limits.maxBytes) bytes (\(Limits.maxBytes >> 20) MiB)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: it is not UTF-8 text")
        }
        return text
    }

    static func unreadable(_ e: Int32) -> ManifestDiagnostic {
        let why: String
        switch e {
        case ENOENT: why = "it does not exist"
        case EACCES, EPERM: why = "permission denied"
        case ENOTDIR: why = "a part of its path is not a directory"
        case ELOOP: why = "too many symbolic links"
        default: why = String(cString: strerror(e))
        }
        return ManifestDiagnostic(path: "", line: nil, message: "cannot read the file: \(why)")
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
