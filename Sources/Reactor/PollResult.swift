/// What one call of a poller did (SPDK's `SPDK_POLLER_IDLE` / `SPDK_POLLER_BUSY`).
public enum PollResult: Sendable, Equatable {
    /// Found no work. A reactor whose pollers are all idle may go to sleep (interrupt and adaptive modes).
    case idle
    /// Did some work; the reactor polls again without sleeping.
    case busy
}
