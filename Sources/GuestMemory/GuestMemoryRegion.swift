import CLinux
import Glibc
import LinuxSystem

/// One region of guest RAM mapped into this process: the backend's view of a vhost-user memory region
/// (vhost-user.rst "Memory region description": guest address, size, user address, mmap offset, plus an fd).
///
/// The mapping is `MAP_SHARED`, never `MAP_FIXED`, and is unmapped when the last reference goes away. Regions are
/// reference-counted classes on purpose: a `GuestMemoryMap` snapshot holds its regions, and in-flight I/O that holds
/// an old snapshot keeps the old mappings alive after the frontend removed them (DESIGN.md "Guest memory updates").
public final class GuestMemoryRegion: @unchecked Sendable, CustomStringConvertible {
    // SAFETY (Sendable): every stored property is immutable after init; `hostAddress` points into `mapping`, which
    // lives as long as this object. The bytes behind it are shared with the guest and only accessed through
    // bounds-checked accessors with explicit ordering.

    /// First guest physical address of the region.
    public let guestPhysicalAddress: GuestAddress
    /// Size in bytes (> 0, fits in `Int`).
    public let size: UInt64
    /// The frontend's (QEMU's) virtual address of the first byte, used to translate SET_VRING_ADDR.
    public let userAddress: UInt64
    /// Offset of the first byte of the region in the file behind the descriptor.
    public let mmapOffset: UInt64
    /// One past the last guest physical address (`guestPhysicalAddress + size`, checked at init).
    public let guestEnd: UInt64
    /// One past the last frontend virtual address (`userAddress + size`, checked at init).
    public let userEnd: UInt64
    /// Where the first byte of the region is mapped in this process.
    public let hostAddress: UnsafeMutableRawPointer

    private let mapping: MemoryMapping

    /// Maps `size` bytes of `descriptor` from `mmapOffset`.
    ///
    /// The mmap offset need not be page-aligned: the mapping starts at the page boundary below it and `hostAddress`
    /// points `mmapOffset % pageSize` bytes in. Every end is computed with overflow checks.
    /// - Parameters:
    ///   - descriptor: the file the frontend sent (memfd, hugetlbfs or shm file). Kept open by the mapping only.
    ///   - mmapOffset: offset of the region in the file.
    ///   - guestPhysicalAddress: the region's first GPA.
    ///   - userAddress: the frontend's virtual address of the region's first byte.
    ///   - size: region size in bytes.
    /// - Throws: `GuestMemoryError` for a zero size, any overflowing end, a file shorter than the region, or an
    ///   mmap failure.
    public init(
        descriptor: FileDescriptor, mmapOffset: UInt64, guestPhysicalAddress: GuestAddress, userAddress: UInt64,
        size: UInt64
    ) throws(GuestMemoryError) {
        guard size > 0 else { throw .zeroSize }
        guard Int(exactly: size) != nil else { throw .sizeTooLarge(size) }
        let (guestEnd, gpaOverflow) = guestPhysicalAddress.rawValue.addingReportingOverflow(size)
        guard !gpaOverflow else { throw .guestAddressOverflow(guestPhysicalAddress, size: size) }
        let (userEnd, uvaOverflow) = userAddress.addingReportingOverflow(size)
        guard !uvaOverflow else { throw .userAddressOverflow(userAddress, size: size) }
        let (fileEnd, offsetOverflow) = mmapOffset.addingReportingOverflow(size)
        guard !offsetOverflow, off_t(exactly: fileEnd) != nil else {
            throw .mmapOffsetOverflow(mmapOffset, size: size)
        }

        // A mapping past the end of a regular file maps fine but raises SIGBUS when touched: refuse it up front.
        // A front-end that shrinks the file later is stopped by F_SEAL_SHRINK where the file can be sealed, and
        // otherwise caught by the guarded mapping (a fault marks the region, see `faults`).
        let status: stat
        do { status = try descriptor.status() } catch { throw .mappingFailed(error) }
        if status.st_mode & S_IFMT == S_IFREG {
            let fileSize = UInt64(clamping: status.st_size)
            guard fileSize >= fileEnd else { throw .beyondEndOfFile(fileSize: fileSize, regionEnd: fileEnd) }
            try Self.sealAgainstShrinking(descriptor)
        }

        let pageSize = UInt64(clamping: max(sysconf(Int32(_SC_PAGESIZE)), 1))
        let delta = mmapOffset % pageSize
        // delta < pageSize and fileEnd fits in off_t, so size + delta cannot overflow UInt64.
        let (mapLength, lengthOverflow) = size.addingReportingOverflow(delta)
        guard !lengthOverflow, Int(exactly: mapLength) != nil else { throw .sizeTooLarge(size) }
        let mapping: MemoryMapping
        do {
            mapping = try MemoryMapping(descriptor: descriptor, offset: mmapOffset &- delta, length: mapLength,
                                        guarded: true)
        } catch {
            throw .mappingFailed(error)
        }
        self.mapping = mapping
        self.hostAddress = mapping.base + Int(delta)
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.userAddress = userAddress
        self.mmapOffset = mmapOffset
        self.guestEnd = guestEnd
        self.userEnd = userEnd
    }

    /// Accesses that hit pages the file lost (the front-end shrank it after the mapping): each raised SIGBUS, was
    /// answered with zeros by the guard, and was counted. Non-zero means the region is unusable: drop the
    /// connection.
    public var faults: UInt32 { mapping.faults }

    /// Requires F_SEAL_SHRINK on a file that supports seals (memfd, tmpfs, hugetlbfs), adding it when it is
    /// missing (QEMU's memory-backend-memfd adds it itself unless `seal=off`).
    ///
    /// A file with F_SEAL_SEAL alone never had seals: a memfd created without MFD_ALLOW_SEALING (QEMU's `seal=off`),
    /// or a plain tmpfs or hugetlbfs file (memory-backend-file on /dev/shm). It is accepted, like a file that
    /// cannot be sealed at all: its mapping is guarded instead. A file the front-end sealed itself (other seals
    /// and F_SEAL_SEAL) without F_SEAL_SHRINK is refused: it kept the right to shrink it.
    static func sealAgainstShrinking(_ descriptor: FileDescriptor) throws(GuestMemoryError) {
        let seals: CInt
        do { seals = try descriptor.seals() } catch { return }  // no sealing (ext4, ...): guarded only
        if seals & F_SEAL_SHRINK != 0 { return }
        if seals & F_SEAL_SEAL == 0 {
            do { try descriptor.addSeals(F_SEAL_SHRINK) } catch { throw .shrinkSealFailed(error) }
            return
        }
        if seals == F_SEAL_SEAL { return }
        throw .sealedWithoutShrinkSeal(seals: seals)
    }

    /// True when [address, address + length) lies inside this region.
    @inlinable
    public func contains(_ address: GuestAddress, length: UInt64 = 1) -> Bool {
        guard address.rawValue >= guestPhysicalAddress.rawValue else { return false }
        let offset = address.rawValue &- guestPhysicalAddress.rawValue
        return offset < size && length <= size &- offset
    }

    public var description: String {
        "GuestMemoryRegion(gpa \(guestPhysicalAddress), size 0x\(String(size, radix: 16)), "
            + "uva 0x\(String(userAddress, radix: 16)), offset 0x\(String(mmapOffset, radix: 16)))"
    }
}
