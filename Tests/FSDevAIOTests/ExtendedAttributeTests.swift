import CLinux
import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

@Suite struct ExtendedAttributeTests {
    func names(_ bytes: ArraySlice<UInt8>) -> Set<String> {
        Set(bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    }

    @Test func xattrsOnReadOnlyFilesAndDirectories() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("ro"), [1], mode: 0o444)
        try FileManager.default.createDirectory(atPath: h.path("dir"), withIntermediateDirectories: false)
        for name: FileName in ["ro", "dir"] {
            let e = try h.lookup(.root, name)
            let value: [UInt8] = Array("value-\(name)".utf8)
            _ = try value.withUnsafeBytes { try h.call(.setxattr(node: e.node, name: "user.test", value: $0,
                                                                  flags: 0)).get() }
            #expect(throws: Errno.fileExists) {
                try value.withUnsafeBytes { try h.call(.setxattr(node: e.node, name: "user.test", value: $0,
                                                                  flags: Int32(1))).get() }
            }
            // Size query, then the value.
            let size = try h.count(h.call(.getxattr(node: e.node, name: "user.test",
                                                    buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))))
            #expect(size == value.count)
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = try buffer.withUnsafeMutableBytes {
                try h.count(h.call(.getxattr(node: e.node, name: "user.test", buffer: $0)))
            }
            #expect(Array(buffer[..<n]) == value)
            #expect(throws: Errno.outOfRange) {
                try buffer.withUnsafeMutableBytes {
                    try h.call(.getxattr(node: e.node, name: "user.test",
                                         buffer: UnsafeMutableRawBufferPointer(rebasing: $0[..<2]))).get()
                }
            }
            let listed = try buffer.withUnsafeMutableBytes { try h.count(h.call(.listxattr(node: e.node, buffer: $0))) }
            #expect(names(buffer[..<listed]).contains("user.test"))
            // The host sees it.
            let hostSize = getxattr(h.path("\(name)"), "user.test", nil, 0)
            #expect(hostSize == value.count)
            _ = try h.call(.removexattr(node: e.node, name: "user.test")).get()
            #expect(throws: Errno.noData) {
                try buffer.withUnsafeMutableBytes { try h.call(.getxattr(node: e.node, name: "user.test",
                                                                         buffer: $0)).get() }
            }
        }
        let long = FileName(String(repeating: "x", count: 256))
        #expect(throws: Errno.outOfRange) { try h.call(.removexattr(node: .root, name: long)).get() }
        #expect(throws: Errno.invalidArgument) { try h.call(.removexattr(node: .root, name: "")).get() }
        // Symlinks: refused rather than followed.
        _ = try h.entry(h.call(.symlink(parent: .root, name: "l", target: "/etc/passwd")))
        let l = try h.lookup(.root, "l")
        #expect(throws: Errno.notPermitted) {
            try [UInt8(1)].withUnsafeBytes { try h.call(.setxattr(node: l.node, name: "user.x", value: $0,
                                                                   flags: 0)).get() }
        }
    }

    @Test func xattrsDisabledAreENOSYS() throws {
        let h = try Harness(options: AIOFSOptions(extendedAttributes: false))
        defer { h.close() }
        #expect(throws: Errno.notImplemented) {
            try h.call(.listxattr(node: .root, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))).get()
        }
        #expect(throws: Errno.notImplemented) { try h.call(.removexattr(node: .root, name: "user.a")).get() }
    }
}
