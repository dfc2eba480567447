import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

@Suite struct ConfinementTests {
    static let badComponents: [(String, Errno)] = [
        ("a/b", .invalidArgument), ("/etc", .invalidArgument), ("..", .invalidArgument), (".", .invalidArgument),
        ("", .invalidArgument), ("a\u{0}b", .invalidArgument), ("../outside", .invalidArgument),
        (String(repeating: "n", count: 256), .nameTooLong),
    ]

    @Test func hostileNamesAreRefusedEverywhere() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("f"), [1])
        let f = try h.lookup(.root, "f")
        for (bad, errno) in Self.badComponents {
            let name = FileName(bad)
            let ops: [FSOperation] = [
                .mkdir(parent: .root, name: name, mode: 0o755),
                .mknod(parent: .root, name: name, mode: 0o100644, rdev: 0),
                .symlink(parent: .root, name: name, target: "x"),
                .create(parent: .root, name: name, mode: 0o644, flags: O_RDWR),
                .unlink(parent: .root, name: name), .rmdir(parent: .root, name: name),
                .rename(parent: .root, name: "f", newParent: .root, newName: name, flags: []),
                .rename(parent: .root, name: name, newParent: .root, newName: "g", flags: []),
                .link(node: f.node, newParent: .root, newName: name),
            ]
            for op in ops {
                #expect(throws: errno, "\(bad.debugDescription)") { try h.call(op).get() }
            }
        }
        // Lookup allows "." and ".." but not '/' or NUL. An empty name names nothing (ENOENT, as path resolution of
        // "" and as virtiofsd).
        for bad in ["a/b", "/", "x\u{0}"] {
            #expect(throws: Errno.invalidArgument) { try h.lookup(.root, FileName(bad)) }
        }
        #expect(throws: Errno.noSuchFileOrDirectory) { try h.lookup(.root, "") }
        #expect(throws: Errno.noSuchFileOrDirectory) { try h.lookup(f.node, "") }
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try [UInt8]().withUnsafeBytes { empty in try h.lookup(.root, FileName(untrustedBytes: empty)) }
        }
        // The same bytes as a guest view (not NUL-terminated, followed by junk) behave the same.
        let raw: [UInt8] = Array("f/etc".utf8)
        try raw.withUnsafeBytes { bytes in
            #expect(throws: Errno.invalidArgument) { try h.lookup(.root, FileName(untrustedBytes: bytes)) }
            let justF = try h.lookup(.root, FileName(untrustedBytes: UnsafeRawBufferPointer(rebasing: bytes[..<1])))
            #expect(justF.node == f.node)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.directory) == ["f"])
    }

    @Test func dotDotIsClampedAtTheRoot() throws {
        let h = try Harness()
        defer { h.close() }
        let up = try h.lookup(.root, "..")
        #expect(up.node == .root)
        let dot = try h.lookup(.root, ".")
        #expect(dot.node == .root)
        try FileManager.default.createDirectory(atPath: h.path("a/b"), withIntermediateDirectories: true)
        let a = try h.lookup(.root, "a")
        let b = try h.lookup(a.node, "b")
        #expect(try h.lookup(b.node, "..").node == a.node)
        #expect(try h.lookup(a.node, "..").node == .root)
        #expect(try h.lookup(b.node, ".").node == b.node)
    }

    @Test func symlinksAreServedNeverFollowed() throws {
        let h = try Harness()
        defer { h.close() }
        let outside = h.directory + "-outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try writeHostFile(outside + "/secret", Array("secret".utf8))
        let outsideName = String(outside.split(separator: "/").last ?? "")
        try FileManager.default.createSymbolicLink(atPath: h.path("abs"), withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: h.path("rel"), withDestinationPath: "../" + outsideName)
        try FileManager.default.createSymbolicLink(atPath: h.path("file"), withDestinationPath: outside + "/secret")
        try FileManager.default.createSymbolicLink(atPath: h.path("dangling"), withDestinationPath: outside + "/new")
        for name: FileName in ["abs", "rel", "file", "dangling"] {
            let l = try h.lookup(.root, name)
            #expect(l.attributes.mode & FileType.mask == FileType.symbolicLink)
            #expect(throws: Errno.tooManySymbolicLinks) { try h.open(l.node, flags: O_RDONLY) }
            #expect(throws: Errno.notDirectory) { try h.lookup(l.node, "secret") }
            #expect(throws: Errno.notDirectory) { try h.create(l.node, "planted") }
            #expect(throws: Errno.notDirectory) {
                try h.call(.mkdir(parent: l.node, name: "planted", mode: 0o755)).get()
            }
            // CREATE on the link's own name: O_NOFOLLOW refuses instead of writing through it.
            #expect(throws: Errno.tooManySymbolicLinks) { try h.create(.root, name, flags: O_RDWR) }
            #expect(throws: Errno.invalidArgument) {
                try h.call(.setattr(node: l.node, handle: nil, attributes: SetAttributes(fields: [.size]))).get()
            }
            #expect(throws: Errno.notSupported) {
                try h.call(.setattr(node: l.node, handle: nil, attributes: SetAttributes(fields: [.mode],
                                                                                          mode: 0o777))).get()
            }
            #expect(throws: Errno.notDirectory) { try h.call(.opendir(node: l.node, flags: O_RDONLY)).get() }
        }
        #expect(try readHostFile(outside + "/secret") == Array("secret".utf8))
        #expect(try hostStat(outside + "/secret").st_mode & 0o777 == 0o644)
        #expect(!FileManager.default.fileExists(atPath: outside + "/new"))
        #expect(!FileManager.default.fileExists(atPath: outside + "/planted"))
        // A hard link to the symlink is a link to the symlink itself.
        let l = try h.lookup(.root, "file")
        let linked = try h.entry(h.call(.link(node: l.node, newParent: .root, newName: "file2")))
        #expect(linked.attributes.mode & FileType.mask == FileType.symbolicLink)
        #expect(try hostStat(outside + "/secret").st_nlink == 1)
    }

    @Test func directoryMovedOutOfTheShareCannotReachAbove() throws {
        let h = try Harness()
        defer { h.close() }
        let outside = h.directory + "-away"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createDirectory(atPath: h.path("moving/inner"), withIntermediateDirectories: true)
        let moving = try h.lookup(.root, "moving")
        let inner = try h.lookup(moving.node, "inner")
        // The host moves the held directory out of the share.
        #expect(Glibc.rename(h.path("moving"), outside + "/moved") == 0)
        try writeHostFile(outside + "/top-secret", [1])
        #expect(throws: Errno.permissionDenied) { try h.lookup(moving.node, "..") }
        #expect(throws: Errno.permissionDenied) { try h.lookup(inner.node, "..") }
        // Whatever still works stays inside the moved directory itself.
        #expect(throws: Errno.noSuchFileOrDirectory) { try h.lookup(moving.node, "top-secret") }
    }

    @Test func hostileIdsGetEBADF() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("a"), [1])
        try writeHostFile(h.path("b"), [2])
        let a = try h.lookup(.root, "a")
        let b = try h.lookup(.root, "b")
        let fa = try h.open(a.node, flags: O_RDONLY)
        let invented: [NodeID] = [NodeID(rawValue: 0), NodeID(rawValue: 2), NodeID(rawValue: UInt64.max),
                                  NodeID(rawValue: a.node.rawValue ^ (1 << 32)), NodeID(rawValue: 0xffff_ffff)]
        for node in invented {
            #expect(throws: Errno.badFileDescriptor) { try h.attributes(node) }
            #expect(throws: Errno.badFileDescriptor) { try h.lookup(node, "a") }
            #expect(throws: Errno.badFileDescriptor) { try h.forget(node) }
        }
        let badHandles = [HandleID(rawValue: 0), HandleID(rawValue: fa.rawValue ^ (1 << 32)),
                          HandleID(rawValue: fa.rawValue + 1), HandleID(rawValue: .max)]
        for handle in badHandles {
            #expect(throws: Errno.badFileDescriptor) { try h.read(a.node, handle, size: 1, at: 0) }
            #expect(throws: Errno.badFileDescriptor) { try h.release(a.node, handle) }
        }
        // A real handle presented with another node.
        #expect(throws: Errno.badFileDescriptor) { try h.read(b.node, fa, size: 1, at: 0) }
        #expect(throws: Errno.badFileDescriptor) { try h.release(b.node, fa) }
        // Forgetting more than was looked up drops the node, once; the root is never dropped.
        try h.forget(a.node, 1000)
        #expect(throws: Errno.badFileDescriptor) { try h.forget(a.node) }
        try h.forget(.root, 1000)
        _ = try h.attributes(.root)
        // The handle outlives its node's lookup count and still reads (the guest kernel never does this).
        #expect(try h.read(a.node, fa, size: 1, at: 0) == [1])
        // Device nodes in the share are never opened on the host.
        _ = try h.entry(h.call(.mknod(parent: .root, name: "null", mode: UInt32(S_IFCHR) | 0o666,
                                      rdev: 1 << 8 | 3))) // 1:3 is the host's /dev/null
        let dev = try h.lookup(.root, "null")
        #expect(throws: Errno(rawValue: ENXIO)) { try h.open(dev.node, flags: O_RDWR) }
    }
}
