import FSDev
import FUSE
import GuestMemory
import LinuxSystem
import Logging
import Reactor
import Virtqueue

/// One virtqueue of the device, served on one reactor: pops chains, hands them to the FUSE dispatcher and returns
/// them to the used ring, with EVENT_IDX-aware calls (virtio 1.2 §2.7.7, §2.7.10).
///
/// Notifications: while the reactor polls, guest kicks are suppressed (NO_NOTIFY / avail_event behind); before it
/// sleeps, `prepareToSleep` re-enables them and re-checks the ring, so a chain that arrived meanwhile is served.
///
/// Confined to its reactor: every method runs there.
final class VirtioFSQueue<Channel: FSChannel>: Poller, FUSERequestSink {
    let index: Int
    let ring: SplitQueue
    var memory: GuestMemoryMap
    var call: EventFD?
    var err: EventFD?
    let kick: EventFD?
    let channel: Channel
    var dispatcher: FUSEQueueDispatcher<Channel, VirtioFSQueue>?
    var pollerRegistration: PollerRegistration?
    var wakeRegistration: WakeRegistration?
    let logger: Logger

    /// Used entries were pushed since the last notification check.
    private var usedPending = false
    /// Guest notifications (kicks) are on: set before sleeping, cleared on the next poll.
    private var notificationsEnabled = true
    /// No new chains are popped (GET_VRING_BASE in progress).
    var stopping = false
    /// Signalled when the last in-flight request of a stopping queue finishes: what GET_VRING_BASE waits on.
    let drained: EventFD?
    /// The ring was handed back (GET_VRING_BASE answered) with requests still in flight: they finish without
    /// touching guest memory or the ring, and `whenAbandonedDrained` runs after the last one.
    private(set) var abandoned = false
    private var whenAbandonedDrained: (() -> Void)?
    /// Keeps an abandoned queue alive until its last request finished (the dispatcher's sink is unowned).
    private var keepAlive: VirtioFSQueue?
    /// The ring is broken (a hostile or buggy driver): nothing more is popped until it is restarted.
    private(set) var broken = false
    /// Chains served, for statistics.
    private(set) var served: UInt64 = 0
    /// Chains refused as malformed, for statistics and log rate limiting.
    private(set) var badChains: UInt64 = 0

    /// Chains popped per poll, so that one busy queue does not starve the reactor's other pollers.
    static var batchLimit: Int { 32 }

    /// Signalled when this queue's guest memory faulted (the device's disconnect request).
    private let memoryFault: EventFD?
    /// The guard's fault count when this queue last looked (`MemoryMapping.guardedFaultGeneration`).
    private var faultGeneration: UInt64

    init(index: Int, ring: SplitQueue, memory: GuestMemoryMap, kick: EventFD?, call: EventFD?, channel: Channel,
         logger: Logger, memoryFault: EventFD? = nil) {
        self.index = index
        self.ring = ring
        self.memory = memory
        self.kick = kick
        self.call = call
        self.channel = channel
        self.logger = logger
        self.memoryFault = memoryFault
        drained = try? EventFD()
        faultGeneration = MemoryMapping.guardedFaultGeneration
    }

    /// Whether guest memory faulted since the last look: a region's file shrank under an access (the guard
    /// answered it with zeros). The ring then stops for good and the device asks the server to drop the
    /// connection. One load per poll while nothing faulted.
    @inline(__always)
    private func memoryFaulted() -> Bool {
        let generation = MemoryMapping.guardedFaultGeneration
        guard generation != faultGeneration else { return false }
        faultGeneration = generation
        guard memory.hasFaulted else { return false }
        if !broken {
            broken = true
            ring.markBroken()
            logger.error("queue \(index): the front-end's memory shrank under the mapping; dropping the connection")
            err?.signal()
            memoryFault?.signal()
        }
        return true
    }

    /// Requests in flight.
    var inFlight: Int { dispatcher?.inFlight ?? 0 }

