import CLinux
import FSDevAIO
import Foundation
import Glibc
import Testing
import VhostUserTestKit

/// One malformed FUSE request as raw chain bytes, and what the device must answer.
struct HostileFUSECase: CustomTestStringConvertible, Sendable {
    enum Expect: Sendable, Equatable {
        /// An error reply with one of these errnos.
        case error(Set<Int32>)
        /// The chain comes back with 0 bytes used (no reply fits, or none is due).
        case returnedUnused
    }
    let name: String
    let readable: [[UInt8]]
    let writable: [Int]
    let expect: Expect
    var testDescription: String { name }
}

private func header(len: Int, opcode: UInt32, nodeID: UInt64 = 1, unique: UInt64 = 0x1234) -> [UInt8] {
    var h = fuse_in_header()
    h.len = UInt32(truncatingIfNeeded: len)
    h.opcode = opcode
    h.unique = unique
    h.nodeid = nodeID
    return withUnsafeBytes(of: h) { Array($0) }
}

private func bytes<T>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

/// A request whose header length is right for `body`.
private func request(_ opcode: UInt32, nodeID: UInt64 = 1, _ body: [UInt8] = []) -> [[UInt8]] {
    [header(len: 40 + body.count, opcode: opcode, nodeID: nodeID) + body]
}

private let lookup = UInt32(FUSE_LOOKUP.rawValue)
private let getattr = UInt32(FUSE_GETATTR.rawValue)
private let reply = [16, 4096]

let hostileFUSECases: [HostileFUSECase] = [
    HostileFUSECase(name: "in.len larger than the chain",
                    readable: [header(len: 200, opcode: getattr) + bytes(fuse_getattr_in())], writable: reply,
                    expect: .error([EINVAL])),
    HostileFUSECase(name: "in.len smaller than the header", readable: [header(len: 10, opcode: getattr)],
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "body shorter than fuse_getattr_in", readable: request(getattr, [1, 2, 3, 4]),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "name without NUL", readable: request(lookup, Array("abc".utf8)), writable: reply,
                    expect: .error([EINVAL])),
    HostileFUSECase(name: "name longer than NAME_MAX", readable: request(lookup, [UInt8](repeating: 0x61, count: 300) + [0]),
                    writable: reply, expect: .error([ENAMETOOLONG])),
    HostileFUSECase(name: "name longer than a page", readable: request(lookup, [UInt8](repeating: 0x61, count: 9000) + [0]),
                    writable: reply, expect: .error([ENAMETOOLONG])),
    HostileFUSECase(name: "name with a slash", readable: request(lookup, Array("etc/passwd".utf8) + [0]),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "empty name", readable: request(UInt32(FUSE_MKDIR.rawValue), bytes(fuse_mkdir_in()) + [0]),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "LOOKUP of an empty name (ENOENT, as virtiofsd and path resolution)",
                    readable: request(lookup, [0]), writable: reply, expect: .error([ENOENT])),
    HostileFUSECase(name: "create named ..",
                    readable: request(UInt32(FUSE_CREATE.rawValue), bytes(fuse_create_in(flags: UInt32(O_RDWR), mode: 0o100644,
                                                                                     umask: 0, open_flags: 0)) + Array("..".utf8) + [0]),
                    writable: reply, expect: .error([EINVAL, EEXIST, EISDIR])),
    HostileFUSECase(name: "rename with one name", readable: request(UInt32(FUSE_RENAME.rawValue), bytes(UInt64(1)) + Array("a".utf8) + [0]),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "unknown opcode", readable: request(9999), writable: reply, expect: .error([ENOSYS])),
    HostileFUSECase(name: "IOCTL", readable: request(UInt32(FUSE_IOCTL.rawValue), [UInt8](repeating: 0, count: 32)),
                    writable: reply, expect: .error([ENOSYS])),
    HostileFUSECase(name: "SETUPMAPPING", readable: request(48, [UInt8](repeating: 0, count: 40)), writable: reply,
                    expect: .error([ENOSYS])),
    HostileFUSECase(name: "reply area too small for an entry", readable: request(lookup, Array("..".utf8) + [0]),
                    writable: [16, 8], expect: .error([EINVAL])),
    HostileFUSECase(name: "no room for the reply header", readable: request(getattr, bytes(fuse_getattr_in())),
                    writable: [8], expect: .returnedUnused),
    HostileFUSECase(name: "no writable part", readable: request(getattr, bytes(fuse_getattr_in())), writable: [],
                    expect: .returnedUnused),
    HostileFUSECase(name: "chain shorter than a header", readable: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], writable: reply,
                    expect: .returnedUnused),
    HostileFUSECase(name: "invented node id", readable: request(getattr, nodeID: 0xdead_beef_0000_0007, bytes(fuse_getattr_in())),
                    writable: reply, expect: .error([EBADF, ENOENT, ESTALE])),
    HostileFUSECase(name: "node id 0", readable: request(getattr, nodeID: 0, bytes(fuse_getattr_in())), writable: reply,
                    expect: .error([EBADF, ENOENT, ESTALE])),
    HostileFUSECase(name: "read with an invented handle",
                    readable: request(UInt32(FUSE_READ.rawValue), bytes(fuse_read_in(fh: 0x4242_0000_0001, offset: 0, size: 4096, read_flags: 0,
                                                                                   lock_owner: 0, flags: 0, padding: 0))),
                    writable: reply, expect: .error([EBADF])),
    HostileFUSECase(name: "write claiming more data than sent",
                    readable: request(UInt32(FUSE_WRITE.rawValue), bytes(fuse_write_in(fh: 1, offset: 0, size: 1 << 20, write_flags: 0,
                                                                                     lock_owner: 0, flags: 0, padding: 0)) + [1, 2, 3]),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "setxattr value above 64 KiB",
                    readable: request(UInt32(FUSE_SETXATTR.rawValue), bytes(UInt32(1 << 20)) + bytes(UInt32(0)) + Array("user.x".utf8) + [0]),
                    writable: reply, expect: .error([ERANGE, E2BIG])),
    HostileFUSECase(name: "batch forget claiming a billion records",
                    readable: request(UInt32(FUSE_BATCH_FORGET.rawValue), bytes(UInt32(1_000_000_000)) + bytes(UInt32(0))
                                      + bytes(UInt64(0xdead)) + bytes(UInt64(5))),
                    writable: [], expect: .returnedUnused),
    HostileFUSECase(name: "forget of an invented node", readable: request(UInt32(FUSE_FORGET.rawValue), nodeID: 77, bytes(UInt64(3))),
                    writable: [], expect: .returnedUnused),
    HostileFUSECase(name: "INIT with major 6",
                    readable: request(UInt32(FUSE_INIT.rawValue), bytes(UInt32(6)) + bytes(UInt32(38)) + [UInt8](repeating: 0, count: 56)),
                    writable: reply, expect: .error([EPROTO])),
    HostileFUSECase(name: "INIT with minor 26",
                    readable: request(UInt32(FUSE_INIT.rawValue), bytes(UInt32(7)) + bytes(UInt32(26)) + [UInt8](repeating: 0, count: 56)),
                    writable: reply, expect: .error([EPROTO])),
    HostileFUSECase(name: "lseek with a bad whence",
                    readable: request(UInt32(FUSE_LSEEK.rawValue), bytes(fuse_lseek_in(fh: 1, offset: 0, whence: 99, padding: 0))),
                    writable: reply, expect: .error([EINVAL])),
    HostileFUSECase(name: "lock of an unknown type",
                    readable: request(UInt32(FUSE_SETLK.rawValue), bytes(fuse_lk_in(fh: 1, owner: 1, lk: fuse_file_lock(start: 0, end: 1, type: 77, pid: 1),
                                                                                    lk_flags: 0, padding: 0))),
                    writable: reply, expect: .error([EINVAL])),
]

