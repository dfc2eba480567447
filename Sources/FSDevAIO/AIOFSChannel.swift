import FSDev
import Glibc
import LinuxSystem
import Reactor

/// The passthrough device's channel on one reactor: metadata operations run inline, reads and writes go to this
/// channel's AIO context, lock requests that must wait are retried by this channel's poller. Used only on its
/// reactor (asserted in `submit`).
public final class AIOFSChannel: FSChannel, Poller {
    /// The owning reactor.
    public let reactor: Reactor
    let device: AIOFSDevice
    let aio: AIOManager
    private var pollerRegistration: PollerRegistration?
    private var wakeRegistration: WakeRegistration?
    // Exclusivity: read on every submit, poll and sleep; confined to the reactor (unchecked, as AIOManager's).
    @exclusivity(unchecked) private var lockWaits: [LockWait] = []
    private var lastLockRetry: UInt64 = 0
    @exclusivity(unchecked) private var isShutDown = false
    /// Helper threads for reads the page cache cannot serve (with `inlineCachedReads`) and for buffered writes
    /// (with the `threads` engine).
    private let helpers: HelperPool?
    private var helperWakeRegistration: WakeRegistration?
    /// The ring of the `io_uring` engine.
    private let uring: URingManager?
    private var uringWakeRegistration: WakeRegistration?
    /// Reads that went to the helper threads (diagnostics and tests).
    public var coldReadCount: UInt64 { helpers?.readJobs ?? 0 }
    /// Writes that went through the helper pool, and how many of them the reactor ran itself (diagnostics and
    /// tests).
    public var pooledWriteCount: (total: UInt64, onReactor: UInt64) {
        (helpers?.writeJobs ?? 0, helpers?.writesOnReactor ?? 0)
    }
    /// Helper threads woken for queued writes (diagnostics and tests).
    public var helperWakeupsForWrites: UInt64 { helpers?.writeWakeups ?? 0 }

    /// How often a waiting SETLKW / blocking flock is retried.
    static let lockRetryNanoseconds: UInt64 = 2_000_000

    /// A lock request waiting for a conflicting lock to go away.
    private struct LockWait {
        var token: UInt64
        var target: any FSCompletionTarget
        var node: NodeID
        var handle: HandleID
        var request: AIOFSDevice.LockRequest
    }

    init(device: AIOFSDevice, reactor: Reactor) throws(Errno) {
        self.device = device
        self.reactor = reactor
        aio = try AIOManager(depth: device.options.queueDepth, reactor: reactor)
        let options = device.options
        let usesRing = options.engine == .ioUring && !options.skipReadWrite
        let usesHelpers = (options.inlineCachedReads && !usesRing) || options.engine == .threads
        helpers = usesHelpers && !options.skipReadWrite
            ? try HelperPool(reactorIndex: reactor.index, depth: options.queueDepth,
                             vectorCapacity: HelperPool.defaultVectorCapacity, helpers: options.helperThreads)
            : nil
        uring = usesRing ? try URingManager(depth: options.queueDepth, reactor: reactor) : nil
        lockWaits.reserveCapacity(options.queueDepth)
        wakeRegistration = try reactor.registerWakeEventFD(aio.eventFD)
        if let helpers { helperWakeRegistration = try reactor.registerWakeEventFD(helpers.doneEvent) }
        if let uring { uringWakeRegistration = try reactor.registerWakeEventFD(uring.eventFD) }
        pollerRegistration = reactor.registerPoller(self, name: "fsdev-aio")
    }

    /// Free slots for reads and writes (reads on the helper threads count against the same depth).
    public var freeRequestSlots: Int { max(0, aio.freeSlotCount - (helpers?.inFlight ?? 0) - (uring?.inFlight ?? 0)) }

    /// Reads and writes submitted and not yet completed.
    public var inFlightRequests: Int { aio.inFlight + (helpers?.inFlight ?? 0) + (uring?.inFlight ?? 0) }

