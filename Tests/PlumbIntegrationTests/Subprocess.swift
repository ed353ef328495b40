import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished command left behind: what a user at a shell would see.
struct CommandResult: CustomStringConvertible {
    var argv: [String]
    /// The exit code, or 128 + signal number when the command was killed (as a shell reports it).
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }

    /// For test failure messages: the command, how it ended, and both streams.
    var description: String {
        var s = "$ \(argv.joined(separator: " "))\n→ exit \(status)\(timedOut ? " (timed out, killed)" : "")"
        if !stdout.isEmpty { s += "\n--- stdout\n\(Self.clip(stdout))" }
        if !stderr.isEmpty { s += "\n--- stderr\n\(Self.clip(stderr))" }
        return s
    }

    /// Keeps failure messages readable when a crash prints a whole backtrace.
    private static func clip(_ text: String, limit: Int = 4_000) -> String {
        text.utf8.count <= limit ? text
            : String(decoding: text.utf8.prefix(limit), as: UTF8.self) + "\n… (\(text.utf8.count - limit) more bytes)"
    }
}

struct SubprocessError: Error, CustomStringConvertible {
    var description: String
}

/// Runs programs with posix_spawn so the tests own exact PIDs and reap them with waitpid
/// (Foundation's Process reaps on its own thread, which races with an explicit waitpid).
/// Output goes to files, not pipes, so a chatty child can never block on a full pipe.
enum Subprocess {
    /// Runs `argv` (PATH-searched) to completion or until `timeout`, then SIGKILLs and reaps it.
    static func run(_ argv: [String], environment: [String: String] = [:],
                    timeout: Duration, scratch: URL) throws -> CommandResult {
        let id = UUID().uuidString
        let out = scratch.appendingPathComponent("cmd-\(id).out")
        let err = scratch.appendingPathComponent("cmd-\(id).err")
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        let pid = try spawn(argv, environment: environment, stdoutPath: out.path, stderrPath: err.path)
        let (status, timedOut) = wait(pid, timeout: timeout)
        return CommandResult(argv: argv, status: status,
                             stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                             timedOut: timedOut)
    }

    /// Starts `argv` with stdin from /dev/null and the given stdout (a path or a pipe's write end).
    static func spawn(_ argv: [String], environment: [String: String] = [:],
                      stdoutPath: String? = nil, stdoutFD: Int32? = nil, stderrPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let fd = stdoutFD {
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
        } else if let path = stdoutPath {
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }

        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard rc == 0 else {
            throw SubprocessError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Reaps `pid`, killing it with SIGKILL once `timeout` has passed.
    static func wait(_ pid: pid_t, timeout: Duration) -> (status: Int32, timedOut: Bool) {
        let deadline = ContinuousClock.now + timeout
        var pause: UInt32 = 1_000  // µs; grows to 20 ms so quick commands return quickly
        while true {
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid { return (decode(raw), false) }
            if r < 0 && errno != EINTR { return (-1, false) }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                return (decode(raw), true)
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// The wait status as a shell shows it (WIFEXITED/WEXITSTATUS are macros Swift cannot import).
    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
