import CLinux
import Glibc

/// A shared memory mapping of (part of) a file, unmapped when the last reference goes away.
///
/// Always `MAP_SHARED`, never `MAP_FIXED` (rust-vmm vm-memory): the kernel picks the address, so a hostile size or
/// offset can at worst fail the mmap, never replace an existing mapping.
public final class MemoryMapping: @unchecked Sendable {
    // SAFETY (Sendable): the mapping's address and length never change after init; the bytes behind it are shared
    // with another process anyway, so every access goes through bounds-checked, explicitly ordered accessors.

    /// Start of the mapping.
    public let base: UnsafeMutableRawPointer
    /// Length in bytes (> 0).
    public let length: Int

    /// Maps `length` bytes of `descriptor` from `offset`. The corresponding C function is `mmap`.
    ///
    /// For a regular file (memfd, tmpfs, hugetlbfs) the range must lie inside the file: mmap itself accepts a range
    /// past the end, and the first access there would kill the process with SIGBUS.
    /// - Throws: `EINVAL` for a zero or unrepresentable length or offset or a range past the end of the file, or
    ///   mmap's error.
    public init(descriptor: FileDescriptor, offset: UInt64, length: UInt64, writable: Bool = true) throws(Errno) {
        guard length > 0, let len = Int(exactly: length), let off = off_t(exactly: offset),
              case (let end, false) = offset.addingReportingOverflow(length)
        else {
            throw .invalidArgument
        }
        let st = try descriptor.status()
        if st.st_mode & S_IFMT == S_IFREG {
            guard let fileSize = UInt64(exactly: st.st_size), end <= fileSize else { throw .invalidArgument }
        }
        let prot = PROT_READ | (writable ? PROT_WRITE : 0)
        let p = mmap(nil, len, prot, MAP_SHARED | MAP_NORESERVE, descriptor.rawValue, off)
        guard let p, p != MAP_FAILED else { throw Errno.current }
        base = p
        self.length = len
    }

    deinit {
        munmap(base, length)
    }

    /// The mapping as a raw buffer.
    // SAFETY: base and length describe the live mapping, valid for as long as `self` is.
    public var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }
}
