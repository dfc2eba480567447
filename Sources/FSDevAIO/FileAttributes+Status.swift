import FSDev
import Glibc
import LinuxSystem

extension FileAttributes {
    /// Attributes from a host `stat`.
    init(_ st: stat) {
        self.init(
            inode: UInt64(st.st_ino),
            size: UInt64(clamping: st.st_size),
            blocks: UInt64(clamping: st.st_blocks),
            accessTime: FileTime(st.st_atim),
            modificationTime: FileTime(st.st_mtim),
            changeTime: FileTime(st.st_ctim),
            mode: UInt32(st.st_mode),
            linkCount: UInt32(clamping: st.st_nlink),
            uid: UInt32(st.st_uid),
            gid: UInt32(st.st_gid),
            // The kernel's new_encode_dev and glibc's makedev agree for majors below 4096, which is what fits.
            rdev: UInt32(truncatingIfNeeded: st.st_rdev),
            blockSize: UInt32(clamping: st.st_blksize))
    }
}

extension FileAttributes {
    /// Attributes from a host `statx` with STATX_BASIC_STATS.
    init(_ sx: statx) {
        let major = UInt32(sx.stx_rdev_major), minor = UInt32(sx.stx_rdev_minor)
        self.init(
            inode: sx.stx_ino,
            size: sx.stx_size,
            blocks: sx.stx_blocks,
            accessTime: FileTime(sx.stx_atime),
            modificationTime: FileTime(sx.stx_mtime),
            changeTime: FileTime(sx.stx_ctime),
            mode: UInt32(sx.stx_mode),
            linkCount: sx.stx_nlink,
            uid: sx.stx_uid,
            gid: sx.stx_gid,
            // As `stat`'s st_rdev truncated to 32 bits: Glibc's makedev encoding.
            rdev: (minor & 0xff) | (major & 0xfff) << 8 | (minor & 0xffff_ff00) << 12,
            blockSize: sx.stx_blksize)
    }
}

extension FileTime {
    init(_ ts: timespec) {
        self.init(seconds: Int64(ts.tv_sec), nanoseconds: UInt32(clamping: ts.tv_nsec))
    }

    init(_ ts: statx_timestamp) {
        self.init(seconds: ts.tv_sec, nanoseconds: ts.tv_nsec)
    }
}

extension FileSystemStatistics {
    /// The fields of a host `statvfs`.
    init(_ st: statvfs) {
        self.init(
            blocks: UInt64(st.f_blocks), freeBlocks: UInt64(st.f_bfree), availableBlocks: UInt64(st.f_bavail),
            files: UInt64(st.f_files), freeFiles: UInt64(st.f_ffree), blockSize: UInt32(clamping: st.f_bsize),
            nameMaxLength: UInt32(clamping: st.f_namemax), fragmentSize: UInt32(clamping: st.f_frsize))
    }
}
