extension FUSEClient {
    /// How a queue waits for the device to return requests.
    public enum CompletionWait: Hashable, Sendable, CustomStringConvertible {
        /// Block on the queue's call eventfd with interrupts enabled, as a guest driver does (each wake-up costs the
        /// backend an eventfd write and the client a thread wake-up, about 25 us on these machines).
        case interrupt
        /// Spin on used.idx with interrupts suppressed (VRING_AVAIL_F_NO_INTERRUPT or used_event half a ring away):
        /// the lowest latency, at the price of one CPU per queue thread.
        case poll
        /// Spin with interrupts suppressed for up to `spinNanoseconds`, then re-enable them and block.
        case hybrid(spinNanoseconds: UInt64)

        public var description: String {
            switch self {
            case .interrupt: return "interrupt"
            case .poll: return "poll"
            case .hybrid(let ns): return "hybrid(\(ns / 1000)us)"
            }
        }
    }
}
