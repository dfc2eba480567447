import LinuxSystem

/// Why a guest memory region or memory map was refused (vhost-user SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG).
///
/// Every value here comes from the vhost-user frontend and is treated as hostile: a refusal is an ordinary result,
/// never a trap.
public enum GuestMemoryError: Error, Hashable, Sendable {
    /// The region has size 0.
    case zeroSize
    /// The region size does not fit in the host's address space (`Int`).
    case sizeTooLarge(UInt64)
    /// `guestPhysicalAddress + size` overflows 64 bits.
    case guestAddressOverflow(GuestAddress, size: UInt64)
    /// `userAddress + size` overflows 64 bits.
    case userAddressOverflow(UInt64, size: UInt64)
    /// `mmapOffset + size` overflows 64 bits or `off_t`.
    case mmapOffsetOverflow(UInt64, size: UInt64)
    /// The file behind the descriptor is shorter than `mmapOffset + size`: touching the tail would raise SIGBUS.
    case beyondEndOfFile(fileSize: UInt64, regionEnd: UInt64)
    /// fstat or mmap failed.
    case mappingFailed(Errno)
    /// The file can be sealed but F_SEAL_SHRINK could not be added (the error of fcntl(F_ADD_SEALS)).
    case shrinkSealFailed(Errno)
    /// The front-end sealed the file (`seals`) without F_SEAL_SHRINK and with F_SEAL_SEAL: it kept the right to
    /// shrink it under the mapping.
    case sealedWithoutShrinkSeal(seals: Int32)
    /// Two regions overlap in guest physical address space.
    case overlappingGuestAddresses(GuestAddress, GuestAddress)
    /// Two regions overlap in the frontend's virtual address space (SET_VRING_ADDR translation would be ambiguous).
    case overlappingUserAddresses(UInt64, UInt64)
    /// The map would hold more regions than its limit (vhost-user VHOST_USER_GET_MAX_MEM_SLOTS).
    case tooManyRegions(limit: Int)
    /// REM_MEM_REG named a region (guest address, size, user address) that is not in the map.
    case regionNotFound(GuestAddress, size: UInt64, userAddress: UInt64)
}
