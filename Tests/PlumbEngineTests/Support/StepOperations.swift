import PlumbEngine

/// The kernel operations each step of a clean apply makes, found by applying once on a
/// fresh fake kernel and cutting its log at each step's start: the places a kernel
/// failure can be injected "at step k".
struct StepOperations {
    struct Entry {
        var step: Step
        /// The operations of this step, each with how many calls of the same name came
        /// before it in the whole apply (the `skip` that makes exactly that call fail).
        var operations: [(name: String, skip: Int)]
    }

    var entries: [Entry]

    init(_ layer: Layer, on start: () -> FakeKernel) throws {
        try self.init(layer, in: World(start()))
    }

    /// The same on a prepared world (its kernel's log is cleared first).
    init(_ layer: Layer, in w: World) throws {
        w.kernel.log = []
        var starts: [Int] = []
        let plan = try w.engine().apply(layer) { _, _, _ in starts.append(w.kernel.log.count) }
        let log = w.kernel.log
        starts.append(log.count)
        entries = plan.steps.enumerated().map { i, step in
            let ops = (starts[i]..<starts[i + 1]).map { at in (log[at], log[..<at].filter { $0 == log[at] }.count) }
            return Entry(step: step, operations: ops)
        }
    }
}
