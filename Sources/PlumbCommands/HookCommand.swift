import ArgumentParser
import Foundation
import PlumbEngine
import PlumbManifest

/// `plumb hook STAGE MANIFEST`: an OCI runtime hook (config.json `hooks`, or a
/// podman/CRI-O hooks.d entry). The runtime writes the container's state JSON on stdin.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run as an OCI runtime hook: provision a container at createRuntime, tear it down at poststop.",
        discussion: """
        The container entry is the one named by the annotation plumb.network/container,
        else the one whose name equals the OCI container id; its netns is the state's
        pid (/proc/PID/ns/net), so the entry may leave netns out. The manifest's bridges
        are created if missing and stay after poststop (plumb destroy MANIFEST removes
        them). A relative MANIFEST resolves against the bundle. A failing createRuntime
        leaves nothing behind: runtimes do not run poststop after it.

        In config.json (a timeout matters: runtimes wait forever without one):
          "hooks": {
            "createRuntime": [{"path": "/usr/local/bin/plumb",
              "args": ["plumb", "hook", "createRuntime", "/etc/plumb/web.yaml"], "timeout": 10}],
            "poststop": [{"path": "/usr/local/bin/plumb",
              "args": ["plumb", "hook", "poststop", "/etc/plumb/web.yaml"], "timeout": 10}]
          }
        """)

    enum Stage: String, ExpressibleByArgument, CaseIterable { case prestart, createRuntime, poststop }

    @Argument(help: "prestart, createRuntime or poststop.")
    var stage: Stage

    @Argument(help: "The manifest; relative paths resolve against the bundle.")
    var manifest: String

    func run() throws {
        let state = PlumbCommands.run { try OCIState.read(FileHandle.standardInput.readDataToEndOfFile()) }
        let path = manifest.hasPrefix("/") ? manifest : (state.bundle as NSString).appendingPathComponent(manifest)
        let m: Manifest
        do { m = try ManifestLoader.load(path: path, requireNetns: false) } catch { fail(error) }
        let c = PlumbCommands.run { try state.container(in: m) }
        PlumbCommands.run {
            switch stage {
            case .prestart, .createRuntime: try create(m, c, state: state)
            case .poststop: try Engine(manifest: Layers.container(m, c, netns: nil)).destroy()
            }
        }
    }

    /// Host layer, then the container's layer, verified. If the container's part
    /// fails, a host layer this call created goes too: nothing is left behind.
    func create(_ m: Manifest, _ c: Container, state: OCIState) throws {
        guard let pid = state.pid, pid > 0 else {
            throw HookError("\(stage.rawValue): the state of container \(state.id) has no pid; plumb needs the container's process to find its network namespace")
        }
        let host = try Engine(manifest: Layers.host(m))
        let hostExisted = try host.store.load(m.name) != nil
        try host.apply()
        do {
            let layer = try Engine(manifest: Layers.container(m, c, netns: .pid(pid)))
            try layer.apply()
            let report = try layer.verify()
            guard report.ok else {
                try layer.destroy()
                let failed = report.containers.flatMap(\.checks).filter { $0.status == .fail }
                throw HookError("container \(c.name) failed verification: " + failed.map { "\($0.interface.map { "\($0) " } ?? "")\($0.name): expected \($0.expected), observed \($0.observed)" }.joined(separator: "; "))
            }
        } catch {
            if !hostExisted { _ = try? host.destroy() }
            throw error
        }
    }
}

struct HookError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The OCI runtime state (runtime-spec `state`), as runtimes really send it:
/// crun says "created" at createRuntime, and pid is 0 or absent at poststop.
struct OCIState: Decodable {
    var ociVersion: String?
    var id: String
    var status: String?
    var pid: Int?
    var bundle: String
    var annotations: [String: String]?

    static let annotation = "plumb.network/container"

    static func read(_ data: Data) throws -> OCIState {
        do { return try JSONDecoder().decode(OCIState.self, from: data) } catch {
            throw HookError("the OCI state on stdin is not valid (\(describe(error))); expected {\"ociVersion\", \"id\", \"pid\", \"bundle\", \"annotations\"}")
        }
    }

    /// The entry named by the annotation, else the one whose name is the OCI id.
    func container(in m: Manifest) throws -> Container {
        let wanted = annotations?[OCIState.annotation] ?? id
        guard let c = m.containers.first(where: { $0.name == wanted }) else {
            let via = annotations?[OCIState.annotation] != nil ? "annotation \(OCIState.annotation)=\(wanted)" : "OCI id \(id) (no \(OCIState.annotation) annotation)"
            throw HookError("manifest \(m.name) has no container entry for \(via); its containers: \(m.containers.map(\.name).joined(separator: ", "))")
        }
        return c
    }

    static func describe(_ e: Error) -> String {
        switch e {
        case DecodingError.keyNotFound(let k, _): return "missing key \(k.stringValue)"
        case DecodingError.typeMismatch(_, let ctx): return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): wrong type"
        case DecodingError.dataCorrupted(let ctx): return ctx.debugDescription
        default: return "\(e)"
        }
    }
}
