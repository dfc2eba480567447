import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// Opens `name` in `directory` with O_PATH | O_NOFOLLOW and adds a lookup reference to its node.
    func lookupChild(of directory: CInt, name: UnsafePointer<CChar>) throws(Errno) -> NodeEntry {
        let fd = try FileSystemCall.open(name, relativeTo: directory, flags: O_PATH | lookupNoFollow)
        return try reference(fd)
    }

    /// O_NOFOLLOW, except in debug builds with `unconfinedLookupForTesting`.
    private var lookupNoFollow: CInt {
        #if DEBUG
        if options.unconfinedLookupForTesting { return 0 }
        #endif
        return O_NOFOLLOW
    }

    /// Adds a lookup reference to the node of an O_PATH descriptor and builds its entry.
    func reference(_ fd: FileDescriptor) throws(Errno) -> NodeEntry {
        let st = try FileSystemCall.status(of: fd.rawValue)
        let (node, generation) = try nodes.reference(descriptor: fd, status: st)
        return NodeEntry(node: node, generation: generation, attributes: FileAttributes(st), entryTimeout: timeout,
                         attributeTimeout: timeout)
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
                    let fd = try FileSystemCall.open(cName, relativeTo: dirfd, flags: O_PATH | O_NOFOLLOW)
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
            guard let up = try? FileSystemCall.open("..", relativeTo: current.rawValue,
                                                    flags: O_PATH | O_NOFOLLOW | O_DIRECTORY),
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
