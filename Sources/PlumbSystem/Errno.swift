import Glibc

/// An errno value with its symbolic name, so errors read `EEXIST`, not `17`,
/// and callers match by name: `catch let e as SystemError where e.errno == .exists`.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static var current: Errno { Errno(rawValue: Glibc.errno) }

    public static let permission = Errno(rawValue: EPERM)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let noProcess = Errno(rawValue: ESRCH)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let io = Errno(rawValue: EIO)
    public static let badFile = Errno(rawValue: EBADF)
    public static let again = Errno(rawValue: EAGAIN)
    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let access = Errno(rawValue: EACCES)
    public static let busy = Errno(rawValue: EBUSY)
    public static let exists = Errno(rawValue: EEXIST)
    public static let noDevice = Errno(rawValue: ENODEV)
    public static let invalid = Errno(rawValue: EINVAL)
    public static let range = Errno(rawValue: ERANGE)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    public static let addressNotAvailable = Errno(rawValue: EADDRNOTAVAIL)
    public static let networkUnreachable = Errno(rawValue: ENETUNREACH)
    public static let notConnected = Errno(rawValue: ENOTCONN)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let hostUnreachable = Errno(rawValue: EHOSTUNREACH)
    public static let loop = Errno(rawValue: ELOOP)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)

    /// The symbolic name (`EEXIST`), falling back to the number.
    public var name: String {
        Errno.names[rawValue] ?? "errno \(rawValue)"
    }
    /// strerror text, e.g. "File exists".
    public var message: String { String(cString: strerror(rawValue)) }
    public var description: String { name }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        E2BIG: "E2BIG", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES",
        EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
        ENOSPC: "ENOSPC", EROFS: "EROFS", EPIPE: "EPIPE", ERANGE: "ERANGE", ENAMETOOLONG: "ENAMETOOLONG",
        ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", ENODATA: "ENODATA",
        EPROTONOSUPPORT: "EPROTONOSUPPORT", EOPNOTSUPP: "EOPNOTSUPP", EAFNOSUPPORT: "EAFNOSUPPORT",
        EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL", ENETDOWN: "ENETDOWN",
        ENETUNREACH: "ENETUNREACH", ENOBUFS: "ENOBUFS", ENOTCONN: "ENOTCONN", ETIMEDOUT: "ETIMEDOUT",
        ECONNREFUSED: "ECONNREFUSED", EHOSTUNREACH: "EHOSTUNREACH", EMSGSIZE: "EMSGSIZE",
        EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS",
    ]
}

/// A failed system call: what was attempted, on what, and the errno.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var object: String
    public var errno: Errno
    public init(_ operation: String, _ object: String, _ errno: Errno = .current) {
        self.operation = operation; self.object = object; self.errno = errno
    }
    public var description: String { "\(operation) \(object): \(errno.message) (\(errno.name))" }
}

/// Runs `body` and turns a -1 result into a SystemError carrying errno.
@discardableResult
@inline(__always)
func check(_ operation: String, _ object: String, _ body: () -> Int32) throws -> Int32 {
    while true {
        let r = body()
        if r != -1 { return r }
        if Glibc.errno == EINTR { continue }
        throw SystemError(operation, object)
    }
}

/// An error that carries the kernel's errno, so a front end can act on it (EPERM →
/// "needs CAP_NET_ADMIN", a CNI error code) without parsing text.
public protocol ErrnoCarrying: Error {
    var errno: Errno { get }
}

extension SystemError: ErrnoCarrying {}

extension SRIOVError: ErrnoCarrying {
    public var errno: Errno {
        switch self {
        case .numVFsRefused(_, _, _, _, let e): return e
        case .noInterface, .noDevice, .noPCIDevice, .pciHasNoInterface, .noMAC: return .noDevice
        case .vfNetdevsTimeout: return .timedOut
        case .driverNotLoaded: return .noEntry
        case .bindFailed: return .io
        case .invalidName, .invalidPCIAddress, .invalidMAC, .noSRIOV, .isVirtualFunction, .notVirtualFunction,
             .ambiguousMAC, .badAttribute, .tooManyVFs: return .invalid
        }
    }
}

extension Errno {
    public static let tooManyFiles = Errno(rawValue: EMFILE)

    /// What the failure means for Plumb, when that says more than its errno: which
    /// capability is missing, or which limit was reached.
    public var hint: String? {
        switch self {
        case .permission, .access:
            return "plumb needs root: CAP_NET_ADMIN for netlink and nftables, CAP_SYS_ADMIN for network namespaces"
        case .tooManyFiles:
            return "plumb ran out of file descriptors (limit \(ResourceLimits.descriptors()), raised as far as the hard limit allows): raise it with `ulimit -n`"
        default: return nil
        }
    }
}
