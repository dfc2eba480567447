import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// What MKNOD, MKDIR and SYMLINK create.
    enum NewNode {
        case directory(mode: UInt32)
        case node(mode: UInt32, rdev: UInt32)
        case symbolicLink(target: FileName)
    }

    /// MKNOD / MKDIR / SYMLINK under the caller's credentials, then a lookup of the new name.
    func create(_ kind: NewNode, parent: NodeID, name: FileName, context: RequestContext) throws(Errno) -> NodeEntry {
        try requireWritable()
        let directory = try nodes.resolve(parent).descriptor
        return try directory.use { (dirfd) throws(Errno) -> NodeEntry in
            try name.withValidatedComponent { (cName) throws(Errno) -> NodeEntry in
                try CallerCredentials.with(context) { () throws(Errno) in
                    switch kind {
                    case .directory(let mode):
                        try FileSystemCall.makeDirectory(cName, relativeTo: dirfd, mode: mode_t(mode & 0o7777))
                    case .node(let mode, let rdev):
                        try FileSystemCall.makeNode(cName, relativeTo: dirfd, mode: mode_t(mode), device: dev_t(rdev))
                    case .symbolicLink(let target):
                        try target.withValidatedLinkTarget { (cTarget) throws(Errno) in
                            try FileSystemCall.makeSymbolicLink(cName, relativeTo: dirfd, target: cTarget)
                        }
                    }
                }
                return try lookupChild(of: dirfd, name: cName)
            }
        }
    }

    /// Options of a guest's open flags that make sense for a passthrough file; every other bit (O_CREAT, O_PATH,
    /// O_NOFOLLOW, O_DIRECTORY, O_TMPFILE, O_NONBLOCK...) is the daemon's to choose.
    static let keptGuestOpenOptions: OpenOptions = [
        .append, .truncate, .exclusiveCreate, .sync, .dataSync, .noAccessTime, .direct,
    ]

    /// Converts a guest's raw open flags (OPEN, CREATE, TMPFILE) into what the host open uses, in this one place:
    /// only options that make sense for a passthrough file are kept; the writeback cache rewrite (O_WRONLY ->
    /// O_RDWR, no O_APPEND) and the O_DIRECT and O_NOATIME options are applied.
    /// - Throws: EINVAL for an invalid access mode, EROFS for a write open on a read-only device.
    func hostOpen(guestFlags flags: Int32) throws(Errno) -> HostOpen {
        guard var access = OpenAccess(flags: flags) else { throw .invalidArgument }
        let guest = OpenOptions(rawValue: flags)
        if access != .readOnly || guest.contains(.truncate) { try requireWritable() }
        var kept = guest.intersection(Self.keptGuestOpenOptions)
        if writebackActive.load(ordering: .relaxed) {
            // With writeback caching the guest kernel may read a file opened write-only (partial page writes),
            // and it handles O_APPEND itself.
            if access == .writeOnly { access = .readWrite }
            kept.remove(.append)
        }
        // O_DIRECT in the guest need not bypass the host page cache (SPDK and virtiofsd default).
        if !options.directIO { kept.remove(.direct) }
        if !options.preservesNoatime { kept.remove(.noAccessTime) }
        return HostOpen(access: access, options: kept)
    }

    /// `hostOpen(guestFlags:)` as raw open(2) flags, as `fcntl(F_GETFL)` would show them on the host descriptor.
    func hostOpenFlags(_ flags: Int32) throws(Errno) -> Int32 {
        let host = try hostOpen(guestFlags: flags)
        return host.access.rawValue | host.options.rawValue
    }

    /// The FOPEN_* flags of the cache policy.
    var openReplyFlags: OpenReply.Flags {
        switch options.cachePolicy {
        case .never, .metadata: .directIO
        case .auto: []
        case .always: .keepCache
        }
    }

    /// An O_PATH descriptor of the inode an open descriptor refers to (through its /proc/self/fd link, which
    /// follows to the very inode, race-free).
    func pathDescriptor(of opened: FileDescriptor) throws(Errno) -> FileDescriptor {
        try reopen(opened, options: .path)
    }

    /// Registers an opened file as a node reference plus a handle. `path` is the file's O_PATH descriptor when the
    /// caller already has one (saves the reopen through /proc/self/fd).
    private func adopt(_ opened: FileDescriptor, path: FileDescriptor? = nil) throws(Errno)
        -> (NodeEntry, OpenReply)
    {
        let pathFD: FileDescriptor
        if let path { pathFD = path } else { pathFD = try pathDescriptor(of: opened) }
        let entry = try reference(pathFD)
        do throws(Errno) {
            let handle = try handles.insert(HandleRecord(descriptor: opened, node: entry.node, directory: nil))
            return (entry, OpenReply(handle: handle, flags: openReplyFlags))
        } catch {
            try? nodes.forget(entry.node, count: 1)
            throw error
        }
    }

    /// CREATE under the caller's credentials. A new name is created with O_CREAT | O_EXCL, which can only make a
    /// regular file. An existing name (when the guest did not ask for O_EXCL) is never opened by name: it is
    /// looked at through an O_PATH descriptor first and only a regular file is reopened, through /proc/self/fd, so
    /// that a device node gets ENXIO instead of the host's device, a FIFO ENXIO instead of a reactor blocked in
    /// open(2), a socket ENXIO, a directory EISDIR and a symlink ELOOP (never followed out of the share).
    func create(parent: NodeID, name: FileName, mode: UInt32, flags: Int32,
                context: RequestContext) throws(Errno) -> (NodeEntry, OpenReply) {
        try requireWritable()
        let host = try hostOpen(guestFlags: flags)
        let directory = try nodes.resolve(parent).descriptor
        let (opened, path) = try directory.use { (dirfd) throws(Errno) -> (FileDescriptor, FileDescriptor?) in
            try name.withValidatedComponent { (cName) throws(Errno) -> (FileDescriptor, FileDescriptor?) in
                try CallerCredentials.with(context) { () throws(Errno) -> (FileDescriptor, FileDescriptor?) in
                    try openOrCreateRegularFile(cName, in: dirfd, host, mode: mode_t(mode & 0o7777))
                }
            }
        }
        // An existing file truncated by a caller without CAP_FSETID (FUSE_OPEN_KILL_SUIDGID); done as the daemon,
        // since the caller need not own the file.
        if path != nil && host.options.contains(.truncate) && context.killSetIDBits {
            try dropSetIDBits(openFile: opened)
        }
        return try adopt(opened, path: path)
    }

    /// How often CREATE retries when the name it found is removed before it can look at it (a host process racing
    /// it); the kernel's own O_CREAT has no such window.
    static let createRaceRetries = 4

    /// Creates `name` as a new regular file, or opens the existing regular file of that name. Returns the open
    /// descriptor and, for an existing file, its O_PATH descriptor. Runs under the caller's credentials, so every
    /// permission check (search, create, open for the access mode, O_TRUNC) is the caller's.
    private func openOrCreateRegularFile(
        _ name: UnsafePointer<CChar>, in dirfd: CInt, _ host: HostOpen, mode: mode_t
    ) throws(Errno) -> (FileDescriptor, FileDescriptor?) {
        var lastError = Errno.noSuchFileOrDirectory
        for _ in 0..<Self.createRaceRetries {
            do throws(Errno) {
                let created = try openFile(name, relativeTo: dirfd, access: host.access,
                                           options: host.options.union([.create, .exclusiveCreate, .noFollow]),
                                           mode: mode)
                return (created, nil)
            } catch {
                guard error == .fileExists, !host.options.contains(.exclusiveCreate) else { throw error }
            }
            let path: FileDescriptor
            do throws(Errno) {
                path = try openFile(name, relativeTo: dirfd, options: [.path, .noFollow])
            } catch {
                guard error == .noSuchFileOrDirectory else { throw error }
                lastError = error
                continue  // removed meanwhile: create it
            }
            let st = try path.use { (raw) throws(Errno) in try FileSystemCall.status(of: raw) }
            switch UInt32(st.st_mode) & FileType.mask {
            case FileType.regular: break
            case FileType.directory: throw .isDirectory
            case FileType.symbolicLink: throw .tooManySymbolicLinks
            default: throw Errno(rawValue: ENXIO)  // device node, FIFO or socket: never opened
            }
            return (try reopen(path, access: host.access,
                                options: host.options.subtracting([.create, .exclusiveCreate])), path)
        }
        throw lastError
    }

    /// Opens the inode of a descriptor again through its /proc/self/fd link (the very inode, never a path walk),
    /// once more after evicting cached node descriptors when the process is out of descriptors. For I/O, the
    /// caller has checked the inode's type: only regular files and directories are opened.
    func reopen(_ path: FileDescriptor, access: OpenAccess = .readOnly,
                options: OpenOptions) throws(Errno) -> FileDescriptor {
        try nodes.retryingOnShortage { () throws(Errno) in
            try Self.reopen(path, procSelfFD: procSelfFD, access: access, options: options)
        }
    }

    /// TMPFILE: an unnamed regular file in `parent` (O_TMPFILE), owned by the caller.
    func tmpfile(parent: NodeID, mode: UInt32, flags: Int32,
                 context: RequestContext) throws(Errno) -> (NodeEntry, OpenReply) {
        try requireWritable()
        var host = try hostOpen(guestFlags: flags)
        host.options.subtract([.truncate, .append])
        if host.access == .readOnly { host.access = .readWrite }  // O_TMPFILE needs write access
        let directory = try nodes.resolve(parent).descriptor
        let opened = try directory.use { (dirfd) throws(Errno) -> FileDescriptor in
            try CallerCredentials.with(context) { () throws(Errno) -> FileDescriptor in
                try openFile(".", relativeTo: dirfd, access: host.access, options: host.options.union(.temporaryFile),
                             mode: mode_t(mode & 0o7777))
            }
        }
        return try adopt(opened)
    }

    /// OPEN: reopen the node's inode through /proc/self/fd. Only regular files (and directories read-only) are
    /// opened: a symlink gets ELOOP, a device node, FIFO or socket ENXIO, so a guest can neither follow a link nor
    /// open a host device or block the reactor on a FIFO. O_TRUNC with `context.killSetIDBits` clears the set-ID
    /// bits (FUSE_OPEN_KILL_SUIDGID).
    func open(node: NodeID, flags: Int32, context: RequestContext = .root) throws(Errno) -> OpenReply {
        let (fd, fileType) = try nodes.resolve(node)
        switch fileType {
        case FileType.regular: break
        case FileType.directory: guard OpenAccess(flags: flags) == .readOnly else { throw .isDirectory }
        case FileType.symbolicLink: throw .tooManySymbolicLinks
        default: throw Errno(rawValue: ENXIO)
        }
        var host = try hostOpen(guestFlags: flags)
        host.options.remove(.exclusiveCreate)
        let opened = try reopen(fd, access: host.access, options: host.options)
        if host.options.contains(.truncate) && context.killSetIDBits { try dropSetIDBits(openFile: opened) }
        let handle = try handles.insert(HandleRecord(descriptor: opened, node: node, directory: nil))
        return OpenReply(handle: handle, flags: openReplyFlags)
    }

    /// LINK: a new name for a node (symlinks through AT_EMPTY_PATH, others through their /proc/self/fd link).
    func link(node: NodeID, newParent: NodeID, newName: FileName) throws(Errno) -> NodeEntry {
        try requireWritable()
        let (fd, fileType) = try nodes.resolve(node)
        guard fileType != FileType.directory else { throw .notPermitted }
        let directory = try nodes.resolve(newParent).descriptor
        return try directory.use { (dirfd) throws(Errno) -> NodeEntry in
            try newName.withValidatedComponent { (cName) throws(Errno) -> NodeEntry in
                try fd.use { (raw) throws(Errno) in
                    if fileType == FileType.symbolicLink {
                        try FileSystemCall.link("", relativeTo: raw, to: cName, relativeTo: dirfd, flags: AT_EMPTY_PATH)
                    } else {
                        try ProcPath.with(raw, relative: true) { (name) throws(Errno) in
                            try procSelfFD.use { (proc) throws(Errno) in
                                try FileSystemCall.link(name, relativeTo: proc, to: cName, relativeTo: dirfd,
                                                        flags: AT_SYMLINK_FOLLOW)
                            }
                        }
                    }
                }
                return try lookupChild(of: dirfd, name: cName)
            }
        }
    }

    /// UNLINK / RMDIR: no lookup first (the reference's lookup turned every failure into EIO).
    func remove(parent: NodeID, name: FileName, directory isDirectory: Bool) throws(Errno) {
        try requireWritable()
        let directory = try nodes.resolve(parent).descriptor
        try directory.use { (dirfd) throws(Errno) in
            try name.withValidatedComponent { (cName) throws(Errno) in
                try FileSystemCall.unlink(cName, relativeTo: dirfd, flags: isDirectory ? AT_REMOVEDIR : 0)
            }
        }
    }

    /// RENAME / RENAME2 with RENAME_NOREPLACE, RENAME_EXCHANGE or RENAME_WHITEOUT.
    func rename(parent: NodeID, name: FileName, newParent: NodeID, newName: FileName,
                flags: RenameFlags) throws(Errno) {
        try requireWritable()
        guard flags.isSubset(of: [.noReplace, .exchange, .whiteout]) else { throw .invalidArgument }
        let from = try nodes.resolve(parent).descriptor
        let to = try nodes.resolve(newParent).descriptor
        try from.use { (fromFD) throws(Errno) in
            try to.use { (toFD) throws(Errno) in
                try name.withValidatedComponent { (cName) throws(Errno) in
                    try newName.withValidatedComponent { (cNewName) throws(Errno) in
                        try FileSystemCall.rename(cName, relativeTo: fromFD, to: cNewName, relativeTo: toFD,
                                                  flags: flags.rawValue)
                    }
                }
            }
        }
    }
}
