/// A value stored in JSON as the text it is written as ("10.88.0.2/16", "02:00:…"):
/// decoding parses that text and refuses what does not parse, naming it.
public protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
    /// What the value is, for the error: "IP", "prefix", "MAC".
    static var textKind: String { get }
}

extension TextCodable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad \(Self.textKind) \(text)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
