import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// The client tier (docs/ARCHITECTURE.md §7): real container runtimes — crun, runc, podman — and the CNI
// env contract, all inside a test Sandbox. What this machine needs, found by hand here:
//
// - cgroups are hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified); crun refuses
//   hybrid mode. Inside the sandbox's private mount namespace, /sys/fs/cgroup is covered by a
//   READ-ONLY tmpfs holding only empty directories named like the host's controllers. Then
//   `crun --cgroup-manager=disabled` never looks, and `runc --rootless=true` — runc has no
//   "disabled" manager; `--rootless` only makes cgroup EPERM/EROFS errors non-fatal — gets
//   EROFS for every controller and runs without cgroups. Neither runtime ever writes to the
//   machine's cgroup tree. (runc also runs on the uncovered hybrid tree, but then creates and
//   removes /sys/fs/cgroup/*/<id> on the host, which a killed test would leave behind.)
// - `crun spec` mounts a cgroup filesystem at /sys/fs/cgroup in the container; runc then fails
//   ("error mounting cgroup … stat /sys/fs/cgroup/memory/…") on the covered tree, so the
//   bundles here drop that mount. busybox needs none of it.
// - podman: cgroup_manager="cgroupfs", events_logger="file", `--cgroups=disabled` (crun),
//   vfs storage under the test's scratch, default_ulimits ≤ the hard limits root has here.
//   libcni caches results in /var/lib/cni: a tmpfs covers it inside the sandbox.
// - A container (crun create, conmon) is reparented away from the sandbox, so killing the
//   sandbox does not kill it: RuntimeSandbox force-deletes every container it started.

// MARK: - A sandbox that can run containers

/// A Sandbox prepared for container runtimes, which force-deletes every container it made
/// (and so runs their poststop hooks) before the sandbox itself goes.
final class RuntimeSandbox {
    let sandbox: Sandbox
    private var containers: [(OCIRuntime, String)] = []
    private var podmanHomes: [PodmanHome] = []
    private var containerdDaemons: [ContainerdDaemon] = []
    private var closed = false

