import CLinux

// FUSE_SETXATTR, GETXATTR, LISTXATTR and REMOVEXATTR as Linux sends them without FUSE_SETXATTR_EXT (8-byte
// `fuse_setxattr_in` compat form), synchronous on one queue.
extension FUSEClient.Queue {
    /// FUSE_SETXATTR: sets `name` to `value` (XATTR_CREATE / XATTR_REPLACE in `flags`).
    public func setxattr(_ node: UInt64, name: String, value: [UInt8], flags: Int32 = 0) throws(Failure) {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.setxattr.rawValue, nodeID: node,
                       replyCapacity: 0) { (w) throws(Failure) in
                try w.append(UInt32(value.count))
                try w.append(UInt32(bitPattern: flags))
                try w.append(name: name)
                try w.append(bytes: value)
            }
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_GETXATTR: the value of `name` (at most `size` bytes; ERANGE when it is longer).
    public func getxattr(_ node: UInt64, name: String, size: Int = 4096) throws(Failure) -> [UInt8] {
        let capacity = min(size, replyCapacity)
        return try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.getxattr.rawValue, nodeID: node,
                       replyCapacity: capacity) { (w) throws(Failure) in
                try w.append(fuse_getxattr_in(size: UInt32(capacity), padding: 0))
                try w.append(name: name)
            }
        }, decode: Self.decodeBytes)
    }

    /// FUSE_LISTXATTR: the attribute names (at most `size` bytes of list; ERANGE when it is longer).
    public func listxattr(_ node: UInt64, size: Int = 4096) throws(Failure) -> [String] {
        let capacity = min(size, replyCapacity)
        let bytes = try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.listxattr.rawValue, nodeID: node,
                       replyCapacity: capacity) { (w) throws(Failure) in
                try w.append(fuse_getxattr_in(size: UInt32(capacity), padding: 0))
            }
        }, decode: Self.decodeBytes)
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// FUSE_LISTXATTR with size 0: the size the list needs.
    public func listxattrSize(_ node: UInt64) throws(Failure) -> Int {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.listxattr.rawValue, nodeID: node,
                       replyCapacity: MemoryLayout<fuse_getxattr_out>.size) { (w) throws(Failure) in
                try w.append(fuse_getxattr_in(size: 0, padding: 0))
            }
        }, decode: { (c) throws(Failure) in Int(try c.exactly(fuse_getxattr_out.self).size) })
    }

    /// FUSE_REMOVEXATTR of `name`.
    public func removexattr(_ node: UInt64, name: String) throws(Failure) {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.removexattr.rawValue, nodeID: node,
                       replyCapacity: 0) { (w) throws(Failure) in
                try w.append(name: name)
            }
        }, decode: Self.decodeEmpty)
    }
}

extension FUSEClient {
    /// FUSE_SETXATTR on the first request queue.
    public func setxattr(_ node: UInt64, name: String, value: [UInt8], flags: Int32 = 0) throws(Failure) {
        try queue.setxattr(node, name: name, value: value, flags: flags)
    }

    /// FUSE_GETXATTR on the first request queue.
    public func getxattr(_ node: UInt64, name: String, size: Int = 4096) throws(Failure) -> [UInt8] {
        try queue.getxattr(node, name: name, size: size)
    }

    /// FUSE_LISTXATTR on the first request queue.
    public func listxattr(_ node: UInt64, size: Int = 4096) throws(Failure) -> [String] {
        try queue.listxattr(node, size: size)
    }

    /// FUSE_LISTXATTR size query on the first request queue.
    public func listxattrSize(_ node: UInt64) throws(Failure) -> Int {
        try queue.listxattrSize(node)
    }

    /// FUSE_REMOVEXATTR on the first request queue.
    public func removexattr(_ node: UInt64, name: String) throws(Failure) {
        try queue.removexattr(node, name: name)
    }
}
