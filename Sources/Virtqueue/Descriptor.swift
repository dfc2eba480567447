import GuestMemory
import LinuxSystem

/// One split-ring descriptor (virtio 1.2 §2.7.5): `le64 addr; le32 len; le16 flags; le16 next`.
///
/// The guest can rewrite the descriptor table at any time, so a descriptor is read from guest memory exactly once,
/// into this value, and every check is made on the copy (never re-read a guest field).
@frozen
public struct Descriptor: Hashable, Sendable {
    /// Guest physical address of the buffer (or of the indirect table).
    public var address: GuestAddress
    /// Length of the buffer in bytes.
    public var length: UInt32
    /// VIRTQ_DESC_F_* flags.
    public var flags: DescriptorFlags
    /// Index of the next descriptor when `flags` has `.next`.
    public var next: UInt16

    /// Makes a descriptor value (tests and drivers).
    @inlinable
    public init(address: GuestAddress, length: UInt32, flags: DescriptorFlags, next: UInt16) {
        self.address = address
        self.length = length
        self.flags = flags
        self.next = next
    }

    /// Reads the descriptor at `pointer` (16 bytes, any alignment) once.
    ///
    /// The four fields are loaded, then an acquire fence (a compiler barrier on x86) keeps the compiler from
    /// re-loading any of them from guest memory later: the returned value cannot change under the caller.
    @inlinable
    public init(readingOnceFrom pointer: UnsafeRawPointer) {
        // SAFETY: the caller guarantees 16 readable bytes at `pointer` (a translated descriptor table slot).
        // loadUnaligned has no alignment requirement; the values are plain integers.
        let address = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let length = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let flags = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        let next = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        SharedMemory.fenceAcquire()
        self.address = GuestAddress(address)
        self.length = length
        self.flags = DescriptorFlags(rawValue: flags)
        self.next = next
    }

    /// Writes the descriptor at `pointer` (16 bytes, any alignment), little-endian. Used by drivers.
    @inlinable
    public func write(to pointer: UnsafeMutableRawPointer) {
        // SAFETY: the caller guarantees 16 writable bytes at `pointer`.
        pointer.storeBytes(of: address.rawValue.littleEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: length.littleEndian, toByteOffset: 8, as: UInt32.self)
        pointer.storeBytes(of: flags.rawValue.littleEndian, toByteOffset: 12, as: UInt16.self)
        pointer.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }
}
