import FSDev
import Foundation
import Glibc
import LinuxSystem
import Reactor
import Synchronization
import Testing

@testable import FSDevAIO

@Suite(.serialized) struct ConcurrencyTests {
    /// Two reactors, one channel each, hammer one directory for a bounded time. Afterwards every lookup the
    /// "guest" took is forgotten and every handle released: the node table is back to its start size, and no
    /// descriptor into the share is left open (other suites run in parallel, so only those are counted).
    @Test func twoReactorsHammeringOneDirectory() throws {
        let share: String
        do {
            let h = try Harness(reactors: 2, pollMode: .adaptive(spinMicroseconds: 50))
            defer { h.close() }
            share = h.directory
            // The root's O_PATH descriptor, and the share's mount descriptor for opening file handles.
            let atStart = 1 + h.device.mountDescriptorCount
            #expect(h.device.fileHandleSupport.isOn && atStart == 2)
            #expect(descriptors(under: share) == atStart, "the root's and the mount's descriptors")
            let nodesAtStart = h.device.nodeCount
            final class Tally: @unchecked Sendable {
                let lock = Mutex<[NodeID: UInt64]>([:])
                let operations = Atomic<Int>(0)
                func took(_ node: NodeID) { lock.withLock { $0[node, default: 0] += 1 } }
            }
            let tally = Tally()
            let deadline = SystemClock.monotonicNanoseconds() + 1_500_000_000
            let workers = (0..<2).map { reactor in
                Thread {
                    var rng = SystemRandomNumberGenerator()
                    let names: [FileName] = (0..<8).map { FileName("n\($0)") }
                    while SystemClock.monotonicNanoseconds() < deadline {
                        let name = names[Int.random(in: 0..<names.count, using: &rng)]
                        let other = names[Int.random(in: 0..<names.count, using: &rng)]
                        switch Int.random(in: 0..<5, using: &rng) {
                        case 0:
                            if case .success(.created(let e, let o)) = h.call(.create(parent: .root, name: name,
                                    mode: 0o644, flags: O_RDWR), reactor: reactor) {
                                tally.took(e.node)
                                _ = try? h.write(e.node, o.handle, pattern(5000), at: 0, reactor: reactor)
                                _ = try? h.read(e.node, o.handle, size: 8192, at: 0, reactor: reactor)
                                _ = h.call(.release(node: e.node, handle: o.handle), reactor: reactor)
                            }
                        case 1:
                            _ = h.call(.rename(parent: .root, name: name, newParent: .root, newName: other, flags: []),
                                       reactor: reactor)
                        case 2:
                            _ = h.call(.unlink(parent: .root, name: name), reactor: reactor)
                        case 3:
                            if case .success(.entry(let e)) = h.call(.lookup(parent: .root, name: name),
                                                                     reactor: reactor) {
                                tally.took(e.node)
                                if case .success(.opened(let o)) = h.call(.open(node: e.node, flags: O_RDONLY),
                                                                          reactor: reactor) {
                                    _ = try? h.read(e.node, o.handle, size: 4096, at: 0, reactor: reactor)
                                    _ = h.call(.release(node: e.node, handle: o.handle), reactor: reactor)
                                }
                            }
                        default:
                            if case .success(.entry(let e)) = h.call(.mkdir(parent: .root, name: name, mode: 0o755),
                                                                     reactor: reactor) {
                                tally.took(e.node)
                            }
                            _ = h.call(.rmdir(parent: .root, name: name), reactor: reactor)
                        }
                        tally.operations.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
            for w in workers { w.start() }
            while workers.contains(where: { !$0.isFinished }) { usleep(5000) }
            let taken = tally.lock.withLock { $0 }
            #expect(tally.operations.load(ordering: .relaxed) > 100)
            #expect(h.device.handleCount == 0)
            for (node, count) in taken { _ = h.call(.forget(node: node, count: count), reactor: 1) }
            #expect(h.device.nodeCount == nodesAtStart)
            #expect(descriptors(under: share) == atStart)
            print("concurrency: \(tally.operations.load(ordering: .relaxed)) operations on 2 reactors in 1.5 s")
        }
        #expect(descriptors(under: share) == 0)
    }

    @Test func unmountDropsEverythingAndChannelsAreReferenceCounted() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("a"), [1])
        let e = try h.lookup(.root, "a")
        _ = try h.open(e.node, flags: O_RDONLY)
        #expect(h.device.nodeCount == 2 && h.device.handleCount == 1)
        _ = try h.call(.unmount).get()
        #expect(h.device.nodeCount == 1 && h.device.handleCount == 0)
        #expect(throws: Errno.badFileDescriptor) { try h.attributes(e.node) }
        // The channel is shared per reactor and destroyed with its last reference; a destroyed channel refuses
        // work synchronously.
        let reactor = h.group.reactors[0]
        let device = h.device
        let refused = reactor.run { () -> Errno? in
            guard let second = try? reactor.channel(for: device) else { return .ioError }
            let same = second === h.channels[0].value
            reactor.releaseChannel(for: device)
            reactor.releaseChannel(for: device)
            guard same, reactor.channelReferenceCount(for: device) == 0 else { return .ioError }
            do throws(Errno) {
                try second.submit(.getattr(node: .root, handle: nil)) { _ in }
                return nil
            } catch { return error }
        }
        #expect(refused == .badFileDescriptor)
    }
}

/// Open descriptors of this process that refer to `path` or below (readlink of /proc/self/fd/N).
func descriptors(under path: String) -> Int {
    guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
    var n = 0
    var buffer = [CChar](repeating: 0, count: 4096)
    for fd in fds {
        let len = readlink("/proc/self/fd/" + fd, &buffer, buffer.count - 1)
        guard len > 0 else { continue }
        let target = String(decoding: buffer[..<len].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target == path || target.hasPrefix(path + "/") { n += 1 }
    }
    return n
}
