import LinuxSystem

extension Reactor {
    /// Queues `message` to run on the reactor thread in a later pass (also when called on the reactor itself).
    /// Callable from any thread. Returns false, without running it, if the reactor has stopped.
    @discardableResult
    public func send(_ message: @escaping @Sendable () -> Void) -> Bool {
        guard mailbox.push(message) else { return false }
        // Pairs with the handshake in sleepUntilWoken: the push above is sequentially consistent.
        if sleeping.load(ordering: .sequentiallyConsistent) { mailbox.eventFD.signal() }
        return true
    }

    /// Runs `body` on the reactor and waits for its result (inline when already on this reactor). For the control
    /// thread: start or stop a queue, create a channel, read reactor-confined state.
    /// - Precondition: the reactor is running (a stopped reactor could never answer).
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) throws(E) -> T {
        if isCurrent { return try body() }
        let latch = OneShotLatch<Result<T, E>>()
        let accepted = send {
            latch.signal(Result { () throws(E) -> T in try body() })
        }
        precondition(accepted, "Reactor.run on stopped reactor-\(index)")
        return try latch.wait().get()
    }
}
