import CLinux
import Foundation
import Glibc
import Synchronization

/// A host file system that hangs: a FUSE mount (through /dev/fuse, served by a thread of this test) holding one
/// regular file, `file`, whose READ requests are never answered, as a hung NFS or FUSE server would leave them.
/// Everything else (INIT, LOOKUP, GETATTR, OPEN, FLUSH, RELEASE) is answered at once. Closing it detaches the
/// mount and aborts the connection: the stuck reads then fail.
///
/// Needs root (mount(2)) and /dev/fuse.
final class HungFileSystem: @unchecked Sendable {
    // SAFETY (Sendable): `fuse` is only read by the server thread until `close`; the rest is behind `state`.
    let mountPoint: String
    private let fuse: CInt
    private let stop: CInt
    private let state = Mutex((reads: 0, finished: false, closed: false, pending: [UInt64]()))

    /// Size of `file`.
    static let fileSize: UInt64 = 1 << 20

    init(mountPoint: String) throws {
        self.mountPoint = mountPoint
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC)
        guard fuse >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        stop = eventfd(0, Int32(EFD_CLOEXEC))
        let options = "fd=\(fuse),rootmode=40000,user_id=0,group_id=0,allow_other"
        guard mount("hungfs", mountPoint, "fuse", UInt(MS_NOSUID | MS_NODEV), options) == 0 else {
            let e = errno
            Glibc.close(fuse)
            Glibc.close(stop)
            throw POSIXError(.init(rawValue: e) ?? .EIO)
        }
        let t = Thread { [self] in serve() }
        t.start()
    }

    /// READ requests received (and never answered).
    var readsReceived: Int { state.withLock { $0.reads } }

    /// Detaches the mount and aborts the connection: the server thread stops reading, then the last descriptor
    /// of /dev/fuse closes, which aborts the connection (fuse_abort_conn): waiting requests end with ENOTCONN.
    /// Idempotent.
    func close() {
        let already = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        guard !already else { return }
        umount2(mountPoint, Int32(MNT_DETACH))
        var one: UInt64 = 1
        _ = write(stop, &one, 8)
        let deadline = Date().addingTimeInterval(5)
        while !state.withLock({ $0.finished }) && Date() < deadline { usleep(1000) }
        // The stuck reads end with EIO first: closing /dev/fuse aborts the connection only if no other process
        // holds it (a child another test forks and has not yet exec'ed does, for a moment).
        for unique in state.withLock({ $0.pending }) { reply(unique, error: -EIO, Optional<UInt8>.none) }
        Glibc.close(fuse)
        Glibc.close(stop)
    }

    private static func attributes(node: UInt64) -> fuse_attr {
        var a = fuse_attr()
        a.ino = node
        a.nlink = 1
        a.blksize = 4096
        if node == 1 {
            a.mode = 0o040755
            a.nlink = 2
        } else {
            a.mode = 0o100644
            a.size = fileSize
            a.blocks = fileSize / 512
        }
        return a
    }

    private func reply<T>(_ unique: UInt64, error: Int32 = 0, _ body: T?) {
        var out = [UInt8]()
        if let body { out = withUnsafeBytes(of: body) { Array($0) } }
        let header = fuse_out_header(len: UInt32(16 + (error == 0 ? out.count : 0)), error: error, unique: unique)
        let bytes = withUnsafeBytes(of: header) { Array($0) } + (error == 0 ? out : [])
        _ = bytes.withUnsafeBytes { write(fuse, $0.baseAddress, $0.count) }
    }

    private func serve() {
        defer { state.withLock { $0.finished = true } }
        var buffer = [UInt8](repeating: 0, count: 1 << 20 + 4096)
        while true {
            var fds = [pollfd(fd: fuse, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fuse, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= MemoryLayout<fuse_in_header>.size else { return }  // ENODEV: unmounted or aborted
            let header = buffer.withUnsafeBytes { $0.loadUnaligned(as: fuse_in_header.self) }
            let body = Array(buffer[MemoryLayout<fuse_in_header>.size..<n])
            switch header.opcode {
            case FUSE_INIT.rawValue:
                let kernel = body.withUnsafeBytes { $0.loadUnaligned(as: (UInt32, UInt32).self) }
                var out = fuse_init_out()
                out.major = 7
                out.minor = min(kernel.1, 31)
                out.max_write = 128 * 1024
                out.max_background = 16
                out.congestion_threshold = 12
                out.time_gran = 1
                reply(header.unique, out)
            case FUSE_LOOKUP.rawValue:
                let name = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                guard header.nodeid == 1, name == "file" else {
                    reply(header.unique, error: -ENOENT, Optional<UInt8>.none)
                    continue
                }
                var out = fuse_entry_out()
                out.nodeid = 2
                out.generation = 1
                out.entry_valid = 3600
                out.attr_valid = 3600
                out.attr = Self.attributes(node: 2)
                reply(header.unique, out)
            case FUSE_GETATTR.rawValue:
                var out = fuse_attr_out()
                out.attr_valid = 3600
                out.attr = Self.attributes(node: header.nodeid)
                reply(header.unique, out)
            case FUSE_OPEN.rawValue, FUSE_OPENDIR.rawValue:
                var out = fuse_open_out()
                out.fh = 1
                reply(header.unique, out)
            case FUSE_READ.rawValue:
                state.withLock {
                    $0.reads += 1  // not answered until `close`
                    $0.pending.append(header.unique)
                }
            case FUSE_FORGET.rawValue, FUSE_BATCH_FORGET.rawValue, FUSE_INTERRUPT.rawValue:
                break  // no reply
            case FUSE_FLUSH.rawValue, FUSE_RELEASE.rawValue, FUSE_RELEASEDIR.rawValue:
                reply(header.unique, Optional<UInt8>.none)
            default:
                reply(header.unique, error: -ENOSYS, Optional<UInt8>.none)
            }
        }
    }
}
