/// A value that may be passed between threads but used only on one reactor (SwiftNIO's `NIOLoopBound`): the
/// way to hand a reactor-confined object such as an I/O channel to `Reactor.run` closures.
public struct ReactorBound<Value>: @unchecked Sendable {
    // SAFETY (Sendable): `value` is only reachable through the accessor, which traps off the owning reactor.

    /// The owning reactor.
    public let reactor: Reactor
    private let storage: Value

    /// Binds `value` to `reactor`. Must be called on `reactor`.
    public init(_ value: Value, reactor: Reactor) {
        reactor.preconditionOnReactor("ReactorBound.init")
        self.reactor = reactor
        self.storage = value
    }

    /// The value. Traps off the owning reactor.
    public var value: Value {
        reactor.preconditionOnReactor("ReactorBound.value")
        return storage
    }
}