    /// Takes the queue off `reactor` for good: its poller and kick wake-up are unregistered and every reference
    /// that would keep it alive is dropped (the registration holds the queue as its poller, the dispatcher holds
    /// the channel), so that the queue, its ring, its eventfds and the memory map it holds are released with the
    /// last outside reference. `release` runs now, or, for requests still in flight, once the last one finished
    /// (see `abandon`; the dispatcher stays until then). Must be called on `reactor`.
    func detach(from reactor: Reactor, release: @escaping () -> Void) {
        if let p = pollerRegistration { reactor.unregisterPoller(p) }
        if let w = wakeRegistration { reactor.unregisterWake(w) }
        pollerRegistration = nil
        wakeRegistration = nil
        stopping = true
        abandon(release: release)
        if !abandoned { dispatcher = nil }
    }

    /// Aborts every request in flight (see `FUSEQueueDispatcher.abortAll`).
    func abortInFlight() { dispatcher?.abortAll() }

    /// Gives the ring up with requests still in flight (GET_VRING_BASE could not wait longer): they finish
    /// without a reply or a used entry, and `release` runs once the last one has (freeing what they hold, such as
    /// the channel reference; until then the queue keeps itself alive). With nothing in flight `release` runs now.
    func abandon(release: @escaping () -> Void) {
        guard let dispatcher, dispatcher.inFlight > 0 else {
            release()
            return
        }
        abandoned = true
        dispatcher.abandoned = true
        whenAbandonedDrained = release
        keepAlive = self
    }

    func poll() -> PollResult {
        guard !stopping, !broken, !memoryFaulted(), let dispatcher else {
            if usedPending { notify() }
            return .idle
        }
        if notificationsEnabled {
            try? ring.disableNotification(memory: memory)
            notificationsEnabled = false
        }
        var popped = 0
        while popped < Self.batchLimit, channel.freeRequestSlots > 0, let storage = dispatcher.nextFreeStorage() {
            let chain: DescriptorChain?
            do {
                chain = try ring.pop(memory: memory, into: storage)
            } catch {
                handle(error)
                if broken { break }
                popped += 1
                continue
            }
            guard let chain else { break }
            popped += 1
            served &+= 1
            dispatcher.start(chain)
        }
        if usedPending { notify() }
        _ = memoryFaulted()
        return popped > 0 ? .busy : .idle
    }

    func prepareToSleep() -> SleepPermission {
        if usedPending { notify() }
        if broken || stopping || memoryFaulted() { return .sleep }
        notificationsEnabled = true
        // True when chains arrived while notifications were off: serve them before sleeping.
        if (try? ring.enableNotification(memory: memory)) ?? false { return .stayAwake }
        // Without a kick eventfd (the front-end asked for polling) nothing would wake the reactor: look again
        // after at most a millisecond.
        return kick == nil ? .sleepAtMost(nanoseconds: 1_000_000) : .sleep
    }

    func fuseRequestFinished(head: UInt16, usedLength: UInt32) {
        if stopping && inFlight == 0 { drained?.signal() }
        if abandoned {
            // The ring belongs to the front-end again: never touch it.
            if inFlight == 0, let release = whenAbandonedDrained {
                withExtendedLifetime(self) {
                    whenAbandonedDrained = nil
                    release()
                    keepAlive = nil
                }
            }
            return
        }
        do {
            try ring.pushUsed(head: head, length: usedLength, memory: memory)
            usedPending = true
        } catch {
            handle(error)
        }
    }

    /// Signals the call eventfd if the driver wants a notification (EVENT_IDX rule or the NO_INTERRUPT flag).
    private func notify() {
        usedPending = false
        if (try? ring.needsNotification(memory: memory)) ?? true { call?.signal() }
    }

    /// A bad chain is returned unused; a broken ring stops being served and is reported on the error eventfd.
    private func handle(_ error: VirtqueueError) {
        if error.isQueueFatal {
            broken = true
            ring.markBroken()
            logger.error("queue \(index) broken by the driver: \(error); not served until it is restarted")
            err?.signal()
        } else if let head = error.chainHead {
            // A hostile guest can send bad chains as fast as it likes: log the first ten, then one in a thousand.
            badChains &+= 1
            if badChains <= 10 || badChains % 1000 == 0 {
                logger.warning("queue \(index): bad descriptor chain \(head) (\(badChains) so far): \(error)")
            }
            try? ring.pushUsed(head: head, length: 0, memory: memory)
            usedPending = true
        }
    }
}
