import CLinux
import FSDev
import FUSEWire
import Glibc
import Virtqueue

/// One in-flight request of a queue: the chain's segment storage, its reply writers and what the completion needs
/// to encode the reply. Preallocated and reused: nothing is allocated per request.
///
/// The slot is also the `DirectorySink` of READDIR/READDIRPLUS: entries are encoded straight into guest memory.
final class FUSERequestSlot: DirectorySink {
    /// Index in the dispatcher's table, used as the fsdev completion token.
    let index: Int
    /// Segments of the chain being served (valid while the slot is in use).
    let storage: DescriptorChainStorage
    /// iovecs for READ/WRITE, pointing into guest memory.
    let iovecs: UnsafeMutableBufferPointer<iovec>

    /// A request occupies the slot (between `start` and `finish`).
    var inUse = false
    /// Head of the chain to return to the used ring.
    var head: UInt16 = 0
    /// `unique` of the request, echoed in the reply.
    var unique: UInt64 = 0
    /// The request's opcode.
    var opcode: FUSEOpcode = .lookup
    /// The 16 bytes reserved for `fuse_out_header`.
    var header: ChainWriter?
    /// The reply body after the header.
    var body: ChainWriter?
    /// READDIR/READDIRPLUS: byte limit of the reply body. GETXATTR/LISTXATTR: the size the guest asked for.
    var replyLimit = 0
    /// INIT: the reply prepared by the negotiation, finished when the device mounted.
    var pendingInit = fuse_init_out()

    init(index: Int, segmentCapacity: Int) {
        self.index = index
        storage = DescriptorChainStorage(capacity: segmentCapacity)
        // SAFETY: initialized right below and deallocated in deinit.
        iovecs = .allocate(capacity: segmentCapacity)
        iovecs.initialize(repeating: iovec())
    }

    deinit {
        iovecs.deallocate()
    }

    // MARK: - DirectorySink

    func add(_ entry: DirectoryEntry) -> Bool {
        let plus = opcode == .readdirplus
        let nameLength = entry.name.count
        guard nameLength > 0, nameLength <= FileName.maximumComponentLength else { return true }  // skip, never trap
        let fixed = plus ? 152 : 24  // FUSE_NAME_OFFSET_DIRENTPLUS / FUSE_NAME_OFFSET
        let size = (fixed + nameLength + 7) & ~7
        guard var body, body.bytesWritten + size <= replyLimit, size <= body.remaining else { return false }
        defer { self.body = body }
        do {
            if plus {
                // "." and ".." (and entries the device could not look up) carry node id 0: the kernel then does
                // not instantiate them.
                try body.writeValue(entry.entry?.fuseEntryOut ?? fuse_entry_out())
            }
            try body.writeValue(entry.inode)
            try body.writeValue(entry.nextOffset)
            try body.writeValue(UInt32(nameLength))
            try body.writeValue(entry.type)
            try body.write(entry.name)
            let padding = size - fixed - nameLength
            if padding > 0 {
                let zero: UInt64 = 0
                // SAFETY: padding < 8, the size of `zero`.
                try withUnsafeBytes(of: zero) { (z) throws(VirtqueueError) in
                    try body.write(UnsafeRawBufferPointer(rebasing: z[0..<padding]))
                }
            }
            return true
        } catch {
            // Sizes were checked above; a failure here means the chain is shorter than it said. Stop the listing.
            return false
        }
    }
}

