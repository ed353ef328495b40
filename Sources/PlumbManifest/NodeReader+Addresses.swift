import PlumbTypes
/// Typed reads of the address values a manifest holds, with messages that show the text as given.
extension NodeReader {
    func prefix() -> IPPrefix? {
        guard let text = string() else { return nil }
        if let p = IPPrefix(text) { return p }
        if let a = IPAddress(text) {
            fail("\"\(text)\" has no prefix length; write it like \(a)/\(a.family == .v4 ? 24 : 64)")
        } else {
            fail("\"\(text)\" is not an IPv4 or IPv6 prefix")
        }
        return nil
    }

    func address() -> IPAddress? {
        guard let text = string() else { return nil }
        if let a = IPAddress(text) { return a }
        fail("\"\(text)\" is not an IPv4 or IPv6 address")
        return nil
    }

    func mac() -> MACAddress? {
        guard let text = string() else { return nil }
        if let m = MACAddress(text) { return m }
        fail("\"\(text)\" is not a MAC address like 02:00:00:00:00:10")
        return nil
    }

    /// A list of prefixes that keeps each item's index: a bad item becomes a placeholder, so the
    /// paths of later items stay right (the placeholder never leaves the loader: it failed).
    func prefixes() -> [IPPrefix]? {
        list()?.map { $0.prefix() ?? IPPrefix.defaultRoute(.v4) }
    }
}
