import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// A lock request that may have to wait.
    enum LockRequest {
        case posix(FileLock)
        case flock(FlockOperation)
    }

    /// FUSE's [start, end] range as a host `flock` record (SEEK_SET, length 0 = to the end).
    private static func hostLock(_ lock: FileLock) throws(Errno) -> flock {
        guard lock.start <= lock.end, let start = Int64(exactly: lock.start) else { throw .invalidArgument }
        var length: Int64 = 0
        if lock.end != UInt64.max {
            guard let l = Int64(exactly: lock.end - lock.start), l < Int64.max else { throw .invalidArgument }
            length = l + 1
        }
        let type: Int32 = switch lock.kind {
        case .read: F_RDLCK
        case .write: F_WRLCK
        case .unlock: F_UNLCK
        }
        return flock(l_type: Int16(type), l_whence: Int16(SEEK_SET), l_start: off_t(start), l_len: off_t(length),
                     l_pid: 0)
    }

    /// GETLK with F_OFD_GETLK.
    func getlk(node: NodeID, handle: HandleID, lock: FileLock) throws(Errno) -> FileLock {
        guard options.posixLocks else { throw .notImplemented }
        var host = try Self.hostLock(lock)
        try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
            try FileSystemCall.openFileDescriptionLock(fd, command: F_OFD_GETLK, lock: &host)
        }
        if Int32(host.l_type) == F_UNLCK { return FileLock(kind: .unlock, start: lock.start, end: lock.end) }
        let start = UInt64(clamping: host.l_start)
        let end = host.l_len <= 0 ? UInt64.max : start &+ UInt64(host.l_len) &- 1
        return FileLock(kind: Int32(host.l_type) == F_WRLCK ? .write : .read, start: start, end: end,
                        pid: host.l_pid > 0 ? UInt32(host.l_pid) : 0)
    }

    /// One non-blocking attempt at a lock: EAGAIN (POSIX) or EWOULDBLOCK (flock, the same value) on conflict.
    func tryLock(node: NodeID, handle: HandleID, _ request: LockRequest) throws(Errno) {
        switch request {
        case .posix(let lock):
            guard options.posixLocks else { throw .notImplemented }
            var host = try Self.hostLock(lock)
            do throws(Errno) {
                try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
                    try FileSystemCall.openFileDescriptionLock(fd, command: F_OFD_SETLK, lock: &host)
                }
            } catch {
                throw error == .permissionDenied ? .wouldBlock : error
            }
        case .flock(let operation):
            guard options.flockLocks else { throw .notImplemented }
            let op: CInt = switch operation {
            case .shared: LOCK_SH
            case .exclusive: LOCK_EX
            case .unlock: LOCK_UN
            }
            try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
                try FileSystemCall.lock(fd, operation: op | LOCK_NB)
            }
        }
    }
}