    /// Submits `operation`; see `FSChannel` for the contract. Must be called on the channel's reactor.
    public func submit<Target: FSCompletionTarget>(
        _ operation: FSOperation, context: RequestContext, token: UInt64, target: Target
    ) throws(Errno) {
        reactor.preconditionOnReactor("AIOFSChannel.submit")
        guard !isShutDown else { throw .badFileDescriptor }
        switch operation {
        case .read(let node, let handle, let offset, let size, let buffers):
            try transfer(write: false, node: node, handle: handle, offset: offset, size: size, buffers: buffers,
                         killSetID: false, token: token, target: target)
        case .write(let node, let handle, let offset, let size, let buffers):
            try transfer(write: true, node: node, handle: handle, offset: offset, size: size, buffers: buffers,
                         killSetID: context.killSetIDBits, token: token, target: target)
        case .abort(let victim):
            target.fsdevDidComplete(token: token, result: abort(victim) ? .success(.none)
                                                                         : .failure(.noSuchFileOrDirectory))
        case .setlk(let node, let handle, let lock, wait: true) where lock.kind != .unlock:
            try waitForLock(node: node, handle: handle, .posix(lock), token: token, target: target)
        case .flock(let node, let handle, let operation, wait: true) where operation != .unlock:
            try waitForLock(node: node, handle: handle, .flock(operation), token: token, target: target)
        default:
            let result = Result { () throws(Errno) -> FSReply in try device.perform(operation, context: context) }
            target.fsdevDidComplete(token: token, result: result)
        }
    }

    /// READ / WRITE: validated here (errors complete inline), then handed to libaio. `killSetID`: clear the file's
    /// set-ID bits first (FUSE_WRITE_KILL_SUIDGID).
    @inline(__always)
    private func transfer<Target: FSCompletionTarget>(
        write: Bool, node: NodeID, handle: HandleID, offset: UInt64, size: UInt32,
        buffers: UnsafeBufferPointer<iovec>, killSetID: Bool, token: UInt64, target: Target
    ) throws(Errno) {
        let descriptor: FileDescriptor
        let vectors: (count: Int, bytes: Int)
        let start: Int64
        do throws(Errno) {
            if write {
                try device.requireWritable()
                guard size <= device.maxWrite.load(ordering: .relaxed) else { throw .invalidArgument }
            }
            guard let o = Int64(exactly: offset), o <= Int64.max - Int64(size) else { throw .invalidArgument }
            start = o
            descriptor = try device.fileDescriptor(node: node, handle: handle)
            vectors = try aio.prepareVectors(buffers, size: Int(size))
            // A write must carry all the bytes it announces; a read may have less room than asked for.
            if write && vectors.bytes < Int(size) { throw .invalidArgument }
            if killSetID && !device.options.skipReadWrite { try device.dropSetIDBits(openFile: descriptor) }
        } catch {
            target.fsdevDidComplete(token: token, result: .failure(error))
            return
        }
        if vectors.bytes == 0 {
            target.fsdevDidComplete(token: token, result: .success(.count(0)))
            return
        }
        try descriptor.use { (fd) throws(Errno) in
            if !write && device.options.inlineCachedReads && !device.options.skipReadWrite {
                // Page-cache fast path: all of it now, or libaio for the whole request. 0 means end of file.
                let n = try? FileSystemCall.readVectors(fd, aio.scratchVectors.base, count: vectors.count,
                                                        offset: start, flags: FileSystemCall.noWait)
                if let n, n == vectors.bytes || n == 0 {
                    target.fsdevDidComplete(token: token, result: .success(.count(n)))
                    return
                }
                // Not (all) in the page cache: a helper thread (or the kernel's, with io_uring) reads it, so that
                // the reactor does not block in io_submit on the disk.
                if let helpers, uring == nil {
                    guard helpers.inFlight < aio.freeSlotCount else { throw .wouldBlock }
                    if helpers.enqueue(.read, descriptor: descriptor, vectors: aio.scratchVectors.base,
                                       count: vectors.count, offset: start, token: token, target: target) {
                        return
                    }
                }
            }
            if let uring {
                guard freeRequestSlots > 0 else { throw .wouldBlock }
                try uring.submit(write: write, descriptor: descriptor, vectors: aio.scratchVectors.base,
                                 count: vectors.count, offset: start, token: token, target: target)
                return
            }
            if write && device.options.engine == .threads, let helpers {
                guard helpers.inFlight < aio.freeSlotCount else { throw .wouldBlock }
                if helpers.enqueue(.write, descriptor: descriptor, vectors: aio.scratchVectors.base,
                                   count: vectors.count, offset: start, token: token, target: target) {
                    return
                }
            }
            try aio.submit(write: write, descriptor: fd, offset: start, vectorCount: vectors.count,
                           bytes: vectors.bytes, skip: device.options.skipReadWrite, token: token, target: target)
        }
    }

