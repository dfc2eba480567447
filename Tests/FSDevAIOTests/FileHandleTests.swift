import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

@testable import FSDevAIO

/// Nodes identified by file handles: descriptors are a bounded cache, a node outlives its descriptor, the host
/// may rename or remove files behind the guest's back, and running out of descriptors is not fatal.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FileHandleTests {
    /// Makes `count` files named `f<i>` (content: their name) in `directory`.
    static func makeFiles(_ directory: String, count: Int, prefix: String = "f") throws {
        for i in 0..<count { try writeHostFile(directory + "/\(prefix)\(i)", Array("\(prefix)\(i)".utf8)) }
    }

    /// In an exit test's child: opens, reads and releases node i of `nodes`, file `f<i>` (content: its name);
    /// fails with 3 (wrong content) or 4 (an error).
    static func readBack(_ h: Harness, _ nodes: [NodeID], fail: (Int32, String) -> Never) {
        for (i, node) in nodes.enumerated() {
            do {
                let handle = try h.open(node, flags: O_RDONLY)
                guard try h.read(node, handle, size: 16, at: 0) == Array("f\(i)".utf8) else { fail(3, "f\(i)") }
                try h.release(node, handle)
            } catch { fail(4, "open f\(i): \(error)") }
        }
    }

    @Test func descriptorsAreABoundedCacheAndNodesReopenOnDemand() throws {
        let h = try Harness(options: AIOFSOptions(descriptorCacheSize: 4))
        defer { h.close() }
        #expect(h.device.fileHandleSupport.isOn, "ext4 exports handles and the tests run as root")
        try Self.makeFiles(h.directory, count: 20)
        var nodes: [NodeID] = []
        for i in 0..<20 { nodes.append(try h.lookup(.root, FileName("f\(i)")).node) }
        #expect(h.device.nodeCount == 21)
        #expect(h.device.nodeDescriptorCounts.cached == 4)
        #expect(h.device.nodeDescriptorCounts.pinned == 1, "only the root holds its descriptor for good")
        // The root's, the mount's and the four cached ones.
        #expect(descriptors(under: h.directory) == 6)
        // Every node still answers, most by reopening its handle; the cache stays at its size.
        for (i, node) in nodes.enumerated() {
            let handle = try h.open(node, flags: O_RDONLY)
            #expect(try h.read(node, handle, size: 64, at: 0) == Array("f\(i)".utf8))
            try h.release(node, handle)
            #expect(try h.attributes(node).size == UInt64("f\(i)".utf8.count))
        }
        #expect(h.device.nodeDescriptorCounts.cached == 4)
        #expect(descriptors(under: h.directory) == 6)
        for node in nodes { try h.forget(node) }
        #expect(h.device.nodeCount == 1)
        #expect(h.device.nodeDescriptorCounts.cached == 0)
        #expect(descriptors(under: h.directory) == 2)
    }

    @Test func aHitGivesTheDescriptorASecondChance() throws {
        let h = try Harness(options: AIOFSOptions(descriptorCacheSize: 2))
        defer { h.close() }
        try Self.makeFiles(h.directory, count: 3)
        let a = try h.lookup(.root, "f0").node
        let b = try h.lookup(.root, "f1").node
        _ = try h.attributes(a)  // a is used again: it survives the next admission
        let c = try h.lookup(.root, "f2").node
        #expect(h.device.nodes.hasOpenDescriptor(a) == true)
        #expect(h.device.nodes.hasOpenDescriptor(b) == false)
        #expect(h.device.nodes.hasOpenDescriptor(c) == true)
    }

    @Test(arguments: [FileHandleMode.prefer, .never])
    func aFileRenamedOnTheHostIsStillReachableByItsNode(_ mode: FileHandleMode) throws {
        // A cache of one: with handles, the renamed file's descriptor is evicted and reopened from its handle.
        let h = try Harness(options: AIOFSOptions(fileHandles: mode, descriptorCacheSize: 1))
        defer { h.close() }
        try writeHostFile(h.path("before"), Array("content".utf8))
        try FileManager.default.createDirectory(atPath: h.path("elsewhere"), withIntermediateDirectories: false)
        let node = try h.lookup(.root, "before").node
        let inode = try hostStat(h.path("before")).st_ino
        #expect(rename(h.path("before"), h.path("elsewhere/after")) == 0)
        _ = try h.lookup(.root, "elsewhere")  // displaces the file's descriptor from the cache
        if mode == .prefer { #expect(h.device.nodes.hasOpenDescriptor(node) == false) }
        #expect(try h.attributes(node).inode == inode)
        let handle = try h.open(node, flags: O_RDONLY)
        #expect(try h.read(node, handle, size: 64, at: 0) == Array("content".utf8))
        try h.release(node, handle)
        // The new name leads to the same node.
        let again = try h.lookup(try h.lookup(.root, "elsewhere").node, "after")
        #expect(again.node == node)
    }

    @Test func aHandleWhoseFileTheHostRemovedIsENOENT() throws {
        let h = try Harness(options: AIOFSOptions(descriptorCacheSize: 1))
        defer { h.close() }
        try writeHostFile(h.path("doomed"), Array("x".utf8))
        try writeHostFile(h.path("other"), Array("y".utf8))
        let node = try h.lookup(.root, "doomed").node
        _ = try h.lookup(.root, "other")  // the doomed file keeps no descriptor
        #expect(h.device.nodes.hasOpenDescriptor(node) == false)
        #expect(unlink(h.path("doomed")) == 0)
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try h.attributes(node) }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try h.open(node, flags: O_RDONLY) }
        // The node stays until the guest forgets it, then it is gone for good.
        #expect(h.device.lookupCount(of: node) == 1)
        try h.forget(node)
        #expect(throws: Errno.badFileDescriptor) { _ = try h.attributes(node) }
        // A new file with the same name (perhaps the same inode number) is another node.
        try writeHostFile(h.path("doomed"), Array("new".utf8))
        let reborn = try h.lookup(.root, "doomed")
        #expect(reborn.node != node)
        #expect(reborn.attributes.size == 3)
    }

    @Test func withoutHandlesEveryNodeHoldsItsDescriptor() throws {
        let h = try Harness(options: AIOFSOptions(fileHandles: .never, descriptorCacheSize: 2))
        defer { h.close() }
        #expect(h.device.fileHandleSupport == .off)
        try Self.makeFiles(h.directory, count: 5)
        for i in 0..<5 { _ = try h.lookup(.root, FileName("f\(i)")) }
        #expect(h.device.nodeDescriptorCounts.cached == 0)
        #expect(h.device.nodeDescriptorCounts.pinned == 6)
        #expect(h.device.mountDescriptorCount == 0)
        #expect(descriptors(under: h.directory) == 6)
    }

    @Test func mandatoryRefusesAShareWhoseFilesystemHasNoHandles() throws {
        // procfs exports no file handles.
        #expect(throws: Errno.notSupported) {
            _ = try AIOFSDevice(rootPath: "/proc/sys", options: AIOFSOptions(fileHandles: .mandatory))
        }
        let preferred = try AIOFSDevice(rootPath: "/proc/sys", options: AIOFSOptions(fileHandles: .prefer))
        #expect(preferred.fileHandleSupport == .unavailable(.notSupported))
        #expect(try AIOFSDevice(rootPath: "/tmp", options: AIOFSOptions(fileHandles: .mandatory))
            .fileHandleSupport.isOn)
    }

    /// A lookup storm over more names than the descriptor limit, with a cache larger than the limit: every
    /// lookup, READDIRPLUS and open still succeeds (out of descriptors, the cache gives some back and the open
    /// is retried). In a child process: it lowers RLIMIT_NOFILE.
    @Test func lookupStormOverMoreNamesThanTheLimit() async {
        await #expect(processExitsWith: .success) {
            let h = try Harness(options: AIOFSOptions(descriptorCacheSize: 100_000))
            defer { h.close() }
            try Self.makeFiles(h.directory, count: 1_000)
            let limit = 128
            try ResourceLimit.setOpenDescriptors(ResourceLimit(soft: UInt64(limit),
                                                               hard: try ResourceLimit.openDescriptors().hard))
            let fail = failing("storm")
            var nodes: [NodeID] = []
            for i in 0..<1_000 {
                do { nodes.append(try h.lookup(.root, FileName("f\(i)")).node) } catch {
                    fail(2, "lookup f\(i): \(error), \(FileDescriptor.openCount()) open")
                }
            }
            // Every node reopens and reads back (OPEN needs a descriptor on top of the node's).
            Self.readBack(h, nodes, fail: fail)
            // READDIRPLUS of all 1,000 entries looks each up again.
            do {
                let root = try h.open(.root, flags: O_RDONLY)
                guard case .opened(let d) = try h.call(.opendir(node: .root, flags: 0)).get() else {
                    fail(5, "opendir")
                }
                let sink = CollectingSink()
                var offset: UInt64 = 0
                while true {
                    sink.startCall()
                    let n = try h.count(h.call(.readdirplus(node: .root, handle: d.handle, offset: offset, sink: sink)))
                    if n == 0 { break }
                    offset = sink.accepted.last?.entry.nextOffset ?? 0
                }
                let looked = sink.accepted.filter { $0.entry.entry != nil }.count
                guard looked == 1_000 else { fail(6, "READDIRPLUS looked up \(looked)") }
                try h.release(.root, root)
            } catch { fail(7, "READDIRPLUS: \(error)") }
            guard FileDescriptor.openCount() <= limit else { fail(8, "\(FileDescriptor.openCount()) open") }
        }
        recordNote("storm")
    }

    /// 200,000 lookups of distinct files under a 256-descriptor limit, with the default cache size for that
    /// limit: all succeed, and the process never holds more descriptors than the cache plus what it started
    /// with. In a child process: it lowers RLIMIT_NOFILE. The files are on tmpfs (/dev/shm), which exports file
    /// handles as ext4 does and creates 200,000 files in a second instead of a minute on a busy disk.
    @Test func twoHundredThousandDistinctLookupsUnder256Descriptors() async {
        await #expect(processExitsWith: .success) {
            let fail = failing("200k")
            let hard = try ResourceLimit.openDescriptors().hard
            try ResourceLimit.setOpenDescriptors(ResourceLimit(soft: 256, hard: hard))
            let h = try Harness(options: AIOFSOptions(), parent: "/dev/shm")
            defer { h.close() }
            guard h.device.descriptorCacheSize == 128 else { fail(2, "cache \(h.device.descriptorCacheSize)") }
            guard h.device.fileHandleSupport.isOn else { fail(10, "no file handles on tmpfs") }
            let directories = 200, perDirectory = 1_000
            for d in 0..<directories {
                let path = h.path("d\(d)")
                guard mkdir(path, 0o755) == 0 else { fail(3, "mkdir: \(Errno.current)") }
                for f in 0..<perDirectory {
                    let fd = Glibc.open(path + "/f\(f)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
                    guard fd >= 0 else { fail(4, "create: \(Errno.current)") }
                    close(fd)
                }
            }
            let baseline = FileDescriptor.openCount()
            var highest = baseline
            var looked = 0
            for d in 0..<directories {
                let directory: NodeID
                do { directory = try h.lookup(.root, FileName("d\(d)")).node } catch { fail(5, "d\(d): \(error)") }
                for f in 0..<perDirectory {
                    do { _ = try h.lookup(directory, FileName("f\(f)")) } catch { fail(6, "d\(d)/f\(f): \(error)") }
                    looked += 1
                }
                highest = max(highest, FileDescriptor.openCount())
            }
            guard looked == 200_000, h.device.nodeCount == 200_201 else { fail(7, "nodes \(h.device.nodeCount)") }
            guard h.device.nodeDescriptorCounts.cached <= 128 else { fail(8, "\(h.device.nodeDescriptorCounts)") }
            guard highest <= baseline + 128 else { fail(9, "descriptors: \(baseline) at start, \(highest) at most") }
        }
        recordNote("200k")
    }

    /// A submount inside the share: its nodes get handles on a mount of their own, whose descriptor is released
    /// with its last node, so the host can unmount it again. In a child process with its own mount namespace.
    @Test func aSubmountGetsItsOwnMountDescriptorAndReleasesIt() async {
        await #expect(processExitsWith: .success) {
            let fail = failing("submount")
            guard unshare(CLONE_NEWNS) == 0, mount("none", "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else {
                fail(2, "unshare: \(Errno.current)")
            }
            let h = try Harness(options: AIOFSOptions())
            defer { h.close() }
            let sub = h.path("sub"), dir = h.path("dir"), bind = h.path("bind")
            // Runs before h.close(): the share's directory can only be removed without mounts in it.
            defer { for mountPoint in [sub, bind] { umount2(mountPoint, Int32(MNT_DETACH)) } }
            guard mkdir(sub, 0o755) == 0, mount("tmpfs", sub, "tmpfs", 0, nil) == 0 else {
                fail(3, "mount: \(Errno.current)")
            }
            try writeHostFile(sub + "/inner", Array("inner".utf8))
            let subNode = try h.lookup(.root, "sub").node
            let inner = try h.lookup(subNode, "inner").node
            guard h.device.mountDescriptorCount == 2 else { fail(4, "mounts \(h.device.mountDescriptorCount)") }
            guard try h.attributes(inner).size == 5 else { fail(5, "size") }
            try h.forget(inner)
            try h.forget(subNode)
            guard h.device.mountDescriptorCount == 1 else { fail(6, "mounts \(h.device.mountDescriptorCount)") }
            guard umount(sub) == 0 else { fail(7, "umount: \(Errno.current)") }
            // The same inode through a bind mount is another node (another mount: its own flags, its own
            // submount), also while the first node's descriptor is cached, and each is found again by its path.
            guard mkdir(dir, 0o755) == 0, mkdir(bind, 0o755) == 0,
                  mount(dir, bind, nil, UInt(MS_BIND), nil) == 0 else { fail(10, "bind: \(Errno.current)") }
            try writeHostFile(dir + "/file", Array("bound".utf8))
            let direct = try h.lookup(try h.lookup(.root, "dir").node, "file").node
            let bound = try h.lookup(try h.lookup(.root, "bind").node, "file").node
            guard direct != bound else { fail(11, "one node for two mounts") }
            guard try h.lookup(try h.lookup(.root, "dir").node, "file").node == direct,
                  try h.lookup(try h.lookup(.root, "bind").node, "file").node == bound,
                  h.device.lookupCount(of: direct) == 2, h.device.lookupCount(of: bound) == 2
            else { fail(12, "a node was not found again by its own path") }
            // procfs exports no handles: with `prefer` its nodes hold descriptors instead.
            guard mount("proc", sub, "proc", 0, nil) == 0 else { fail(8, "mount proc: \(Errno.current)") }
            let proc = try h.lookup(.root, "sub")
            let pinnedBefore = h.device.nodeDescriptorCounts.pinned
            _ = try h.lookup(proc.node, "self")
            guard h.device.nodeDescriptorCounts.pinned == pinnedBefore + 1 else { fail(9, "not pinned") }
        }
        recordNote("submount")
    }
}

/// In an exit test's child: a function that records why the test failed, for the parent, and exits.
func failing(_ test: String) -> (Int32, String) -> Never {
    { code, text in ExitTestNote.fail(test, code, text) }
}

/// In the parent: records what the exit test's child left as an issue.
func recordNote(_ test: String) {
    if let note = ExitTestNote.take(test: test) { Issue.record(Comment(rawValue: note)) }
}
