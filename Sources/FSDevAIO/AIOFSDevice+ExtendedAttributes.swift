import CLinux
import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// Largest xattr value (XATTR_SIZE_MAX).
    static let maximumAttributeValue = 65536

    /// The node for an xattr call: ENOSYS when xattrs are off (the guest kernel then stops asking).
    private func attributeNode(_ node: NodeID) throws(Errno) -> (FileDescriptor, UInt32) {
        guard options.extendedAttributes else { throw .notImplemented }
        return try nodes.resolve(node)
    }

    /// SETXATTR by /proc/self/fd path: works on read-only files and directories. Symlinks: EPERM (no race-free
    /// way, and user.* attributes are not allowed on them anyway).
    func setxattr(node: NodeID, name: FileName, value: UnsafeRawBufferPointer, flags requested: Int32) throws(Errno) {
        let (fd, fileType) = try attributeNode(node)
        try requireWritable()
        let killSetGroupID = requested & FSOperation.setxattrKillSetGroupID != 0
        let flags = requested & ~FSOperation.setxattrKillSetGroupID
        guard flags & ~Int32(XATTR_CREATE | XATTR_REPLACE) == 0 else { throw .invalidArgument }
        guard value.count <= Self.maximumAttributeValue else { throw Errno(rawValue: E2BIG) }
        guard fileType != FileType.symbolicLink else { throw .notPermitted }
        try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in
                try name.withValidatedAttributeName { (cName) throws(Errno) in
                    if killSetGroupID { try clearSetGroupIDForACL(name: cName, path: path) }
                    try withHostAttributeValue(name: cName, value) { (hostValue) throws(Errno) in
                        try ExtendedAttributes.setValue(hostValue, of: cName, path: path, flags: flags)
                    }
                }
            }
        }
    }

    /// GETXATTR; an empty buffer asks for the size. A symlink has none (ENODATA).
    func getxattr(node: NodeID, name: FileName, buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let (fd, fileType) = try attributeNode(node)
        guard fileType != FileType.symbolicLink else { throw .noData }
        return try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in
                try name.withValidatedAttributeName { (cName) throws(Errno) in
                    try readGuestAttributeValue(name: cName, into: buffer) { (hostBuffer) throws(Errno) in
                        try ExtendedAttributes.value(of: cName, path: path, into: hostBuffer)
                    }
                }
            }
        }
    }

    /// LISTXATTR; an empty buffer asks for the size. A symlink lists none.
    func listxattr(node: NodeID, buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let (fd, fileType) = try attributeNode(node)
        guard fileType != FileType.symbolicLink else { return 0 }
        return try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in try ExtendedAttributes.names(path: path, into: buffer) }
        }
    }

    /// REMOVEXATTR.
    func removexattr(node: NodeID, name: FileName) throws(Errno) {
        let (fd, fileType) = try attributeNode(node)
        try requireWritable()
        guard fileType != FileType.symbolicLink else { throw .notPermitted }
        try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in
                try name.withValidatedAttributeName { (cName) throws(Errno) in
                    try ExtendedAttributes.remove(cName, path: path)
                }
            }
        }
    }
}
