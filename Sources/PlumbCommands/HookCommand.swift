import ArgumentParser
import Foundation
import PlumbEngine
import PlumbJSON
import PlumbManifest
import PlumbTypes

/// `plumb hook STAGE MANIFEST`: an OCI runtime hook (config.json `hooks`, or a
/// podman/CRI-O hooks.d entry). The runtime writes the container's state JSON on stdin.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run as an OCI runtime hook: provision a container at createRuntime, tear it down at poststop.",
        discussion: """
        The container entry is the one named by the annotation plumb.network/container,
        else the one whose name equals the OCI container id; its netns is the state's
        pid (/proc/PID/ns/net), so the entry may leave netns out. One entry serves one
        container at a time: a second live container claiming it is refused. The
        manifest's bridges are created if missing and stay after poststop (plumb destroy
        MANIFEST removes them). A relative MANIFEST resolves against the bundle. A failing
        createRuntime leaves nothing behind: runtimes do not run poststop after it.

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
        let state = PlumbCommands.run { try OCIState.read(FileHandle.standardInput) }
        let path = manifest.hasPrefix("/") ? manifest : (state.bundle as NSString).appendingPathComponent(manifest)
        let m = loadManifest(path, requireNetns: false)
        let c = PlumbCommands.run { try state.container(in: m.manifest) }
        PlumbCommands.run {
            let engine = try makeEngine()
            switch stage {
            case .prestart, .createRuntime: try create(m, c, state: state, engine: engine)
            case .poststop: try engine.unprovision(.hookContainer(m.identity, container: c.name), containerID: state.id)
            }
        }
    }

    /// The host layer, then the container's layer, verified — one provisioning, undone
    /// as a whole if any part fails.
    func create(_ m: LoadedManifest, _ c: Container, state: OCIState, engine: Engine) throws {
        guard let pid = state.pid, pid > 0 else {
            throw HookError("\(stage.rawValue): the state of container \(state.id) has no pid; plumb needs the container's process to find its network namespace")
        }
        let ns = NamespaceRef.pid(pid)
        guard let process = try engine.kernel.process(pid), let id = try engine.kernel.identity(of: ns) else {
            throw HookError("\(stage.rawValue): process \(pid) of container \(state.id) does not exist")
        }
        let binding = ContainerBinding(containerID: state.id, process: process, namespace: id)
        try engine.provision(host: .host(of: m.manifest, identity: m.identity),
                             container: .hookContainer(m.manifest, identity: m.identity, container: c, netns: ns),
                             binding: binding)
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
    /// Runtimes send a few hundred bytes; more than this is not a state.
    static let maxBytes = 1 << 20

    static func read(_ input: FileHandle) throws -> OCIState {
        let data = (try? input.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else { throw HookError("the OCI state on stdin is larger than \(maxBytes) bytes") }
        do { return try JSONDecoding.decode(OCIState.self, from: data) } catch {
            throw HookError("the OCI state on stdin is not valid (\(describeDecoding(error))); expected {\"ociVersion\", \"id\", \"pid\", \"bundle\", \"annotations\"}")
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
}
