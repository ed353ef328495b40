import Foundation
import PlumbJSON
import PlumbSystem
import PlumbTypes

/// A recorded observation: what `plan --save-observed` writes and `plan --observed`
/// (and the planner's fixture tests) read, so planning runs without privileges.
public struct RecordedObservation: Codable, Sendable {
    public var observed: ObservedState
    public var record: Record?
    /// The host ports other owners' records published then (nil in older recordings).
    public var portsElsewhere: [PortClaim]?

    public init(observed: ObservedState, record: Record?, portsElsewhere: [PortClaim]? = nil) {
        self.observed = observed; self.record = record; self.portsElsewhere = portsElsewhere
    }

    public static func load(_ path: String) throws -> RecordedObservation {
        let data = Data(try Files.read(path).utf8)
        do { return try JSONDecoding.decode(RecordedObservation.self, from: data) } catch {
            throw StoreError(path: path, reason: "not a recorded observation (\(describeDecoding(error)))")
        }
    }

    /// Written atomically, 0600, replacing (never following) a symlink at `path`.
    public func save(_ path: String) throws {
        try Files.writeAtomically(path, Array(try JSONEncoding.encode(self, style: .pretty)))
    }
}
