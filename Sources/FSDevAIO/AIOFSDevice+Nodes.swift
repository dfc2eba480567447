import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// Opens `name` in `directory` with O_PATH | O_NOFOLLOW and adds a lookup reference to its node.
    func lookupChild(of directory: CInt, name: UnsafePointer<CChar>) throws(Errno) -> NodeEntry {
        let fd = try openFile(name, relativeTo: directory, options: [.path, lookupNoFollow])
        return try reference(fd)
    }

    /// O_NOFOLLOW, except in debug builds with `unconfinedLookupForTesting`.
    private var lookupNoFollow: OpenOptions {
        #if DEBUG
        if options.unconfinedLookupForTesting { return [] }
        #endif
        return .noFollow
    }

    /// Adds a lookup reference to the node of an O_PATH descriptor and builds its entry. The node is identified
    /// by its file handle when it has one (a mount seen for the first time gets a descriptor for opening handles),
    /// else by (device, inode) with the descriptor pinned.
    ///
    /// With handles, the inode's status comes from statx with its mount id: a node whose descriptor is cached is
    /// found by (mount, device, inode) without computing the handle, so looking a known file up again costs what it
    /// costs without handles.
    func reference(_ fd: FileDescriptor) throws(Errno) -> NodeEntry {
        guard case .on(let kind) = fileHandleSupport else {
            let st = try fd.use { (raw) throws(Errno) in try FileSystemCall.status(of: raw) }
            return try reference(fd, attributes: FileAttributes(st), fileType: UInt32(st.st_mode) & FileType.mask,
                                 inodeKey: InodeKey(st), identity: .inode(InodeKey(st)), inode: nil)
        }
        let (sx, mountID) = try fd.use { (raw) throws(Errno) in
            try FileSystemCall.statusAndMountID(of: raw, mountID: kind)
        }
        let attributes = FileAttributes(sx)
        let inode = mountID.map { OpenInodeKey(mountID: $0, device: InodeKey(sx).device, inode: sx.stx_ino) }
        if let inode, let (node, generation) = nodes.referenceOpen(inode) {
            return NodeEntry(node: node, generation: generation, attributes: attributes, entryTimeout: timeout,
                             attributeTimeout: timeout)
        }
        let inodeKey = InodeKey(sx)
        return try reference(fd, attributes: attributes, fileType: UInt32(sx.stx_mode) & FileType.mask,
                             inodeKey: inodeKey, identity: try identity(of: fd, inodeKey: inodeKey), inode: inode)
    }

    /// The rest of `reference`, once the inode's status is known.
    private func reference(_ fd: FileDescriptor, attributes: FileAttributes, fileType: UInt32, inodeKey: InodeKey,
                           identity initial: NodeIdentity, inode: OpenInodeKey?) throws(Errno) -> NodeEntry {
        var identity = initial
        var mount: FileDescriptor?
        while true {
            if let (node, generation) = try nodes.reference(descriptor: fd, fileType: fileType, identity: identity,
                                                            inodeKey: inodeKey, mountDescriptor: mount,
                                                            inode: inode) {
                return NodeEntry(node: node, generation: generation, attributes: attributes, entryTimeout: timeout,
                                 attributeTimeout: timeout)
            }
            // A mount the table has not seen: open a descriptor on it, or do without a handle.
            if let m = try mountDescriptor(from: fd, fileType: fileType) {
                mount = m
            } else if options.fileHandles == .mandatory {
                throw .notSupported
            } else {
                identity = .inode(inodeKey)
            }
        }
    }

    /// LOOKUP: "." is the directory itself, ".." is clamped to the root at the root and must stay beneath the root
    /// elsewhere (EACCES otherwise).
    func lookup(parent: NodeID, name: FileName) throws(Errno) -> NodeEntry {
        let directory = try nodes.resolve(parent).descriptor
        return try directory.use { (dirfd) throws(Errno) -> NodeEntry in
            try name.withValidatedLookupName { (cName, dot) throws(Errno) -> NodeEntry in
                switch dot {
                case .none, .dot:
                    return try lookupChild(of: dirfd, name: cName)
                case .dotDot:
                    #if DEBUG
                    if options.unconfinedLookupForTesting { return try lookupChild(of: dirfd, name: cName) }
                    #endif
                    if parent == .root { return try lookupChild(of: dirfd, name: ".") }
                    let fd = try openFile(cName, relativeTo: dirfd, options: [.path, .noFollow])
                    guard isBeneathRoot(fd) else { throw .permissionDenied }
                    return try reference(fd)
                }
            }
        }
    }

    /// Whether walking up from `start` reaches the root of the share (and not the host's "/" first). Used for ".."
    /// lookups, which are the only way up; bounded at 4096 levels.
    func isBeneathRoot(_ start: FileDescriptor) -> Bool {
        var current = start
        for _ in 0..<4096 {
            guard let st = try? FileSystemCall.status(of: current.rawValue) else { return false }
            let key = InodeKey(st)
            if key == nodes.rootKey { return true }
            guard let up = try? openFile("..", relativeTo: current.rawValue, options: [.path, .noFollow, .directory]),
                  let upStatus = try? FileSystemCall.status(of: up.rawValue)
            else { return false }
            if InodeKey(upStatus) == key { return false }
            current = up
        }
        return false
    }

    /// Attributes of a node, through its handle when given (checked to belong to the node).
    func attributes(of node: NodeID, handle: HandleID?) throws(Errno) -> AttributesReply {
        let descriptor = try self.descriptor(of: node, handle: handle)
        let st = try descriptor.use { (fd) throws(Errno) in try FileSystemCall.status(of: fd) }
        return AttributesReply(attributes: FileAttributes(st), timeout: timeout)
    }

    /// The handle's open descriptor when a handle is given (checked to belong to the node), else the node's O_PATH
    /// descriptor.
    @inline(__always)
    func descriptor(of node: NodeID, handle: HandleID?) throws(Errno) -> FileDescriptor {
        if let handle { return try handles.resolve(handle, node: node).descriptor }
        return try nodes.resolve(node).descriptor
    }

    /// Throws EROFS on a read-only device.
    @inline(__always)
    func requireWritable() throws(Errno) {
        if options.readOnly { throw .readOnlyFileSystem }
    }
}
