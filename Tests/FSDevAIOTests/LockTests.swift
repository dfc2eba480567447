import FSDev
import Foundation
import Glibc
import LinuxSystem
import Reactor
import Testing

@testable import FSDevAIO

@Suite struct LockTests {
    @Test func posixLocksConflictAndWaitersAreGrantedWithoutBlockingTheReactor() throws {
        let h = try Harness(options: AIOFSOptions(posixLocks: true))
        defer { h.close() }
        try writeHostFile(h.path("l"), pattern(100))
        let e = try h.lookup(.root, "l")
        let a = try h.open(e.node, flags: O_RDWR)
        let b = try h.open(e.node, flags: O_RDWR)
        let whole = FileLock(kind: .write, start: 0, end: .max)
        _ = try h.call(.setlk(node: e.node, handle: a, lock: whole, wait: false)).get()
        guard case .lock(let conflict) = try h.call(.getlk(node: e.node, handle: b, lock: whole)).get() else {
            Issue.record("getlk"); return
        }
        #expect(conflict.kind == .write && conflict.start == 0 && conflict.end == .max)
        #expect(throws: Errno.wouldBlock) {
            try h.call(.setlk(node: e.node, handle: b, lock: FileLock(kind: .read, start: 10, end: 20),
                              wait: false)).get()
        }
        // SETLKW on b waits in the channel; the reactor keeps serving meanwhile.
        let waiter = Completions(reactor: h.group.reactors[0])
        let channel = h.channels[0]
        h.group.reactors[0].run {
            try? channel.value.submit(.setlk(node: e.node, handle: b, lock: FileLock(kind: .read, start: 10, end: 20),
                                             wait: true), context: .root, token: 77, target: waiter)
        }
        usleep(20_000)
        #expect(waiter.count == 0)
        #expect(try h.attributes(e.node).size == 100, "the reactor is not blocked")
        _ = try h.call(.setlk(node: e.node, handle: a, lock: FileLock(kind: .unlock, start: 0, end: .max),
                              wait: false)).get()
        let granted = waiter.wait(count: 1, seconds: 2)
        #expect(granted.count == 1)
        #expect(granted.first.map { if case .success(.none) = $0.result { true } else { false } } == true)
        guard case .lock(let none) = try h.call(.getlk(node: e.node, handle: a, lock: whole)).get() else {
            Issue.record("getlk"); return
        }
        #expect(none.kind == .read && none.start == 10 && none.end == 20)
        #expect(throws: Errno.invalidArgument) {
            try h.call(.getlk(node: e.node, handle: a, lock: FileLock(kind: .read, start: 5, end: 4))).get()
        }
        try h.release(e.node, a)
        try h.release(e.node, b)
    }

    @Test func flockWaitsCanBeAbortedAndShutdownFailsThem() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("f"), [1])
        let e = try h.lookup(.root, "f")
        let a = try h.open(e.node, flags: O_RDONLY)
        let b = try h.open(e.node, flags: O_RDONLY)
        _ = try h.call(.flock(node: e.node, handle: a, operation: .exclusive, wait: false)).get()
        #expect(throws: Errno.wouldBlock) {
            try h.call(.flock(node: e.node, handle: b, operation: .shared, wait: false)).get()
        }
        let waiter = Completions(reactor: h.group.reactors[0])
        let channel = h.channels[0]
        h.group.reactors[0].run {
            try? channel.value.submit(.flock(node: e.node, handle: b, operation: .exclusive, wait: true),
                                      context: .root, token: 5, target: waiter)
            try? channel.value.submit(.flock(node: e.node, handle: b, operation: .shared, wait: true),
                                      context: .root, token: 6, target: waiter)
        }
        usleep(10_000)
        #expect(waiter.count == 0)
        // INTERRUPT of the first waiter.
        if case .success = h.call(.abort(token: 5)) {} else { Issue.record("abort of a waiting flock") }
        let first = waiter.wait(count: 1)
        #expect(first.first?.token == 5)
        #expect(first.first.map { if case .failure(.interrupted) = $0.result { true } else { false } } == true)
        // Stopping the reactor destroys the channel: the other waiter gets EINTR, exactly once.
        h.group.stop()
        let all = waiter.wait(count: 1)
        #expect(all.count == 2)
        #expect(all.last?.token == 6)
        #expect(all.last.map { if case .failure(.interrupted) = $0.result { true } else { false } } == true)
    }

    @Test func locksOffAreENOSYS() throws {
        let h = try Harness(options: AIOFSOptions(posixLocks: false, flockLocks: false))
        defer { h.close() }
        try writeHostFile(h.path("f"), [1])
        let e = try h.lookup(.root, "f")
        let a = try h.open(e.node, flags: O_RDONLY)
        let lock = FileLock(kind: .read, start: 0, end: 1)
        #expect(throws: Errno.notImplemented) { try h.call(.getlk(node: e.node, handle: a, lock: lock)).get() }
        #expect(throws: Errno.notImplemented) {
            try h.call(.setlk(node: e.node, handle: a, lock: lock, wait: true)).get()
        }
        #expect(throws: Errno.notImplemented) {
            try h.call(.flock(node: e.node, handle: a, operation: .shared, wait: false)).get()
        }
    }
}
