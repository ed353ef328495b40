import Foundation
#if canImport(Glibc)
import Glibc
#endif

// containerd as a CNI client (docs/ARCHITECTURE.md §7 "clients"): Debian 12's containerd 1.6,
// a daemon of the test's own inside a RuntimeSandbox. What it needs, found by hand here:
//
// - `ctr run --cni` builds its go-cni handle with the library's defaults and no flag to change
//   them: the first conflist (by name) in /etc/cni/net.d, plugins from /opt/cni/bin. Inside the
//   sandbox's mount namespace only, scratch directories are bound over both, so the machine's
//   configuration (podman's 87-podman-bridge.conflist is there) is neither read nor written.
//   /opt/cni/bin need not exist on the machine: then an overlay whose upper layer is in scratch
//   covers its nearest existing ancestor, and the mountpoint is made in that upper layer.
// - go-cni calls ADD with CNI_NETNS=/proc/PID/ns/net of the task, and DEL (`--rm`) with an
//   EMPTY netns, after the task — and with it the namespace and the container's veth end — is
//   gone: the plugin's DEL must release the rest from the container id alone.
// - The task runs under crun with cgroups disabled (the sandbox's cgroup tree is a read-only
//   cover; runc fails "unable to apply cgroup configuration" there): `--runc-binary` names a
//   two-line wrapper that adds `--cgroup-manager=disabled` to the shim's every call.
// - With `--rootfs DIR` (no image, no snapshotter) the default spec has no PATH, so commands
//   are given by absolute path (`/bin/sh`).
// - The daemon's root, state and sockets live in scratch; the config disables the CRI plugin
//   (which would start a streaming server and watch the CNI directory for nothing) and moves the
//   "opt" plugin's directory, which defaults to /opt/containerd on the machine. Shim sockets
//   go to /run/containerd/s, which is the sandbox's private /run.

/// A containerd daemon started inside `sandbox`, with a CNI configuration directory and a
/// plugin directory of its own seen at /etc/cni/net.d and /opt/cni/bin inside the sandbox.
/// `stop()` removes what it ran and then ends the daemon by its PID.
final class ContainerdDaemon {
    let sandbox: Sandbox
    let directory: URL
    let networkDirectory: String
    let pluginDirectory: String
    var socket: String { directory.path + "/containerd.sock" }
    private var runtimeWrapper: String { directory.path + "/crun-nocgroup" }
    private var pid: pid_t = 0
    private var containers: [String] = []

