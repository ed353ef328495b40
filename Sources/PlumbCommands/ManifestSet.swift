import Foundation
import PlumbEngine
import PlumbManifest

/// What a manifest argument names: one file, or a directory of manifests (`/etc/plumb/`,
/// as the service reads it). A directory's manifests are handled one by one, each in its
/// own transaction: one that is invalid, or whose apply fails, is reported and the others
/// still go — a node with one typo must still boot its other networks.
struct ManifestSet {
    /// One manifest of the set: loaded, or refused with the reason.
    struct Entry {
        var path: String
        var loaded: Result<LoadedManifest, Error>
    }

    var entries: [Entry]
    /// True when the argument was a directory: output then names each manifest's path.
    var isDirectory: Bool

    /// The manifests a directory holds, in byte order of their names (stable across
    /// machines and locales): regular files ending in .yaml, .yml or .json that are not
    /// hidden (editors' swap files and `.#x` locks are), symlinks followed.
    static func paths(inDirectory dir: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        return names.filter(isManifestName).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { (dir as NSString).appendingPathComponent($0) }
            .filter(isRegularFile)
    }

    static func isManifestName(_ name: String) -> Bool {
        !name.hasPrefix(".") && [".yaml", ".yml", ".json"].contains { name.hasSuffix($0) }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Loads `path`. A single file that is invalid ends the command (exit 1, nothing touched),
    /// as before; a directory's invalid manifests become refused entries.
    /// `watching`: a long-running watcher must not exit on a bad file (a SIGHUP after an
    /// edit could end it), so a single file's error becomes a refused entry too.
    static func load(_ path: String, requireNetns: Bool = true, watching: Bool = false) -> ManifestSet {
        guard isDirectory(path) || watching else {
            return ManifestSet(entries: [Entry(path: path, loaded: .success(loadManifest(path, requireNetns: requireNetns)))],
                               isDirectory: false)
        }
        let paths: [String]
        if !isDirectory(path) { paths = [path] } else {
            do { paths = try ManifestSet.paths(inDirectory: path) } catch { fail(error) }
        }
        var entries = paths.map { p in
            Entry(path: p, loaded: Result { () throws -> LoadedManifest in
                let m = try ManifestLoader.load(path: p, requireNetns: requireNetns)
                return LoadedManifest(manifest: m, identity: identity(of: m, at: p))
            })
        }
        refuseSharedIdentities(&entries)
        return ManifestSet(entries: entries, isDirectory: true)
    }

    /// Two files of one directory that declare the same `name:` would be one owner with two
    /// desired states, each apply undoing the other's: refuse every one of them, by path.
    private static func refuseSharedIdentities(_ entries: inout [Entry]) {
        var byID: [OwnerID: [Int]] = [:]
        for (i, e) in entries.enumerated() { if case .success(let m) = e.loaded { byID[m.owner.id, default: []].append(i) } }
        for (_, indexes) in byID where indexes.count > 1 {
            let paths = indexes.map { entries[$0].path }
            for i in indexes {
                guard case .success(let m) = entries[i].loaded else { continue }
                entries[i].loaded = .failure(SharedNameError(path: entries[i].path, name: m.manifest.name,
                                                             others: paths.filter { $0 != entries[i].path }))
            }
        }
    }

    /// Runs `body` for each loaded manifest, printing a refused one's error; returns each
    /// outcome in order. `body`'s own errors are caught per manifest, never ending the set.
    func each<T>(_ body: (LoadedManifest) throws -> T) -> [Outcome<T>] {
        entries.map { entry in
            switch entry.loaded {
            case .failure(let error):
                return Outcome(path: entry.path, result: .failure(error))
            case .success(let m):
                do { return Outcome(path: entry.path, result: .success(try body(m))) } catch {
                    return Outcome(path: entry.path, result: .failure(error))
                }
            }
        }
    }
}

/// What one manifest of a set came to.
struct Outcome<T> {
    var path: String
    var result: Result<T, Error>
    var error: Error? { if case .failure(let e) = result { return e }; return nil }
    var value: T? { try? result.get() }
}

struct SharedNameError: Error, CustomStringConvertible {
    var path: String, name: String, others: [String]
    var description: String {
        "\(path): declares name: \(name), as \(others.joined(separator: ", ")) does; "
            + "two manifests with one name would undo each other: rename one"
    }
}

/// A directory's result as JSON: one object per manifest, in the order they ran.
struct SetEntryOutput<T: Encodable>: Encodable {
    var path: String
    var error: String?
    var result: T?
}

/// Prints each failed manifest's error as `plumb: error: …` on stderr (the journal's line),
/// naming the manifest's path when the error does not already (a plan refusal names a
/// field and line, but of which file is only clear from the path).
func reportFailures<T>(_ set: ManifestSet, _ outcomes: [Outcome<T>]) {
    for o in outcomes {
        guard let e = o.error else { continue }
        printErr("plumb: error: \(describeNamingPath(e, o.path, set.isDirectory))")
    }
}

func describeNamingPath(_ e: Error, _ path: String, _ inDirectory: Bool) -> String {
    let named = e is ManifestError || e is SharedNameError || !inDirectory
    return named ? describe(e) : "\(path): \(describe(e))"
}

/// JSON of a directory run, or of the single manifest's value.
func printSetJSON<T: Encodable>(_ set: ManifestSet, _ outcomes: [Outcome<T>]) {
    if set.isDirectory {
        printJSON(outcomes.map { o in SetEntryOutput(path: o.path, error: o.error.map { describeNamingPath($0, o.path, true) }, result: o.value) })
    } else if let v = outcomes.first?.value {
        printJSON(v)
    }
}

/// Text of a directory run: each manifest's own text under its path.
func printSetText<T>(_ set: ManifestSet, _ outcomes: [Outcome<T>], _ render: (T) -> String) {
    for o in outcomes {
        guard let v = o.value else { continue }
        if set.isDirectory { print("== \(o.path)") }
        print(render(v))
    }
    if set.isDirectory && set.entries.isEmpty { printErr("plumb: no manifests (*.yaml, *.yml, *.json) in the directory") }
}
