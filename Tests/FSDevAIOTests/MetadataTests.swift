import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

@Suite struct MetadataTests {
    @Test func mountGetattrAndLookupMatchTheHost() throws {
        let h = try Harness()
        defer { h.close() }
        let m = try h.mount()
        let rootStat = try hostStat(h.directory)
        #expect(m.root.attributes.inode == UInt64(rootStat.st_ino))
        #expect(m.maxWrite == 128 * 1024)
        #expect(m.writebackCache == false)
        try writeHostFile(h.path("a"), pattern(1000))
        let e = try h.lookup(.root, "a")
        let st = try hostStat(h.path("a"))
        #expect(e.attributes == FileAttributes(st))
        #expect(e.attributes.size == 1000)
        #expect(e.entryTimeout == CachePolicy.auto.timeout)
        // A second lookup is the same node with two references.
        let again = try h.lookup(.root, "a")
        #expect(again.node == e.node)
        #expect(h.device.lookupCount(of: e.node) == 2)
        #expect(try h.attributes(e.node) == FileAttributes(st))
        // Forget both: the node goes, its id turns stale.
        let nodesBefore = h.device.nodeCount
        try h.forget(e.node, 2)
        #expect(h.device.nodeCount == nodesBefore - 1)
        #expect(throws: Errno.badFileDescriptor) { try h.attributes(e.node) }
        // A new lookup of the same file gets a different id (new generation or slot).
        let third = try h.lookup(.root, "a")
        #expect(third.node != e.node)
        #expect(throws: Errno.noSuchFileOrDirectory) { try h.lookup(.root, "missing") }
    }