@Suite(.serialized, .timeLimit(.minutes(2)))
struct HostileFUSETests {
    @Test(arguments: hostileFUSECases, AIOFSOptions.Engine.allCases)
    func malformedRequestGetsACleanAnswer(_ c: HostileFUSECase, engine: AIOFSOptions.Engine) throws {
        let d = try InProcessDaemon(options: InProcessDaemon.options(engine))
        defer { d.stop() }
        let client = try d.client()
        defer { client.shutdown() }
        let q = client.queue
        try q.submitRaw(readable: c.readable, writableLengths: c.writable)
        q.kick()
        var got: (used: UInt32, error: Int32?)?
        try q.reap { (completion) throws(FUSEClient.Failure) in
            var error: Int32?
            if completion.usedLength >= 16, completion.reply.count >= 16 {
                let out = completion.reply.loadUnaligned(as: fuse_out_header.self)
                error = -out.error
                #expect(out.unique == 0x1234, "the reply must carry the request's unique")
                #expect(out.len == 16 || out.error == 0, "an error reply is the header alone")
            }
            got = (completion.usedLength, error)
        }
        let r = try #require(got)
        switch c.expect {
        case .returnedUnused:
            #expect(r.used == 0)
        case .error(let allowed):
            #expect(r.used == 16, "used length \(r.used)")
            #expect(r.error.map(allowed.contains) == true, "errno \(String(describing: r.error)), expected \(allowed)")
        }
        // The queue keeps working, and nothing was created.
        #expect(try client.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.share) == [])
    }

    @Test func headerSplitAcrossDescriptorsIsServed() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let client = try d.client()
        defer { client.shutdown() }
        let whole = request(getattr, bytes(fuse_getattr_in()))[0]
        let q = client.queue
        try q.submitRaw(readable: [Array(whole[0..<7]), [], Array(whole[7..<33]), Array(whole[33...])],
                        writableLengths: [3, 13, 200])
        q.kick()
        var error: Int32 = -1
        var used: UInt32 = 0
        try q.reap { (completion) throws(FUSEClient.Failure) in
            used = completion.usedLength
            error = completion.reply.loadUnaligned(as: fuse_out_header.self).error
        }
        #expect(error == 0)
        #expect(used == UInt32(16 + MemoryLayout<fuse_attr_out>.size))
    }
}
