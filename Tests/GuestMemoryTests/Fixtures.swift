import GuestMemory
import LinuxSystem

/// A memfd of `pages` pages to carve regions from.
func makeBacking(pages: Int = 16) throws -> FileDescriptor {
    try MemFD.create(name: "guest-memory-tests", size: UInt64(pages) * 4096)
}

/// A region of `size` bytes at `gpa`, user address `uva`, from `offset` in `fd`.
func region(
    _ fd: FileDescriptor, gpa: UInt64, size: UInt64 = 4096, uva: UInt64? = nil, offset: UInt64 = 0
) throws -> GuestMemoryRegion {
    try GuestMemoryRegion(
        descriptor: fd, mmapOffset: offset, guestPhysicalAddress: GuestAddress(gpa),
        userAddress: uva ?? (0x7000_0000_0000 + gpa), size: size)
}
