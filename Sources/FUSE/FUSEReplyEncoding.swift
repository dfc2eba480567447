import CLinux
import FSDev

// Conversions from the fsdev's Swift types to linux/fuse.h reply structs.

extension FileAttributes {
    /// `struct fuse_attr`.
    var fuseAttr: fuse_attr {
        var a = fuse_attr()
        a.ino = inode
        a.size = size
        a.blocks = blocks
        a.atime = UInt64(bitPattern: accessTime.seconds)
        a.mtime = UInt64(bitPattern: modificationTime.seconds)
        a.ctime = UInt64(bitPattern: changeTime.seconds)
        a.atimensec = accessTime.nanoseconds
        a.mtimensec = modificationTime.nanoseconds
        a.ctimensec = changeTime.nanoseconds
        a.mode = mode
        a.nlink = linkCount
        a.uid = uid
        a.gid = gid
        a.rdev = rdev
        a.blksize = blockSize
        if isSubmount { a.flags = UInt32(FUSE_ATTR_SUBMOUNT) }
        return a
    }
}

extension NodeEntry {
    /// `struct fuse_entry_out`.
    var fuseEntryOut: fuse_entry_out {
        var e = fuse_entry_out()
        e.nodeid = node.rawValue
        e.generation = generation
        e.entry_valid = entryTimeout.seconds
        e.entry_valid_nsec = entryTimeout.nanoseconds
        e.attr_valid = attributeTimeout.seconds
        e.attr_valid_nsec = attributeTimeout.nanoseconds
        e.attr = attributes.fuseAttr
        return e
    }
}

extension AttributesReply {
    /// `struct fuse_attr_out`.
    var fuseAttrOut: fuse_attr_out {
        var o = fuse_attr_out()
        o.attr_valid = timeout.seconds
        o.attr_valid_nsec = timeout.nanoseconds
        o.attr = attributes.fuseAttr
        return o
    }
}

extension OpenReply {
    /// `struct fuse_open_out` (FOPEN_* flags have the same bit values as `OpenReply.Flags`).
    var fuseOpenOut: fuse_open_out {
        var o = fuse_open_out()
        o.fh = handle.rawValue
        o.open_flags = flags.rawValue
        return o
    }
}

extension FileSystemStatistics {
    /// `struct fuse_statfs_out`.
    var fuseStatfsOut: fuse_statfs_out {
        var o = fuse_statfs_out()
        o.st.blocks = blocks
        o.st.bfree = freeBlocks
        o.st.bavail = availableBlocks
        o.st.files = files
        o.st.ffree = freeFiles
        o.st.bsize = blockSize
        o.st.namelen = nameMaxLength
        o.st.frsize = fragmentSize
        return o
    }
}

extension FileLock {
    /// `struct fuse_file_lock` (F_RDLCK 0, F_WRLCK 1, F_UNLCK 2 on Linux).
    var fuseFileLock: fuse_file_lock {
        var l = fuse_file_lock()
        l.start = start
        l.end = end
        l.type = kind.rawValue
        l.pid = pid
        return l
    }

    /// Decodes a guest lock; nil for an unknown type.
    init?(fuse l: fuse_file_lock) {
        guard let kind = Kind(rawValue: l.type) else { return nil }
        self.init(kind: kind, start: l.start, end: l.end, pid: l.pid)
    }
}
