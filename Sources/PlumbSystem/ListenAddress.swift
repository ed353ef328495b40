import PlumbTypes

/// Where a server listens: `ADDR:PORT` for IPv4, `[ADDR]:PORT` for IPv6 (the brackets
/// keep the address's colons apart from the port's), as Prometheus' exporters take it.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int

    public init(_ address: IPAddress, port: Int) { self.address = address; self.port = port }

    /// The address `text` names, or why it names none.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        guard let colon = text.lastIndex(of: ":") else { return .failure(.init(text, "expected ADDR:PORT or [IPv6]:PORT")) }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else {
            return .failure(.init(text, "\"\(portText)\" is not a port (0-65535)"))
        }
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2
        if bracketed { host = String(host.dropFirst().dropLast()) }
        guard let address = IPAddress(host) else { return .failure(.init(text, "\"\(host)\" is not an IP address")) }
        guard (address.family == .v6) == bracketed else {
            return .failure(.init(text, address.family == .v6 ? "write an IPv6 address in brackets: [\(host)]:\(port)"
                                                                : "only an IPv6 address goes in brackets"))
        }
        return .success(ListenAddress(address, port: port))
    }

    public var description: String { address.family == .v6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

public struct ListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    init(_ text: String, _ reason: String) { self.text = text; self.reason = reason }
    public var description: String { "\"\(text)\" is not a listen address: \(reason)" }
}
