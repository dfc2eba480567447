import CLinux
import Glibc
import GuestMemory
import LinuxSystem
import Synchronization
import VhostUser
import Virtqueue

/// A virtio-fs guest driver over vhost-user: connects to any vhost-user-fs backend's socket, sets the device up the
/// way QEMU 7.2 does (features, memory table, hiprio plus N request queues with kick and call eventfds, enable),
/// sends FUSE_INIT, and offers typed FUSE requests.
///
/// Queue 0 (hiprio) carries FORGET and BATCH_FORGET; request queues are virtqueues 1...N, reached as
/// `requestQueues[0...N-1]`. Each request queue is a `Queue` that one thread drives: synchronous typed calls, or
/// pipelined `submit`/`kick`/`reap`. The calls on `FUSEClient` itself go to the first request queue (and forgets to
/// hiprio, which is shared under a lock).
///
/// Nothing the backend sends can make the client trap: reply lengths, unique ids, error ranges and used-ring entries
/// are checked and reported as `Failure` or `Completion.problem`.
///
/// Threading: `requestQueues[i]` may be driven from one thread each; `forget`, `batchForget` and `withHiprio` may be
/// called from any thread; `shutdown` only when no queue is in use.
public final class FUSEClient: @unchecked Sendable {
    /// The root directory's node id (FUSE_ROOT_ID).
    public static let rootNodeID: UInt64 = 1

    /// FUSE_INIT flags Linux 6.1's virtiofs offers, minus writeback cache, POSIX ACLs, splice, "no open" and DAX
    /// (they change what the backend must do, and a benchmark should see plain opens and writes).
    public static let linuxInitFlags: UInt64 = {
        let low: Int32 = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT
            | FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_FLOCK_LOCKS | FUSE_HAS_IOCTL_DIR | FUSE_AUTO_INVAL_DATA
            | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_PARALLEL_DIROPS
            | FUSE_HANDLE_KILLPRIV | FUSE_ABORT_ERROR | FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS
            | FUSE_EXPLICIT_INVAL_DATA | FUSE_HANDLE_KILLPRIV_V2 | FUSE_SETXATTR_EXT | FUSE_INIT_EXT
        return UInt64(UInt32(bitPattern: low))
    }()

    /// What the client was asked for.
    public let configuration: Configuration
    /// The vhost-user connection.
    public let frontend: VhostUserFrontend
    /// The guest RAM shared with the backend.
    public let ram: GuestRAM
    /// What the vhost-user negotiation agreed.
    public let negotiated: VhostUserFrontend.Negotiated
    /// Virtio features acknowledged with SET_FEATURES.
    public let acknowledgedFeatures: VirtioFeatures
    /// Request queues the backend offers (GET_QUEUE_NUM - 1, or the config space's num_request_queues), nil when
    /// it does not say.
    public let backendRequestQueueCount: Int?
    /// The tag from the config space, when it was read.
    public let tag: String?
    /// The request queues (virtqueues 1...N).
    public let requestQueues: [Queue]
    /// The FUSE_INIT answer (nil when `configuration.sendsInit` is false and `initialize()` was not called).
    public private(set) var initReply: InitReply?

    private let hiprio: Mutex<Queue>
    private let hiprioIndex = 0
    private let closed = Atomic<Bool>(false)

    /// Connects to the backend listening at `socketPath` (retrying while it starts), sets up the device and, unless
    /// `configuration.sendsInit` is false, sends FUSE_INIT.
    public convenience init(socketPath: String, configuration: Configuration = Configuration()) throws(Failure) {
        let frontend: VhostUserFrontend
        do {
            frontend = try VhostUserFrontend(socketPath: socketPath,
                                             timeoutMilliseconds: configuration.connectTimeoutMilliseconds)
        } catch {
            throw .frontend(error)
        }
        try self.init(frontend: frontend, configuration: configuration)
    }

