import ArgumentParser
import Foundation
import PlumbEngine
import PlumbManifest

/// Loads and validates the manifest, or prints every mistake and exits 1
/// before anything touches the kernel.
/// `requireNetns: false` for commands that work on any manifest, hook ones included.
func loadManifest(_ path: String, requireNetns: Bool = true) throws -> Manifest {
    do {
        return try ManifestLoader.load(path: path, requireNetns: requireNetns)
    } catch {
        fail(error)
    }
}

/// Prints `plumb: error: …` to stderr and exits 1.
func fail(_ error: Error) -> Never {
    printErr("plumb: error: \(error)")
    Foundation.exit(Exit.error.rawValue)
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
