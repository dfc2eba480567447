import Dispatch
import FSDev
import Foundation
import Glibc
import LinuxSystem
import Reactor
import Synchronization
import Testing

@testable import FSDevAIO

/// Moves a non-Sendable value into a reactor closure; the test thread does not touch it until the reactor is done.
struct Unchecked<T>: @unchecked Sendable {
    var value: T
}

/// Collects completions from a reactor for a waiting test thread.
final class Completions: FSCompletionTarget, @unchecked Sendable {
    // SAFETY (Sendable): `results` is only touched under `lock`.
    private let lock = Mutex<[(UInt64, Result<FSReply, Errno>)]>([])
    private let semaphore = DispatchSemaphore(value: 0)
    let reactor: Reactor?
    let wrongThread = Atomic<Int>(0)

    init(reactor: Reactor? = nil) { self.reactor = reactor }

    func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
        if let reactor, !reactor.isCurrent { wrongThread.wrappingAdd(1, ordering: .relaxed) }
        let item = Unchecked(value: (token, result))
        lock.withLock { $0.append(item.value) }
        semaphore.signal()
    }

    /// Waits for `count` more completions (at most `seconds`); returns all collected so far.
    func wait(count: Int, seconds: Int = 10) -> [(token: UInt64, result: Result<FSReply, Errno>)] {
        for _ in 0..<count {
            if semaphore.wait(timeout: .now() + .seconds(seconds)) == .timedOut { break }
        }
        return lock.withLock { $0.map { (token: $0.0, result: $0.1) } }
    }

    var count: Int { lock.withLock { $0.count } }
}

/// A temporary share, a device and reactors with one channel each.
final class Harness: @unchecked Sendable {
    let directory: String
    let group: ReactorGroup
    let device: AIOFSDevice
    let channels: [ReactorBound<AIOFSChannel>]

    /// - Parameter parent: where the share is made (a tmpfs such as /dev/shm when a test creates very many files).
    init(options: AIOFSOptions = AIOFSOptions(extendedAttributes: true, posixLocks: true),
         reactors: Int = 1, pollMode: PollMode = .interrupt, parent: String = "/tmp") throws {
        var template = Array("\(parent)/fsdev-test-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw Errno.current }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        group = try ReactorGroup(count: reactors, pollMode: pollMode)
        device = try AIOFSDevice(rootPath: directory, options: options)
        let device = self.device
        channels = try group.reactors.map { reactor in
            try reactor.run { () throws(Errno) -> ReactorBound<AIOFSChannel> in
                ReactorBound(try reactor.channel(for: device), reactor: reactor)
            }
        }
        _ = try mount()
    }

    /// Stops the reactors (destroying channels) and removes the share.
    func close() {
        group.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { close() }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Submits `operation` on reactor `reactor` and waits for its completion. A synchronous failure (submit threw)
    /// is returned as well, tagged.
    func submit(_ operation: FSOperation, context: RequestContext = .root,
                reactor: Int = 0) -> (result: Result<FSReply, Errno>, synchronous: Bool) {
        let box = Unchecked(value: operation)
        let channel = channels[reactor]
        let completions = Completions(reactor: group.reactors[reactor])
        let thrown = group.reactors[reactor].run { () -> Errno? in
            do throws(Errno) {
                try channel.value.submit(box.value, context: context, token: 7, target: completions)
                return nil
            } catch { return error }
        }
        if let thrown {
            #expect(completions.count == 0, "a synchronous failure must not complete")
            return (.failure(thrown), true)
        }
        let done = completions.wait(count: 1)
        #expect(done.count == 1, "exactly one completion")
        #expect(completions.wrongThread.load(ordering: .relaxed) == 0, "completion off the channel's reactor")
        guard let first = done.first else { return (.failure(.ioError), false) }
        #expect(first.token == 7)
        return (first.result, false)
    }

    /// Submits and returns the completion result.
    func call(_ operation: FSOperation, context: RequestContext = .root, reactor: Int = 0) -> Result<FSReply, Errno> {
        submit(operation, context: context, reactor: reactor).result
    }

    // MARK: - Typed helpers (throw the errno)

    func mount() throws -> MountReply {
        guard case .mounted(let m) = try call(.mount(MountRequest(maxWrite: 1 << 20, writebackCache: false))).get()
        else { throw Errno.ioError }
        return m
    }

    func lookup(_ parent: NodeID, _ name: FileName, context: RequestContext = .root) throws -> NodeEntry {
        try entry(call(.lookup(parent: parent, name: name), context: context))
    }

    func entry(_ r: Result<FSReply, Errno>) throws -> NodeEntry {
        switch try r.get() {
        case .entry(let e): return e
        case .created(let e, _): return e
        default: throw Errno.ioError
        }
    }

    func attributes(_ node: NodeID, handle: HandleID? = nil) throws -> FileAttributes {
        guard case .attributes(let a) = try call(.getattr(node: node, handle: handle)).get() else {
            throw Errno.ioError
        }
        return a.attributes
    }

    func open(_ node: NodeID, flags: Int32) throws -> HandleID {
        guard case .opened(let o) = try call(.open(node: node, flags: flags)).get() else { throw Errno.ioError }
        return o.handle
    }

    func create(_ parent: NodeID, _ name: FileName, mode: UInt32 = 0o644, flags: Int32 = O_RDWR,
                context: RequestContext = .root) throws -> (NodeEntry, HandleID) {
        guard case .created(let e, let o) = try call(.create(parent: parent, name: name, mode: mode, flags: flags),
                                                     context: context).get()
        else { throw Errno.ioError }
        return (e, o.handle)
    }

    func count(_ r: Result<FSReply, Errno>) throws -> Int {
        guard case .count(let n) = try r.get() else { throw Errno.ioError }
        return n
    }

    /// WRITE `bytes` at `offset` through libaio.
    func write(_ node: NodeID, _ handle: HandleID, _ bytes: [UInt8], at offset: UInt64,
               reactor: Int = 0) throws -> Int {
        var copy = bytes
        return try copy.withUnsafeMutableBytes { raw in
            var v = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
            return try withUnsafePointer(to: &v) { p in
                try count(call(.write(node: node, handle: handle, offset: offset, size: UInt32(raw.count),
                                      buffers: UnsafeBufferPointer(start: p, count: 1)), reactor: reactor))
            }
        }
    }

    /// READ up to `size` bytes at `offset` through libaio.
    func read(_ node: NodeID, _ handle: HandleID, size: Int, at offset: UInt64, reactor: Int = 0) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0xee, count: size)
        let n = try buffer.withUnsafeMutableBytes { raw in
            var v = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
            return try withUnsafePointer(to: &v) { p in
                try count(call(.read(node: node, handle: handle, offset: offset, size: UInt32(size),
                                     buffers: UnsafeBufferPointer(start: p, count: 1)), reactor: reactor))
            }
        }
        return Array(buffer[..<n])
    }

