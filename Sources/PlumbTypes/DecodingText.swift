/// A decoding error as a person reads it: where in the document, and what is wrong
/// ("missing spec.id", "pid: wrong type"), not Swift's nested dump.
public func describeDecoding(_ e: Error) -> String {
    switch e {
    case DecodingError.keyNotFound(let k, let ctx):
        return "missing \((ctx.codingPath + [k]).map(\.stringValue).joined(separator: "."))"
    case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
        return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): wrong type"
    case DecodingError.dataCorrupted(let ctx):
        let at = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        return (at.isEmpty ? "" : "\(at): ") + ctx.debugDescription
    default: return "\(e)"
    }
}