    init() throws {
        sandbox = try Sandbox()
        do {
            try sandbox.coverHostCgroupsAndCNICache()
        } catch {
            sandbox.close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        for (runtime, id) in containers.reversed() {
            _ = try? sandbox.run(runtime.argv(["delete", "--force", id]), timeout: .seconds(20))
        }
        for home in podmanHomes {
            _ = try? home.podman(["rm", "--all", "--force", "--time", "0"], timeout: .seconds(60))
        }
        for daemon in containerdDaemons { daemon.stop() }
        sandbox.close()
    }

    // MARK: OCI runtimes

    /// `RUNTIME run --bundle B ID`: create, start, wait, delete in one; exits with the
    /// container's own exit code. stdin is /dev/null, stdout/stderr are the container's.
    func run(_ runtime: OCIRuntime, _ bundle: BusyboxBundle, id: String,
             timeout: Duration = .seconds(60)) throws -> CommandResult {
        containers.append((runtime, id))
        return try sandbox.run(runtime.argv(["run", "--bundle", bundle.path, id]), timeout: timeout)
    }

    /// `RUNTIME create --bundle B ID`: namespaces made, createRuntime hooks run, init paused.
    func create(_ runtime: OCIRuntime, _ bundle: BusyboxBundle, id: String) throws -> CommandResult {
        containers.append((runtime, id))
        return try sandbox.run(runtime.argv(["create", "--bundle", bundle.path, id]), timeout: .seconds(30))
    }

    func start(_ runtime: OCIRuntime, id: String) throws -> CommandResult {
        try sandbox.run(runtime.argv(["start", id]), timeout: .seconds(30))
    }

    /// `RUNTIME delete ID`: poststop hooks run here.
    func delete(_ runtime: OCIRuntime, id: String) throws -> CommandResult {
        try sandbox.run(runtime.argv(["delete", id]), timeout: .seconds(30))
    }

    /// `RUNTIME state ID` as JSON (status, pid, …); nil when the runtime does not know it.
    func state(_ runtime: OCIRuntime, id: String) throws -> [String: Any]? {
        let result = try sandbox.run(runtime.argv(["state", id]), timeout: .seconds(10))
        guard result.succeeded else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    /// Polls `state` until the container's process has exited ("stopped").
    func waitStopped(_ runtime: OCIRuntime, id: String, within timeout: Duration = .seconds(20)) throws -> Bool {
        try eventually(within: timeout) { try state(runtime, id: id)?["status"] as? String == "stopped" }
    }

    /// Container ids the runtime still lists (`RUNTIME list --format json`).
    func listed(_ runtime: OCIRuntime) throws -> [String] {
        let out = try sandbox.must(runtime.argv(["list", "--format", "json"])).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !out.isEmpty, out != "null",
              let array = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]
        else { return [] }
        return array.compactMap { $0["id"] as? String }
    }

    // MARK: containerd

    /// A containerd daemon of the test's own, seeing its own CNI directories (see ContainerdDaemon).
    func containerd(plugins: [String: String]) throws -> ContainerdDaemon {
        let daemon = try ContainerdDaemon(sandbox: sandbox, plugins: plugins)
        containerdDaemons.append(daemon)
        return daemon
    }

    // MARK: podman

    /// A podman configuration of its own under the sandbox's scratch (see PodmanHome).
    func podmanHome(plugins: [String: String]) throws -> PodmanHome {
        let home = try PodmanHome(sandbox: sandbox, plugins: plugins)
        podmanHomes.append(home)
        return home
    }
}

extension Sandbox {
    /// See the notes at the top of this file: hides the host's cgroup tree and libcni's cache
    /// directory inside this sandbox's mount namespace only. `mkdir -p /var/lib/cni` is the one
    /// change on the host's filesystem (an empty directory podman would create anyway).
    func coverHostCgroupsAndCNICache() throws {
        try must(["/bin/sh", "-c", """
            set -e
            controllers=$(ls /sys/fs/cgroup)
            mount -t tmpfs -o size=64k,mode=0755 plumb-cgroup-cover /sys/fs/cgroup
            for c in $controllers; do mkdir -p "/sys/fs/cgroup/$c"; done
            mount -o remount,ro /sys/fs/cgroup
            mkdir -p /var/lib/cni
            mount -t tmpfs -o size=16m,mode=0700 plumb-cni-cache /var/lib/cni
            """])
    }
}

// MARK: - OCI runtimes

enum OCIRuntime: String, CaseIterable, CustomTestStringConvertible {
    case crun, runc

    /// The global flags that make each runtime work inside the sandbox (see the file's notes):
    /// state under the sandbox's private /run, and no cgroups.
    var globalFlags: [String] {
        switch self {
        case .crun: ["--root", "/run/crun", "--cgroup-manager=disabled"]
        case .runc: ["--root", "/run/runc", "--rootless=true"]
        }
    }

    func argv(_ subcommand: [String]) -> [String] { [rawValue] + globalFlags + subcommand }

    /// Where a user reads a failed hook's own stderr. crun drops hook output unless the
    /// annotation `run.oci.hooks.stderr` names a file (opened for append, created if missing;
    /// crun(1) "run.oci.hooks.stderr=FILE"); its own error is only
    /// "error executing hook `PATH` (exit code: 1)". runc puts the hook's stdout and stderr
    /// into its error: "error running hook #0: … exit status 1, stdout: …, stderr: …".
    var hookStderrInRuntimeError: Bool { self == .runc }

    var testDescription: String { rawValue }
}


/// One entry of config.json's `hooks`.
struct OCIHook {
    var stage: String            // createRuntime | prestart | poststop | …
    var path: String
    var args: [String]
    var timeout: Int? = 10       // without one, runtimes wait forever for a hung hook

