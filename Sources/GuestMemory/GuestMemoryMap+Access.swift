import LinuxSystem

// Bounds-checked access to guest memory by guest physical address. Guest RAM is shared with a hostile guest: every
// access is translated and bounds-checked first, integers are little-endian (virtio 1.2 §1.4: "le16/le32/le64"), and
// loads are unaligned-safe because a guest address has no alignment guarantee.
extension GuestMemoryMap {
    /// Loads a little-endian integer at `address`; nil when [address, address + size) is not inside one region.
    @inlinable
    public func load<T: FixedWidthInteger & BitwiseCopyable>(_ type: T.Type, at address: GuestAddress) -> T? {
        guard let pointer = translate(address, length: MemoryLayout<T>.size) else { return nil }
        // SAFETY: translate checked that MemoryLayout<T>.size bytes are mapped from `pointer`; T is a trivial integer,
        // and loadUnaligned has no alignment requirement.
        return T(littleEndian: pointer.loadUnaligned(as: T.self))
    }

    /// Stores `value` little-endian at `address`. Returns false (and writes nothing) when out of bounds.
    @inlinable
    public func store<T: FixedWidthInteger & BitwiseCopyable>(_ value: T, at address: GuestAddress) -> Bool {
        guard let pointer = translate(address, length: MemoryLayout<T>.size) else { return false }
        // SAFETY: translate checked the range; storeBytes(toByteOffset:as:) on a raw pointer has no alignment
        // requirement for trivial types.
        pointer.storeBytes(of: value.littleEndian, as: T.self)
        return true
    }

    /// Copies `buffer.count` bytes from guest memory at `address` into `buffer`.
    ///
    /// The range may span several regions that are contiguous in guest physical address space. Returns false when
    /// part of it is not mapped; `buffer` may then be partly written.
    public func copy(from address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var done = 0
        var current = address
        while done < buffer.count {
            guard let (pointer, available) = hostSpan(at: current), let destination = buffer.baseAddress else {
                return false
            }
            let chunk = Int(min(UInt64(buffer.count &- done), available))
            // SAFETY: hostSpan guarantees `available` mapped bytes from `pointer`; chunk <= remaining buffer space.
            (destination + done).copyMemory(from: pointer, byteCount: chunk)
            done &+= chunk
            guard let next = current.adding(UInt64(chunk)) else { return done == buffer.count }
            current = next
        }
        return true
    }

    /// Copies `buffer` into guest memory at `address`.
    ///
    /// The range may span several regions that are contiguous in guest physical address space. Returns false when
    /// part of it is not mapped; guest memory may then be partly written.
    public func copy(to address: GuestAddress, from buffer: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        var current = address
        while done < buffer.count {
            guard let (pointer, available) = hostSpan(at: current), let source = buffer.baseAddress else {
                return false
            }
            let chunk = Int(min(UInt64(buffer.count &- done), available))
            // SAFETY: hostSpan guarantees `available` mapped bytes from `pointer`; chunk <= remaining source bytes.
            pointer.copyMemory(from: source + done, byteCount: chunk)
            done &+= chunk
            guard let next = current.adding(UInt64(chunk)) else { return done == buffer.count }
            current = next
        }
        return true
    }

    /// Loads a little-endian `UInt16` at `address` with acquire ordering (e.g. avail.idx, virtio 1.2 §2.7.13.3).
    /// Returns nil when out of bounds or not 2-byte aligned (in guest or host address space).
    @inlinable
    public func loadAcquire(_ type: UInt16.Type, at address: GuestAddress) -> UInt16? {
        guard address.isAligned(to: 2), let pointer = translate(address, length: 2),
            UInt(bitPattern: pointer) & 1 == 0
        else { return nil }
        // SAFETY: 2 mapped, 2-aligned bytes; an acquire load through Swift's Atomic.
        return UInt16(littleEndian: SharedMemory.loadAcquireUInt16(pointer))
    }

    /// Loads a little-endian `UInt32` at `address` with acquire ordering. Nil when out of bounds or not 4-aligned.
    @inlinable
    public func loadAcquire(_ type: UInt32.Type, at address: GuestAddress) -> UInt32? {
        guard address.isAligned(to: 4), let pointer = translate(address, length: 4),
            UInt(bitPattern: pointer) & 3 == 0
        else { return nil }
        // SAFETY: 4 mapped, 4-aligned bytes; an acquire load through Swift's Atomic.
        return UInt32(littleEndian: SharedMemory.loadAcquireUInt32(pointer))
    }

    /// Stores `value` little-endian at `address` with release ordering (e.g. used.idx, virtio 1.2 §2.7.8).
    /// Returns false when out of bounds or not 2-byte aligned.
    @inlinable
    public func storeRelease(_ value: UInt16, at address: GuestAddress) -> Bool {
        guard address.isAligned(to: 2), let pointer = translate(address, length: 2),
            UInt(bitPattern: pointer) & 1 == 0
        else { return false }
        // SAFETY: 2 mapped, 2-aligned bytes; a release store through Swift's Atomic.
        SharedMemory.storeReleaseUInt16(pointer, value.littleEndian)
        return true
    }

    /// Stores `value` little-endian at `address` with release ordering. False when out of bounds or not 4-aligned.
    @inlinable
    public func storeRelease(_ value: UInt32, at address: GuestAddress) -> Bool {
        guard address.isAligned(to: 4), let pointer = translate(address, length: 4),
            UInt(bitPattern: pointer) & 3 == 0
        else { return false }
        // SAFETY: 4 mapped, 4-aligned bytes; a release store through Swift's Atomic.
        SharedMemory.storeReleaseUInt32(pointer, value.littleEndian)
        return true
    }
}
