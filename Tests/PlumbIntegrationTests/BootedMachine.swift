import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A machine booted by a real systemd as its PID 1, in a private network namespace:
/// `systemd-nspawn -D / --volatile=yes --private-network --register=no --keep-unit -b`.
/// With `--volatile=yes` the root is an empty tmpfs and only /usr comes from the host, so
/// each boot starts from nothing, as a reboot does for the kernel's network state; what the
/// node keeps across reboots (its /etc/plumb, its installed units and binary, its
/// machine-id) is bound in from `NodeRoot`.
///
/// Process tree, all ours: `setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child --
/// systemd-nspawn …` → the container's systemd. nspawn killed by SIGKILL orphans the
/// container's systemd (seen here), so nspawn runs as PID 1 of a PID namespace of its own:
/// when it dies, the kernel kills everything in that namespace, the container included.
/// Killing `pid` (unshare) therefore ends all of it, and so does the test runner dying.
final class BootedMachine {
    /// `unshare` (setpriv execs into it): our child.
    let pid: pid_t
    /// The container's systemd, as the host sees it: the target of every `nsenter`.
    let initPID: pid_t
    private let console: URL
    private let consoleErr: URL
    private let scratch: URL
    private var reaped = false

    /// Boots `node` with the manifests in `manifests` as /etc/plumb.
    init(node: NodeRoot, manifests: URL, scratch: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn") else {
            throw SubprocessError(description:
                "systemd-nspawn is missing: scripts/install.sh installs Debian's systemd-container")
        }
        self.scratch = scratch
        console = scratch.appendingPathComponent("console-\(UUID().uuidString.prefix(8)).out")
        consoleErr = console.appendingPathExtension("err")
        pid = try Subprocess.spawn(
            ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "--pid", "--fork", "--kill-child", "--",
             "systemd-nspawn", "-D", "/", "--volatile=yes", "--private-network", "--register=no",
             "--keep-unit", "--console=passive", "-b"] + node.binds(manifests: manifests),
            stdoutPath: console.path, stderrPath: consoleErr.path)
        guard let found = BootedMachine.findInit(below: pid, timeout: .seconds(30)) else {
            kill(pid, SIGKILL)
            _ = Subprocess.wait(pid, timeout: .seconds(10))
            reaped = true
            throw SubprocessError(description: "no systemd started under nspawn:\n\(BootedMachine.read(consoleErr))")
        }
        initPID = found
    }

    deinit { close() }

    /// Ends the machine at once (SIGKILL to unshare: its PID namespace goes with it) and reaps it.
    func close() {
        guard !reaped else { return }
        reaped = true
        kill(pid, SIGKILL)
        _ = Subprocess.wait(pid, timeout: .seconds(30))
    }

    /// `systemctl poweroff` inside, as an operator would, then waits for nspawn to end
    /// (killing it after `timeout`). Returns how it ended, for failure messages.
    @discardableResult
    func powerOff(timeout: Duration = .seconds(90)) -> (status: Int32, timedOut: Bool) {
        _ = try? run(["systemctl", "poweroff"], timeout: .seconds(30))
        let ended = Subprocess.wait(pid, timeout: timeout)
        reaped = true
        return ended
    }

    /// Runs `argv` inside the machine: all of its namespaces (`nsenter -a`), as a shell on it would.
    func run(_ argv: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
        var result = try Subprocess.run(["nsenter", "-t", String(initPID), "-a", "--"] + argv,
                                        environment: ["SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"],
                                        timeout: timeout, scratch: scratch)
        result.argv = argv
        return result
    }

    /// Starts `argv` inside the machine in the background, its output in `output`: our child.
    func spawn(_ argv: [String], output: URL) throws -> pid_t {
        try Subprocess.spawn(["nsenter", "-t", String(initPID), "-a", "--"] + argv,
                             stdoutPath: output.path, stderrPath: output.path + ".err")
    }

    /// Waits until the boot is over: `systemctl is-system-running --wait` says `running` or
    /// `degraded` (a unit failed; the tests look at theirs). Until systemd's socket is up it
    /// says `offline` (or cannot connect at all), so that is retried.
    func awaitBoot(timeout: Duration = .seconds(120)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last: CommandResult?
        while ContinuousClock.now < deadline {
            let r = try run(["systemctl", "is-system-running", "--wait"], timeout: timeout)
            let state = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if state == "running" || state == "degraded" { return state }
            if ["stopping", "maintenance"].contains(state) { last = r; break }
            last = r
            usleep(200_000)
        }
        throw SubprocessError(description: "the machine did not finish booting:\n\(last.map(\.description) ?? "")\n--- console\n\(consoleText)")
    }

    /// What nspawn and the container printed (its console): for failure messages.
    var consoleText: String { BootedMachine.read(console) + BootedMachine.read(consoleErr) }

    /// The container's systemd is the child of nspawn, which is the child of unshare. nspawn
    /// forks helpers while it sets up, so wait for the child that is `systemd`.
    private static func findInit(below pid: pid_t, timeout: Duration) -> pid_t? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for nspawn in children(of: pid) {
                if let systemd = children(of: nspawn).first(where: { command(of: $0) == "systemd" }) { return systemd }
            }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { return nil }   // nspawn gave up: reaped here
            usleep(20_000)
        }
        return nil
    }

    private static func children(of pid: pid_t) -> [pid_t] {
        read(URL(fileURLWithPath: "/proc/\(pid)/task/\(pid)/children")).split(separator: " ").compactMap { pid_t($0) }
    }

    private static func command(of pid: pid_t) -> String {
        read(URL(fileURLWithPath: "/proc/\(pid)/comm")).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func read(_ url: URL) -> String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }
}
