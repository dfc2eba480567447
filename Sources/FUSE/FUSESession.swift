import FSDev
import FUSEWire
import Synchronization

/// The FUSE connection state of one virtio-fs device, shared by all its queues (and so by several reactors).
///
/// INIT arrives on one request queue while requests of other queues may already be decoded: the negotiated values
/// are published with release ordering after INIT completed and read with acquire ordering by every request.
public final class FUSESession: Sendable {
    /// What the daemon offers at INIT.
    public let options: FUSEInitNegotiation.Options
    private let initialized = Atomic<Bool>(false)
    private let negotiatedMinor = Atomic<UInt32>(0)
    private let negotiatedFlags = Atomic<UInt64>(0)
    private let negotiatedMaxWrite = Atomic<UInt32>(0)
    private let negotiatedMaxPayload = Atomic<UInt32>(0)

    public init(options: FUSEInitNegotiation.Options) {
        self.options = options
    }

    /// Whether INIT completed and DESTROY has not been received since.
    public var isInitialized: Bool { initialized.load(ordering: .acquiring) }
    /// The minor protocol version agreed at INIT.
    public var minor: UInt32 { negotiatedMinor.load(ordering: .relaxed) }
    /// The capability flags agreed at INIT.
    public var flags: FUSEInitFlags { FUSEInitFlags(rawValue: negotiatedFlags.load(ordering: .relaxed)) }
    /// The largest WRITE payload agreed at INIT.
    public var maxWrite: UInt32 { negotiatedMaxWrite.load(ordering: .relaxed) }
    /// The largest data reply a request may ask for (READ size, READDIR/READDIRPLUS size): the agreed max_pages
    /// pages, and at least max_write. The guest kernel never asks for more (linux/fuse.h, `max_pages`); a READ
    /// beyond it is refused and a directory listing is cut to it, whatever room the chain offers.
    public var maxPayload: UInt32 { negotiatedMaxPayload.load(ordering: .relaxed) }

    /// Publishes the outcome of INIT.
    func markInitialized(minor: UInt32, flags: FUSEInitFlags, maxWrite: UInt32, maxPages: UInt16) {
        negotiatedMinor.store(minor, ordering: .relaxed)
        negotiatedFlags.store(flags.rawValue, ordering: .relaxed)
        negotiatedMaxWrite.store(maxWrite, ordering: .relaxed)
        let pages = UInt64(maxPages) * UInt64(max(options.pageSize, 1))
        negotiatedMaxPayload.store(UInt32(clamping: max(pages, UInt64(maxWrite))), ordering: .relaxed)
        initialized.store(true, ordering: .releasing)
    }

    /// Back to the state before INIT (DESTROY, or the front-end went away).
    public func reset() {
        initialized.store(false, ordering: .releasing)
    }
}