    func release(_ node: NodeID, _ handle: HandleID) throws {
        _ = try call(.release(node: node, handle: handle)).get()
    }

    func forget(_ node: NodeID, _ count: UInt64 = 1) throws {
        _ = try call(.forget(node: node, count: count)).get()
    }
}

/// Host-side helpers.
func hostStat(_ path: String) throws -> stat {
    var st = stat()
    guard lstat(path, &st) == 0 else { throw Errno.current }
    return st
}

func writeHostFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw Errno.current }
    defer { Glibc.close(fd) }
    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard n == bytes.count else { throw Errno.current }
}

func readHostFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw Errno.noSuchFileOrDirectory }
    return [UInt8](data)
}

/// Deterministic pseudo-random bytes.
func pattern(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

/// A directory sink that accepts up to `limit` entries per call and records them.
final class CollectingSink: DirectorySink {
    var limit: Int
    var accepted: [(name: String, entry: DirectoryEntry)] = []
    private var thisCall = 0

    init(limit: Int = .max) { self.limit = limit }

    func startCall() { thisCall = 0 }

    func add(_ entry: DirectoryEntry) -> Bool {
        guard thisCall < limit else { return false }
        thisCall += 1
        accepted.append((String(decoding: entry.name, as: UTF8.self), entry))
        return true
    }
}

/// The ways the device can do reads and writes. Tests of the data path run once per engine, so that every engine
/// meets the same hostile inputs and errors as the default one.
enum IOEngine: String, CaseIterable, CustomTestStringConvertible {
    /// Every read and write through libaio.
    case libaio
    /// Page-cache reads inline (RWF_NOWAIT), misses to helper threads; writes through libaio.
    case inlineReads
    /// Inline reads as above; writes through the helper pool (pwritev on the reactor or on a helper).
    case threads
    /// Inline reads; writes and cold reads through io_uring.
    case ioUring = "io_uring"

    var testDescription: String { rawValue }

    /// `options` with this engine's switches.
    func options(_ options: AIOFSOptions = AIOFSOptions()) -> AIOFSOptions {
        var o = options
        o.inlineCachedReads = self != .libaio
        o.engine = switch self {
        case .libaio, .inlineReads: .libaio
        case .threads: .threads
        case .ioUring: .ioUring
        }
        return o
    }
}
