/// Why a plan cannot be made: the kernel holds something the manifest would
/// have to take over or cannot reach. Raised before any change.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int?, message: String) { self.path = path; self.line = line; self.message = message }
    public var description: String { "\(path): \(message)" + (line.map { " (line \($0))" } ?? "") }
}

public struct PlanErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [PlanError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