    var json: [String: Any] {
        var object: [String: Any] = ["path": path, "args": args]
        if let timeout { object["timeout"] = timeout }
        return object
    }

    /// `plumb hook STAGE MANIFEST` for each stage (docs/ARCHITECTURE.md §5).
    static func plumb(_ manifest: String, stages: [String] = ["createRuntime", "poststop"]) throws -> [OCIHook] {
        let binary = try PlumbBinary.path()
        return stages.map { OCIHook(stage: $0, path: binary, args: ["plumb", "hook", $0, manifest]) }
    }
}

/// An OCI bundle whose rootfs is busybox-static alone: /bin/busybox plus applet symlinks.
/// config.json comes from `crun spec` and is then edited as data: the given process args, no
/// terminal, CAP_NET_RAW (busybox ping opens a raw socket), a new network namespace (an entry
/// WITHOUT a path: the runtime creates it), no cgroup mount, the host directory `out` bound
/// read-write at /out (so a container's results outlive it), annotations, hooks. crun's
/// `run.oci.hooks.stderr` annotation is always set to `hooks.stderr` in the bundle, so what a
/// hook said is kept (crun drops it otherwise; runc ignores the annotation).
struct BusyboxBundle {
    static let busybox = "/bin/busybox"
    static let applets = ["sh", "ping", "ip", "nc", "sleep", "cat", "echo", "ls", "hostname",
                          "udhcpc", "test", "true", "false", "grep", "ifconfig", "route"]

    let path: String
    /// Host side of /out in the container.
    let outDirectory: String
    var configPath: String { path + "/config.json" }
    var rootfs: String { path + "/rootfs" }

    init(in parent: URL, name: String = "bundle", args: [String], hostname: String = "busybox",
         annotations: [String: String] = [:], hooks: [OCIHook] = []) throws {
        let dir = parent.appendingPathComponent(name)
        path = dir.path
        outDirectory = dir.appendingPathComponent("out").path
        try Self.makeRootfs(at: dir.appendingPathComponent("rootfs"))
        try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true)
        let spec = try Subprocess.run(["crun", "spec", "--bundle", path], timeout: .seconds(10), scratch: parent)
        guard spec.succeeded else { throw SubprocessError(description: "crun spec failed:\n\(spec)") }
        try editConfig { config in
            Self.shape(&config, args: args, hostname: hostname, out: outDirectory)
            config["annotations"] = ["run.oci.hooks.stderr": path + "/hooks.stderr"]
                .merging(annotations) { $1 }
            if !hooks.isEmpty {
                config["hooks"] = Dictionary(grouping: hooks, by: \.stage).mapValues { $0.map(\.json) }
            }
        }
    }

