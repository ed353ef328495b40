/// A value a step replaces: what it sets and what was there. Undo is the swap.
public struct Change<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
    public var to: Value
    public var from: Value
    public init(to: Value, from: Value) { self.to = to; self.from = from }
    public var inverted: Change { Change(to: from, from: to) }
}

extension Optional {
    /// Swaps each present change.
    func inverted<V>() -> Change<V>? where Wrapped == Change<V> { map(\.inverted) }
}
