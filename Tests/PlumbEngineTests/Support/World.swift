import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem
import Glibc

/// One test's world: a fake kernel and a record store in a private temporary directory
/// (what /run/plumb is to the real tool).
final class World {
    let kernel: FakeKernel
    let store: RecordStore
    let directory: String

    init(_ kernel: FakeKernel = .standard()) {
        self.kernel = kernel
        directory = NSTemporaryDirectory() + "plumb-engine-tests-" + UUID().uuidString
        store = RecordStore(directory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func engine(faultStep: Int? = nil) -> Engine {
        let e = Engine(kernel: kernel, store: store)
        e.faultStep = faultStep
        return e
    }

    /// The record files, by name, with their bytes: what the store holds.
    func recordFiles() -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var out: [String: String] = [:]
        for n in names where !n.hasPrefix(".") {
            out[n] = (try? String(contentsOfFile: "\(directory)/\(n)", encoding: .utf8)) ?? "<unreadable>"
        }
        return out
    }

    func record(_ layer: Layer) throws -> Record? { try store.load(layer.owner) }
}

/// A CLI manifest's layer, as `plumb apply` makes it for a manifest that names itself.
func layer(_ yaml: String, name: String = "t") throws -> Layer {
    let m = try ManifestLoader.parse(yaml, defaultName: name)
    return Layer.manifest(m, identity: ManifestIdentity(name: m.name, source: nil))
}

/// The plan's lines as `plumb plan` prints its steps.
func lines(_ plan: Plan) -> [String] { plan.steps.map(\.summary) }

extension Errno {
    /// ENOBUFS: what the kernel answers when it is short of memory for a request.
    static let noBufferSpace = Errno(rawValue: ENOBUFS)
}