    /// SETLKW / blocking flock: one attempt now; on conflict the request waits in this channel and is retried
    /// every 2 ms by the poller (the reactor never blocks in the kernel), until granted, failed, or aborted.
    private func waitForLock<Target: FSCompletionTarget>(
        node: NodeID, handle: HandleID, _ request: AIOFSDevice.LockRequest, token: UInt64, target: Target
    ) throws(Errno) {
        do throws(Errno) {
            try device.tryLock(node: node, handle: handle, request)
            target.fsdevDidComplete(token: token, result: .success(.none))
        } catch {
            guard error == .wouldBlock else {
                target.fsdevDidComplete(token: token, result: .failure(error))
                return
            }
            guard lockWaits.count < device.options.queueDepth else { throw .wouldBlock }
            if lockWaits.isEmpty { lastLockRetry = SystemClock.monotonicNanoseconds() }
            lockWaits.append(LockWait(token: token, target: target, node: node, handle: handle, request: request))
        }
    }

    private func retryLocks() -> Bool {
        var progressed = false
        var i = 0
        while i < lockWaits.count {
            let w = lockWaits[i]
            let outcome = Result { () throws(Errno) in try device.tryLock(node: w.node, handle: w.handle, w.request) }
            if case .failure(.wouldBlock) = outcome {
                i += 1
                continue
            }
            lockWaits.remove(at: i)
            progressed = true
            w.target.fsdevDidComplete(token: w.token, result: outcome.map { .none })
        }
        return progressed
    }

    /// INTERRUPT: a waiting lock ends with EINTR at once; an in-flight read or write is cancelled if the kernel
    /// can, and completes (once) either way.
    private func abort(_ victim: UInt64) -> Bool {
        if let i = lockWaits.firstIndex(where: { $0.token == victim }) {
            let w = lockWaits.remove(at: i)
            w.target.fsdevDidComplete(token: w.token, result: .failure(.interrupted))
            return true
        }
        if let uring, uring.abort(token: victim) { return true }
        if let helpers, helpers.contains(token: victim) { return true }
        return aio.abort(token: victim)
    }

    /// The channel's poller: reap completions, retry waiting locks.
    public func poll() -> PollResult {
        var busy = aio.reap() > 0
        if let helpers, helpers.poll() > 0 { busy = true }
        if let uring, uring.reap() > 0 { busy = true }
        if !lockWaits.isEmpty {
            let now = SystemClock.monotonicNanoseconds()
            if now &- lastLockRetry >= Self.lockRetryNanoseconds {
                lastLockRetry = now
                if retryLocks() { busy = true }
            }
        }
        return busy ? .busy : .idle
    }

    /// Before the reactor sleeps: stay awake for completions already in the ring; wake within the retry period
    /// when locks wait (they have no descriptor to wake on).
    public func prepareToSleep() -> SleepPermission {
        if aio.hasReadyCompletions { return .stayAwake }
        if let helpers, !helpers.prepareToSleep() { return .stayAwake }
        if let uring, uring.hasReadyCompletions { return .stayAwake }
        if !lockWaits.isEmpty { return .sleepAtMost(nanoseconds: Self.lockRetryNanoseconds) }
        return .sleep
    }

    /// Unregisters from the reactor, fails waiting locks with EINTR, and waits for in-flight I/O.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        if let r = pollerRegistration { reactor.unregisterPoller(r) }
        if let r = wakeRegistration { reactor.unregisterWake(r) }
        if let r = helperWakeRegistration { reactor.unregisterWake(r) }
        if let r = uringWakeRegistration { reactor.unregisterWake(r) }
        pollerRegistration = nil
        wakeRegistration = nil
        helperWakeRegistration = nil
        uringWakeRegistration = nil
        let waits = lockWaits
        lockWaits.removeAll()
        for w in waits { w.target.fsdevDidComplete(token: w.token, result: .failure(.interrupted)) }
        aio.drain()
        // Reads and writes stuck in a hung file system under the share must not hold the shutdown: the ring and the
        // helpers get at most `Self.stopTimeoutNanoseconds` between them, then what is stuck is left behind.
        let deadline = SystemClock.monotonicNanoseconds() &+ Self.stopTimeoutNanoseconds
        let remaining = { () -> UInt64 in
            let now = SystemClock.monotonicNanoseconds()
            return now < deadline ? deadline - now : 0
        }
        uring?.drain(timeoutNanoseconds: remaining())
        helpers?.drain(timeoutNanoseconds: remaining())
        helpers?.stop(timeoutNanoseconds: remaining())
    }

    /// How long a channel's shutdown waits for reads and writes on the helpers or the ring (2 s).
    static let stopTimeoutNanoseconds: UInt64 = 2_000_000_000
}
