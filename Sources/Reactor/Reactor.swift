import CLinux
import Glibc
import LinuxSystem
import Synchronization

/// A pinned polling thread (SPDK's reactor): runs its pollers in a loop, runs messages sent by other threads, owns
/// the I/O channels of devices used on it, and sleeps in epoll when the poll mode allows.
///
/// Threading: everything except `send`, `run`, `stop`, `statistics` and the immutable properties must be called on
/// the reactor's own thread (asserted). Start reactors with `ReactorGroup` or `Reactor.start`.
public final class Reactor: @unchecked Sendable {
    // SAFETY (Sendable): fields marked "confined" are read and written only on the reactor thread (asserted in the
    // public entry points); the others are immutable, atomics, or protected by a Mutex.

    /// Index of the reactor in its group (`reactor-<index>` is the thread name).
    public let index: Int
    /// The CPU the thread is pinned to, or nil when unpinned.
    public let cpu: Int?
    /// The NUMA node of `cpu` (0 without NUMA or unpinned).
    public let numaNode: Int
    /// How the loop waits when idle.
    public let pollMode: PollMode

    let mailbox: ReactorMailbox
    private let epoll: Epoll
    private static let mailboxToken: UInt64 = 0
    /// True while the thread is in (or about to enter) epoll_wait. Senders signal the mailbox eventfd only then.
    let sleeping = Atomic<Bool>(false)
    private let kernelThreadID = Atomic<Int>(0)
    private let thread = Mutex<pthread_t?>(nil)

    // Published statistics: single writer (the reactor), relaxed stores once per pass.
    private let statIterations = Atomic<UInt64>(0)
    private let statBusy = Atomic<UInt64>(0)
    private let statIdle = Atomic<UInt64>(0)
    private let statSleep = Atomic<UInt64>(0)
    private let statSleeps = Atomic<UInt64>(0)
    private let statMessages = Atomic<UInt64>(0)
    private let statWindow = Atomic<UInt64>(0)
    private let statHolds = Atomic<UInt64>(0)

    // Confined to the reactor thread. Exclusivity: the loop reads `pollers` and `stopRequested` on every pass and
    // `wakeRegistrations` on every wake-up; the dynamic checks cost about 7 calls of swift_beginAccess (80
    // instructions each) per GETATTR in interrupt mode (callgrind, BENCHMARKS.md). Nothing hands out an inout
    // reference to them, and only the reactor thread touches them (asserted in the public entry points).
    @exclusivity(unchecked) var pollers: [PollerRegistration] = []
    @exclusivity(unchecked) var wakeRegistrations: [UInt64: WakeRegistration] = [:]
    var channelSlots: [ObjectIdentifier: ChannelSlot] = [:]
    private var nextToken: UInt64 = 1
    @exclusivity(unchecked) private var stopRequested = false
    @exclusivity(unchecked) private var spareMessages: [ReactorMailbox.Message] = []

    init(index: Int, cpu: Int?, pollMode: PollMode) throws(Errno) {
        self.index = index
        self.cpu = cpu
        self.numaNode = cpu.map { NUMA.node(ofCPU: $0) } ?? 0
        self.pollMode = pollMode
        self.epoll = try Epoll()
        self.mailbox = try ReactorMailbox()
        try epoll.add(mailbox.eventFD.rawValue, token: Self.mailboxToken)
        spareMessages.reserveCapacity(64)
    }

    /// Starts one reactor thread named `reactor-<index>`, pinned to `cpu` when given. Returns once the thread runs.
    /// - Throws: EINVAL for a CPU that cannot be pinned, or the error of thread creation.
    public static func start(index: Int = 0, cpu: Int? = nil, pollMode: PollMode = .default) throws(Errno) -> Reactor {
        let reactor = try Reactor(index: index, cpu: cpu, pollMode: pollMode)
        try reactor.launch()
        return reactor
    }

    /// The reactor whose thread is calling, if any.
    public static var current: Reactor? {
        guard let p = pthread_getspecific(currentReactorKey) else { return nil }
        // SAFETY: the key holds an unretained pointer to the reactor running on this thread; the thread's start
        // routine holds a strong reference for as long as the thread runs.
        return Unmanaged<Reactor>.fromOpaque(p).takeUnretainedValue()
    }

