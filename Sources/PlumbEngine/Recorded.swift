import Foundation

/// A recorded observation: what `plan --save-observed` writes and `plan --observed`
/// (and the planner's fixture tests) read, so planning runs without privileges.
public struct RecordedObservation: Codable, Sendable {
    public var observed: ObservedState
    public var record: OwnershipRecord?

    public init(observed: ObservedState, record: OwnershipRecord?) { self.observed = observed; self.record = record }

    public static func load(_ path: String) throws -> RecordedObservation {
        try JSONDecoder().decode(RecordedObservation.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public func save(_ path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
