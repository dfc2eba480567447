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
                try withHostAttributeName(name, refusal: .notPermitted) { (cName, hostName) throws(Errno) in
                    if killSetGroupID { try clearSetGroupIDForACL(name: cName, path: path) }
                    try withHostAttributeValue(name: cName, value) { (hostValue) throws(Errno) in
                        try ExtendedAttributes.setValue(hostValue, of: hostName, path: path, flags: flags)
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
                try withHostAttributeName(name, refusal: .noData) { (cName, hostName) throws(Errno) in
                    try readGuestAttributeValue(name: cName, into: buffer) { (hostBuffer) throws(Errno) in
                        try ExtendedAttributes.value(of: hostName, path: path, into: hostBuffer)
                    }
                }
            }
        }
    }

    /// LISTXATTR; an empty buffer asks for the size. A symlink lists none. The host's list is read whole (at most
    /// XATTR_LIST_MAX) and each name goes through the map: hidden, listed as is, or listed with a prefix stripped,
    /// so the guest sees exactly the names it can use.
    func listxattr(node: NodeID, buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let (fd, fileType) = try attributeNode(node)
        guard fileType != FileType.symbolicLink else { return 0 }
        // Not on the data path: one allocation per LISTXATTR keeps 64 KiB off the reactor's stack.
        let host = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.maximumAttributeList, alignment: 1)
        defer { host.deallocate() }
        let n = try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in try ExtendedAttributes.names(path: path, into: host) }
        }
        let map = options.extendedAttributeMap
        var written = 0
        var start = 0
        while start < n {
            var end = start
            while end < n && host[end] != 0 { end += 1 }
            // SAFETY: start <= end <= n <= host.count.
            let name = UnsafeRawBufferPointer(rebasing: host[start..<end])
            start = end + 1
            let listed: UnsafeRawBufferPointer
            switch map.mapServer(name) {
            case .hidden: continue
            case .pass: listed = name
            case .stripped(let k): listed = UnsafeRawBufferPointer(rebasing: name[(name.startIndex + k)...])
            }
            if buffer.count > 0 {
                guard written + listed.count + 1 <= buffer.count, let to = buffer.baseAddress else { throw .outOfRange }
                // SAFETY: written + count + 1 <= buffer.count was checked.
                if let from = listed.baseAddress { (to + written).copyMemory(from: from, byteCount: listed.count) }
                to.storeBytes(of: 0, toByteOffset: written + listed.count, as: UInt8.self)
            }
            written += listed.count + 1
        }
        return written
    }

    /// Largest list of names listxattr(2) returns (XATTR_LIST_MAX).
    static let maximumAttributeList = 65536

    /// Runs `body` with a guest xattr name, validated (1...255 bytes, no NUL), and its host name, mapped by the
    /// device's map (`--xattrmap`, or the default policy). Values are translated by the guest name (a POSIX ACL is
    /// one whatever name the map stores it under).
    /// - Throws: `refusal` for a name a `bad` rule (or no rule) matches, EOPNOTSUPP for an `unsupported` one,
    ///   ERANGE when the mapped name is longer than 255 bytes, and the validation errors.
    private func withHostAttributeName<R>(
        _ name: FileName, refusal: Errno,
        _ body: (_ guest: UnsafePointer<CChar>, _ host: UnsafePointer<CChar>) throws(Errno) -> R
    ) throws(Errno) -> R {
        try name.withValidatedAttributeName { (cName) throws(Errno) -> R in
            let length = strlen(cName)
            switch options.extendedAttributeMap.mapClient(UnsafeRawBufferPointer(start: cName, count: length)) {
            case .pass:
                return try body(cName, cName)
            case .refused:
                throw refusal
            case .unsupported:
                throw .notSupported
            case .prefixed(let prepend):
                let total = prepend.count + length
                guard total <= FileName.maximumAttributeNameLength else { throw .outOfRange }
                return try withUnsafeTemporaryAllocation(of: CChar.self, capacity: total + 1) {
                    (mapped: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
                    guard let base = mapped.baseAddress else { throw .invalidArgument }
                    // SAFETY: the buffer holds prepend.count + length + 1 bytes.
                    prepend.withUnsafeBytes { p in
                        if let from = p.baseAddress {
                            UnsafeMutableRawPointer(base).copyMemory(from: from, byteCount: p.count)
                        }
                    }
                    UnsafeMutableRawPointer(base + prepend.count).copyMemory(from: cName, byteCount: length)
                    base[total] = 0
                    return try body(cName, UnsafePointer(base))
                }
            }
        }
    }

    /// REMOVEXATTR.
    func removexattr(node: NodeID, name: FileName) throws(Errno) {
        let (fd, fileType) = try attributeNode(node)
        try requireWritable()
        guard fileType != FileType.symbolicLink else { throw .notPermitted }
        try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw) { (path) throws(Errno) in
                try withHostAttributeName(name, refusal: .notPermitted) { (_, hostName) throws(Errno) in
                    try ExtendedAttributes.remove(hostName, path: path)
                }
            }
        }
    }
}
