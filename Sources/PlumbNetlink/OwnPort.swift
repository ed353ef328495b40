import CNetlink
import Glibc
import PlumbSystem

/// Connects a libnl socket with a port id of its own choosing, never from libnl's
/// per-process table: that table holds 1024 ports, and a process past it gets a
/// kernel-assigned port that libnl later "releases" into its table — an assertion
/// failure (abort) once thousands of namespaces each had a socket. A random port is
/// bound by the kernel or refused (EADDRINUSE, another socket has it): then another.
/// Returns libnl's result and, on failure, the errno behind it (EMFILE stays EMFILE
/// instead of libnl's coarse code).
func connectWithOwnPort(_ sock: OpaquePointer, _ connect: (OpaquePointer) -> Int32) -> (Int32, Errno) {
    var rc: Int32 = -NLE_EXIST
    for _ in 0..<16 {
        nl_socket_set_local_port(sock, UInt32.random(in: 0x4000_0000...0x7fff_ffff))
        errno = 0
        rc = connect(sock)
        let saved = errno
        // EADDRINUSE arrives as NLE_EXIST; a failed nl_connect has closed its fd again.
        guard rc == -NLE_EXIST else {
            return (rc, saved != 0 ? Errno(rawValue: saved) : Errno(rawValue: errnoFromLibnl(-rc)))
        }
    }
    return (rc, Errno(rawValue: EADDRINUSE))
}

/// A libnl socket connected with a port of its own (see `connectWithOwnPort`): `connect`
/// is `nl_connect(s, PROTOCOL)` or `genl_connect`. On failure the socket is freed here
/// and the error names `family` and `label`: no caller holds half a socket.
func openSocket(_ family: String, label: String?, _ connect: (OpaquePointer) -> Int32) throws -> OpaquePointer {
    guard let s = nl_socket_alloc() else { throw NetlinkError(operation: "socket", object: family, errno: .noMemory) }
    let (rc, errno) = connectWithOwnPort(s, connect)
    guard rc >= 0 else {
        nl_socket_free(s)
        throw NetlinkError(operation: "connect", object: family + (label.map { " in \($0)" } ?? ""), errno: errno)
    }
    return s
}
