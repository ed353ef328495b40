import PlumbSystem

/// A request the kernel refused: which message, on what object, the errno and the
/// kernel's own extended-ACK text when it sent one. Reads like
/// `RTM_NEWROUTE default via 10.1.1.1 in netns web: Nexthop has invalid gateway (ENETUNREACH)`.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    public var operation: String      // RTM_NEWLINK, ETHTOOL_MSG_RINGS_SET, …
    public var object: String         // what it was about, including the namespace
    public var errno: Errno
    public var kernelMessage: String  // "" when the kernel gave no text

    public init(operation: String, object: String, errno: Errno, kernelMessage: String = "") {
        self.operation = operation; self.object = object; self.errno = errno; self.kernelMessage = kernelMessage
    }

    public var description: String {
        let text = kernelMessage.isEmpty ? errno.message : kernelMessage
        return "\(operation) \(object): \(text) (\(errno.name))"
    }
}

extension NetlinkError: ErrnoCarrying {}
extension VFSettingError: ErrnoCarrying {}
