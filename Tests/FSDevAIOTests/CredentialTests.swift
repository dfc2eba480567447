import FSDev
import Foundation
import Glibc
import LinuxSystem
import Synchronization
import Testing

@testable import FSDevAIO

/// Creation under the caller's identity. These tests need root (CI runs as root).
@Suite struct CredentialTests {
    @Test func createdNodesBelongToTheCallerWithItsUmask() throws {
        try #require(geteuid() == 0, "credential tests need root")
        let h = try Harness()
        defer { h.close() }
        let caller = RequestContext(uid: 1234, gid: 5678, pid: 42, umask: 0o027)
        // The caller needs write access to the parent.
        #expect(chmod(h.directory, 0o777) == 0)
        _ = try h.entry(h.call(.mkdir(parent: .root, name: "d", mode: 0o777), context: caller))
        let (f, fh) = try h.create(.root, "f", mode: 0o666, context: caller)
        _ = try h.entry(h.call(.mknod(parent: .root, name: "n", mode: 0o100666, rdev: 0), context: caller))
        _ = try h.entry(h.call(.symlink(parent: .root, name: "s", target: "f"), context: caller))
        for (name, mode) in [("d", 0o750), ("f", 0o640), ("n", 0o640)] as [(String, mode_t)] {
            let st = try hostStat(h.path(name))
            #expect(st.st_uid == 1234 && st.st_gid == 5678, "\(name)")
            #expect(st.st_mode & 0o7777 == mode, "\(name)")
        }
        let s = try hostStat(h.path("s"))
        #expect(s.st_uid == 1234 && s.st_gid == 5678)
        #expect(f.attributes.uid == 1234)
        // The reactor is root again afterwards. Its umask is its own (the channel unshared CLONE_FS): setting it
        // there does not change the umask other threads see.
        let before = umask(0o022)
        umask(before)
        let (euid, egid) = h.group.reactors[0].run { () -> (uid_t, gid_t) in
            umask(0o077)
            return (geteuid(), getegid())
        }
        #expect(euid == 0 && egid == 0)
        let after = umask(before)
        #expect(after == before, "the reactor's umask leaked to the process")
        _ = h.group.reactors[0].run { umask(before) }
        _ = try h.entry(h.call(.mkdir(parent: .root, name: "rootdir", mode: 0o777)))
        #expect(try hostStat(h.path("rootdir")).st_uid == 0)
        #expect(try hostStat(h.path("rootdir")).st_mode & 0o777 == 0o777, "umask 0 for the root context")
        try h.release(f.node, fh)
        // Without write permission the caller is refused with the kernel's errno.
        #expect(chmod(h.directory, 0o755) == 0)
        #expect(throws: Errno.permissionDenied) { try h.create(.root, "g", context: caller) }
    }

    @Test func supplementaryGroupIsHonouredAndTheDaemonsGroupsAreNot() throws {
        try #require(geteuid() == 0, "credential tests need root")
        let h = try Harness()
        defer { h.close() }
        try FileManager.default.createDirectory(atPath: h.path("shared"), withIntermediateDirectories: false)
        #expect(chown(h.path("shared"), 0, 4242) == 0)
        #expect(chmod(h.path("shared"), 0o770) == 0)
        let shared = try h.lookup(.root, "shared")
        let member = RequestContext(uid: 1234, gid: 1234, supplementaryGroup: 4242)
        let stranger = RequestContext(uid: 1234, gid: 1234)
        _ = try h.create(shared.node, "ok", context: member)
        #expect(try hostStat(h.path("shared/ok")).st_uid == 1234)
        #expect(throws: Errno.permissionDenied) { try h.create(shared.node, "no", context: stranger) }
        // A group-root writable directory: the daemon's own group 0 must not leak into the caller's rights.
        try FileManager.default.createDirectory(atPath: h.path("rootgroup"), withIntermediateDirectories: false)
        #expect(chmod(h.path("rootgroup"), 0o770) == 0)
        let rg = try h.lookup(.root, "rootgroup")
        #expect(throws: Errno.permissionDenied) {
            try h.call(.mkdir(parent: rg.node, name: "x", mode: 0o755), context: stranger).get()
        }
        // The reactor's supplementary groups are restored.
        let groups = h.group.reactors[0].run { () -> [gid_t] in
            var g = [gid_t](repeating: 0, count: 64)
            let n = getgroups(64, &g)
            return Array(g.prefix(Int(max(0, n))))
        }
        var mine = [gid_t](repeating: 0, count: 64)
        let n = getgroups(64, &mine)
        #expect(groups == Array(mine.prefix(Int(n))))
    }

    @Test func otherThreadsNeverChangeIdentity() throws {
        try #require(geteuid() == 0, "credential tests need root")
        let h = try Harness(reactors: 2)
        defer { h.close() }
        #expect(chmod(h.directory, 0o777) == 0)
        // Watched: the other reactor (serving root requests meanwhile), the thread-group leader and this test's
        // thread. Reactors of other suites running in parallel switch identities legitimately and are not watched.
        let watched = [h.group.reactors[1].threadID, Int(getpid()), SystemCall.threadID()]
        final class Shared: Sendable {
            let stop = Atomic<Bool>(false)
            let violations = Atomic<Int>(0)
            let samples = Atomic<Int>(0)
        }
        let shared = Shared()
        // Sample every other thread's credentials while reactor 0 keeps switching to uid 1234.
        let sampler = Thread {
            while !shared.stop.load(ordering: .relaxed) {
                for tid in watched {
                    guard let status = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8)
                    else { continue }
                    for line in status.split(separator: "\n") where line.hasPrefix("Uid:") || line.hasPrefix("Gid:") {
                        let ids = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst()
                        if ids.contains(where: { $0 != "0" }) { shared.violations.wrappingAdd(1, ordering: .relaxed) }
                    }
                }
                shared.samples.wrappingAdd(1, ordering: .relaxed)
            }
        }
        sampler.start()
        let caller = RequestContext(uid: 1234, gid: 1234)
        for i in 0..<300 {
            let (e, fh) = try h.create(.root, FileName("f\(i)"), context: caller)
            try h.release(e.node, fh)
            // Reactor 1 serves root requests meanwhile: its files stay root's.
            _ = try h.entry(h.call(.mkdir(parent: .root, name: FileName("d\(i)"), mode: 0o755), reactor: 1))
        }
        shared.stop.store(true, ordering: .relaxed)
        while !sampler.isFinished { usleep(1000) }
        #expect(shared.samples.load(ordering: .relaxed) > 0)
        #expect(shared.violations.load(ordering: .relaxed) == 0)
        for i in 0..<300 { #expect(try hostStat(h.path("d\(i)")).st_uid == 0) }
        #expect(try hostStat(h.path("f299")).st_uid == 1234)
    }
}
