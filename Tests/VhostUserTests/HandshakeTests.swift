import Glibc
import LinuxSystem
import Testing
import VhostUser
import VhostUserTestKit

/// Sets up `queues` rings the way QEMU 7.2 does in vhost_dev_start.
func startRings(_ fe: VhostUserFrontend, _ mem: TestMemory, queues: Int, events: inout [EventFD]) throws {
    let base = mem.regions[0].0.userAddress
    for q in 0..<queues {
        let ringBase = base + UInt64(q) * 0x10000
        try fe.setVringNum(q, 256)
        try fe.setVringBase(q, 0)
        try fe.setVringAddr(VringAddressPayload(index: UInt32(q), descriptorTable: ringBase, usedRing: ringBase + 0x8000,
                                                availableRing: ringBase + 0x4000))
        let kick = try EventFD()
        let call = try EventFD()
        events += [kick, call]
        try fe.setVringKick(q, kick.rawValue)
        try fe.setVringCall(q, call.rawValue)
        try fe.setVringEnable(q, true)
    }
}

/// The full QEMU-like handshake; returns the eventfds the rings use (keep them alive).
@discardableResult
func handshake(_ fe: VhostUserFrontend, _ mem: TestMemory, queues: Int = 5) throws -> [EventFD] {
    let n = try fe.negotiate()
    try fe.setFeatures(n.offeredFeatures.intersection([.version1, .ringEventIndex, .ringIndirectDescriptors,
                                                        .protocolFeatures]))
    try fe.setMemTable(mem.table)
    var events: [EventFD] = []
    try startRings(fe, mem, queues: queues, events: &events)
    return events
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct HandshakeTests {
    @Test func fullHandshakeStartsHiprioAndFourRequestQueues() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        let n = try fe.negotiate()
        #expect(n.offeredFeatures.contains([.version1, .ringEventIndex, .ringIndirectDescriptors, .protocolFeatures]))
        #expect(n.protocolFeatures.contains([.multiQueue, .replyAck, .configureMemorySlots]))
        #expect(n.queueCount == 5)
        #expect(n.maxMemorySlots == 509)
        try fe.setFeatures([.version1, .ringEventIndex, .protocolFeatures])
        try fe.setMemTable(mem.table)
        var events: [EventFD] = []
        try startRings(fe, mem, queues: 5, events: &events)
        let started = h.backend.state.withLock { $0.started }
        #expect(started.keys.sorted() == [0, 1, 2, 3, 4])
        #expect(started[3]?.size == 256)
        #expect(started[3]?.features.contains(.ringEventIndex) == true)
        #expect(h.backend.state.withLock { $0.mappings.count } == 2)
    }

    @Test func configSpaceCarriesTheTag() throws {
        let h = try ServerHarness(backend: RecordingBackend(queueCount: 3, tag: "myshare"))
        defer { h.stop() }
        let fe = try h.frontend()
        _ = try fe.negotiate(wantedProtocolFeatures: VhostUserFrontend.qemuProtocolFeatures.union(.config))
        let cfg = try fe.getConfig(offset: 0, size: 40)
        #expect(Array(cfg[0..<7]) == Array("myshare".utf8))
        #expect(cfg[36] == 2)
        // Out of range reads close the connection rather than returning garbage.
        #expect(throws: VhostUserFrontend.Failure.self) { _ = try fe.getConfig(offset: 30, size: 40) }
    }

    @Test func configIsOfferedOnlyByADeviceThatOffersItsConfigSpace() throws {
        let h = try ServerHarness(backend: RecordingBackend(queueCount: 3, offersConfigSpace: false))
        defer { h.stop() }
        let fe = try h.frontend()
        let offered = try fe.getProtocolFeatures()
        #expect(!offered.contains(.config), "QEMU warns about CONFIG it does not use")
        #expect(offered.contains([.multiQueue, .replyAck, .configureMemorySlots]))
        // A front-end that acknowledges CONFIG anyway gets the offer's intersection, and GET_CONFIG is refused.
        _ = try fe.negotiate(wantedProtocolFeatures: VhostUserFrontend.qemuProtocolFeatures.union(.config))
        #expect(throws: VhostUserFrontend.Failure.self) { _ = try fe.getConfig(offset: 0, size: 40) }
    }

    @Test func ringsStartOnlyWhenEnabledWithProtocolFeatures() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        _ = try fe.negotiate()
        try fe.setFeatures([.version1, .protocolFeatures])
        try fe.setMemTable(mem.table)
        let base = mem.regions[0].0.userAddress
        try fe.setVringNum(1, 128)
        try fe.setVringAddr(VringAddressPayload(index: 1, descriptorTable: base, usedRing: base + 0x2000,
                                                availableRing: base + 0x1000))
        let kick = try EventFD()
        try fe.setVringKick(1, kick.rawValue)
        #expect(h.backend.state.withLock { $0.started.isEmpty })
        try fe.setVringEnable(1, true)
        #expect(h.backend.state.withLock { $0.started.keys.sorted() } == [1])
        try fe.setVringEnable(1, false)
        #expect(h.backend.state.withLock { $0.started.isEmpty })
    }

    @Test func ringsStartEnabledWithoutProtocolFeatures() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        _ = try fe.getFeatures()
        try fe.setOwner()
        try fe.setFeatures([.version1])
        try fe.setMemTable(mem.table)
        let base = mem.regions[0].0.userAddress
        try fe.setVringNum(0, 64)
        try fe.setVringAddr(VringAddressPayload(index: 0, descriptorTable: base, usedRing: base + 0x2000,
                                                availableRing: base + 0x1000))
        let kick = try EventFD()
        try fe.setVringKick(0, kick.rawValue)
        // No REPLY_ACK: a GET round trip orders us after the kick.
        _ = try fe.getFeatures()
        #expect(h.backend.state.withLock { $0.started.keys.sorted() } == [0])
    }

    @Test func getVringBaseStopsAndSetVringBaseRestarts() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        var events = try handshake(fe, mem)
        let base = try fe.getVringBase(2)
        #expect(base == 3)  // the recording device consumed 3 chains
        #expect(h.backend.state.withLock { $0.started[2] } == nil)
        // Stopped until the next kick, even though still enabled.
        try fe.setVringBase(2, UInt16(base))
        #expect(h.backend.state.withLock { $0.started[2] } == nil)
        let kick = try EventFD()
        events.append(kick)
        try fe.setVringKick(2, kick.rawValue)
        #expect(h.backend.state.withLock { $0.started[2]?.nextAvailIndex } == 3)
        // A stopped ring's base survives a second GET_VRING_BASE.
        #expect(try fe.getVringBase(2) == 6)
        #expect(try fe.getVringBase(2) == 6)
    }

    @Test func memoryTableChangesWhileRingsRun() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        let events = try handshake(fe, mem)
        _ = events
        let extra = try MemFD.create(name: "hotplug", size: 1 << 20)
        let region = MemoryRegionPayload(guestPhysicalAddress: 0x1_0000_0000, size: 1 << 20,
                                         userAddress: 0x7e00_0000_0000, mmapOffset: 0)
        try fe.addMemoryRegion(region, fd: extra.rawValue)
        #expect(h.backend.state.withLock { $0.mappings.count } == 3)
        // Overlapping the one just added is refused; the table is unchanged.
        #expect(throws: VhostUserFrontend.Failure.refused(.addMemReg, status: 1)) {
            try fe.addMemoryRegion(MemoryRegionPayload(guestPhysicalAddress: 0x1_0008_0000, size: 1 << 20,
                                                       userAddress: 0x7d00_0000_0000, mmapOffset: 0),
                                   fd: extra.rawValue)
        }
        try fe.removeMemoryRegion(region)
        #expect(h.backend.state.withLock { $0.mappings.count } == 2)
        #expect(throws: VhostUserFrontend.Failure.refused(.remMemReg, status: 1)) { try fe.removeMemoryRegion(region) }
        // A whole new table while rings run.
        let mem2 = try TestMemory(sizes: [1 << 21])
        try fe.setMemTable(mem2.table)
        #expect(h.backend.state.withLock { $0.mappings.count } == 1)
        #expect(h.backend.state.withLock { $0.started.count } == 5)
    }

    @Test func resetDeviceStopsEverything() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        let mem = try TestMemory()
        _ = try handshake(fe, mem)
        try fe.resetDevice()
        #expect(h.backend.state.withLock { $0.started.isEmpty && $0.mappings.isEmpty })
        // The owner is kept across RESET_DEVICE: SET_OWNER again is refused, the rest of the set-up works.
        #expect(throws: VhostUserFrontend.Failure.refused(.setOwner, status: 1)) { try fe.setOwner() }
        try fe.setFeatures([.version1, .protocolFeatures])
        try fe.setMemTable(mem.table)
        var events: [EventFD] = []
        try startRings(fe, mem, queues: 2, events: &events)
        #expect(h.backend.state.withLock { $0.started.count } == 2)
    }

    @Test func statusBackendChannelAndLogRequests() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let fe = try h.frontend()
        _ = try fe.negotiate()
        #expect(fe.protocolFeatures.contains(.status))
        #expect(try fe.getStatus() == 0)
        try fe.setStatus(0x0f)  // ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK
        #expect(try fe.getStatus() == 0x0f)
        // SET_BACKEND_REQ_FD is accepted (and kept) even though BACKEND_REQ is not offered.
        let (ours, _) = try UnixSocket.pair()
        try fe.send(.setBackendReqFD, fds: [ours.rawValue])
        // Dirty logging needs LOG_SHMFD, which is not offered: SET_LOG_FD is refused, the connection goes on.
        let log = try MemFD.create(name: "log", size: 4096)
        #expect(throws: VhostUserFrontend.Failure.refused(.setLogFD, status: 1)) {
            try fe.send(.setLogFD, fds: [log.rawValue])
        }
        // RESET_DEVICE clears the status.
        try fe.resetDevice()
        #expect(try fe.getStatus() == 0)
    }
}
