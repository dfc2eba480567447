import CLinux
import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

/// uid/gid translation applied by the device to every id that crosses: creation credentials, SETATTR owners,
/// attributes in entries, GETATTR, READDIRPLUS and STATX replies, and POSIX ACL entries. Needs root (CI runs as
/// root): the device creates files as other users.
@Suite struct IDTranslationTests {
    /// Guest 1000..<1100 is host 101000..<101100 (uids) and 201000..<201100 (gids); guest uid 2000 is forbidden.
    static func options() throws -> AIOFSOptions {
        var options = AIOFSOptions(extendedAttributes: true)
        options.uidMap = try IDMap(rules: [.map(guestBase: 1000, hostBase: 101_000, count: 100),
                                           .forbidGuest(guestBase: 2000, count: 1)])
        options.gidMap = try IDMap(rules: [.map(guestBase: 1000, hostBase: 201_000, count: 100)])
        return options
    }

    static let guestUser = RequestContext(uid: 1000, gid: 1000, umask: 0o022)

    @Test func creationRunsAsTheMappedHostIdsAndRepliesShowTheGuestIds() throws {
        try #require(geteuid() == 0, "translation tests create files as other users: root needed")
        let h = try Harness(options: try Self.options())
        defer { h.close() }
        #expect(chmod(h.directory, 0o777) == 0)
        let (file, handle) = try h.create(.root, "file", context: Self.guestUser)
        try h.release(file.node, handle)
        let dir = try h.entry(h.call(.mkdir(parent: .root, name: "dir", mode: 0o755), context: Self.guestUser))
        let link = try h.entry(h.call(.symlink(parent: .root, name: "link", target: "file"), context: Self.guestUser))
        let fifo = try h.entry(h.call(.mknod(parent: .root, name: "fifo", mode: UInt32(Glibc.S_IFIFO) | 0o644, rdev: 0),
                                      context: Self.guestUser))
        for (name, entry) in [("file", file), ("dir", dir), ("link", link), ("fifo", fifo)] {
            let st = try hostStat(h.path(name))
            #expect(st.st_uid == 101_000 && st.st_gid == 201_000, "\(name) is \(st.st_uid):\(st.st_gid) on the host")
            #expect(entry.attributes.uid == 1000 && entry.attributes.gid == 1000, "\(name) in the reply")
        }
        guard case .created(let tmp, let tmpHandle) = try h.call(
            .tmpfile(parent: .root, mode: 0o600, flags: O_RDWR), context: Self.guestUser).get()
        else { Issue.record("tmpfile"); return }
        #expect(tmp.attributes.uid == 1000 && tmp.attributes.gid == 1000)
        try h.release(tmp.node, tmpHandle.handle)
        // A forbidden guest uid cannot create; nothing appears.
        let forbidden = RequestContext(uid: 2000, gid: 1000)
        #expect(throws: Errno.notPermitted) { try h.create(.root, "nope", context: forbidden) }
        #expect(throws: Errno.notPermitted) {
            try h.call(.mkdir(parent: .root, name: "nope", mode: 0o755), context: forbidden).get()
        }
        #expect(access(h.path("nope"), F_OK) != 0)
        // A forbidden uid may still read: only giving a file that owner is refused.
        _ = try h.lookup(.root, "file", context: forbidden)
        // Ids outside every rule pass unchanged.
        let (other, otherHandle) = try h.create(.root, "other", context: RequestContext(uid: 5, gid: 6))
        try h.release(other.node, otherHandle)
        #expect(try hostStat(h.path("other")).st_uid == 5 && other.attributes.uid == 5)
    }

    @Test func attributesChownAndReaddirplusCrossTranslated() throws {
        try #require(geteuid() == 0, "translation tests chown files: root needed")
        let h = try Harness(options: try Self.options())
        defer { h.close() }
        try writeHostFile(h.path("f"), [1, 2, 3])
        #expect(chown(h.path("f"), 101_005, 201_007) == 0)
        let f = try h.lookup(.root, "f")
        #expect(f.attributes.uid == 1005 && f.attributes.gid == 1007)
        let a = try h.attributes(f.node)
        #expect(a.uid == 1005 && a.gid == 1007)
        // SETATTR chown: guest ids in, host ids on disk, guest ids back.
        let reply = try h.call(.setattr(node: f.node, handle: nil, attributes: SetAttributes(
            fields: [.uid, .gid], uid: 1001, gid: 1002))).get()
        guard case .attributes(let after) = reply else { Issue.record("setattr"); return }
        #expect(after.attributes.uid == 1001 && after.attributes.gid == 1002)
        var st = try hostStat(h.path("f"))
        #expect(st.st_uid == 101_001 && st.st_gid == 201_002)
        // Only the group: the owner stays.
        _ = try h.call(.setattr(node: f.node, handle: nil, attributes: SetAttributes(fields: [.gid], gid: 1003))).get()
        st = try hostStat(h.path("f"))
        #expect(st.st_uid == 101_001 && st.st_gid == 201_003)
        // A forbidden owner is refused and changes nothing.
        #expect(throws: Errno.notPermitted) {
            try h.call(.setattr(node: f.node, handle: nil, attributes: SetAttributes(fields: [.uid], uid: 2000))).get()
        }
        st = try hostStat(h.path("f"))
        #expect(st.st_uid == 101_001)
        // READDIRPLUS entries carry guest ids.
        guard case .opened(let o) = try h.call(.opendir(node: .root, flags: O_RDONLY)).get() else {
            Issue.record("opendir"); return
        }
        let sink = CollectingSink()
        _ = try h.call(.readdirplus(node: .root, handle: o.handle, offset: 0, sink: sink)).get()
        let listed = try #require(sink.accepted.first { $0.name == "f" }?.entry.entry)
        #expect(listed.attributes.uid == 1001 && listed.attributes.gid == 1003)
        _ = try h.call(.releasedir(node: .root, handle: o.handle)).get()
        // The share's root as the mount reply shows it.
        #expect(chown(h.directory, 101_050, 201_060) == 0)
        let m = try h.mount()
        #expect(m.root.attributes.uid == 1050 && m.root.attributes.gid == 1060)
    }

    /// An access ACL: owner rw, user 1000 r, group rw, group 1001 r, mask rw, other none.
    static func acl(user: UInt32, group: UInt32) -> [UInt8] {
        func entry(_ tag: UInt16, _ perm: UInt16, _ id: UInt32) -> [UInt8] {
            withUnsafeBytes(of: tag.littleEndian) { Array($0) } + withUnsafeBytes(of: perm.littleEndian) { Array($0) }
                + withUnsafeBytes(of: id.littleEndian) { Array($0) }
        }
        return [2, 0, 0, 0] + entry(0x01, 6, .max) + entry(0x02, 4, user) + entry(0x04, 6, .max)
            + entry(0x08, 4, group) + entry(0x10, 6, .max) + entry(0x20, 0, .max)
    }

    @Test func posixACLEntriesAreTranslatedBothWays() throws {
        try #require(geteuid() == 0, "ACLs with other users' ids: root needed")
        let h = try Harness(options: try Self.options())
        defer { h.close() }
        try writeHostFile(h.path("f"), [1])
        let f = try h.lookup(.root, "f")
        let guestACL = Self.acl(user: 1000, group: 1001)
        try guestACL.withUnsafeBytes { value in
            _ = try h.call(.setxattr(node: f.node, name: "system.posix_acl_access", value: value, flags: 0)).get()
        }
        // On the host the named entries are host ids.
        var stored = [UInt8](repeating: 0, count: 256)
        let n = stored.withUnsafeMutableBytes { getxattr(h.path("f"), "system.posix_acl_access", $0.baseAddress, 256) }
        #expect(n == guestACL.count)
        #expect(Array(stored.prefix(max(n, 0))) == Self.acl(user: 101_000, group: 201_001))
        // Read back through the device: guest ids again; the size query is the same.
        var buffer = [UInt8](repeating: 0xee, count: 256)
        let got = try buffer.withUnsafeMutableBytes { raw in
            try h.count(h.call(.getxattr(node: f.node, name: "system.posix_acl_access", buffer: raw)))
        }
        #expect(Array(buffer.prefix(got)) == guestACL)
        let size = try h.count(h.call(.getxattr(node: f.node, name: "system.posix_acl_access",
                                                buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))))
        #expect(size == guestACL.count)
        // A forbidden id in an ACL is refused; a malformed ACL is EINVAL; other attributes are not touched.
        #expect(throws: Errno.notPermitted) {
            try Self.acl(user: 2000, group: 1001).withUnsafeBytes { value in
                try h.call(.setxattr(node: f.node, name: "system.posix_acl_access", value: value, flags: 0)).get()
            }
        }
        #expect(throws: Errno.invalidArgument) {
            try [UInt8]([2, 0, 0, 0, 9]).withUnsafeBytes { value in
                try h.call(.setxattr(node: f.node, name: "system.posix_acl_access", value: value, flags: 0)).get()
            }
        }
        let plain = Self.acl(user: 1000, group: 1001)
        try plain.withUnsafeBytes { value in
            _ = try h.call(.setxattr(node: f.node, name: "user.looks-like-an-acl", value: value, flags: 0)).get()
        }
        var user = [UInt8](repeating: 0, count: 256)
        let m = user.withUnsafeMutableBytes { getxattr(h.path("f"), "user.looks-like-an-acl", $0.baseAddress, 256) }
        #expect(Array(user.prefix(max(m, 0))) == plain, "a user.* value is stored as given")
    }
}
