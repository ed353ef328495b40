import CLinux
import Glibc

/// Runs another program: the one place Plumb does (a CNI IPAM plugin — CNI is
/// process-based). posix_spawn + waitpid: Foundation's Process waits on a run loop
/// that wakes every 50 ms, which was most of a CNI ADD's time.
public enum Spawn {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
    }

    /// Runs `path` with `argv` and `environment`, `input` on its stdin; stderr passes
    /// through. Reads at most `maxOutput` bytes of stdout.
    public static func run(_ path: String, argv: [String], environment: EnvironmentList, input: [UInt8],
                           maxOutput: Int = 4 << 20) throws -> Result {
        try start(path, argv: argv, environment: environment, input: input).finish(maxOutput: maxOutput)
    }

    /// Starts `path` and hands it as much of `input` as the pipe takes at once (all of a
    /// CNI configuration): the program runs while the caller does other work, and
    /// `finish` collects it. The process must ignore SIGPIPE (`ResourceLimits`), as
    /// plumb's does: a program that exits without reading all its input is not a kill.
    public static func start(_ path: String, argv: [String], environment: EnvironmentList, input: [UInt8]) throws -> Running {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        try check("pipe2", "stdin of \(path)") { plumb_pipe_cloexec(&inPipe) }
        do { try check("pipe2", "stdout of \(path)") { plumb_pipe_cloexec(&outPipe) } } catch {
            inPipe.forEach { _ = close($0) }
            throw error
        }
        let pid: pid_t
        do { pid = try spawn(path, argv: argv, environment: environment, stdin: inPipe[0], stdout: outPipe[1]) } catch {
            (inPipe + outPipe).forEach { _ = close($0) }
            throw error
        }
        close(inPipe[0])
        close(outPipe[1])
        let running = Running(path: path, pid: pid, writer: inPipe[1], reader: outPipe[0], input: input)
        running.feed()
        return running
    }

    /// A program `start` ran, not yet waited for. `finish` must be called exactly once.
    public final class Running {
        let path: String, pid: pid_t, input: [UInt8]
        var writer: Int32, reader: Int32, written = 0

        init(path: String, pid: pid_t, writer: Int32, reader: Int32, input: [UInt8]) {
            self.path = path; self.pid = pid; self.writer = writer; self.reader = reader; self.input = input
            _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
            if input.isEmpty { closeWriter() }
        }

        /// Writes what the pipe takes without blocking; closes stdin when all is written
        /// (or the program stopped reading).
        func feed() {
            while writer >= 0 && written < input.count {
                let n = input[written...].withUnsafeBufferPointer { Glibc.write(writer, $0.baseAddress, $0.count) }
                if n > 0 { written += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN { return }
                break
            }
            closeWriter()
        }

        func closeWriter() { if writer >= 0 { close(writer); writer = -1 } }

        /// The rest of the input written and the output read together (poll), so neither
        /// side blocks on a full pipe; then the exit status.
        public func finish(maxOutput: Int = 4 << 20) throws -> Result {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            var open = true
            while open {
                var fds = [pollfd(fd: reader, events: Int16(POLLIN), revents: 0)]
                if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
                if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue }; break }
                if writer >= 0, fds.count > 1, fds[1].revents != 0 { feed() }
                if fds[0].revents != 0 {
                    let n = read(reader, &buffer, buffer.count)
                    if n > 0 { if out.count < maxOutput { out += buffer[0..<min(n, maxOutput - out.count)] } }
                    else if n == 0 || errno != EINTR && errno != EAGAIN { open = false }
                }
            }
            closeWriter()
            close(reader)
            return Result(status: try Spawn.wait(pid, path), stdout: out)
        }
    }

    static func spawn(_ path: String, argv: [String], environment: EnvironmentList, stdin: Int32, stdout: Int32) throws -> pid_t {
        var pid: pid_t = 0
        let env = environment.entries
        let rc = withCStrings(argv) { a in withCStrings(env) { e in plumb_spawn(&pid, path, stdin, stdout, a, e) } }
        guard rc == 0 else { throw SystemError("posix_spawn", path, Errno(rawValue: rc)) }
        return pid
    }

    static func wait(_ pid: pid_t, _ path: String) throws -> Int32 {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            guard errno == EINTR else { throw SystemError("waitpid", path) }
        }
        // WIFEXITED / WEXITSTATUS; a signal becomes 128 + its number, as a shell reports it.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
