import FSDev
import FUSE
import Glibc
import GuestMemory
import LinuxSystem
import Logging
import Reactor
import Synchronization
import VhostUser
import Virtqueue

/// The virtio-fs device (virtio 1.2 §5.11) behind the vhost-user back-end: queue 0 is the hiprio queue, queues
/// 1...N the request queues; queue i is served by reactor (i mod R) with that reactor's channel of `fsdev`.
///
/// Control-plane calls (the `VhostUserBackend` methods) come from the connection's control thread. They never touch
/// a ring: they run small closures on the owning reactor and wait for them (DESIGN.md, "Threads"). A memory-table
/// change builds a new immutable map and hands it to every running queue between two requests; requests in flight
/// keep the old mapping alive through their chain storage.
public final class VirtioFSDevice<FS: FSDevice>: VhostUserBackend, @unchecked Sendable {
    // SAFETY (Sendable): mutable state is behind `state`; queues are only touched through their reactor.

    /// The file system device.
    public let fsdev: FS
    /// The reactors serving the queues.
    public let reactors: ReactorGroup
    /// The device's offer.
    public let configuration: VirtioFSConfiguration
    /// The FUSE connection state shared by the queues.
    public let session: FUSESession
    private let logger: Logger

    private struct State {
        var memory: GuestMemoryMap?
        var queues: [ReactorBound<VirtioFSQueue<FS.Channel>>?]
        var features: VirtioFeatures = []
    }
    private let state: Mutex<State>
    /// Signalled by a queue whose guest memory faulted (a region's file shrank): the server drops the connection.
    private let memoryFault: EventFD?

    public init(fsdev: FS, reactors: ReactorGroup, configuration: VirtioFSConfiguration,
                logger: Logger = Logger(label: "vhostfsd.virtio-fs")) {
        self.fsdev = fsdev
        self.reactors = reactors
        self.configuration = configuration
        self.session = FUSESession(options: configuration.fuse)
        self.logger = logger
        state = Mutex(State(queues: Array(repeating: nil, count: 1 + configuration.requestQueues)))
        memoryFault = try? EventFD()
    }

    public var disconnectRequest: EventFD? { memoryFault }

    // MARK: - VhostUserBackend

    public var queueCount: Int { 1 + configuration.requestQueues }
    public var maxQueueSize: Int { configuration.maxQueueSize }
    public var deviceFeatures: VirtioFeatures { [.version1, .ringIndirectDescriptors, .ringEventIndex] }

    public var offersConfigSpace: Bool { configuration.tag != nil }
    public func configSpace() -> [UInt8] { configuration.configSpace }

    public func setFeatures(_ features: VirtioFeatures) throws(VhostUserError) {
        state.withLock { $0.features = features }
    }

    private static func map(_ r: VhostUserMemoryRegion) throws(VhostUserError) -> GuestMemoryRegion {
        do {
            return try GuestMemoryRegion(
                descriptor: r.descriptor, mmapOffset: r.description.mmapOffset,
                guestPhysicalAddress: GuestAddress(r.description.guestPhysicalAddress),
                userAddress: r.description.userAddress, size: r.description.size)
        } catch {
            throw .invalidParameter("memory region: \(error)")
        }
    }

    public func setMemoryTable(_ regions: [VhostUserMemoryRegion]) throws(VhostUserError) {
        var mapped: [GuestMemoryRegion] = []
        for r in regions { mapped.append(try Self.map(r)) }
        let map: GuestMemoryMap
        do { map = try GuestMemoryMap(regions: mapped, maximumRegionCount: maxMemorySlots) } catch {
            throw .invalidParameter("memory table: \(error)")
        }
        install(map)
    }

    public func addMemoryRegion(_ region: VhostUserMemoryRegion) throws(VhostUserError) {
        let mapped = try Self.map(region)
        let current = state.withLock { $0.memory }
        let map: GuestMemoryMap
        do {
            map = try (current ?? GuestMemoryMap(regions: [], maximumRegionCount: maxMemorySlots)).adding(mapped)
        } catch {
            throw .invalidParameter("ADD_MEM_REG: \(error)")
        }
        install(map)
    }

