import Glibc
import Synchronization

/// Descriptor-table slots held back for a call that must not fail for want of them: duplicates of one descriptor,
/// closed just before the call and taken again right after.
///
/// The vhost-user control path needs it: when the fsdev has used every descriptor the limit allows, a `recvmsg`
/// carrying descriptors (SET_MEM_TABLE, SET_VRING_KICK...) would lose them (MSG_CTRUNC) and the connection would
/// have to close, and `accept` of a new front-end would fail. The slots freed for the call can be taken by another
/// thread in between (the fsdev evicts its cached descriptors when it runs out, so it rarely sits at the limit); the
/// reserve narrows that window to the call itself, it does not close it.
public final class DescriptorReserve: Sendable {
    /// Slots the reserve holds when full.
    public let capacity: Int
    private let source: FileDescriptor
    private let held = Mutex<[CInt]>([])
    private let relieve: (@Sendable (Int) -> Int)?

    /// Holds `capacity` duplicates of `source` (fewer if the limit is reached already).
    /// - Parameter relieve: called with the number of slots missing when the process is out of descriptors
    ///   while the reserve refills (the fsdev gives back cached descriptors); returns how many it freed.
    public init(capacity: Int, duplicating source: FileDescriptor, relieve: (@Sendable (Int) -> Int)? = nil) {
        self.capacity = capacity
        self.source = source
        self.relieve = relieve
        replenish()
    }

    deinit { release() }

    /// Slots held now.
    public var count: Int { held.withLock { $0.count } }

    /// Closes every held slot.
    public func release() {
        let fds = held.withLock { h -> [CInt] in
            defer { h.removeAll(keepingCapacity: true) }
            return h
        }
        for fd in fds { _ = close(fd) }
    }

    /// Takes slots again up to `capacity`; returns how many are held. The corresponding C function is
    /// `fcntl(F_DUPFD_CLOEXEC)`.
    @discardableResult
    public func replenish() -> Int {
        var relieved = false
        return held.withLock { h in
            while h.count < capacity {
                let fd = fcntl(source.rawValue, F_DUPFD_CLOEXEC, 0)
                if fd >= 0 {
                    h.append(fd)
                    continue
                }
                let e = errno
                guard e == EMFILE || e == ENFILE, !relieved, let relieve, relieve(capacity - h.count) > 0 else { break }
                relieved = true
            }
            return h.count
        }
    }

    /// Runs `body` with the held slots free for it, then takes them back.
    public func whileReleased<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        release()
        defer { replenish() }
        return try body()
    }
}