    /// Sets up the device over an already connected front-end (nothing negotiated yet).
    public init(frontend: VhostUserFrontend, configuration: Configuration = Configuration()) throws(Failure) {
        guard configuration.requestQueueCount >= 1, configuration.slotsPerQueue >= 1,
            configuration.maximumDataSize >= 0, configuration.argumentCapacity >= 64,
            configuration.queueSize > 0, configuration.queueSize & (configuration.queueSize - 1) == 0
        else { throw .invalidArgument("configuration: queues >= 1, slots >= 1, queue size a power of two") }
        guard configuration.slotsPerQueue * 5 <= configuration.queueSize else {
            throw .invalidArgument("configuration: \(configuration.slotsPerQueue) slots need a queue size of at "
                + "least \(configuration.slotsPerQueue * 5) (5 descriptors per request)")
        }
        self.configuration = configuration
        self.frontend = frontend
        frontend.replyTimeoutMilliseconds = Int32(clamping: configuration.timeoutMilliseconds)

        // vhost_user_backend_init + vhost_dev_init: features, protocol features, queue count, owner.
        var wanted: VhostUserProtocolFeatures = [.multiQueue, .replyAck, .configureMemorySlots]
        if configuration.readsConfigSpace { wanted.insert(.config) }
        let n: VhostUserFrontend.Negotiated
        do { n = try frontend.negotiate(wantedProtocolFeatures: wanted) } catch { throw .frontend(error) }
        negotiated = n

        var configQueues: Int?
        var configTag: String?
        if n.protocolFeatures.contains(.config) {
            // struct virtio_fs_config: tag[36], num_request_queues (virtio 1.2 §5.11.4).
            let config: [UInt8]
            do { config = try frontend.getConfig(offset: 0, size: 40) } catch { throw .frontend(error) }
            let tagBytes = config[0..<36].prefix { $0 != 0 }
            configTag = String(decoding: tagBytes, as: UTF8.self)
            configQueues = Int(UInt32(config[36]) | UInt32(config[37]) << 8 | UInt32(config[38]) << 16
                | UInt32(config[39]) << 24)
        }
        tag = configTag
        var offered: Int?
        if let total = n.queueCount { offered = max(total - 1, 0) }
        if let c = configQueues { offered = min(offered ?? c, c) }
        backendRequestQueueCount = offered
        let requestQueueCount = min(configuration.requestQueueCount, max(offered ?? 1, 1))

        // vhost_dev_start: SET_FEATURES, SET_MEM_TABLE, then each ring.
        var accepted: VirtioFeatures = [.version1, .protocolFeatures]
        if configuration.acceptsEventIndex { accepted.insert(.ringEventIndex) }
        if configuration.acceptsIndirectDescriptors { accepted.insert(.ringIndirectDescriptors) }
        let features = n.offeredFeatures.intersection(accepted)
        do { try frontend.setFeatures(features) } catch { throw .frontend(error) }
        acknowledgedFeatures = features

        let data = configuration.maximumDataSize
        let arguments = configuration.argumentCapacity
        let reply = max(data, arguments)
        let hiprioSlots = 8
        let hiprioArguments = MemoryLayout<fuse_batch_forget_in>.size + 4096 * MemoryLayout<fuse_forget_one>.size
        var bytes = Queue.guestMemoryNeeded(queueSize: configuration.queueSize, slotCount: hiprioSlots,
                                            argumentCapacity: hiprioArguments, dataCapacity: 0, replyCapacity: 0)
        bytes += requestQueueCount * Queue.guestMemoryNeeded(
            queueSize: configuration.queueSize, slotCount: configuration.slotsPerQueue, argumentCapacity: arguments,
            dataCapacity: data, replyCapacity: reply)
        bytes += (1 << 20) + max(configuration.spareGuestMemory, 0)
        let guestRAM: GuestRAM
        do {
            guestRAM = try GuestRAM(layout: [(configuration.guestPhysicalAddress, UInt64(bytes))], name: "fuse-client",
                                    allowSealing: configuration.sealableGuestMemory)
        } catch {
            throw .guestMemory(error.rawValue)
        }
        ram = guestRAM
        let regions = guestRAM.regions.map {
            (MemoryRegionPayload(guestPhysicalAddress: $0.guestPhysicalAddress.rawValue, size: $0.size,
                                 userAddress: $0.userAddress, mmapOffset: $0.mmapOffset),
             $0.descriptor.rawValue)
        }
        let addRegions = configuration.usesAddMemoryRegion ?? n.protocolFeatures.contains(.configureMemorySlots)
        do {
            if addRegions {
                // vhost_user_add_remove_regions: one ADD_MEM_REG per region.
                for (payload, fd) in regions { try frontend.addMemoryRegion(payload, fd: fd) }
            } else {
                try frontend.setMemTable(regions)
            }
        } catch {
            throw .frontend(error)
        }

        let ringFeatures = RingFeatures(negotiated: features.rawValue)
        let hiprioQueue = try Queue(
            index: 0, ram: guestRAM, queueSize: configuration.queueSize, features: ringFeatures,
            slotCount: hiprioSlots, argumentCapacity: hiprioArguments, dataCapacity: 0, replyCapacity: 0,
            wait: configuration.wait, timeoutMilliseconds: configuration.timeoutMilliseconds,
            uid: configuration.uid, gid: configuration.gid, pid: configuration.pid)
        var queues: [Queue] = []
        for i in 1...requestQueueCount {
            queues.append(try Queue(
                index: i, ram: guestRAM, queueSize: configuration.queueSize, features: ringFeatures,
                slotCount: configuration.slotsPerQueue, argumentCapacity: arguments, dataCapacity: data,
                replyCapacity: reply, wait: configuration.wait, timeoutMilliseconds: configuration.timeoutMilliseconds,
                uid: configuration.uid, gid: configuration.gid, pid: configuration.pid))
        }
        for queue in [hiprioQueue] + queues {
            try Self.startRing(queue, frontend: frontend, ram: guestRAM, size: configuration.queueSize)
        }
        if features.contains(.protocolFeatures) {
            for queue in [hiprioQueue] + queues {
                do { try frontend.setVringEnable(queue.index, true) } catch { throw .frontend(error) }
            }
        }
        hiprio = Mutex(hiprioQueue)
        requestQueues = queues
        if configuration.sendsInit {
            initReply = try initialize()
        }
    }

