import CLinux

extension FUSEClient {
    /// One entry of a READDIR (`struct fuse_dirent`) or READDIRPLUS (`struct fuse_direntplus`) reply.
    public struct DirectoryEntry: Hashable, Sendable {
        /// Inode number.
        public var inode: UInt64
        /// The offset to pass to the next READDIR to continue after this entry.
        public var offset: UInt64
        /// DT_* type.
        public var type: UInt32
        /// The name's bytes (host names need not be UTF-8).
        public var name: [UInt8]
        /// READDIRPLUS only: the entry, whose non-zero node id counts as one lookup.
        public var entry: Entry?

        /// Creates an entry.
        public init(inode: UInt64, offset: UInt64, type: UInt32, name: [UInt8], entry: Entry? = nil) {
            self.inode = inode
            self.offset = offset
            self.type = type
            self.name = name
            self.entry = entry
        }

        /// The name decoded as UTF-8 (invalid bytes replaced).
        public var nameString: String { String(decoding: name, as: UTF8.self) }
    }
}

extension FUSEClient.DirectoryEntry {
    /// Size of `struct fuse_dirent` without the name.
    public static let direntHeaderSize = 24
    /// Longest name the kernel accepts in a dirent (FUSE_NAME_MAX).
    public static let maximumNameLength = 1024

    /// Walks a READDIR or READDIRPLUS payload, handing each entry to `body`, checking each record as the kernel's
    /// parse_dirfile/parse_dirplusfile do (name length 1...1024, no '/' or NUL, record inside the payload).
    /// - Throws: `.badReply(.malformed)` on the first bad record.
    public static func walk(
        _ payload: UnsafeRawBufferPointer, opcode: UInt32, plus: Bool, _ body: (FUSEClient.DirectoryEntry) -> Void
    ) throws(FUSEClient.Failure) {
        let entrySize = plus ? MemoryLayout<fuse_entry_out>.size : 0
        guard let base = payload.baseAddress else { return }
        var offset = 0
        while offset < payload.count {
            let remaining = payload.count - offset
            guard remaining >= entrySize + direntHeaderSize else {
                throw .badReply(.malformed(opcode: opcode, "\(remaining) trailing bytes at \(offset)"))
            }
            let record = base + offset
            // SAFETY: entrySize + direntHeaderSize bytes remain at `record`; unaligned loads of trivial values.
            let entry = plus ? record.loadUnaligned(as: fuse_entry_out.self) : nil
            let d = record + entrySize
            let inode = d.loadUnaligned(as: UInt64.self)
            let next = d.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let nameLength = Int(d.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            let type = d.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            guard nameLength >= 1, nameLength <= maximumNameLength else {
                throw .badReply(.malformed(opcode: opcode, "name length \(nameLength) at \(offset)"))
            }
            let recordLength = (entrySize + direntHeaderSize + nameLength + 7) & ~7
            guard recordLength <= remaining || entrySize + direntHeaderSize + nameLength == remaining else {
                throw .badReply(.malformed(opcode: opcode, "record of \(recordLength) bytes past the end at \(offset)"))
            }
            // SAFETY: nameLength bytes follow the dirent header inside the payload (checked above).
            let name = Array(UnsafeRawBufferPointer(start: d + direntHeaderSize, count: nameLength))
            guard !name.contains(0), !name.contains(UInt8(ascii: "/")) else {
                throw .badReply(.malformed(opcode: opcode, "name with NUL or '/' at \(offset)"))
            }
            body(FUSEClient.DirectoryEntry(inode: inode, offset: next, type: type, name: name,
                                           entry: entry.map(FUSEClient.Entry.init)))
            offset += min(recordLength, remaining)
        }
    }
}
