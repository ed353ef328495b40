import PlumbSystem

/// An apply that failed at one step and was rolled back. The cause keeps its type
/// (its errno, operation and object) up to the front end.
public struct ApplyError: Error, CustomStringConvertible {
    public var step: Step
    public var stepNumber: Int
    public var cause: any Error
    /// Undo actions that themselves failed: reported, never hidden.
    public var undoFailures: [UndoFailure]

    public init(step: Step, stepNumber: Int, cause: any Error, undoFailures: [UndoFailure]) {
        self.step = step; self.stepNumber = stepNumber; self.cause = cause; self.undoFailures = undoFailures
    }

    /// The kernel's errno behind the failure, when there is one.
    public var errno: Errno? { (cause as? any ErrnoCarrying)?.errno }

    public var description: String {
        var text = "step \(stepNumber) failed: \(step.action.command)\n  \(cause)\n"
        if let hint = errno?.hint { text += "  \(hint)\n" }
        if undoFailures.isEmpty {
            text += "  rolled back: every change of this apply was undone"
        } else {
            text += "  rollback INCOMPLETE — these undo steps failed:\n" + undoFailures.map { "    \($0)" }.joined(separator: "\n")
        }
        return text
    }
}

/// An undo that failed during a rollback.
public struct UndoFailure: Sendable, CustomStringConvertible {
    public var action: Action
    public var cause: any Error
    public var description: String { "\(action.command): \(cause)" }
}

/// A step refused at execution because the object is no longer provably the owner's.
public struct OwnershipError: Error, Sendable, CustomStringConvertible {
    public var object: String
    public var reason: String
    public var description: String { "\(object): \(reason); plumb does not touch it" }
}

/// A failure made on purpose by the test-only fault seam (PLUMB_FAULT_STEP).
public struct InjectedFault: Error, CustomStringConvertible {
    public var stepNumber: Int
    public var description: String { "injected fault at step \(stepNumber) (PLUMB_FAULT_STEP)" }
}

/// A destroy that stopped at one step; what it did so far stays recorded.
public struct DestroyError: Error, CustomStringConvertible {
    public var step: Step
    public var stepNumber: Int
    public var cause: any Error
    public var errno: Errno? { (cause as? any ErrnoCarrying)?.errno }
    public var description: String {
        "step \(stepNumber) failed: \(step.action.command)\n  \(cause)" + (errno?.hint.map { "\n  \($0)" } ?? "")
            + "\n  what was removed so far stays removed; run destroy again to finish"
    }
}

/// A destroy refused before any change: it would delete a link that another owner's
/// macvlan, ipvlan or VLAN sits on, and the kernel deletes those with their parent.
public struct ParentInUseError: Error, CustomStringConvertible {
    public var parent: String
    public var children: [String]
    public var description: String {
        "\(parent) is the parent of \(children.joined(separator: ", ")); destroying it would delete them too. "
            + "Destroy their owners first; nothing was changed"
    }
}
