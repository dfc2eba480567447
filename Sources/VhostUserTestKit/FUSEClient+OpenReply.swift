import CLinux

extension FUSEClient {
    /// The reply to OPEN, OPENDIR and CREATE (`struct fuse_open_out`).
    public struct OpenReply: Hashable, Sendable {
        /// The backend's file handle, passed back in READ, WRITE, RELEASE...
        public var handle: UInt64
        /// FOPEN_* flags (FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE...).
        public var openFlags: UInt32

        /// Copies the fields of `raw`.
        public init(_ raw: fuse_open_out) {
            handle = raw.fh
            openFlags = raw.open_flags
        }
    }
}
