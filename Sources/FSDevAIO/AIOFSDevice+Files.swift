import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// The open descriptor of a file handle (not a directory handle).
    @inline(__always)
    func fileDescriptor(node: NodeID, handle: HandleID) throws(Errno) -> FileDescriptor {
        let record = try handles.resolve(handle, node: node)
        guard record.directory == nil else { throw .isDirectory }
        return record.descriptor
    }

    /// FLUSH: close a duplicate, which is what the guest's close() means to the host file.
    func flush(node: NodeID, handle: HandleID) throws(Errno) {
        try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
            try FileSystemCall.closeDuplicate(of: fd)
        }
    }

    /// FSYNC / FSYNCDIR on the handle's descriptor (read-only files included).
    func fsync(node: NodeID, handle: HandleID, dataOnly: Bool) throws(Errno) {
        try handles.resolve(handle, node: node).descriptor.use { (fd) throws(Errno) in
            try FileSystemCall.synchronize(fd, dataOnly: dataOnly)
        }
    }

    /// FALLOCATE with fallocate(2), whose errno is reported (the reference returned posix_fallocate's positive
    /// error code as if it were a result).
    func fallocate(node: NodeID, handle: HandleID, mode: FallocateMode, offset: UInt64,
                   length: UInt64) throws(Errno) {
        try requireWritable()
        guard mode.isSubset(of: .known) else { throw .notSupported }
        guard let off = Int64(exactly: offset), let len = Int64(exactly: length) else { throw .fileTooLarge }
        guard len > 0 else { throw .invalidArgument }
        try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
            try FileSystemCall.allocate(fd, mode: CInt(bitPattern: mode.rawValue), offset: off, length: len)
        }
    }

    /// COPY_FILE_RANGE, at most `copyChunkLimit` bytes per request.
    func copyFileRange(node: NodeID, handle: HandleID, offset: UInt64, destinationNode: NodeID,
                       destinationHandle: HandleID, destinationOffset: UInt64, length: UInt64,
                       flags: UInt64) throws(Errno) -> Int {
        try requireWritable()
        guard flags == 0 else { throw .invalidArgument }
        guard let inOff = Int64(exactly: offset), let outOff = Int64(exactly: destinationOffset) else {
            throw .fileTooLarge
        }
        let chunk = Int(min(length, options.copyChunkLimit, UInt64(Int.max)))
        let source = try fileDescriptor(node: node, handle: handle)
        let destination = try fileDescriptor(node: destinationNode, handle: destinationHandle)
        return try source.use { (s) throws(Errno) in
            try destination.use { (d) throws(Errno) in
                try FileSystemCall.copyRange(from: s, at: inOff, to: d, at: outOff, length: chunk, flags: 0)
            }
        }
    }

    /// LSEEK (SEEK_DATA and SEEK_HOLE included).
    func lseek(node: NodeID, handle: HandleID, offset: Int64, whence: SeekWhence) throws(Errno) -> Int64 {
        try fileDescriptor(node: node, handle: handle).use { (fd) throws(Errno) in
            try FileSystemCall.seek(fd, offset: offset, whence: CInt(whence.rawValue))
        }
    }

    /// OPENDIR: a read-only reopen and a getdents64 stream.
    func opendir(node: NodeID) throws(Errno) -> OpenReply {
        let (fd, fileType) = try nodes.resolve(node)
        guard fileType == FileType.directory else { throw .notDirectory }
        let opened = try reopen(fd, options: .directory)
        let directory = DirectoryHandle(stream: DirectoryStream(descriptor: opened))
        let handle = try handles.insert(HandleRecord(descriptor: opened, node: node, directory: directory))
        return OpenReply(handle: handle, flags: options.cachePolicy == .always ? .cacheDirectory : [])
    }

    /// READDIR / READDIRPLUS from `offset` into `sink`. Offsets are the kernel's `d_off`, so a later call at any
    /// offset given out resumes there. ".." at the root is listed as a local file system's root lists it, with the
    /// root's own inode number (the host directory above the share is not shown). For READDIRPLUS each entry but
    /// "." and ".." is looked up; an entry that vanished meanwhile is skipped, and one the sink refuses is
    /// forgotten again. An error after some entries ends the listing early instead of losing them.
    func readdir(node: NodeID, handle: HandleID, offset: UInt64, sink: any DirectorySink,
                 plus: Bool) throws(Errno) -> Int {
        let record = try handles.resolve(handle, node: node)
        guard let directory = record.directory else { throw .notDirectory }
        let parent = try nodes.resolve(node).descriptor
        let isRoot = node == .root
        return try parent.use { (parentFD) throws(Errno) -> Int in
            try directory.withStream { (stream) throws(Errno) -> Int in
                let start = Int64(bitPattern: offset)
                if start != stream.position { try stream.seek(to: start) }
                var added = 0
                while true {
                    let next: DirectoryStream.Entry?
                    do throws(Errno) { next = try stream.peek() } catch {
                        if added > 0 { break }
                        throw error
                    }
                    guard let e = next else { break }
                    let dot = Self.dotKind(e.name)
                    var inode = e.inode
                    if isRoot && dot == .dotDot {
                        inode = UInt64(try FileSystemCall.status(of: parentFD).st_ino)
                    }
                    var entry: NodeEntry?
                    if plus && dot == .none {
                        do throws(Errno) {
                            entry = try lookupChild(of: parentFD, name: e.cName)
                            if translatesIDs, let found = entry { entry?.attributes = guestView(found.attributes) }
                            if options.announcesSubmounts {
                                entry?.attributes.isSubmount = isSubmount(e.cName, in: parentFD)
                            }
                        } catch {
                            if error == .noSuchFileOrDirectory {
                                stream.advance()
                                continue
                            }
                            if added > 0 { break }
                            throw error
                        }
                    }
                    let item = DirectoryEntry(name: e.name, inode: inode, type: UInt32(e.type),
                                              nextOffset: UInt64(bitPattern: e.nextOffset), entry: entry)
                    guard sink.add(item) else {
                        if let entry { try? nodes.forget(entry.node, count: 1) }
                        break
                    }
                    added += 1
                    stream.advance()
                }
                return added
            }
        }
    }

    private static func dotKind(_ name: UnsafeRawBufferPointer) -> FileName.DotKind {
        if name.count == 1 && name[0] == 0x2e { return .dot }
        if name.count == 2 && name[0] == 0x2e && name[1] == 0x2e { return .dotDot }
        return .none
    }
}