    /// Whether the caller runs on this reactor's thread.
    @inline(__always)
    public var isCurrent: Bool {
        pthread_getspecific(currentReactorKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Traps unless called on this reactor (a programming error, never input-driven).
    @inline(__always)
    public func preconditionOnReactor(_ what: @autoclosure () -> String = "", file: StaticString = #fileID,
                                      line: UInt = #line) {
        precondition(isCurrent, "must be called on reactor-\(index) \(what())", file: file, line: line)
    }

    /// The kernel thread id of the reactor thread (0 before it started).
    public var threadID: Int { kernelThreadID.load(ordering: .acquiring) }

    /// CPU time the reactor thread has used so far, in nanoseconds. The corresponding C functions are
    /// `pthread_getcpuclockid` and `clock_gettime`.
    public func cpuTimeNanoseconds() -> UInt64? {
        guard let t = thread.withLock({ $0 }) else { return nil }
        return try? SystemClock.cpuNanoseconds(of: t)
    }

    /// A snapshot of the loop accounting.
    public var statistics: ReactorStatistics {
        ReactorStatistics(
            iterations: statIterations.load(ordering: .relaxed),
            busyNanoseconds: statBusy.load(ordering: .relaxed),
            idleNanoseconds: statIdle.load(ordering: .relaxed),
            sleepNanoseconds: statSleep.load(ordering: .relaxed),
            sleeps: statSleeps.load(ordering: .relaxed),
            messages: statMessages.load(ordering: .relaxed),
            spinWindowNanoseconds: statWindow.load(ordering: .relaxed),
            contentionHolds: statHolds.load(ordering: .relaxed))
    }

    // MARK: - Pollers and wake descriptors (on the reactor)

    /// Registers `poller`; it is called from the next pass on. Must be called on the reactor.
    @discardableResult
    public func registerPoller(_ poller: some Poller, name: String) -> PollerRegistration {
        preconditionOnReactor("registerPoller")
        let r = PollerRegistration(name: name, poller: poller)
        pollers.append(r)
        return r
    }

    /// Registers a closure poller. Must be called on the reactor.
    @discardableResult
    public func registerPoller(name: String, _ body: @escaping () -> PollResult) -> PollerRegistration {
        registerPoller(ClosurePoller(body), name: name)
    }

    /// Unregisters a poller; it is not called again, even later in the current pass. Must be called on the reactor.
    public func unregisterPoller(_ registration: PollerRegistration) {
        preconditionOnReactor("unregisterPoller")
        registration.isActive = false
        pollers.removeAll { $0 === registration }
    }

    /// Registers a descriptor that wakes the reactor from epoll when readable (a queue kick, an aio completion
    /// eventfd). The reactor drains it on wake-up. Must be called on the reactor.
    public func registerWakeDescriptor(_ descriptor: FileDescriptor) throws(Errno) -> WakeRegistration {
        preconditionOnReactor("registerWakeDescriptor")
        let token = nextToken
        nextToken &+= 1
        try epoll.add(descriptor.rawValue, token: token)
        let r = WakeRegistration(token: token, descriptor: descriptor)
        wakeRegistrations[token] = r
        return r
    }

    /// Registers an eventfd to wake on. Must be called on the reactor.
    public func registerWakeEventFD(_ eventFD: EventFD) throws(Errno) -> WakeRegistration {
        try registerWakeDescriptor(eventFD.descriptor)
    }

    /// Stops waking on a descriptor. Must be called on the reactor.
    public func unregisterWake(_ registration: WakeRegistration) {
        preconditionOnReactor("unregisterWake")
        guard wakeRegistrations.removeValue(forKey: registration.token) != nil else { return }
        try? epoll.remove(registration.descriptor.rawValue)
    }

    // MARK: - Thread and loop

    private func launch() throws(Errno) {
        let startup = StartupLatch()
        let context = Unmanaged.passRetained(ThreadContext(reactor: self, latch: startup)).toOpaque()
        var tid = pthread_t()
        let r = pthread_create(&tid, nil, { raw in
            // SAFETY: `raw` is the retained ThreadContext passed below; this thread takes ownership of it.
            guard let raw else { return nil }
            let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
            context.reactor.threadMain(latch: context.latch)
            return nil
        }, context)
        guard r == 0 else {
            // SAFETY: the thread was not created, so the context was never consumed.
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            throw Errno(rawValue: r)
        }
        thread.withLock { $0 = tid }
        if let error = startup.wait() {
            _ = pthread_join(tid, nil)
            thread.withLock { $0 = nil }
            throw error
        }
    }

    private func threadMain(latch: StartupLatch) {
        CPUAffinity.nameCurrentThread("reactor-\(index)")
        if let cpu {
            do throws(Errno) { try CPUAffinity.pinCurrentThread(to: [cpu]) } catch {
                latch.signal(error)
                return
            }
        }
        // SAFETY: an unretained pointer; `self` stays alive because the caller of threadMain holds it.
        pthread_setspecific(currentReactorKey, Unmanaged.passUnretained(self).toOpaque())
        kernelThreadID.store(SystemCall.threadID(), ordering: .releasing)
        latch.signal(nil)
        runLoop()
        teardown()
        pthread_setspecific(currentReactorKey, nil)
    }

    private func runLoop() {
        var events = [Epoll.Event](repeating: Epoll.Event(token: 0, events: 0), count: 32)
        let spinNanoseconds: UInt64
        var governor: SpinGovernor?
        switch pollMode {
        case .busy, .interrupt: spinNanoseconds = 0
        case .adaptive(let us): spinNanoseconds = UInt64(us) &* 1000
        case .auto(let us):
            spinNanoseconds = 0
            governor = SpinGovernor(maximumNanoseconds: UInt64(us) &* 1000)
        }
        var last = SystemClock.monotonicNanoseconds()
        var lastBusy = last
        var iterations: UInt64 = 0, busyNs: UInt64 = 0, idleNs: UInt64 = 0, sleepNs: UInt64 = 0, sleeps: UInt64 = 0
        while !stopRequested {
            var busy = false
            if mailbox.hasPending && runMessages() { busy = true }
            var i = 0
            while i < pollers.count {
                let registration = pollers[i]
                i += 1
                if registration.isActive && registration.poller.poll() == .busy { busy = true }
            }
            let now = SystemClock.monotonicNanoseconds()
            iterations &+= 1
            if busy {
                busyNs &+= now &- last
                lastBusy = now
            } else {
                idleNs &+= now &- last
            }
            last = now
            statIterations.store(iterations, ordering: .relaxed)
            statBusy.store(busyNs, ordering: .relaxed)
            statIdle.store(idleNs, ordering: .relaxed)
            if busy || stopRequested { continue }
            switch pollMode {
            case .busy: continue
            case .interrupt: break
            case .adaptive: if now &- lastBusy < spinNanoseconds { continue }
            case .auto: if governor?.keepsSpinning(now: now, lastBusy: lastBusy) == true { continue }
            }
            if sleepUntilWoken(&events, sleeps: &sleeps) {
                let woke = SystemClock.monotonicNanoseconds()
                governor?.woke(now: woke, lastBusy: lastBusy)
                sleepNs &+= woke &- last
                last = woke
                lastBusy = woke
                statSleep.store(sleepNs, ordering: .relaxed)
                statWindow.store(governor?.window.current ?? spinNanoseconds, ordering: .relaxed)
                statHolds.store(governor?.holds ?? 0, ordering: .relaxed)
            }
        }
    }

    /// Blocks in epoll unless a message or a poller says there is work. Returns whether it blocked.
    private func sleepUntilWoken(_ events: inout [Epoll.Event], sleeps: inout UInt64) -> Bool {
        // Dekker-style handshake with `send`: publish "sleeping", then re-check the mailbox; a sender publishes its
        // message, then checks "sleeping". With sequentially consistent operations at least one side sees the other.
        sleeping.store(true, ordering: .sequentiallyConsistent)
        defer { sleeping.store(false, ordering: .relaxed) }
        if mailbox.pendingCount.load(ordering: .sequentiallyConsistent) > 0 { return false }
        var timeoutMilliseconds: Int32 = -1
        for registration in pollers where registration.isActive {
            switch registration.poller.prepareToSleep() {
            case .stayAwake: return false
            case .sleep: break
            case .sleepAtMost(let ns):
                let ms = Int32(clamping: (ns &+ 999_999) / 1_000_000)
                timeoutMilliseconds = timeoutMilliseconds < 0 ? ms : min(timeoutMilliseconds, ms)
            }
        }
        sleeps &+= 1
        statSleeps.store(sleeps, ordering: .relaxed)
        let n: Int
        do throws(Errno) { n = try epoll.wait(into: &events, timeoutMilliseconds: timeoutMilliseconds) } catch {
            return true
        }
        for k in 0..<n {
            let token = events[k].token
            if token == Self.mailboxToken {
                mailbox.eventFD.drain()
            } else if let r = wakeRegistrations[token] {
                r.wakeCount &+= 1
                r.drain()
            }
        }
        return true
    }

    /// Runs the queued messages. Returns whether there were any.
    private func runMessages() -> Bool {
        mailbox.takeAll(into: &spareMessages)
        if spareMessages.isEmpty { return false }
        for message in spareMessages { message() }
        statMessages.wrappingAdd(UInt64(spareMessages.count), ordering: .relaxed)
        spareMessages.removeAll(keepingCapacity: true)
        return true
    }

    private func teardown() {
        // Refuse new messages, then run the ones already queued (a `run` caller is waiting for each).
        mailbox.close()
        _ = runMessages()
        destroyAllChannels()
        for r in pollers { r.isActive = false }
        pollers.removeAll()
        for r in wakeRegistrations.values { try? epoll.remove(r.descriptor.rawValue) }
        wakeRegistrations.removeAll()
    }

    /// Asks the loop to exit after the current pass. Runs on the reactor (as a message).
    func requestStop() {
        stopRequested = true
    }

    /// Stops the reactor: queued messages still run, channels are destroyed, then the thread exits and is joined.
    /// Idempotent. Must not be called on the reactor itself.
    public func stop() {
        precondition(!isCurrent, "Reactor.stop() called on reactor-\(index) itself")
        _ = send { [self] in requestStop() }
        let t: pthread_t? = thread.withLock { t in
            defer { t = nil }
            return t
        }
        if let t { _ = pthread_join(t, nil) }
    }
}

/// Holds the unretained `Reactor` of the calling thread.
let currentReactorKey: pthread_key_t = {
    var key = pthread_key_t()
    let r = pthread_key_create(&key, nil)
    precondition(r == 0, "pthread_key_create failed: \(r)")
    return key
}()

/// What a new reactor thread receives.
private final class ThreadContext {
    let reactor: Reactor
    let latch: StartupLatch
    init(reactor: Reactor, latch: StartupLatch) {
        self.reactor = reactor
        self.latch = latch
    }
}