    public func removeMemoryRegion(_ description: MemoryRegionPayload) throws(VhostUserError) {
        guard let current = state.withLock({ $0.memory }) else { throw .invalidParameter("REM_MEM_REG: no memory") }
        let map: GuestMemoryMap
        do {
            map = try current.removing(guestPhysicalAddress: GuestAddress(description.guestPhysicalAddress),
                                       size: description.size, userAddress: description.userAddress)
        } catch {
            throw .invalidParameter("REM_MEM_REG: \(error)")
        }
        install(map)
    }

    /// Publishes a new memory map to the control state and to every running queue.
    private func install(_ map: GuestMemoryMap) {
        let queues = state.withLock { s in
            s.memory = map
            return s.queues.compactMap { $0 }
        }
        for q in queues {
            q.reactor.run { q.value.memory = map }
        }
    }

    public func startQueue(_ configuration: VringConfiguration, kick: EventFD?, call: EventFD?)
        throws(VhostUserError)
    {
        let i = configuration.index
        guard i >= 0, i < queueCount else { throw .invalidParameter("queue \(i)") }
        guard let memory = state.withLock({ $0.memory }) else {
            throw .invalidParameter("queue \(i) started before any memory table")
        }
        let size = UInt64(configuration.size)
        let a = configuration.address
        guard let desc = memory.guestAddress(forUserAddress: a.descriptorTable, length: 16 * size),
              let avail = memory.guestAddress(forUserAddress: a.availableRing, length: 6 + 2 * size),
              let used = memory.guestAddress(forUserAddress: a.usedRing, length: 6 + 8 * size)
        else {
            throw .invalidParameter("queue \(i): ring addresses outside guest memory")
        }
        let reactor = reactors.reactor(forQueue: i)
        let fsdev = self.fsdev
        let session = self.session
        let slots = self.configuration.slotsPerQueue
        let logger = self.logger
        let memoryFault = self.memoryFault
        let result: Result<ReactorBound<VirtioFSQueue<FS.Channel>>, VhostUserError> = reactor.run {
            do {
                let ring = try SplitQueue(size: Int(configuration.size), descriptorTable: desc, availRing: avail,
                                          usedRing: used, features: RingFeatures(negotiated: configuration.features.rawValue),
                                          memory: memory, nextAvailIndex: configuration.nextAvailIndex,
                                          nextUsedIndex: configuration.nextAvailIndex)
                let channel = try reactor.channel(for: fsdev)
                let queue = VirtioFSQueue(index: i, ring: ring, memory: memory, kick: kick, call: call,
                                          channel: channel, logger: logger, memoryFault: memoryFault)
                queue.dispatcher = FUSEQueueDispatcher(session: session, channel: channel, sink: queue,
                                                       queueIndex: i, slotCount: slots)
                queue.pollerRegistration = reactor.registerPoller(queue, name: "virtqueue-\(i)")
                if let kick {
                    queue.wakeRegistration = try? reactor.registerWakeEventFD(kick)
                }
                return .success(ReactorBound(queue, reactor: reactor))
            } catch let e as VirtqueueError {
                return .failure(.invalidParameter("queue \(i): \(e)"))
            } catch let e as Errno {
                return .failure(.device(e))
            } catch {
                return .failure(.invalidParameter("queue \(i): \(error)"))
            }
        }
        let queue = try result.get()
        state.withLock { $0.queues[i] = queue }
        logger.debug("queue \(i) started on reactor-\(reactor.index), size \(configuration.size)")
    }