    /// `plugins`: file name in the plugin directory → the executable it links to.
    init(sandbox: Sandbox, plugins: [String: String]) throws {
        self.sandbox = sandbox
        directory = sandbox.scratch.appendingPathComponent("containerd")
        networkDirectory = directory.appendingPathComponent("net.d").path
        pluginDirectory = directory.appendingPathComponent("bin").path
        let fm = FileManager.default
        for sub in ["net.d", "bin", "root", "state", "opt"] {
            try fm.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for (name, target) in plugins {
            try fm.createSymbolicLink(atPath: pluginDirectory + "/" + name, withDestinationPath: target)
        }
        try writeConfiguration()
        try sandbox.coverCNIDirectories(conf: networkDirectory, bin: pluginDirectory)
        try start()
    }

    deinit { stop() }

    /// `ctr --address SOCKET ARGS…` inside the sandbox.
    func ctr(_ args: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
        var result = try sandbox.run(["ctr", "--address", socket] + args, timeout: timeout)
        result.argv = ["ctr"] + args
        return result
    }

    /// The argv of `ctr run --rm --cni` of `rootfs` as container `id` running `args`.
    private func runArgv(id: String, rootfs: String, _ args: [String]) -> [String] {
        ["ctr", "--address", socket, "run", "--rm", "--cni", "--runc-binary", runtimeWrapper,
         "--rootfs", rootfs, id] + args
    }

    /// Starts `ctr run --rm --cni …` in the background (it blocks until the task ends);
    /// its output goes to files in scratch. The caller reaps it with `finish`.
    func startRun(id: String, rootfs: String, _ args: [String]) throws -> BackgroundRun {
        containers.append(id)
        let out = directory.appendingPathComponent("run-\(id).out").path
        let err = directory.appendingPathComponent("run-\(id).err").path
        let pid = try Subprocess.spawn(sandbox.enter(runArgv(id: id, rootfs: rootfs, args)),
                                       stdoutPath: out, stderrPath: err)
        return BackgroundRun(pid: pid, argv: ["ctr", "run", "--rm", "--cni", "--rootfs", rootfs, id] + args,
                             stdoutPath: out, stderrPath: err)
    }

    /// The CNI container id go-cni passes for `id`: ctr's FullID, "NAMESPACE-ID".
    static func cniContainerID(_ id: String) -> String { "default-" + id }

    /// Writes `NAME.conflist` into the CNI configuration directory (ctr takes the first by name).
    func addConflist(_ json: String, name: String) throws {
        try json.write(toFile: networkDirectory + "/\(name).conflist", atomically: true, encoding: .utf8)
    }

    /// Deletes every container this daemon ran that is still there (a failed test), then ends
    /// the daemon: SIGTERM, and SIGKILL after 10 s. Idempotent.
    func stop() {
        guard pid > 0 else { return }
        for id in containers {
            _ = try? ctr(["task", "kill", "--signal", "SIGKILL", id], timeout: .seconds(10))
            _ = try? ctr(["task", "delete", "--force", id], timeout: .seconds(20))
            _ = try? ctr(["containers", "delete", id], timeout: .seconds(10))
        }
        kill(pid, SIGTERM)
        _ = Subprocess.wait(pid, timeout: .seconds(10))  // SIGKILLs and reaps it after that
        pid = 0
    }

    private func writeConfiguration() throws {
        let d = directory.path
        let config = """
            version = 2
            root = "\(d)/root"
            state = "\(d)/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "\(socket)"

            [plugins."io.containerd.internal.v1.opt"]
              path = "\(d)/opt"

            """
        try config.write(toFile: d + "/config.toml", atomically: true, encoding: .utf8)
        let wrapper = "#!/bin/sh\nexec crun --cgroup-manager=disabled \"$@\"\n"
        try wrapper.write(toFile: runtimeWrapper, atomically: true, encoding: .utf8)
        guard chmod(runtimeWrapper, 0o755) == 0 else {
            throw SubprocessError(description: "chmod \(runtimeWrapper): \(String(cString: strerror(errno)))")
        }
    }

    /// Spawns the daemon inside the sandbox and waits until `ctr version` reaches it. setpriv's
    /// parent-death signal ends it should the test runner die before `stop()`.
    private func start() throws {
        let log = directory.appendingPathComponent("containerd.log").path
        pid = try Subprocess.spawn(["setpriv", "--pdeathsig", "KILL", "--"]
                                   + sandbox.enter(["containerd", "--config", directory.path + "/config.toml"]),
                                   stdoutPath: log, stderrPath: log + ".err")
        let up = try eventually(within: .seconds(20)) {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { pid = 0; return true }   // died: reaped here
            return try ctr(["version"], timeout: .seconds(5)).succeeded
        }
        guard up, pid > 0 else {
            let why = (try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? ""
            stop()
            throw SubprocessError(description: "containerd did not come up:\n\(why.suffix(3_000))")
        }
    }
}

/// A command started with `Subprocess.spawn`: reap it with `finish`.
struct BackgroundRun {
    let pid: pid_t
    let argv: [String]
    let stdoutPath: String
    let stderrPath: String

    /// Whether it has exited and waits to be reaped (state Z in /proc/PID/stat), without
    /// reaping it, so that `finish` still gets its status.
    func exited() -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[close...].dropFirst(2).first == "Z"
    }

    /// Waits for it to exit (SIGKILL after `timeout`) and returns what it printed.
    func finish(timeout: Duration = .seconds(60)) -> CommandResult {
        let (status, timedOut) = Subprocess.wait(pid, timeout: timeout)
        return CommandResult(argv: argv, status: status,
                             stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "",
                             timedOut: timedOut)
    }
}

extension Sandbox {
    /// `argv` prefixed so that it runs inside this sandbox's network and mount namespaces
    /// (nsenter execs it: the spawned PID is the command's own).
    func enter(_ argv: [String]) -> [String] {
        ["nsenter", "--target", String(holderPID), "--net", "--mount", "--"] + argv
    }

    /// Binds `conf` over /etc/cni/net.d and `bin` over /opt/cni/bin inside this sandbox's mount
    /// namespace only (see the notes at the top of this file).
    func coverCNIDirectories(conf: String, bin: String) throws {
        let layers = scratch.appendingPathComponent("cni-cover").path
        try must(["/bin/sh", "-c", """
            set -e
            cover() {  # TARGET SOURCE LAYERS
              anchor=$1
              while [ ! -d "$anchor" ]; do anchor=$(dirname "$anchor"); done
              if [ "$anchor" != "$1" ]; then
                mkdir -p "$3/upper" "$3/work"
                mount -t overlay plumb-cni-cover -o "lowerdir=$anchor,upperdir=$3/upper,workdir=$3/work" "$anchor"
                mkdir -p "$1"
              fi
              mount --bind "$2" "$1"
            }
            cover /etc/cni/net.d '\(conf)' '\(layers)/etc'
            cover /opt/cni/bin '\(bin)' '\(layers)/opt'
            """])
    }
}
