import PlumbSystem

/// What went wrong talking to nftables, with nft's own words.
public enum FirewallError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `nft_ctx_new` returned nothing (out of memory).
    case contextUnavailable
    /// nft refused a command. `operation` is what Plumb was doing ("replace table inet plumb"),
    /// `message` nft's error text, e.g. "Error: Could not process rule: No such file or directory"
    /// followed by the offending line and carets.
    case rejected(operation: String, message: String)
    /// `nft -j list` printed something outside the JSON schema this target reads.
    case unreadableListing(String)

    public var description: String {
        switch self {
        case .contextUnavailable:
            return "nft: cannot create a libnftables context"
        case .rejected(let operation, let message):
            return "\(operation): nft: \(message)"
        case .unreadableListing(let why):
            return "nft -j list: \(why)"
        }
    }

    /// nft's message, when nft refused the command.
    public var nftMessage: String? {
        if case .rejected(_, let message) = self { return message }
        return nil
    }

    /// True when nft reported ENOENT: the table, chain or rule named does not exist.
    /// Matched on strerror(ENOENT), the text nft prints for that errno (the errno itself
    /// does not leave libnftables), never on "any error".
    public var isNoSuchObject: Bool {
        nftMessage?.contains("Error: \(Errno.noEntry.message)") == true
            || nftMessage?.contains("Could not process rule: \(Errno.noEntry.message)") == true
    }
}
