/// The successful outcome of an `FSOperation` (SPDK's `u_out`). Which case answers which operation is stated on
/// each case; failures are `Errno`.
public enum FSReply {
    /// Nothing to report (forget, unlink, rmdir, rename, setxattr, removexattr, release, fsync, flush, flock,
    /// setlk, fallocate, access, syncfs, fsyncdir, releasedir, unmount, abort).
    case none
    /// mount.
    case mounted(MountReply)
    /// lookup, mknod, mkdir, symlink, link.
    case entry(NodeEntry)
    /// getattr, setattr.
    case attributes(AttributesReply)
    /// open, opendir.
    case opened(OpenReply)
    /// create, tmpfile: the new node and its open handle.
    case created(NodeEntry, OpenReply)
    /// read, write, copyFileRange (bytes), readlink, getxattr, listxattr (bytes or size), readdir, readdirplus
    /// (entries added).
    case count(Int)
    /// statfs.
    case statistics(FileSystemStatistics)
    /// lseek.
    case offset(Int64)
    /// getlk: the conflicting lock, or kind `.unlock` if none.
    case lock(FileLock)
}
