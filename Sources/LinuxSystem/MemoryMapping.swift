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
    /// The SIGBUS guard slot of a guarded mapping (see `init(...guarded:)`), else -1.
    private let guardSlot: Int

    /// Maps `length` bytes of `descriptor` from `offset`. The corresponding C function is `mmap`.
    ///
    /// For a regular file (memfd, tmpfs, hugetlbfs) the range must lie inside the file: mmap itself accepts a range
    /// past the end, and the first access there would kill the process with SIGBUS.
    ///
    /// A `guarded` mapping survives the file shrinking under it: an access to a page the file lost raises SIGBUS,
    /// which the guest-memory guard (CLinux's GuestMemoryGuard.c) repairs by mapping anonymous zero pages over that
    /// page (MAP_FIXED, inside this mapping only) and counts in `faults`; the owner then stops using the mapping.
    /// Any other SIGBUS keeps its previous disposition.
    /// - Throws: `EINVAL` for a zero or unrepresentable length or offset or a range past the end of the file,
    ///   mmap's error, or ENOSPC when 4096 guarded mappings are alive.
    public init(descriptor: FileDescriptor, offset: UInt64, length: UInt64, writable: Bool = true,
                guarded: Bool = false) throws(Errno) {
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
        var slot = -1
        if guarded {
            // Huge pages are repaired a whole page at a time (hugetlbfs reports its page size as st_blksize).
            let page = max(sysconf(Int32(_SC_PAGESIZE)), 4096)
            let block = Int(st.st_blksize)
            let granule = block > page && block <= 1 << 30 && block & (block - 1) == 0 ? block : page
            let r = CLinux_guest_memory_guard_register(p, len, granule)
            guard r >= 0 else {
                munmap(p, len)
                throw Errno(rawValue: CInt(clamping: -r))
            }
            slot = r
        }
        base = p
        self.length = len
        guardSlot = slot
    }

    deinit {
        // Unregistered before the unmap: the guard must never map over an address this mapping gave back.
        if guardSlot >= 0 { CLinux_guest_memory_guard_unregister(guardSlot) }
        munmap(base, length)
    }

    /// SIGBUS faults repaired in this (guarded) mapping: non-zero once the file behind it shrank under an access.
    public var faults: UInt32 { guardSlot >= 0 ? CLinux_guest_memory_guard_faults(guardSlot) : 0 }

    /// Faults repaired in any guarded mapping of the process so far: a poller compares it with the value it saw
    /// last, one load, before looking at its own mappings.
    public static var guardedFaultGeneration: UInt64 { CLinux_guest_memory_guard_generation() }

    /// The mapping as a raw buffer.
    // SAFETY: base and length describe the live mapping, valid for as long as `self` is.
    public var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }
}
