import FUSEWire
import Glibc

extension FUSEClient {
    /// How the client sets up the device and what it offers in FUSE_INIT.
    public struct Configuration: Sendable {
        /// Request queues wanted (virtqueues 1...N; queue 0 is hiprio). Clamped to what the backend offers
        /// (GET_QUEUE_NUM - 1, and num_request_queues from the config space when readable).
        public var requestQueueCount: Int = 1
        /// Virtqueue size (QEMU's `queue-size`), a power of two.
        public var queueSize: Int = 1024
        /// Request slots per request queue: the largest queue depth a queue can sustain.
        public var slotsPerQueue: Int = 64
        /// Largest data payload per request (WRITE data, READ reply, READDIR buffer), in bytes.
        public var maximumDataSize: Int = 128 * 1024
        /// Room for fixed arguments and names per request (a symlink target can be PATH_MAX).
        public var argumentCapacity: Int = 8192
        /// How queues wait for completions.
        public var wait: CompletionWait = .hybrid(spinNanoseconds: 50_000)
        /// Milliseconds a request may take before the client gives up on it.
        public var timeoutMilliseconds: Int = 10_000
        /// Milliseconds to keep retrying the socket while the backend starts.
        public var connectTimeoutMilliseconds: Int = 10_000
        /// Guest physical address of guest RAM (QEMU puts RAM at 0).
        public var guestPhysicalAddress: UInt64 = 0
        /// Accept VIRTIO_RING_F_EVENT_IDX when offered (used_event/avail_event notification suppression).
        public var acceptsEventIndex: Bool = true
        /// Accept VIRTIO_RING_F_INDIRECT_DESC when offered (the client itself posts direct chains).
        public var acceptsIndirectDescriptors: Bool = true
        /// FUSE_INIT protocol minor version offered (major is 7).
        public var minorVersion: UInt32 = FUSEProtocol.minor
        /// FUSE_INIT `max_readahead`.
        public var maximumReadahead: UInt32 = 128 * 1024
        /// FUSE_INIT flags (low 32 bits: `flags`, high 32 bits: `flags2`, sent with FUSE_INIT_EXT). The default is
        /// what Linux 6.1's virtiofs offers, without writeback cache, POSIX ACLs and DAX.
        public var initFlags: UInt64 = FUSEClient.linuxInitFlags
        /// uid, gid and pid in every `fuse_in_header`.
        public var uid: UInt32 = getuid()
        /// The caller's gid in every `fuse_in_header`.
        public var gid: UInt32 = getgid()
        /// The caller's pid in every `fuse_in_header`.
        public var pid: UInt32 = UInt32(bitPattern: getpid())
        /// Acknowledge VHOST_USER_PROTOCOL_F_CONFIG when offered and read the virtio-fs config space (tag and
        /// num_request_queues). QEMU 7.2's vhost-user-fs does not; turn on to check a backend's config space.
        public var readsConfigSpace: Bool = false
        /// Describe guest RAM with ADD_MEM_REG (one message per region) instead of SET_MEM_TABLE. nil: as QEMU 7.2
        /// does, ADD_MEM_REG exactly when VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS was negotiated.
        public var usesAddMemoryRegion: Bool?
        /// Send FUSE_INIT during `init` (turn off to test a backend before INIT).
        public var sendsInit: Bool = true
        /// Guest RAM left free, beyond what the queues use, for a test's own buffers (`ram.allocate`): hostile
        /// chains, aliasing indirect tables. The memfd is sparse: untouched bytes cost nothing.
        public var spareGuestMemory: Int = 0
        /// Create guest RAM as a memfd that accepts seals (MFD_ALLOW_SEALING, as QEMU's memory-backend-memfd),
        /// without sealing it; off: born with F_SEAL_SEAL, as with `seal=off`.
        public var sealableGuestMemory: Bool = false

        /// The defaults.
        public init() {}
    }
}
