/// The guest memory table (vhost-user.rst, "Memory regions" and the CONFIGURE_MEM_SLOTS messages).
extension VhostUserRequestHandler {
    /// VHOST_USER_SET_MEM_TABLE: one fd per region, at most the device's slots, regions well formed and apart.
    func setMemoryTable(_ message: VhostUserMessage) throws(VhostUserError) {
        guard let table = MemoryTablePayload(decoding: message.body) else { throw .invalidBody(.setMemTable) }
        guard table.regions.count == message.fds.count else {
            throw .wrongDescriptorCount(request: .setMemTable, expected: table.regions.count, got: message.fds.count)
        }
        guard table.regions.count <= backend.maxMemorySlots else { throw .invalidParameter("too many regions") }
        try table.validate(for: .setMemTable)
        var regions: [VhostUserMemoryRegion] = []
        for (d, fd) in zip(table.regions, message.fds) {
            regions.append(VhostUserMemoryRegion(description: d, descriptor: fd))
        }
        try backend.setMemoryTable(regions)
        memory = table.regions
    }

    /// VHOST_USER_ADD_MEM_REG: a free slot, and the region apart from every mapped one.
    func addMemoryRegion(_ message: VhostUserMessage) throws(VhostUserError) {
        try requireProtocol(.configureMemorySlots, .addMemReg)
        guard let p = SingleMemoryRegionPayload(decoding: message.body), let fd = message.fds.first else {
            throw .invalidBody(.addMemReg)
        }
        guard memory.count < backend.maxMemorySlots else { throw .invalidParameter("no free memory slot") }
        try MemoryRegionPayload.validate(memory + [p.region])
        try backend.addMemoryRegion(VhostUserMemoryRegion(description: p.region, descriptor: fd))
        memory.append(p.region)
    }

    /// VHOST_USER_REM_MEM_REG: the region of the same guest address and size.
    func removeMemoryRegion(_ body: [UInt8]) throws(VhostUserError) {
        try requireProtocol(.configureMemorySlots, .remMemReg)
        let p = try SingleMemoryRegionPayload.decoded(from: body, for: .remMemReg)
        guard let i = memory.firstIndex(where: {
            $0.guestPhysicalAddress == p.region.guestPhysicalAddress && $0.size == p.region.size
        }) else {
            throw .invalidParameter("REM_MEM_REG: no such region")
        }
        try backend.removeMemoryRegion(memory[i])
        memory.remove(at: i)
    }

    /// Whether [address, address + length) lies inside one region's front-end virtual range.
    func userRangeInMemory(_ address: UInt64, length: UInt64) -> Bool {
        guard case (let end, false) = address.addingReportingOverflow(length) else { return false }
        return memory.contains { r in
            address >= r.userAddress && end <= r.userAddress &+ r.size
        }
    }
}
