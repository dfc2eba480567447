import CLinux

extension FUSEClient {
    /// What the backend answered to FUSE_INIT (`struct fuse_init_out`; shorter replies from old protocol minors
    /// leave the later fields zero).
    public struct InitReply: Hashable, Sendable {
        /// Protocol major version (7).
        public var major: UInt32
        /// Protocol minor version the backend speaks.
        public var minor: UInt32
        /// Largest readahead.
        public var maximumReadahead: UInt32
        /// Flags the backend accepted: `flags` in the low 32 bits, `flags2` in the high ones.
        public var flags: UInt64
        /// Background request limit.
        public var maximumBackground: UInt16
        /// Congestion threshold.
        public var congestionThreshold: UInt16
        /// Largest WRITE payload.
        public var maximumWrite: UInt32
        /// Timestamp granularity in nanoseconds.
        public var timeGranularity: UInt32
        /// Largest request in pages (with FUSE_MAX_PAGES).
        public var maximumPages: UInt16
        /// DAX mapping alignment (log2).
        public var mapAlignment: UInt16
        /// Bytes of `fuse_init_out` the backend sent.
        public var replyLength: Int

        /// Decodes the first `length` bytes of `raw` (zero-padded beyond).
        public init(_ raw: fuse_init_out, length: Int) {
            major = raw.major
            minor = raw.minor
            maximumReadahead = raw.max_readahead
            flags = UInt64(raw.flags) | (UInt64(raw.flags2) << 32)
            maximumBackground = raw.max_background
            congestionThreshold = raw.congestion_threshold
            maximumWrite = raw.max_write
            timeGranularity = raw.time_gran
            maximumPages = raw.max_pages
            mapAlignment = raw.map_alignment
            replyLength = length
        }

        /// Whether the backend accepted `flag` (a FUSE_* init flag, 64-bit with FUSE_INIT_EXT).
        public func has(_ flag: UInt64) -> Bool { flags & flag != 0 }
    }
}
