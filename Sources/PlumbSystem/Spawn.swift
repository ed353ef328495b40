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
    public static func run(_ path: String, argv: [String], environment: [String: String], input: [UInt8],
                           maxOutput: Int = 4 << 20) throws -> Result {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        try check("pipe2", "stdin of \(path)") { plumb_pipe_cloexec(&inPipe) }
        defer { for fd in inPipe where fd >= 0 { close(fd) } }
        try check("pipe2", "stdout of \(path)") { plumb_pipe_cloexec(&outPipe) }
        defer { for fd in outPipe where fd >= 0 { close(fd) } }
        let pid = try spawn(path, argv: argv, environment: environment, stdin: inPipe[0], stdout: outPipe[1])
        close(inPipe[0]); inPipe[0] = -1
        close(outPipe[1]); outPipe[1] = -1
        let output = exchange(write: inPipe[1], input: input, read: outPipe[0], maxOutput: maxOutput)
        inPipe[1] = -1
        return Result(status: try wait(pid, path), stdout: output)
    }

    static func spawn(_ path: String, argv: [String], environment: [String: String], stdin: Int32, stdout: Int32) throws -> pid_t {
        var pid: pid_t = 0
        let env = environment.map { "\($0.key)=\($0.value)" }
        let rc = withCStrings(argv) { a in withCStrings(env) { e in plumb_spawn(&pid, path, stdin, stdout, a, e) } }
        guard rc == 0 else { throw SystemError("posix_spawn", path, Errno(rawValue: rc)) }
        return pid
    }

    /// Writes `input` and reads the output together (poll), so neither side blocks on
    /// a full pipe; closes the write end when done.
    static func exchange(write wfd: Int32, input: [UInt8], read rfd: Int32, maxOutput: Int) -> [UInt8] {
        var out: [UInt8] = []
        var written = 0, writer = wfd, open = true
        _ = fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK)
        if input.isEmpty { close(writer); writer = -1 }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open {
            var fds = [pollfd(fd: rfd, events: Int16(POLLIN), revents: 0)]
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue }; break }
            if writer >= 0, fds.count > 1, fds[1].revents != 0 {
                let n = input[written...].withUnsafeBufferPointer { Glibc.write(writer, $0.baseAddress, $0.count) }
                if n > 0 { written += n }
                if n < 0 && errno != EAGAIN && errno != EINTR || written == input.count { close(writer); writer = -1 }
            }
            if fds[0].revents != 0 {
                let n = read(rfd, &buffer, buffer.count)
                if n > 0 { if out.count < maxOutput { out += buffer[0..<min(n, maxOutput - out.count)] } }
                else if n == 0 || errno != EINTR && errno != EAGAIN { open = false }
            }
        }
        if writer >= 0 { close(writer) }
        return out
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