    /// Reads config.json, lets `change` edit it, writes it back.
    func editConfig(_ change: (inout [String: Any]) throws -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: configPath))
        guard var config = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SubprocessError(description: "\(configPath) is not a JSON object")
        }
        try change(&config)
        let out = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try out.write(to: URL(fileURLWithPath: configPath))
    }

    /// What the hooks wrote to stderr, as crun kept it (empty under runc).
    var hookStderr: String {
        (try? String(contentsOfFile: path + "/hooks.stderr", encoding: .utf8)) ?? ""
    }

    /// The text the container wrote to /out/NAME, nil when it wrote nothing there.
    func output(_ name: String) -> String? {
        try? String(contentsOfFile: outDirectory + "/" + name, encoding: .utf8)
    }

    /// A tarball of the rootfs (`tar -C rootfs -cf FILE .`), for `podman import`.
    func rootfsTarball(at file: String, scratch: URL) throws {
        let tar = try Subprocess.run(["tar", "-C", rootfs, "-cf", file, "."], timeout: .seconds(30), scratch: scratch)
        guard tar.succeeded else { throw SubprocessError(description: "tar failed:\n\(tar)") }
    }

    private static func makeRootfs(at rootfs: URL) throws {
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: busybox) else {
            throw SubprocessError(description: "\(busybox) is missing: run scripts/install-runtimes.sh (busybox-static)")
        }
        let bin = rootfs.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        for dir in ["etc", "proc", "sys", "dev", "tmp", "out", "run"] {
            try fm.createDirectory(at: rootfs.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        // Copied by `cp`, not in-process: while this process holds a file open for writing,
        // a child another test spawns concurrently inherits that descriptor, and exec of the
        // binary then fails with ETXTBSY ("exec /bin/sh: text file busy", seen here).
        let copy = try Subprocess.run(["cp", busybox, bin.appendingPathComponent("busybox").path],
                                      timeout: .seconds(10), scratch: rootfs.deletingLastPathComponent())
        guard copy.succeeded else { throw SubprocessError(description: "cannot copy busybox:\n\(copy)") }
        for applet in applets {
            try fm.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
        }
    }

    private static func shape(_ config: inout [String: Any], args: [String], hostname: String, out: String) {
        var process = config["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        process["args"] = args
        var caps = process["capabilities"] as? [String: [String]] ?? [:]
        for set in ["bounding", "effective", "permitted"] {
            caps[set] = Array(Set((caps[set] ?? []) + ["CAP_NET_RAW"])).sorted()
        }
        process["capabilities"] = caps
        config["process"] = process
        config["hostname"] = hostname

        var mounts = (config["mounts"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "cgroup" }
        mounts.append(["destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"]])
        config["mounts"] = mounts

        var linux = config["linux"] as? [String: Any] ?? [:]
        var namespaces = (linux["namespaces"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "network" }
        namespaces.append(["type": "network"])       // no "path": the runtime makes a new netns
        linux["namespaces"] = namespaces
        config["linux"] = linux
    }
}

// MARK: - podman

/// podman with everything of its own under a temp directory, selected by the environment
/// (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF): vfs storage, the CNI backend, a plugin directory
/// holding only the plugins a test names, and a network config directory for its conflists.
/// Runtime state lives under the sandbox's private /run.
final class PodmanHome {
    static let image = "localhost/plumb-busybox:itest"

    let sandbox: Sandbox
    let directory: URL
    let pluginDirectory: String
    let networkDirectory: String
    var environment: [String: String]

    /// `plugins`: file name in the plugin directory → the executable it links to
    /// (e.g. "plumb" → .build/debug/plumb, "host-local" → /usr/lib/cni/host-local).
    init(sandbox: Sandbox, plugins: [String: String]) throws {
        self.sandbox = sandbox
        directory = sandbox.scratch.appendingPathComponent("podman")
        pluginDirectory = directory.appendingPathComponent("plugins").path
        networkDirectory = directory.appendingPathComponent("net.d").path
        let fm = FileManager.default
        for sub in ["plugins", "net.d", "storage", "tmp"] {
            try fm.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for (name, target) in plugins {
            try fm.createSymbolicLink(atPath: pluginDirectory + "/" + name, withDestinationPath: target)
        }
        let d = directory.path
        let containersConf = """
            [containers]
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            events_logfile_path = "\(d)/events.log"
            runtime = "crun"
            image_copy_tmp_dir = "\(d)/tmp"

            [network]
            network_backend = "cni"
            cni_plugin_dirs = ["\(pluginDirectory)"]
            network_config_dir = "\(networkDirectory)"

            """
        let storageConf = """
            [storage]
            driver = "vfs"
            runroot = "/run/containers/storage"
            graphroot = "\(d)/storage"

            """
        try containersConf.write(toFile: d + "/containers.conf", atomically: true, encoding: .utf8)
        try storageConf.write(toFile: d + "/storage.conf", atomically: true, encoding: .utf8)
        environment = ["CONTAINERS_CONF": d + "/containers.conf",
                       "CONTAINERS_STORAGE_CONF": d + "/storage.conf",
                       "TMPDIR": d + "/tmp"]
    }

    func podman(_ args: [String], timeout: Duration = .seconds(90)) throws -> CommandResult {
        var result = try sandbox.run(["podman"] + args, environment: environment, timeout: timeout)
        result.argv = ["podman"] + args
        return result
    }

    /// Writes `NAME.conflist` into the network config directory.
    func addConflist(_ json: String, name: String) throws {
        try json.write(toFile: networkDirectory + "/\(name).conflist", atomically: true, encoding: .utf8)
    }

    /// `podman import` of a busybox rootfs tarball as `image`: no registry is involved.
    func importBusybox() throws {
        let bundle = try BusyboxBundle(in: directory, name: "image", args: ["sh"])
        let tarball = directory.appendingPathComponent("busybox.tar").path
        try bundle.rootfsTarball(at: tarball, scratch: sandbox.scratch)
        let imported = try podman(["import", "--quiet", tarball, Self.image])
        guard imported.succeeded else { throw SubprocessError(description: "podman import failed:\n\(imported)") }
    }

    /// `podman run --name NAME --cgroups=disabled --network NET IMAGE ARGS…` in the foreground.
    func run(name: String, network: String, _ args: [String], timeout: Duration = .seconds(90)) throws -> CommandResult {
        try podman(["run", "--name", name, "--cgroups=disabled", "--network", network, Self.image] + args,
                   timeout: timeout)
    }

    /// The full container id podman gave `name`.
    func containerID(_ name: String) throws -> String {
        let inspect = try podman(["inspect", "--format", "{{.Id}}", name], timeout: .seconds(30))
        guard inspect.succeeded else { throw SubprocessError(description: "podman inspect failed:\n\(inspect)") }
        return inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

// MARK: - The CNI env contract

/// One CNI plugin as a runtime executes it: the program, with config on stdin and CNI_* in
/// the environment (CNI spec 1.1.0, "Protocol parameters").
struct CNIPlugin: CustomStringConvertible {
    let name: String
    let argv: [String]
    var description: String { name }

    static let referenceDirectory = "/usr/lib/cni"

    /// Debian's containernetworking-plugins `bridge` (1.1.1: speaks CNI up to 1.0.0).
    static var referenceBridge: CNIPlugin { CNIPlugin(name: "bridge", argv: [referenceDirectory + "/bridge"]) }

    /// The `plumb` under test: a CNI plugin whenever CNI_COMMAND is set.
    static func plumb() throws -> CNIPlugin { CNIPlugin(name: "plumb", argv: [try PlumbBinary.path()]) }
}

extension Sandbox {
    /// Runs `plugin` with `config` on stdin and the CNI_* variables set (nil: left unset).
    func cni(_ plugin: CNIPlugin, _ command: String?, config: String,
             containerID: String? = nil, netns: String? = nil, ifname: String? = "eth0",
             path: String? = CNIPlugin.referenceDirectory, args: String? = nil,
             timeout: Duration = .seconds(30)) throws -> CommandResult {
        let configFile = scratch.appendingPathComponent("cni-\(UUID().uuidString.prefix(8)).json")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: configFile) }
        var env: [String: String] = [:]
        env["CNI_COMMAND"] = command
        env["CNI_CONTAINERID"] = containerID
        env["CNI_NETNS"] = netns
        env["CNI_IFNAME"] = ifname
        env["CNI_PATH"] = path
        env["CNI_ARGS"] = args
        var result = try run(["/bin/sh", "-c", #"f=$1; shift; exec "$@" < "$f""#, "cni", configFile.path] + plugin.argv,
                             environment: env, timeout: timeout)
        result.argv = ["CNI_COMMAND=\(command ?? "")", "CNI_CONTAINERID=\(containerID ?? "")",
                       "CNI_NETNS=\(netns ?? "")", plugin.name, "<", config]
        return result
    }
}

/// The JSON objects of the CNI spec 1.1.0 (SPEC.md "Success", "Error", "Version"), checked
/// field by field: the same check for Plumb and for the reference plugins.
enum CNISchema {
    /// Every way `text` fails to be a spec ADD result for `cniVersion` whose container
    /// interface is `ifname` in `netns`; empty when it is one.
    static func resultViolations(_ text: String, cniVersion: String, netns: String, ifname: String) -> [String] {
        guard let result = object(text) else { return ["not a JSON object: \(text.prefix(200))"] }
        var problems: [String] = []
        let allowed: Set = ["cniVersion", "interfaces", "ips", "routes", "dns"]
        problems += Set(result.keys).subtracting(allowed).sorted().map { "unknown top-level key \"\($0)\"" }
        if result["cniVersion"] as? String != cniVersion {
            problems.append("cniVersion is \(String(describing: result["cniVersion"])), expected \"\(cniVersion)\"")
        }
        let interfaces = result["interfaces"] as? [[String: Any]] ?? []
        if result["interfaces"] != nil && !(result["interfaces"] is [[String: Any]]) { problems.append("interfaces is not an array of objects") }
        for (i, interface) in interfaces.enumerated() {
            problems += interfaceViolations(interface, at: "interfaces[\(i)]")
        }
        let inside = interfaces.indices.filter {
            interfaces[$0]["name"] as? String == ifname && interfaces[$0]["sandbox"] as? String == netns
        }
        if inside.count != 1 { problems.append("expected exactly one interface \(ifname) with sandbox \(netns), found \(inside.count)") }

        guard let ips = result["ips"] as? [[String: Any]], !ips.isEmpty else {
            return problems + ["ips is missing, empty or not an array of objects"]
        }
        for (i, ip) in ips.enumerated() {
            problems += ipViolations(ip, at: "ips[\(i)]", interfaces: interfaces, cniVersion: cniVersion)
        }
        if let routes = result["routes"] {
            if let routes = routes as? [[String: Any]] {
                for (i, route) in routes.enumerated() { problems += routeViolations(route, at: "routes[\(i)]") }
            } else { problems.append("routes is not an array of objects") }
        }
        if let dns = result["dns"] { problems += dnsViolations(dns) }
        return problems
    }

    /// Every way `text` fails to be a spec error object; `requireVersion`: spec ≥ 1.0 says
    /// cniVersion is part of it (the reference plugins 1.1.1 leave it out).
    static func errorViolations(_ text: String, requireVersion: Bool = true) -> [String] {
        guard let error = object(text) else { return ["not a JSON object: \(text.prefix(200))"] }
        var problems: [String] = []
        if requireVersion, !(error["cniVersion"] is String) { problems.append("cniVersion missing or not a string") }
        if !isInteger(error["code"]) { problems.append("code missing or not an integer") }
        if (error["msg"] as? String)?.isEmpty ?? true { problems.append("msg missing or empty") }
        if let details = error["details"], !(details is String) { problems.append("details is not a string") }
        let allowed: Set = ["cniVersion", "code", "msg", "details"]
        problems += Set(error.keys).subtracting(allowed).sorted().map { "unknown key \"\($0)\"" }
        return problems
    }

    /// The error's code, when `text` is an error object.
    static func errorCode(_ text: String) -> Int? {
        guard let error = object(text), isInteger(error["code"]) else { return nil }
        return (error["code"] as? NSNumber)?.intValue
    }

    static func object(_ text: String) -> [String: Any]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any]
    }

    private static func interfaceViolations(_ interface: [String: Any], at path: String) -> [String] {
        var problems: [String] = []
        if let name = interface["name"] as? String, !name.isEmpty, name.utf8.count <= 15 {} else {
            problems.append("\(path).name missing, empty or longer than IFNAMSIZ-1")
        }
        if let mac = interface["mac"] as? String {
            if mac.wholeMatch(of: /[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}/) == nil { problems.append("\(path).mac \"\(mac)\" is not a MAC") }
        } else { problems.append("\(path).mac missing (a veth and a bridge have one)") }
        if let mtu = interface["mtu"], !isInteger(mtu) { problems.append("\(path).mtu is not an integer") }
        if let sandbox = interface["sandbox"], !(sandbox is String) { problems.append("\(path).sandbox is not a string") }
        return problems
    }

    private static func ipViolations(_ ip: [String: Any], at path: String, interfaces: [[String: Any]],
                                      cniVersion: String) -> [String] {
        var problems: [String] = []
        guard let address = ip["address"] as? String, isPrefix(address) else {
            return ["\(path).address missing or not CIDR: \(String(describing: ip["address"]))"]
        }
        if let gateway = ip["gateway"] {
            if !(gateway is String) || !isAddress(gateway as! String) { problems.append("\(path).gateway \(gateway) is not an IP address") }
        }
        if let index = ip["interface"] {
            if let i = (index as? NSNumber)?.intValue, isInteger(index), interfaces.indices.contains(i) {
                if interfaces[i]["sandbox"] == nil { problems.append("\(path).interface \(i) is a host interface") }
            } else { problems.append("\(path).interface \(index) is not an index into interfaces") }
        }
        if cniVersion.hasPrefix("0.") {
            let expected = address.contains(":") ? "6" : "4"
            if ip["version"] as? String != expected { problems.append("\(path).version must be \"\(expected)\" before CNI 1.0") }
        } else if ip["version"] != nil {
            problems.append("\(path).version was removed in CNI 1.0")
        }
        return problems
    }

    private static func routeViolations(_ route: [String: Any], at path: String) -> [String] {
        var problems: [String] = []
        if !((route["dst"] as? String).map(isPrefix) ?? false) { problems.append("\(path).dst missing or not CIDR") }
        if let gw = route["gw"], !((gw as? String).map(isAddress) ?? false) { problems.append("\(path).gw is not an IP address") }
        for key in ["mtu", "advmss", "priority", "table", "scope"] {
            if let value = route[key], !isInteger(value) { problems.append("\(path).\(key) is not an integer") }
        }
        return problems
    }

    private static func dnsViolations(_ dns: Any) -> [String] {
        guard let dns = dns as? [String: Any] else { return ["dns is not an object"] }
        var problems: [String] = []
        for key in ["nameservers", "search", "options"] {
            if let list = dns[key], !(list is [String]) { problems.append("dns.\(key) is not an array of strings") }
        }
        if let domain = dns["domain"], !(domain is String) { problems.append("dns.domain is not a string") }
        return problems
    }

    /// An integral JSON number. (On Linux every JSON number `is Bool` and 1 `as? Bool`
    /// succeeds, so booleans are told apart by their NSNumber type code "c".)
    private static func isInteger(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return !["c", "d", "f"].contains(String(cString: number.objCType))
    }

    /// "10.88.0.2/16" or "fd00::2/64".
    static func isPrefix(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), isAddress(String(parts[0])) else { return false }
        return length >= 0 && length <= (parts[0].contains(":") ? 128 : 32)
    }

    static func isAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}

/// The parts of an ADD result the tests look at in the kernel.
struct CNIAttachment {
    var hostInterfaces: [String]     // interfaces without "sandbox" (bridge, host veth)
    var containerInterface: String
    var address: String              // "10.99.0.2/16"
    var gateway: String?

    var ip: String { String(address.split(separator: "/")[0]) }

    init?(_ text: String) {
        guard let result = CNISchema.object(text),
              let interfaces = result["interfaces"] as? [[String: Any]],
              let ips = result["ips"] as? [[String: Any]], let first = ips.first,
              let address = first["address"] as? String,
              let inside = interfaces.first(where: { $0["sandbox"] != nil })?["name"] as? String
        else { return nil }
        hostInterfaces = interfaces.filter { $0["sandbox"] == nil }.compactMap { $0["name"] as? String }
        containerInterface = inside
        self.address = address
        gateway = first["gateway"] as? String
    }
}
