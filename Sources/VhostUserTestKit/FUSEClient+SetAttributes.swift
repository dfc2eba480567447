import CLinux

extension FUSEClient {
    /// What SETATTR changes (`struct fuse_setattr_in`); nil fields are left alone (their FATTR_* bit is clear).
    public struct SetAttributes: Hashable, Sendable {
        /// New permission bits (FATTR_MODE).
        public var mode: UInt32?
        /// New owner (FATTR_UID).
        public var uid: UInt32?
        /// New group (FATTR_GID).
        public var gid: UInt32?
        /// New size: truncate or extend (FATTR_SIZE).
        public var size: UInt64?
        /// New access time (FATTR_ATIME), seconds and nanoseconds.
        public var accessTime: (seconds: UInt64, nanoseconds: UInt32)?
        /// New modification time (FATTR_MTIME).
        public var modificationTime: (seconds: UInt64, nanoseconds: UInt32)?
        /// Set the access time to now (FATTR_ATIME_NOW with FATTR_ATIME).
        public var accessTimeNow = false
        /// Set the modification time to now (FATTR_MTIME_NOW with FATTR_MTIME).
        public var modificationTimeNow = false
        /// The open file handle to act through (FATTR_FH).
        public var handle: UInt64?

        /// Nothing changed.
        public init(mode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, size: UInt64? = nil,
                    handle: UInt64? = nil) {
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.size = size
            self.handle = handle
        }

        /// The wire struct.
        public var raw: fuse_setattr_in {
            var r = fuse_setattr_in()
            if let mode { r.valid |= UInt32(FATTR_MODE); r.mode = mode }
            if let uid { r.valid |= UInt32(FATTR_UID); r.uid = uid }
            if let gid { r.valid |= UInt32(FATTR_GID); r.gid = gid }
            if let size { r.valid |= UInt32(FATTR_SIZE); r.size = size }
            if let handle { r.valid |= UInt32(FATTR_FH); r.fh = handle }
            if let t = accessTime { r.valid |= UInt32(FATTR_ATIME); r.atime = t.seconds; r.atimensec = t.nanoseconds }
            if let t = modificationTime {
                r.valid |= UInt32(FATTR_MTIME)
                r.mtime = t.seconds
                r.mtimensec = t.nanoseconds
            }
            if accessTimeNow { r.valid |= UInt32(FATTR_ATIME | FATTR_ATIME_NOW) }
            if modificationTimeNow { r.valid |= UInt32(FATTR_MTIME | FATTR_MTIME_NOW) }
            return r
        }

        public static func == (a: SetAttributes, b: SetAttributes) -> Bool {
            a.raw.valid == b.raw.valid && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.size == b.size
                && a.handle == b.handle && a.accessTime?.seconds == b.accessTime?.seconds
                && a.accessTime?.nanoseconds == b.accessTime?.nanoseconds
                && a.modificationTime?.seconds == b.modificationTime?.seconds
                && a.modificationTime?.nanoseconds == b.modificationTime?.nanoseconds
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(raw.valid)
            hasher.combine(size)
            hasher.combine(mode)
        }
    }
}
