import CNetlink
import Glibc
import PlumbSystem
import PlumbTypes

/// A socket bound in a namespace, as `ss -ltnu` lists it.
public struct BoundSocket: Sendable, Hashable, Codable, CustomStringConvertible {
    public var proto: TransportProtocol
    public var local: Endpoint
    public var uid: Int
    /// The socket's inode: `ss -p` finds its process through /proc/*/fd.
    public var inode: Int
    public init(proto: TransportProtocol, local: Endpoint, uid: Int, inode: Int) {
        self.proto = proto; self.local = local; self.uid = uid; self.inode = inode
    }
    public var description: String { "\(proto.rawValue) \(local)" }
}

/// A sock_diag socket of the namespace it was created in.
public final class SockDiagSocket {
    let sock: OpaquePointer
    public let label: String

    public init(label: String) throws {
        sock = try openSocket("NETLINK_SOCK_DIAG", label: label) { nl_connect($0, NETLINK_SOCK_DIAG) }
        self.label = label
    }

    deinit { nl_socket_free(sock) }

    /// TCP sockets listening and UDP sockets bound, both families.
    /// Equivalent to: `ss -ltnu`.
    public func bound() throws -> [BoundSocket] {
        var out: [BoundSocket] = []
        // TCP_LISTEN is state 10; an unconnected UDP socket is TCP_CLOSE (7).
        for (proto, number, states) in [(TransportProtocol.tcp, IPPROTO_TCP, UInt32(1 << 10)), (.udp, IPPROTO_UDP, UInt32(1 << 7))] {
            for family in [AF_INET, AF_INET6] {
                var list = plumb_bound_list()
                defer { free(list.items) }
                let rc = plumb_sock_diag(sock, UInt8(family), UInt8(number), states, &list)
                if rc < 0 {
                    throw NetlinkError(operation: "SOCK_DIAG_BY_FAMILY", object: "\(proto.rawValue) dump in \(label)",
                                       errno: Errno(rawValue: errnoFromLibnl(-rc)))
                }
                for i in 0..<Int(list.count) {
                    let b = list.items[i]
                    let bytes = withUnsafeBytes(of: b.address) { Array($0.prefix(family == AF_INET ? 4 : 16)) }
                    guard let a = IPAddress(bytes: bytes) else { continue }
                    out.append(BoundSocket(proto: proto, local: Endpoint(a, Int(b.port)), uid: Int(b.uid), inode: Int(b.inode)))
                }
            }
        }
        return out
    }
}
