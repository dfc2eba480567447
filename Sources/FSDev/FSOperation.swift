import Glibc

/// One filesystem request, as the FUSE layer decodes it (SPDK's `spdk_fsdev_io` inputs, without FUSE wire types).
///
/// Pointers in an operation (iovecs, names, buffers) refer to memory the caller keeps alive and unchanged in
/// layout until the operation completes; the device reads each guest-controlled value once. Flags are Linux
/// values (FUSE carries them unchanged on x86-64).
public enum FSOperation {
    /// A SETXATTR flag outside XATTR_CREATE/XATTR_REPLACE: the guest kernel asks (FUSE_SETXATTR_ACL_KILL_SGID) that
    /// setting `system.posix_acl_access` clear the file's set-group-ID bit, because the caller is not in the file's
    /// group and lacks CAP_FSETID; the daemon, as root, would keep it otherwise.
    public static let setxattrKillSetGroupID: Int32 = 1 << 24

    /// INIT: mount the share with the negotiated options. A new session: every node and handle of a previous one
    /// is dropped first (as `unmount`), whether or not it ended with DESTROY.
    case mount(MountRequest)
    /// DESTROY: drop every node and handle the guest holds.
    case unmount
    /// LOOKUP `name` in `parent`; the reply's node gains one lookup reference.
    case lookup(parent: NodeID, name: FileName)
    /// FORGET: drop `count` lookup references of `node` (no reply is sent to the guest; the completion still runs).
    case forget(node: NodeID, count: UInt64)
    /// BATCH_FORGET.
    case batchForget(ForgetBatch)
    /// GETATTR, with the open handle when the guest gave one.
    case getattr(node: NodeID, handle: HandleID?)
    /// SETATTR.
    case setattr(node: NodeID, handle: HandleID?, attributes: SetAttributes)
    /// READLINK into `buffer` (4096 bytes suffice); the reply is the byte count.
    case readlink(node: NodeID, buffer: UnsafeMutableRawBufferPointer)
    /// SYMLINK: create `name` in `parent` pointing at `target`, owned by the caller.
    case symlink(parent: NodeID, name: FileName, target: FileName)
    /// MKNOD: create a regular file, device, FIFO or socket, owned by the caller.
    case mknod(parent: NodeID, name: FileName, mode: UInt32, rdev: UInt32)
    /// MKDIR, owned by the caller.
    case mkdir(parent: NodeID, name: FileName, mode: UInt32)
    /// UNLINK.
    case unlink(parent: NodeID, name: FileName)
    /// RMDIR.
    case rmdir(parent: NodeID, name: FileName)
    /// RENAME / RENAME2.
    case rename(parent: NodeID, name: FileName, newParent: NodeID, newName: FileName, flags: RenameFlags)
    /// LINK: a new name for `node` in `newParent`.
    case link(node: NodeID, newParent: NodeID, newName: FileName)
    /// OPEN with Linux open flags.
    case open(node: NodeID, flags: Int32)
    /// CREATE: create and open `name` in `parent`, owned by the caller.
    case create(parent: NodeID, name: FileName, mode: UInt32, flags: Int32)
    /// READ up to `size` bytes at `offset` into `buffers` (guest memory). Asynchronous; the reply is the count
    /// (short at end of file).
    case read(node: NodeID, handle: HandleID, offset: UInt64, size: UInt32, buffers: UnsafeBufferPointer<iovec>)
    /// WRITE `size` bytes at `offset` from `buffers` (guest memory). Asynchronous; the reply is the count.
    case write(node: NodeID, handle: HandleID, offset: UInt64, size: UInt32, buffers: UnsafeBufferPointer<iovec>)
    /// STATFS of the file system holding `node`.
    case statfs(node: NodeID)
    /// RELEASE a file handle.
    case release(node: NodeID, handle: HandleID)
    /// FSYNC (or fdatasync when `dataOnly`).
    case fsync(node: NodeID, handle: HandleID, dataOnly: Bool)
    /// FLUSH: the guest closed one descriptor of the open file.
    case flush(node: NodeID, handle: HandleID)
    /// OPENDIR.
    case opendir(node: NodeID, flags: Int32)
    /// READDIR from `offset` (0 or a `nextOffset` given earlier) into `sink`; the reply is the entry count.
    case readdir(node: NodeID, handle: HandleID, offset: UInt64, sink: any DirectorySink)
    /// READDIRPLUS: as READDIR, each entry looked up (one lookup reference per accepted entry).
    case readdirplus(node: NodeID, handle: HandleID, offset: UInt64, sink: any DirectorySink)
    /// RELEASEDIR.
    case releasedir(node: NodeID, handle: HandleID)
    /// FSYNCDIR.
    case fsyncdir(node: NodeID, handle: HandleID, dataOnly: Bool)
    /// SETLK/SETLKW with FUSE_LK_FLOCK: BSD lock on the open file. `wait` blocks (without blocking the reactor)
    /// until granted or aborted.
    case flock(node: NodeID, handle: HandleID, operation: FlockOperation, wait: Bool)
    /// FALLOCATE.
    case fallocate(node: NodeID, handle: HandleID, mode: FallocateMode, offset: UInt64, length: UInt64)
    /// COPY_FILE_RANGE; the reply is the count (it may be short, the guest loops).
    case copyFileRange(node: NodeID, handle: HandleID, offset: UInt64, destinationNode: NodeID,
                       destinationHandle: HandleID, destinationOffset: UInt64, length: UInt64, flags: UInt64)
    /// LSEEK (SEEK_DATA/SEEK_HOLE included); the reply is the offset.
    case lseek(node: NodeID, handle: HandleID, offset: Int64, whence: SeekWhence)
    /// ACCESS with R_OK/W_OK/X_OK/F_OK, checked with the caller's credentials.
    case access(node: NodeID, mask: UInt32)
    /// SYNCFS: flush the file system holding `node`.
    case syncfs(node: NodeID)
    /// SETXATTR (XATTR_CREATE / XATTR_REPLACE in `flags`, and `setxattrKillSetGroupID`).
    case setxattr(node: NodeID, name: FileName, value: UnsafeRawBufferPointer, flags: Int32)
    /// GETXATTR into `buffer`; an empty buffer asks for the size. The reply is the size.
    case getxattr(node: NodeID, name: FileName, buffer: UnsafeMutableRawBufferPointer)
    /// LISTXATTR into `buffer`; an empty buffer asks for the size. The reply is the size.
    case listxattr(node: NodeID, buffer: UnsafeMutableRawBufferPointer)
    /// REMOVEXATTR.
    case removexattr(node: NodeID, name: FileName)
    /// GETLK: the first lock that would conflict with `lock`, or an unlock record if none.
    case getlk(node: NodeID, handle: HandleID, lock: FileLock)
    /// SETLK/SETLKW: take or release a POSIX lock. `wait` blocks (without blocking the reactor) until granted or
    /// aborted.
    case setlk(node: NodeID, handle: HandleID, lock: FileLock, wait: Bool)
    /// TMPFILE: an unnamed file in `parent`, opened, owned by the caller.
    case tmpfile(parent: NodeID, mode: UInt32, flags: Int32)
    /// INTERRUPT: abort the in-flight request submitted on this channel with `token` (best effort: it completes
    /// with ECANCELED or EINTR if it could be stopped, normally otherwise). Completes with ENOENT when no such
    /// request is in flight.
    case abort(token: UInt64)
}
