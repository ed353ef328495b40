import Testing

/// Records an issue naming every difference when the kernel is not as it was.
func expectSame(_ after: FakeSnapshot, _ before: FakeSnapshot, _ what: @autoclosure () -> String,
                sourceLocation: SourceLocation = #_sourceLocation) {
    if after != before {
        Issue.record("\(what()): the kernel is not as it was:\n\(after.differences(from: before))", sourceLocation: sourceLocation)
    }
}
