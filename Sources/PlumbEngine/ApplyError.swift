/// An apply that failed at one step and was rolled back.
public struct ApplyError: Error, Sendable, CustomStringConvertible {
    public var step: Step
    public var stepNumber: Int
    public var cause: String
    /// Undo steps that themselves failed: reported, never hidden.
    public var undoFailures: [String]

    public var description: String {
        var text = "step \(stepNumber) failed: \(step.command)\n  \(cause)\n"
        if undoFailures.isEmpty {
            text += "  rolled back: every change of this apply was undone"
        } else {
            text += "  rollback INCOMPLETE — these undo steps failed:\n" + undoFailures.map { "    \($0)" }.joined(separator: "\n")
        }
        return text
    }
}

/// A failure made on purpose by the test-only fault seam (PLUMB_FAULT_STEP).
public struct InjectedFault: Error, CustomStringConvertible {
    public var stepNumber: Int
    public var description: String { "injected fault at step \(stepNumber) (PLUMB_FAULT_STEP)" }
}