    /// SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK, SET_VRING_CALL, as vhost_virtqueue_start.
    private static func startRing(_ queue: Queue, frontend: VhostUserFrontend, ram: GuestRAM, size: Int)
        throws(Failure)
    {
        func userAddress(_ gpa: GuestAddress) -> UInt64 {
            for region in ram.regions where gpa >= region.guestPhysicalAddress && gpa.rawValue < region.guestEnd {
                return region.userAddress + (gpa.rawValue - region.guestPhysicalAddress.rawValue)
            }
            return 0
        }
        let d = queue.driver
        do {
            try frontend.setVringNum(queue.index, size)
            try frontend.setVringBase(queue.index, 0)
            try frontend.setVringAddr(VringAddressPayload(
                index: UInt32(queue.index), descriptorTable: userAddress(d.descriptorTableAddress),
                usedRing: userAddress(d.usedRingAddress), availableRing: userAddress(d.availRingAddress)))
            try frontend.setVringKick(queue.index, queue.kickEvent.rawValue)
            try frontend.setVringCall(queue.index, queue.callEvent.rawValue)
        } catch {
            throw .frontend(error)
        }
    }

    /// Sends FUSE_INIT on the first request queue and returns the answer (also kept in `initReply`).
    /// - Throws: the backend's errno, `.badReply` for a short reply, `.unsupported` for a major version other than 7.
    @discardableResult
    public func initialize() throws(Failure) -> InitReply {
        let c = configuration
        let flags = c.initFlags | (c.initFlags >> 32 != 0 ? UInt64(UInt32(bitPattern: FUSE_INIT_EXT)) : 0)
        var body = fuse_init_in()
        body.major = UInt32(FUSE_KERNEL_VERSION)
        body.minor = c.minorVersion
        body.max_readahead = c.maximumReadahead
        body.flags = UInt32(truncatingIfNeeded: flags)
        body.flags2 = UInt32(truncatingIfNeeded: flags >> 32)
        let queue = requestQueues[0]
        let reply = try queue.call({ () throws(Failure) in
            try queue.submit(opcode: Opcode.`init`.rawValue, nodeID: 0,
                             replyCapacity: MemoryLayout<fuse_init_out>.size) { (w) throws(Failure) in
                try w.append(body)
            }
        }, decode: { (completion) throws(Failure) in
            let raw = try completion.prefix(fuse_init_out.self, zeroed: fuse_init_out(),
                                            minimum: Int(FUSE_COMPAT_INIT_OUT_SIZE))
            return InitReply(raw, length: min(completion.reply.count, MemoryLayout<fuse_init_out>.size))
        })
        guard reply.major == UInt32(FUSE_KERNEL_VERSION) else {
            throw .unsupported("FUSE major version \(reply.major)")
        }
        initReply = reply
        return reply
    }

    /// Runs `body` with the hiprio queue, under its lock.
    public func withHiprio<R>(_ body: (Queue) throws(Failure) -> R) throws(Failure) -> R {
        try hiprio.withLock { (queue) throws(Failure) -> R in try body(queue) }
    }

    /// The backend's process id, from the socket's peer credentials (SO_PEERCRED); nil if unavailable.
    public var backendProcessID: Int32? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        let r = CLinux_peer_credentials(frontend.connection.socket.rawValue, &pid, &uid, &gid)
        guard r == 0, pid > 0 else { return nil }
        return pid
    }

    /// Stops every ring with GET_VRING_BASE, as QEMU does when the guest stops, and shuts the socket down (most
    /// backends exit or wait for a new front-end then). Idempotent; errors are ignored, the backend may be gone.
    public func shutdown() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let saved = frontend.replyTimeoutMilliseconds
        frontend.replyTimeoutMilliseconds = min(saved, 2_000)
        for index in 0...requestQueues.count {
            _ = try? frontend.getVringBase(index)
        }
        frontend.connection.socket.shutdown()
    }

    deinit {
        shutdown()
    }
}
