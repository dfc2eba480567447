/// The answer to OPEN, OPENDIR, CREATE and TMPFILE: a handle and how the guest should cache the file.
public struct OpenReply: Sendable, Hashable {
    /// Flags for FUSE's `open_flags` (FOPEN_*).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// FOPEN_DIRECT_IO: bypass the guest page cache.
        public static let directIO = Flags(rawValue: 1 << 0)
        /// FOPEN_KEEP_CACHE: keep the guest page cache from earlier opens.
        public static let keepCache = Flags(rawValue: 1 << 1)
        /// FOPEN_NONSEEKABLE.
        public static let nonSeekable = Flags(rawValue: 1 << 2)
        /// FOPEN_CACHE_DIR: cache directory contents.
        public static let cacheDirectory = Flags(rawValue: 1 << 3)
    }

    /// The new handle; release it with RELEASE or RELEASEDIR.
    public var handle: HandleID
    /// Caching flags.
    public var flags: Flags

    @inlinable
    public init(handle: HandleID, flags: Flags) {
        self.handle = handle
        self.flags = flags
    }
}
