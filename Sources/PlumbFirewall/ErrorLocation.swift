import CNFTables
import Foundation
import Glibc

/// nft 1.0.6 prints a buffer's errors against the buffer's FIRST line (it treats a buffer
/// like a one-line command), so for a multi-line script the quoted line is wrong and the
/// carets point into nothing. Errors from a file carry `file:line:col` and the right line.
/// So when a buffer fails, the same script is checked again from a temporary file, in
/// dry-run mode — nothing is committed — only to get nft's message with its location.
enum ErrorLocation {
    /// nft's located message for `script`, or nil when the check passes this time or the
    /// file cannot be made. The caller holds the library lock.
    static func locate(_ script: String, context: OpaquePointer) -> String? {
        guard script.contains("\n"), let file = UnlinkedFile(contents: script) else { return nil }
        defer { file.close() }
        let wasDryRun = nft_ctx_get_dry_run(context)
        nft_ctx_set_dry_run(context, true)
        defer { nft_ctx_set_dry_run(context, wasDryRun) }
        let rc = nft_run_cmd_from_filename(context, file.path)
        _ = nft_ctx_get_output_buffer(context)
        let error = String(cString: nft_ctx_get_error_buffer(context))
        guard rc != 0, !error.isEmpty else { return nil }
        return error.replacingOccurrences(of: file.path + ":", with: "script:")
    }
}

/// A temporary file removed from the directory as soon as it is made, read back through
/// /proc/self/fd, so nothing is left behind even if Plumb dies.
private struct UnlinkedFile {
    let fd: Int32
    var path: String { "/proc/self/fd/\(fd)" }

    init?(contents: String) {
        var template = Array("/tmp/plumb-nft-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return nil }
        unlink(template)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = fd
        guard UnlinkedFile.write(Array(contents.utf8), to: fd) else { Glibc.close(fd); return nil }
    }

    func close() { Glibc.close(fd) }

    private static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
