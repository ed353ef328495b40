import ArgumentParser
import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem

/// A manifest as a command uses it: the model and whose it is.
struct LoadedManifest {
    var manifest: Manifest
    var identity: ManifestIdentity
    var layer: Layer { .manifest(manifest, identity: identity) }
    var owner: Owner { .manifest(identity) }
}

/// Loads and validates the manifest, or prints every mistake and exits 1 before
/// anything touches the kernel. `requireNetns: false` for commands that work on any
/// manifest, hook ones included.
func loadManifest(_ path: String, requireNetns: Bool = true) -> LoadedManifest {
    do {
        let m = try ManifestLoader.load(path: path, requireNetns: requireNetns)
        return LoadedManifest(manifest: m, identity: identity(of: m, at: path))
    } catch {
        fail(error)
    }
}

/// A manifest that names itself is that name wherever its file is; one named after
/// its file is that file (two `web.yaml` in two folders are two manifests).
func identity(of m: Manifest, at path: String) -> ManifestIdentity {
    ManifestIdentity(name: m.name, source: m.declaresName ? nil : canonicalPath(path))
}

/// The absolute path with symlinks resolved, so `./web.yaml` and `/etc/plumb/web.yaml` agree.
func canonicalPath(_ path: String) -> String {
    guard let p = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
    defer { free(p) }
    return String(cString: p)
}

/// Prints `plumb: error: …` to stderr and exits 1.
func fail(_ error: Error) -> Never {
    printErr("plumb: error: \(describe(error))")
    Foundation.exit(Exit.error.rawValue)
}

/// An error as a user reads it: its text, and for a permission failure the capability missing.
func describe(_ error: Error) -> String {
    var text = "\(error)"
    if !(error is ApplyError), !(error is DestroyError), let hint = (error as? any ErrnoCarrying)?.errno.hint {
        text += "\n  \(hint)"
    }
    return text
}

func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs `body`, turning any thrown error into the documented exit 1 with its text.
func run<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch let e as ExitCode { Foundation.exit(e.rawValue) } catch { fail(error) }
}

func printJSON<T: Encodable>(_ value: T) {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? enc.encode(value)) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// Prints progress of long applies to stderr (stdout stays machine-readable).
func progressPrinter(enabled: Bool) -> (Int, Int, Step) -> Void {
    guard enabled else { return { _, _, _ in } }
    var last = 0
    return { i, n, _ in
        guard n >= 200 else { return }
        let pct = i * 100 / n
        if pct >= last + 10 || i == n { last = pct; printErr("plumb: \(i)/\(n) steps (\(pct)%)") }
    }
}

/// The engine on the real kernel, with the test-only fault seam.
func makeEngine(allowDisruptive: Bool = false) throws -> Engine {
    let e = try Engine()
    e.allowDisruptive = allowDisruptive
    #if DEBUG
    e.faultStep = Environment.value("PLUMB_FAULT_STEP").flatMap { Int($0) }
    #endif
    return e
}