    public func stopQueue(_ index: Int) -> UInt16 {
        guard let q = state.withLock({ s -> ReactorBound<VirtioFSQueue<FS.Channel>>? in
            guard index >= 0, index < s.queues.count else { return nil }
            defer { s.queues[index] = nil }
            return s.queues[index]
        }) else { return 0 }
        let reactor = q.reactor
        // vhost-user.rst: GET_VRING_BASE answers after the ring's in-flight requests completed. Reads and writes
        // finish on their own; a request that could wait forever (a blocking lock) is aborted after
        // `abortAfterMilliseconds`. One that even an abort cannot end (a read stuck in a hung file system under
        // the share) is given up after `configuration.stopTimeoutMilliseconds`: the ring is answered without it,
        // and it finishes later without touching the ring or guest memory.
        let (inFlight, drained) = reactor.run { () -> (Int, EventFD?) in
            q.value.stopping = true
            return (q.value.inFlight, q.value.drained)
        }
        var left = inFlight
        if left > 0 {
            left = waitUntilDrained(q, drained, milliseconds: Self.abortAfterMilliseconds)
        }
        if left > 0 {
            logger.notice("queue \(index): aborting \(left) in-flight requests to stop the ring")
            reactor.run { q.value.abortInFlight() }
            left = waitUntilDrained(q, drained, milliseconds: configuration.stopTimeoutMilliseconds)
        }
        if left > 0 {
            logger.warning("""
                queue \(index): \(left) requests still in flight after \(configuration.stopTimeoutMilliseconds) ms; \
                answering GET_VRING_BASE without them (their buffers are not returned to the guest)
                """)
        }
        let fsdev = self.fsdev
        let next = reactor.run { () -> UInt16 in
            let queue = q.value
            // Publish the last used entries before handing the ring back.
            _ = queue.prepareToSleep()
            queue.detach(from: reactor) { reactor.releaseChannel(for: fsdev) }
            return queue.ring.nextAvailIndex
        }
        logger.debug("queue \(index) stopped at avail index \(next)")
        return next
    }

    /// How long GET_VRING_BASE lets in-flight requests finish before it aborts them (a blocking lock wait).
    static var abortAfterMilliseconds: Int { 100 }

    /// Waits until the stopping queue has no request in flight or `milliseconds` have passed; returns how many
    /// are still in flight. Sleeps on the queue's `drained` eventfd (each check asks the reactor).
    private func waitUntilDrained(_ q: ReactorBound<VirtioFSQueue<FS.Channel>>, _ drained: EventFD?,
                                  milliseconds: Int) -> Int {
        let deadline = SystemClock.monotonicNanoseconds() &+ UInt64(max(milliseconds, 0)) &* 1_000_000
        while true {
            let left = q.reactor.run { q.value.inFlight }
            let now = SystemClock.monotonicNanoseconds()
            guard left > 0, now < deadline else { return left }
            // Wake at least every 10 ms: the eventfd is a shortcut, the count asked of the reactor is the truth.
            let wait = min((deadline - now) / 1_000_000 + 1, 10)
            if let drained { _ = drained.wait(timeoutMilliseconds: Int32(wait)) } else { usleep(UInt32(wait) * 1000) }
        }
    }

    public func setCall(_ index: Int, _ call: EventFD?) {
        guard let q = state.withLock({ index < $0.queues.count ? $0.queues[index] : nil }) else { return }
        q.reactor.run { q.value.call = call }
    }

    public func setErr(_ index: Int, _ err: EventFD?) {
        guard let q = state.withLock({ index < $0.queues.count ? $0.queues[index] : nil }) else { return }
        q.reactor.run { q.value.err = err }
    }

    /// Releases everything the front-end held: guest memory, and every node and handle of its mount (as DESTROY).
    public func reset() {
        let wasMounted = session.isInitialized
        session.reset()
        state.withLock {
            $0.memory = nil
            $0.features = []
        }
        if wasMounted { unmount() }
    }

    /// Drops every node and handle the guest holds (DESTROY, disconnect, shutdown).
    public func unmount() {
        let reactor = reactors.reactors[0]
        let fsdev = self.fsdev
        let logger = self.logger
        reactor.run {
            // A channel that cannot be made now (out of AIO contexts or threads) leaves the nodes to the next
            // FUSE_INIT, which starts from an empty table too.
            do throws(Errno) {
                let channel = try reactor.channel(for: fsdev)
                defer { reactor.releaseChannel(for: fsdev) }
                try channel.submit(.unmount) { _ in }
            } catch {
                logger.warning("releasing the guest's nodes and handles: \(error); the next FUSE_INIT releases them")
            }
        }
    }
}
