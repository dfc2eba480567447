import CLinux
import FSDevAIO
import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// `--readonly`: every modifying opcode gets EROFS and leaves the share as it was, one test per opcode, sent as
/// raw requests through the FUSE client over a real socket. Locks, FSYNC, FLUSH and SYNCFS change nothing in the
/// share and stay allowed (a read-only NFS export allows them too): they are in the second table.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReadOnlyShareTests {
    /// What a request may refer to: nodes looked up and a read-only handle of the regular file.
    struct Fixture {
        var file: UInt64
        var directory: UInt64
        var handle: UInt64
    }

    /// One request: the opcode, the node it is sent to, and its body.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let opcode: FUSEClient.Opcode
        let body: @Sendable (Fixture) -> (node: UInt64, bytes: [UInt8])
        var testDescription: String { name }
    }

    static func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static func name(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
    static let root = FUSEClient.rootNodeID

    /// Every opcode that changes the share.
    static let modifying: [Case] = [
        Case(name: "SETATTR mode", opcode: .setattr) { f in
            var a = fuse_setattr_in()
            a.valid = UInt32(FATTR_MODE)
            a.mode = 0o777
            return (f.file, bytes(a))
        },
        Case(name: "SETATTR size through the handle", opcode: .setattr) { f in
            var a = fuse_setattr_in()
            a.valid = UInt32(FATTR_SIZE | FATTR_FH)
            a.size = 0
            a.fh = f.handle
            return (f.file, bytes(a))
        },
        Case(name: "SETATTR times", opcode: .setattr) { f in
            var a = fuse_setattr_in()
            a.valid = UInt32(FATTR_ATIME | FATTR_ATIME_NOW | FATTR_MTIME | FATTR_MTIME_NOW)
            return (f.file, bytes(a))
        },
        Case(name: "SYMLINK", opcode: .symlink) { _ in (root, name("new") + name("file")) },
        Case(name: "MKNOD", opcode: .mknod) { _ in
            (root, bytes(fuse_mknod_in(mode: 0o010644, rdev: 0, umask: 0, padding: 0)) + name("new"))
        },
        Case(name: "MKDIR", opcode: .mkdir) { _ in (root, bytes(fuse_mkdir_in(mode: 0o755, umask: 0)) + name("new")) },
        Case(name: "UNLINK", opcode: .unlink) { _ in (root, name("file")) },
        Case(name: "RMDIR", opcode: .rmdir) { f in (f.directory, name("inner")) },
        Case(name: "RENAME", opcode: .rename) { _ in
            (root, bytes(fuse_rename_in(newdir: root)) + name("file") + name("new"))
        },
        Case(name: "RENAME2", opcode: .rename2) { _ in
            (root, bytes(fuse_rename2_in(newdir: root, flags: UInt32(RENAME_NOREPLACE), padding: 0))
                + name("file") + name("new"))
        },
        Case(name: "LINK", opcode: .link) { f in (root, bytes(fuse_link_in(oldnodeid: f.file)) + name("new")) },
        Case(name: "OPEN O_WRONLY", opcode: .open) { f in
            (f.file, bytes(fuse_open_in(flags: UInt32(O_WRONLY), open_flags: 0)))
        },
        Case(name: "OPEN O_RDWR", opcode: .open) { f in
            (f.file, bytes(fuse_open_in(flags: UInt32(O_RDWR), open_flags: 0)))
        },
        Case(name: "OPEN O_RDONLY|O_TRUNC", opcode: .open) { f in
            (f.file, bytes(fuse_open_in(flags: UInt32(O_RDONLY | O_TRUNC), open_flags: 0)))
        },
        Case(name: "CREATE new", opcode: .create) { _ in
            (root, bytes(fuse_create_in(flags: UInt32(O_RDWR), mode: 0o100644, umask: 0, open_flags: 0))
                + name("new"))
        },
        Case(name: "CREATE existing O_RDONLY", opcode: .create) { _ in
            (root, bytes(fuse_create_in(flags: UInt32(O_RDONLY), mode: 0o100644, umask: 0,
                                        open_flags: 0)) + name("file"))
        },
        Case(name: "WRITE through a read-only handle", opcode: .write) { f in
            var w = fuse_write_in()
            w.fh = f.handle
            w.size = 4
            return (f.file, bytes(w) + Array("XXXX".utf8))
        },
        Case(name: "SETXATTR", opcode: .setxattr) { f in
            (f.file, bytes(UInt32(1)) + bytes(UInt32(0)) + name("user.new") + [0x31])
        },
        Case(name: "REMOVEXATTR", opcode: .removexattr) { f in (f.file, name("user.kept")) },
        Case(name: "FALLOCATE", opcode: .fallocate) { f in
            (f.file, bytes(fuse_fallocate_in(fh: f.handle, offset: 0, length: 1 << 20, mode: 0, padding: 0)))
        },
        Case(name: "COPY_FILE_RANGE", opcode: .copyFileRange) { f in
            (f.file, bytes(fuse_copy_file_range_in(fh_in: f.handle, off_in: 0, nodeid_out: f.file, fh_out: f.handle,
                                                   off_out: 100, len: 5, flags: 0)))
        },
        Case(name: "ACCESS W_OK (asks whether a write would work)", opcode: .access) { f in
            (f.file, bytes(fuse_access_in(mask: UInt32(W_OK), padding: 0)))
        },
        Case(name: "TMPFILE", opcode: .tmpfile) { f in
            (f.directory, bytes(fuse_create_in(flags: UInt32(O_RDWR), mode: 0o100600, umask: 0,
                                               open_flags: 0)) + name("tmp"))
        },
    ]

    /// Requests that change nothing in the share: they work on a read-only share.
    static let allowed: [Case] = [
        Case(name: "OPEN O_RDONLY", opcode: .open) { f in
            (f.file, bytes(fuse_open_in(flags: UInt32(O_RDONLY), open_flags: 0)))
        },
        Case(name: "READ", opcode: .read) { f in
            var r = fuse_read_in()
            r.fh = f.handle
            r.size = 64
            return (f.file, bytes(r))
        },
        Case(name: "GETXATTR", opcode: .getxattr) { f in
            (f.file, bytes(fuse_getxattr_in(size: 64, padding: 0)) + name("user.kept"))
        },
        Case(name: "LISTXATTR", opcode: .listxattr) { f in (f.file, bytes(fuse_getxattr_in(size: 64, padding: 0))) },
        Case(name: "FSYNC", opcode: .fsync) { f in
            (f.file, bytes(fuse_fsync_in(fh: f.handle, fsync_flags: 0, padding: 0)))
        },
        Case(name: "FLUSH", opcode: .flush) { f in
            (f.file, bytes(fuse_flush_in(fh: f.handle, unused: 0, padding: 0, lock_owner: 1)))
        },
        Case(name: "SETLK read lock", opcode: .setlk) { f in
            var lk = fuse_lk_in()
            lk.fh = f.handle
            lk.owner = 1
            lk.lk = fuse_file_lock(start: 0, end: UInt64.max, type: UInt32(F_RDLCK), pid: 1)
            return (f.file, bytes(lk))
        },
        Case(name: "SYNCFS", opcode: .syncfs) { f in (f.file, bytes(fuse_syncfs_in(padding: 0))) },
        Case(name: "ACCESS R_OK", opcode: .access) { f in
            (f.file, bytes(fuse_access_in(mask: UInt32(R_OK), padding: 0)))
        },
    ]

    /// A read-only daemon over a share holding `file` (with an xattr), `dir/inner` and a symlink; returns the
    /// daemon, a client and the fixture.
    static func readOnlyDaemon() throws -> (InProcessDaemon, FUSEClient, Fixture) {
        let d = try InProcessDaemon(options: AIOFSOptions(extendedAttributes: true, posixLocks: true, readOnly: true))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: d.share + "/file"))
        #expect(setxattr(d.share + "/file", "user.kept", "v", 1, 0) == 0)
        try FileManager.default.createDirectory(atPath: d.share + "/dir/inner", withIntermediateDirectories: true)
        #expect(symlink("file", d.share + "/link") == 0)
        let c = try d.client()
        let file = try c.lookup(parent: root, name: "file").nodeID
        let directory = try c.lookup(parent: root, name: "dir").nodeID
        let handle = try c.open(file, flags: O_RDONLY).handle
        return (d, c, Fixture(file: file, directory: directory, handle: handle))
    }

    /// Everything observable about the share: names, types, modes, owners, sizes, times, contents and xattrs.
    static func snapshot(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        let paths = ["."] + ((FileManager.default.subpaths(atPath: root)) ?? [])
        for path in paths {
            let full = root + "/" + path
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            var list = [CChar](repeating: 0, count: 1024)
            let n = llistxattr(full, &list, list.count)
            let isFile = st.st_mode & S_IFMT == S_IFREG
            let content = isFile ? (FileManager.default.contents(atPath: full) ?? Data()) : Data()
            result[path] = "\(st.st_mode) \(st.st_uid) \(st.st_gid) \(st.st_size) \(st.st_nlink) "
                + "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec) "
                + "\(content.base64EncodedString()) \(n > 0 ? list[0..<n].map { String($0) }.joined() : "")"
        }
        return result
    }

    /// Sends `c` to a fresh read-only daemon; returns its errno and whether the share stayed as it was.
    static func run(_ c: Case) throws -> (error: Int32, unchanged: Bool) {
        let (d, client, fixture) = try readOnlyDaemon()
        defer { d.stop() }
        defer { client.shutdown() }
        let before = snapshot(d.share)
        let (node, body) = c.body(fixture)
        let reply = try client.send(opcode: c.opcode.rawValue, nodeID: node, body: body, replyCapacity: 512)
        return (reply.error, snapshot(d.share) == before)
    }

    @Test(arguments: modifying)
    func modifyingOpcodeGetsEROFS(_ c: Case) throws {
        let (error, unchanged) = try Self.run(c)
        #expect(error == EROFS, "\(c.name): errno \(error)")
        #expect(unchanged, "\(c.name) changed the share")
    }

    @Test(arguments: allowed)
    func nonModifyingOpcodeIsServed(_ c: Case) throws {
        let (error, unchanged) = try Self.run(c)
        #expect(error == 0, "\(c.name): errno \(error)")
        #expect(unchanged, "\(c.name) changed the share")
    }
}
