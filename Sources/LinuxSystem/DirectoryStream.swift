import CLinux
import Glibc

/// A directory read with `getdents64` into a private buffer, with kernel offsets (`d_off`) exposed so that a reader
/// can resume at any offset it was given earlier (FUSE READDIR).
///
/// Not thread-safe: callers serialize access. Entry names point into the buffer and are valid until the next
/// `advance()`, `seek(to:)` or refill.
public final class DirectoryStream {
    /// The open directory (O_RDONLY | O_DIRECTORY).
    public let descriptor: FileDescriptor
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var filled = 0
    private var cursor = 0
    private var atEnd = false
    /// Kernel offset of the position the next entry is read from (0 at the start).
    public private(set) var position: Int64 = 0

    /// One directory entry, valid until the stream moves.
    public struct Entry {
        /// Inode number.
        public var inode: UInt64
        /// Offset to resume after this entry (`d_off`).
        public var nextOffset: Int64
        /// DT_* type.
        public var type: UInt8
        /// Name bytes without the terminating NUL.
        public var name: UnsafeRawBufferPointer
        /// The NUL-terminated name.
        public var cName: UnsafePointer<CChar>
    }

    /// Wraps an open directory descriptor; `bufferSize` bytes are allocated once for the stream's lifetime.
    public init(descriptor: FileDescriptor, bufferSize: Int = 16 * 1024) {
        self.descriptor = descriptor
        capacity = max(1024, bufferSize)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Moves to `offset` (0 or a `nextOffset` seen earlier). The corresponding C function is `lseek`.
    public func seek(to offset: Int64) throws(Errno) {
        _ = try SystemCall.valueOrErrno { lseek(descriptor.rawValue, off_t(offset), SEEK_SET) }.get()
        filled = 0
        cursor = 0
        atEnd = false
        position = offset
    }

    /// The entry at the current position without consuming it, or nil at the end of the directory. The
    /// corresponding C function is `getdents64`.
    public func peek() throws(Errno) -> Entry? {
        if cursor >= filled {
            if atEnd { return nil }
            let n = try SystemCall.valueOrErrno { CLinux_getdents64(descriptor.rawValue, buffer, capacity) }.get()
            guard n > 0 else {
                atEnd = true
                return nil
            }
            filled = n
            cursor = 0
        }
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let headerSize = 19
        let remaining = filled - cursor
        guard remaining >= headerSize else { throw .ioError }
        let p = buffer + cursor
        let reclen = Int(p.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
        guard reclen > headerSize, reclen <= remaining else { throw .ioError }
        let nameStart = p + headerSize
        let nameMax = reclen - headerSize
        // SAFETY: the kernel NUL-terminates d_name inside the record; memchr is bounded by the record anyway.
        guard let nul = memchr(nameStart, 0, nameMax) else { throw .ioError }
        let nameLength = nameStart.distance(to: nul)
        return Entry(
            inode: p.loadUnaligned(as: UInt64.self),
            nextOffset: p.loadUnaligned(fromByteOffset: 8, as: Int64.self),
            type: p.load(fromByteOffset: 18, as: UInt8.self),
            name: UnsafeRawBufferPointer(start: nameStart, count: nameLength),
            cName: UnsafePointer(nameStart.assumingMemoryBound(to: CChar.self)))
    }

    /// Consumes the entry `peek()` returned; the position becomes its `nextOffset`.
    public func advance() {
        guard cursor < filled else { return }
        let reclen = Int((buffer + cursor).loadUnaligned(fromByteOffset: 16, as: UInt16.self))
        position = (buffer + cursor).loadUnaligned(fromByteOffset: 8, as: Int64.self)
        cursor += max(reclen, 1)
    }
}