    @Test func setattrChangesModeOwnerSizeAndTimes() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("f"), pattern(4096))
        let e = try h.lookup(.root, "f")
        var a = try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(
            fields: [.mode, .uid, .gid], mode: 0o100600, uid: 1234, gid: 4321))).get()
        var st = try hostStat(h.path("f"))
        #expect(st.st_mode & 0o7777 == 0o600)
        #expect(st.st_uid == 1234 && st.st_gid == 4321)
        a = try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(fields: [.size], size: 10))).get()
        guard case .attributes(let reply) = a else { Issue.record("no attributes"); return }
        st = try hostStat(h.path("f"))
        #expect(st.st_size == 10 && reply.attributes.size == 10)
        _ = try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(
            fields: [.accessTime, .modificationTime], accessTime: FileTime(seconds: 1_000_000, nanoseconds: 5),
            modificationTime: FileTime(seconds: 2_000_000, nanoseconds: 7)))).get()
        st = try hostStat(h.path("f"))
        #expect(st.st_atim.tv_sec == 1_000_000 && st.st_atim.tv_nsec == 5)
        #expect(st.st_mtim.tv_sec == 2_000_000 && st.st_mtim.tv_nsec == 7)
        _ = try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(
            fields: [.modificationTimeNow, .modificationTime], modificationTime: FileTime(seconds: 5)))).get()
        st = try hostStat(h.path("f"))
        #expect(st.st_mtim.tv_sec > 1_700_000_000)
        #expect(st.st_atim.tv_sec == 1_000_000, "atime untouched (UTIME_OMIT)")
        // Through an open handle.
        let fh = try h.open(e.node, flags: O_RDWR)
        _ = try h.call(.setattr(node: e.node, handle: fh, attributes: SetAttributes(fields: [.size, .mode],
                                                                                     mode: 0o640, size: 3))).get()
        st = try hostStat(h.path("f"))
        #expect(st.st_size == 3 && st.st_mode & 0o7777 == 0o640)
        // Bad nanoseconds, a handle of another node.
        #expect(throws: Errno.invalidArgument) {
            try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(
                fields: [.accessTime], accessTime: FileTime(seconds: 1, nanoseconds: 2_000_000_000)))).get()
        }
        #expect(throws: Errno.badFileDescriptor) {
            try h.call(.setattr(node: .root, handle: fh, attributes: SetAttributes(fields: [.size]))).get()
        }
        try h.release(e.node, fh)
    }

    @Test func setattrTimesOnASymlinkSetTheLinksOwnTimes() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("target"), [1])
        let targetBefore = try hostStat(h.path("target"))
        let link = try h.entry(h.call(.symlink(parent: .root, name: "l", target: "target")))
        let dangling = try h.entry(h.call(.symlink(parent: .root, name: "dangling", target: "/nonexistent")))
        for node in [link.node, dangling.node] {
            let reply = try h.call(.setattr(node: node, handle: nil, attributes: SetAttributes(
                fields: [.accessTime, .modificationTime], accessTime: FileTime(seconds: 1_000_000, nanoseconds: 11),
                modificationTime: FileTime(seconds: 2_000_000, nanoseconds: 13)))).get()
            guard case .attributes(let a) = reply else { Issue.record("no attributes"); return }
            #expect(a.attributes.modificationTime == FileTime(seconds: 2_000_000, nanoseconds: 13))
        }
        for name in ["l", "dangling"] {
            var st = stat()
            #expect(lstat(h.path(name), &st) == 0)
            #expect(st.st_atim.tv_sec == 1_000_000 && st.st_atim.tv_nsec == 11, "\(name)")
            #expect(st.st_mtim.tv_sec == 2_000_000 && st.st_mtim.tv_nsec == 13, "\(name)")
        }
        // The target is not touched through the link.
        let targetAfter = try hostStat(h.path("target"))
        #expect(targetAfter.st_mtim.tv_sec == targetBefore.st_mtim.tv_sec)
        #expect(targetAfter.st_mtim.tv_nsec == targetBefore.st_mtim.tv_nsec)
        // "Now" and omitted fields work on a link as well.
        _ = try h.call(.setattr(node: link.node, handle: nil, attributes: SetAttributes(
            fields: [.modificationTimeNow, .modificationTime]))).get()
        var st = stat()
        #expect(lstat(h.path("l"), &st) == 0)
        #expect(st.st_mtim.tv_sec > 1_700_000_000)
        #expect(st.st_atim.tv_sec == 1_000_000, "atime untouched (UTIME_OMIT)")
        // Mode and size still cannot be changed on a link.
        #expect(throws: Errno.notSupported) {
            try h.call(.setattr(node: link.node, handle: nil, attributes: SetAttributes(fields: [.mode], mode: 0o600)))
                .get()
        }
    }

    @Test func nodeCreationRemovalAndRenames() throws {
        let h = try Harness()
        defer { h.close() }
        let d = try h.entry(h.call(.mkdir(parent: .root, name: "d", mode: 0o755)))
        #expect(d.attributes.mode & FileType.mask == FileType.directory)
        var st = try hostStat(h.path("d"))
        #expect(st.st_mode & 0o777 == 0o755)
        let fifo = try h.entry(h.call(.mknod(parent: d.node, name: "p", mode: UInt32(S_IFIFO) | 0o600, rdev: 0)))
        #expect(fifo.attributes.mode & FileType.mask == 0o010000)
        st = try hostStat(h.path("d/p"))
        #expect(st.st_mode & S_IFMT == S_IFIFO)
        // Opening a FIFO would block the reactor: refused.
        #expect(throws: Errno(rawValue: ENXIO)) { try h.open(fifo.node, flags: O_RDONLY) }
        let link = try h.entry(h.call(.symlink(parent: .root, name: "l", target: "d/p")))
        #expect(link.attributes.mode & FileType.mask == FileType.symbolicLink)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try buffer.withUnsafeMutableBytes { try h.count(h.call(.readlink(node: link.node, buffer: $0))) }
        #expect(String(decoding: buffer[..<n], as: UTF8.self) == "d/p")
        #expect(throws: Errno.invalidArgument) {
            try buffer.withUnsafeMutableBytes { try h.call(.readlink(node: d.node, buffer: $0)).get() }
        }
        // Hard link: one inode, two names.
        let (file, fh) = try h.create(.root, "f")
        try h.release(file.node, fh)
        let hard = try h.entry(h.call(.link(node: file.node, newParent: d.node, newName: "f2")))
        #expect(hard.node == file.node)
        #expect(hard.attributes.linkCount == 2)
        #expect(try hostStat(h.path("d/f2")).st_ino == hostStat(h.path("f")).st_ino)
        #expect(throws: Errno.notPermitted) { try h.call(.link(node: d.node, newParent: .root, newName: "d2")).get() }
        // Rename with flags.
        try writeHostFile(h.path("x"), [1])
        try writeHostFile(h.path("y"), [2, 2])
        #expect(throws: Errno.fileExists) {
            try h.call(.rename(parent: .root, name: "x", newParent: .root, newName: "y", flags: .noReplace)).get()
        }
        _ = try h.call(.rename(parent: .root, name: "x", newParent: .root, newName: "y", flags: .exchange)).get()
        #expect(try readHostFile(h.path("x")) == [2, 2])
        #expect(try readHostFile(h.path("y")) == [1])
        // RENAME_WHITEOUT leaves a 0:0 character device where the source was (overlayfs' whiteout).
        try writeHostFile(h.path("w"), [3])
        _ = try h.call(.rename(parent: .root, name: "w", newParent: .root, newName: "w2", flags: .whiteout)).get()
        let whiteout = try hostStat(h.path("w"))
        #expect(whiteout.st_mode & S_IFMT == S_IFCHR && whiteout.st_rdev == 0)
        #expect(try readHostFile(h.path("w2")) == [3])
        _ = try h.call(.unlink(parent: .root, name: "w")).get()
        _ = try h.call(.unlink(parent: .root, name: "w2")).get()
        _ = try h.call(.rename(parent: .root, name: "y", newParent: d.node, newName: "z", flags: [])).get()
        #expect(try readHostFile(h.path("d/z")) == [1])
        #expect(throws: Errno.invalidArgument) {
            try h.call(.rename(parent: .root, name: "x", newParent: .root, newName: "q",
                               flags: RenameFlags(rawValue: 0x80))).get()
        }
        // Removal reports the real errno (the reference turned these into EIO).
        #expect(throws: Errno.noSuchFileOrDirectory) { try h.call(.unlink(parent: .root, name: "nope")).get() }
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try h.call(.rename(parent: .root, name: "nope", newParent: .root, newName: "n2", flags: [])).get()
        }
        #expect(throws: Errno.directoryNotEmpty) { try h.call(.rmdir(parent: .root, name: "d")).get() }
        #expect(throws: Errno.isDirectory) { try h.call(.unlink(parent: .root, name: "d")).get() }
        _ = try h.call(.unlink(parent: d.node, name: "f2")).get()
        #expect(try h.attributes(file.node).linkCount == 1)
        for name: FileName in ["p", "z"] { _ = try h.call(.unlink(parent: d.node, name: name)).get() }
        _ = try h.call(.rmdir(parent: .root, name: "d")).get()
        #expect(!FileManager.default.fileExists(atPath: h.path("d")))
        // The held node of the removed directory still answers getattr (nlink 0 or 1 on ext4 semantics), no crash.
        _ = try h.attributes(d.node)
    }

    @Test func statfsAccessSyncfs() throws {
        let h = try Harness()
        defer { h.close() }
        guard case .statistics(let s) = try h.call(.statfs(node: .root)).get() else { Issue.record("statfs"); return }
        var vfs = statvfs()
        #expect(statvfs(h.directory, &vfs) == 0)
        #expect(s.blocks == UInt64(vfs.f_blocks) && s.blockSize == UInt32(vfs.f_bsize))
        #expect(s.nameMaxLength == 255)
        try writeHostFile(h.path("ro"), [1, 2, 3], mode: 0o644)
        let e = try h.lookup(.root, "ro")
        let user = RequestContext(uid: 1234, gid: 1234)
        _ = try h.call(.access(node: e.node, mask: UInt32(R_OK)), context: user).get()
        #expect(throws: Errno.permissionDenied) {
            try h.call(.access(node: e.node, mask: UInt32(W_OK)), context: user).get()
        }
        _ = try h.call(.access(node: e.node, mask: UInt32(W_OK)), context: .root).get()
        #expect(throws: Errno.invalidArgument) { try h.call(.access(node: e.node, mask: 0x100)).get() }
        _ = try h.call(.syncfs(node: e.node)).get()
        _ = try h.call(.syncfs(node: .root)).get()
    }

    @Test func fileOperationsOnHandles() throws {
        let h = try Harness()
        defer { h.close() }
        let (e, fh) = try h.create(.root, "f")
        #expect(try h.write(e.node, fh, pattern(16384), at: 0) == 16384)
        _ = try h.call(.flush(node: e.node, handle: fh)).get()
        _ = try h.call(.fsync(node: e.node, handle: fh, dataOnly: true)).get()
        _ = try h.call(.fsync(node: e.node, handle: fh, dataOnly: false)).get()
        // fallocate: extend, keep size, punch a hole.
        _ = try h.call(.fallocate(node: e.node, handle: fh, mode: [], offset: 0, length: 65536)).get()
        #expect(try hostStat(h.path("f")).st_size == 65536)
        _ = try h.call(.fallocate(node: e.node, handle: fh, mode: .keepSize, offset: 65536, length: 65536)).get()
        var st = try hostStat(h.path("f"))
        #expect(st.st_size == 65536 && st.st_blocks >= 256)
        let blocksBefore = st.st_blocks
        _ = try h.call(.fallocate(node: e.node, handle: fh, mode: [.punchHole, .keepSize], offset: 0,
                                  length: 8192)).get()
        st = try hostStat(h.path("f"))
        #expect(st.st_blocks < blocksBefore)
        #expect(try readHostFile(h.path("f")).prefix(8192).allSatisfy { $0 == 0 })
        #expect(throws: Errno.notSupported) {
            try h.call(.fallocate(node: e.node, handle: fh, mode: FallocateMode(rawValue: 0x1000), offset: 0,
                                  length: 1)).get()
        }
        #expect(throws: Errno.invalidArgument) {
            try h.call(.fallocate(node: e.node, handle: fh, mode: [], offset: 0, length: 0)).get()
        }
        // lseek with holes: data starts at 8192 now.
        guard case .offset(let data) = try h.call(.lseek(node: e.node, handle: fh, offset: 0, whence: .data)).get()
        else { Issue.record("lseek"); return }
        #expect(data == 8192)
        guard case .offset(let hole) = try h.call(.lseek(node: e.node, handle: fh, offset: 0, whence: .hole)).get()
        else { Issue.record("lseek"); return }
        #expect(hole == 0)
        // copy_file_range into a second file.
        let (e2, fh2) = try h.create(.root, "g")
        try writeHostFile(h.path("f"), pattern(10_000, seed: 3))
        let copied = try h.count(h.call(.copyFileRange(node: e.node, handle: fh, offset: 100, destinationNode: e2.node,
                                                       destinationHandle: fh2, destinationOffset: 0, length: 5000,
                                                       flags: 0)))
        #expect(copied == 5000)
        #expect(try readHostFile(h.path("g")) == Array(pattern(10_000, seed: 3)[100..<5100]))
        #expect(throws: Errno.badFileDescriptor) {
            try h.call(.copyFileRange(node: e.node, handle: fh2, offset: 0, destinationNode: e2.node,
                                      destinationHandle: fh2, destinationOffset: 0, length: 1, flags: 0)).get()
        }
        try h.release(e.node, fh)
        try h.release(e2.node, fh2)
        #expect(throws: Errno.badFileDescriptor) { try h.release(e.node, fh) }
        #expect(h.device.handleCount == 0)
    }

    @Test func tmpfileIsUnnamedAndWritable() throws {
        let h = try Harness()
        defer { h.close() }
        guard case .created(let e, let o) = try h.call(.tmpfile(parent: .root, mode: 0o600, flags: O_RDWR)).get()
        else { Issue.record("tmpfile"); return }
        #expect(e.attributes.linkCount == 0)
        #expect(try h.write(e.node, o.handle, [1, 2, 3], at: 0) == 3)
        #expect(try h.read(e.node, o.handle, size: 10, at: 0) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.directory).isEmpty)
        try h.release(e.node, o.handle)
    }

    @Test func readOnlyDeviceRefusesModifications() throws {
        let h = try Harness(options: AIOFSOptions(readOnly: true))
        defer { h.close() }
        try writeHostFile(h.path("f"), [9, 8, 7])
        let e = try h.lookup(.root, "f")
        #expect(throws: Errno.readOnlyFileSystem) { try h.create(.root, "n") }
        #expect(throws: Errno.readOnlyFileSystem) { try h.call(.mkdir(parent: .root, name: "d", mode: 0o755)).get() }
        #expect(throws: Errno.readOnlyFileSystem) { try h.call(.unlink(parent: .root, name: "f")).get() }
        #expect(throws: Errno.readOnlyFileSystem) { try h.open(e.node, flags: O_RDWR) }
        #expect(throws: Errno.readOnlyFileSystem) { try h.open(e.node, flags: O_RDONLY | O_TRUNC) }
        #expect(throws: Errno.readOnlyFileSystem) {
            try h.call(.setattr(node: e.node, handle: nil, attributes: SetAttributes(fields: [.size]))).get()
        }
        let fh = try h.open(e.node, flags: O_RDONLY)
        #expect(try h.read(e.node, fh, size: 10, at: 0) == [9, 8, 7])
        #expect(throws: Errno.readOnlyFileSystem) { try h.write(e.node, fh, [1], at: 0) }
        try h.release(e.node, fh)
    }

    @Test func writebackCacheRewritesOpenFlags() throws {
        let h = try Harness()
        defer { h.close() }
        guard case .mounted(let m) = try h.call(.mount(MountRequest(maxWrite: 0, writebackCache: true))).get() else {
            Issue.record("mount"); return
        }
        #expect(m.writebackCache && m.maxWrite == 128 * 1024)
        try writeHostFile(h.path("w"), [1, 2, 3, 4])
        let e = try h.lookup(.root, "w")
        // Write-only in the guest, but the kernel may read to fill pages: the host open is read-write.
        let fh = try h.open(e.node, flags: O_WRONLY | O_APPEND)
        #expect(try h.read(e.node, fh, size: 4, at: 0) == [1, 2, 3, 4])
        // O_APPEND dropped: the write lands at the offset given.
        #expect(try h.write(e.node, fh, [9], at: 0) == 1)
        #expect(try readHostFile(h.path("w")) == [9, 2, 3, 4])
        try h.release(e.node, fh)
        // Without writeback, a write-only handle cannot read: the kernel's EBADF arrives through the completion.
        // A new mount is a new session: the previous session's nodes are gone.
        _ = try h.call(.mount(MountRequest(maxWrite: 0, writebackCache: false))).get()
        #expect(throws: Errno.badFileDescriptor) { _ = try h.open(e.node, flags: O_WRONLY) }
        let again = try h.lookup(.root, "w")
        let wo = try h.open(again.node, flags: O_WRONLY)
        #expect(throws: Errno.badFileDescriptor) { try h.read(again.node, wo, size: 4, at: 0) }
        try h.release(again.node, wo)
    }
}
