import CLinux
import FSDevAIO
import FUSE
import FUSEWire
import Foundation
import Glibc
import Testing
import VhostUserTestKit

/// Hole 2 of issue 10: set-user-ID and set-group-ID bits must not survive a write, truncate or chown by a guest
/// user without CAP_FSETID. FUSE_HANDLE_KILLPRIV_V2 is offered at INIT; the requests carry the flags Linux sets
/// (uid 1000 in the header, as the guest user's requests do), through the FUSE client over a real socket, on
/// root-owned files in the share.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct KillPrivTests {
    static let guestUser: UInt32 = 1000
    /// Modes before, and after a write or truncate by a caller without CAP_FSETID (the kernel's rules: set-user-ID
    /// always cleared, set-group-ID only with group execute).
    static let cases: [(mode: UInt32, after: UInt32)] = [
        (0o4777, 0o777), (0o2777, 0o777), (0o6777, 0o777), (0o4755, 0o755), (0o2767, 0o2767), (0o6767, 0o2767),
        (0o777, 0o777),
    ]

    /// Sends `opcode` with `body` as the guest user; returns the errno (0 on success) and the reply body.
    static func send(_ c: FUSEClient, _ opcode: FUSEOpcode, node: UInt64, _ body: [UInt8], replyCapacity: Int = 256)
        throws -> (error: Int32, body: [UInt8])
    {
        let q = c.queue
        return try q.call({ () throws(FUSEClient.Failure) in
            try q.submit(opcode: opcode.rawValue, nodeID: node, replyCapacity: replyCapacity) {
                (w) throws(FUSEClient.Failure) in
                w.header.uid = guestUser
                w.header.gid = guestUser
                try w.append(bytes: body)
            }
        }, decode: { (c) throws(FUSEClient.Failure) in
            if let problem = c.problem { throw .badReply(problem) }
            return (c.error, Array(c.reply))
        })
    }

    static func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    /// A root-owned file with `mode` in the share, looked up.
    static func file(_ d: InProcessDaemon, _ c: FUSEClient, _ name: String, mode: UInt32) throws -> UInt64 {
        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: d.share + "/" + name))
        #expect(chown(d.share + "/" + name, 0, 0) == 0)
        #expect(chmod(d.share + "/" + name, mode_t(mode)) == 0)
        return try c.lookup(parent: FUSEClient.rootNodeID, name: name).nodeID
    }

    static func mode(_ d: InProcessDaemon, _ name: String) -> UInt32 {
        var st = stat()
        guard stat(d.share + "/" + name, &st) == 0 else { return 0xffff_ffff }
        return UInt32(st.st_mode) & 0o7777
    }

    static func write(_ c: FUSEClient, node: UInt64, handle: UInt64, kill: Bool) throws -> Int32 {
        var w = fuse_write_in()
        w.fh = handle
        w.size = 3
        w.offset = 2
        w.write_flags = kill ? UInt32(FUSE_WRITE_KILL_SUIDGID) : 0
        return try send(c, .write, node: node, bytes(w) + Array("abc".utf8)).error
    }

    @Test func initOffersKillprivV2UnlessTurnedOff() throws {
        let on = try InProcessDaemon()
        defer { on.stop() }
        let c1 = try on.client()
        defer { c1.shutdown() }
        #expect(c1.initReply?.has(UInt64(FUSE_HANDLE_KILLPRIV_V2)) == true)
        var fuse = FUSEInitNegotiation.Options()
        fuse.killprivV2 = false
        let off = try InProcessDaemon(fuse: fuse)
        defer { off.stop() }
        let c2 = try off.client()
        defer { c2.shutdown() }
        #expect(c2.initReply?.has(UInt64(FUSE_HANDLE_KILLPRIV_V2)) == false)
    }

    @Test func writeByAnotherUserClearsSetIDBits() throws {
        let d = try InProcessDaemon(options: AIOFSOptions(cachePolicy: .never))
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        for (i, t) in Self.cases.enumerated() {
            let name = "w\(i)"
            let node = try Self.file(d, c, name, mode: t.mode)
            let handle = try c.open(node, flags: O_WRONLY).handle
            #expect(try Self.write(c, node: node, handle: handle, kill: true) == 0)
            #expect(Self.mode(d, name) == t.after, "write to \(String(t.mode, radix: 8))")
            #expect(String(data: FileManager.default.contents(atPath: d.share + "/" + name) ?? Data(),
                           encoding: .utf8) == "01abc56789")
            // The next write finds nothing more to clear; the file is as the kernel leaves it.
            #expect(try Self.write(c, node: node, handle: handle, kill: true) == 0)
            #expect(Self.mode(d, name) == t.after)
            try c.release(node, handle: handle)
        }
    }

    @Test func writeByACallerWithCAPFSETIDKeepsTheBits() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let node = try Self.file(d, c, "kept", mode: 0o6777)
        let handle = try c.open(node, flags: O_RDWR).handle
        #expect(try Self.write(c, node: node, handle: handle, kill: false) == 0)
        #expect(Self.mode(d, "kept") == 0o6777)
    }

    @Test func theFlagIsIgnoredWhenKillprivV2WasNotAgreed() throws {
        var fuse = FUSEInitNegotiation.Options()
        fuse.killprivV2 = false
        let d = try InProcessDaemon(fuse: fuse)
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let node = try Self.file(d, c, "off", mode: 0o4777)
        let handle = try c.open(node, flags: O_RDWR).handle
        #expect(try Self.write(c, node: node, handle: handle, kill: true) == 0)
        #expect(Self.mode(d, "off") == 0o4777)
    }

    @Test func truncateByAnotherUserClearsSetIDBits() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        for (i, t) in Self.cases.enumerated() {
            // Through the node (truncate(2)) and through a handle (ftruncate(2)).
            for viaHandle in [false, true] {
                let name = "t\(i)\(viaHandle ? "h" : "")"
                let node = try Self.file(d, c, name, mode: t.mode)
                var a = fuse_setattr_in()
                a.valid = UInt32(FATTR_SIZE | FATTR_KILL_SUIDGID)
                a.size = 4
                var handle: UInt64?
                if viaHandle {
                    handle = try c.open(node, flags: O_WRONLY).handle
                    a.valid |= UInt32(FATTR_FH)
                    a.fh = handle ?? 0
                }
                let reply = try Self.send(c, .setattr, node: node, Self.bytes(a))
                #expect(reply.error == 0)
                #expect(Self.mode(d, name) == t.after, "truncate of \(String(t.mode, radix: 8))")
                // The reply carries the new mode.
                let attributes = reply.body.withUnsafeBytes { $0.loadUnaligned(as: fuse_attr_out.self) }
                #expect(attributes.attr.mode & 0o7777 == t.after && attributes.attr.size == 4)
                if let handle { try c.release(node, handle: handle) }
            }
        }
        // Root's truncate (no flag) keeps them.
        let node = try Self.file(d, c, "root", mode: 0o6777)
        _ = try c.setattr(node, FUSEClient.SetAttributes(size: 1))
        #expect(Self.mode(d, "root") == 0o6777)
    }

    @Test func chownClearsSetIDBits() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        for (i, t) in Self.cases.enumerated() {
            let name = "c\(i)"
            let node = try Self.file(d, c, name, mode: t.mode)
            var a = fuse_setattr_in()
            a.valid = UInt32(FATTR_UID | FATTR_GID | FATTR_KILL_SUIDGID)
            a.uid = Self.guestUser
            a.gid = Self.guestUser
            #expect(try Self.send(c, .setattr, node: node, Self.bytes(a)).error == 0)
            #expect(Self.mode(d, name) == t.after, "chown of \(String(t.mode, radix: 8))")
        }
    }

    @Test func openAndCreateWithOTruncClearSetIDBits() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        for (i, t) in Self.cases.enumerated() {
            let opened = "o\(i)"
            let node = try Self.file(d, c, opened, mode: t.mode)
            let open = try Self.send(c, .open, node: node, Self.bytes(fuse_open_in(
                flags: UInt32(O_WRONLY | O_TRUNC), open_flags: UInt32(FUSE_OPEN_KILL_SUIDGID))))
            #expect(open.error == 0)
            #expect(Self.mode(d, opened) == t.after, "OPEN O_TRUNC of \(String(t.mode, radix: 8))")

            // CREATE opens an existing file as the caller, so the caller needs write access (and the host kernel,
            // seeing a caller without CAP_FSETID, applies its own rules too: group-owned by the caller, the rules
            // of every kernel version agree).
            guard t.mode & 0o002 != 0 else { continue }
            let created = "n\(i)"
            _ = try Self.file(d, c, created, mode: t.mode)
            #expect(chown(d.share + "/" + created, 0, Self.guestUser) == 0)
            #expect(chmod(d.share + "/" + created, mode_t(t.mode)) == 0)
            let create = try Self.send(c, .create, node: FUSEClient.rootNodeID, Self.bytes(fuse_create_in(
                flags: UInt32(O_WRONLY | O_TRUNC), mode: 0o100644, umask: 0,
                open_flags: UInt32(FUSE_OPEN_KILL_SUIDGID))) + Array(created.utf8) + [0])
            #expect(create.error == 0)
            #expect(Self.mode(d, created) == t.after, "CREATE O_TRUNC of \(String(t.mode, radix: 8))")
        }
        // Without O_TRUNC the open changes nothing.
        let node = try Self.file(d, c, "plain", mode: 0o6777)
        let plain = try Self.send(c, .open, node: node, Self.bytes(fuse_open_in(
            flags: UInt32(O_WRONLY), open_flags: UInt32(FUSE_OPEN_KILL_SUIDGID))))
        #expect(plain.error == 0)
        #expect(Self.mode(d, "plain") == 0o6777)
    }
}
