import Glibc
import LinuxSystem
import VhostUser

/// The front-end (driver) side of vhost-user, as QEMU speaks it: connects to a back-end's socket, negotiates,
/// sends memory tables and ring set-up, and reads replies. It drives any vhost-user back-end, not only ours.
///
/// With REPLY_ACK negotiated, every request without a reply of its own is sent with NEED_REPLY and its status is
/// checked, so a refusal surfaces as a thrown error at the call that caused it.
public final class VhostUserFrontend {
    /// Errors of the front-end.
    public enum Failure: Error, Equatable {
        /// The back-end answered a request with a non-zero REPLY_ACK status.
        case refused(VhostUserRequest, status: UInt64)
        /// No reply within the timeout.
        case timeout(VhostUserRequest)
        /// A reply of the wrong shape.
        case badReply(VhostUserRequest)
        /// A protocol or socket error.
        case protocolError(VhostUserError)
        /// The socket could not be reached.
        case connect(Errno)
    }

    /// The framed connection.
    public let connection: VhostUserConnection
    /// Milliseconds to wait for each reply.
    public var replyTimeoutMilliseconds: Int32 = 10_000
    /// Protocol features acknowledged to the back-end.
    public private(set) var protocolFeatures: VhostUserProtocolFeatures = []
    /// Whether requests without a reply of their own carry NEED_REPLY (needs REPLY_ACK negotiated).
    public var requestAcks = true

    /// Connects to `path`, retrying for up to `timeoutMilliseconds` while the back-end starts.
    public init(socketPath path: String, timeoutMilliseconds: Int = 10_000) throws(Failure) {
        var waited = 0
        while true {
            switch Result(catching: { () throws(Errno) in try UnixSocket.connect(path: path) }) {
            case .success(let s):
                connection = VhostUserConnection(socket: s)
                return
            case .failure(let e):
                if (e != .noSuchFileOrDirectory && e != .connectionRefused) || waited >= timeoutMilliseconds {
                    throw .connect(e)
                }
                usleep(20_000)
                waited += 20
            }
        }
    }

    /// Uses an already connected socket.
    public init(socket: UnixSocket) {
        connection = VhostUserConnection(socket: socket)
    }

    // MARK: - Raw messages

    /// Sends a request as is, for hostile-input tests: any code, flags, body and fds.
    public func sendRaw(request: UInt32, flags: UInt32 = VhostUserHeader.version, body: [UInt8] = [],
                        fds: [CInt] = []) throws(Failure) {
        do { try connection.send(request: request, flags: flags, body: body, fds: fds) } catch {
            throw .protocolError(error)
        }
    }

    /// Waits for and receives one message; nil when the back-end closed the connection.
    public func receiveRaw(timeoutMilliseconds: Int32? = nil) throws(Failure) -> VhostUserMessage? {
        let ready: Bool
        do { ready = try connection.socket.waitReadable(timeoutMilliseconds: timeoutMilliseconds ?? replyTimeoutMilliseconds) }
        catch { throw .protocolError(.socket(error)) }
        guard ready else { throw .timeout(.getFeatures) }
        do { return try connection.receive() } catch .disconnected { return nil } catch { throw .protocolError(error) }
    }

    /// Whether the back-end has closed the connection (EOF readable within the timeout).
    public func isClosedByPeer(timeoutMilliseconds: Int32 = 2_000) -> Bool {
        guard let ready = try? connection.socket.waitReadable(timeoutMilliseconds: timeoutMilliseconds), ready else {
            return false
        }
        var b: UInt8 = 0
        let n = withUnsafeMutableBytes(of: &b) { Glibc.recv(connection.socket.rawValue, $0.baseAddress, 1, Int32(MSG_PEEK)) }
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    /// Sends `request` and returns its reply body (for requests with a reply) or checks its REPLY_ACK status.
    @discardableResult
    public func send(_ request: VhostUserRequest, body: [UInt8] = [], fds: [CInt] = []) throws(Failure) -> [UInt8] {
        let ownReply = VhostUserRequestHandler.hasOwnReply(request)
        let ack = !ownReply && requestAcks && protocolFeatures.contains(.replyAck)
        let flags = VhostUserHeader.version | (ack ? VhostUserHeader.needReplyFlag : 0)
        try sendRaw(request: request.rawValue, flags: flags, body: body, fds: fds)
        guard ownReply || ack else { return [] }
        guard let reply = try receiveRaw() else { throw .protocolError(.disconnected) }
        guard reply.header.request == request.rawValue, reply.header.flags & VhostUserHeader.replyFlag != 0 else {
            throw .badReply(request)
        }
        if ack {
            var r = WireReader(reply.body)
            guard reply.body.count == 8, let status = r.u64() else { throw .badReply(request) }
            if status != 0 { throw .refused(request, status: status) }
        }
        return reply.body
    }

    private func u64Reply(_ request: VhostUserRequest) throws(Failure) -> UInt64 {
        let body = try send(request)
        var r = WireReader(body)
        guard body.count == 8, let v = r.u64() else { throw .badReply(request) }
        return v
    }

    // MARK: - Requests

    /// GET_FEATURES.
    public func getFeatures() throws(Failure) -> VirtioFeatures { VirtioFeatures(rawValue: try u64Reply(.getFeatures)) }
    /// SET_FEATURES.
    public func setFeatures(_ f: VirtioFeatures) throws(Failure) {
        try send(.setFeatures, body: WireWriter.u64Body(f.rawValue))
    }
    /// GET_PROTOCOL_FEATURES.
    public func getProtocolFeatures() throws(Failure) -> VhostUserProtocolFeatures {
        VhostUserProtocolFeatures(rawValue: try u64Reply(.getProtocolFeatures))
    }
    /// SET_PROTOCOL_FEATURES; later requests use REPLY_ACK if it is among `f`.
    public func setProtocolFeatures(_ f: VhostUserProtocolFeatures) throws(Failure) {
        try send(.setProtocolFeatures, body: WireWriter.u64Body(f.rawValue))
        protocolFeatures = f
    }
    /// SET_OWNER.
    public func setOwner() throws(Failure) { try send(.setOwner) }
    /// RESET_DEVICE.
    public func resetDevice() throws(Failure) { try send(.resetDevice) }
    /// GET_QUEUE_NUM.
    public func getQueueNum() throws(Failure) -> UInt64 { try u64Reply(.getQueueNum) }
    /// GET_MAX_MEM_SLOTS.
    public func getMaxMemSlots() throws(Failure) -> UInt64 { try u64Reply(.getMaxMemSlots) }
    /// SET_MEM_TABLE with one fd per region.
    public func setMemTable(_ regions: [(MemoryRegionPayload, CInt)]) throws(Failure) {
        try send(.setMemTable, body: MemoryTablePayload(regions: regions.map(\.0)).encoded, fds: regions.map(\.1))
    }
    /// ADD_MEM_REG.
    public func addMemoryRegion(_ region: MemoryRegionPayload, fd: CInt) throws(Failure) {
        try send(.addMemReg, body: SingleMemoryRegionPayload(region: region).encoded, fds: [fd])
    }
    /// REM_MEM_REG (without an fd, as QEMU sends it).
    public func removeMemoryRegion(_ region: MemoryRegionPayload) throws(Failure) {
        try send(.remMemReg, body: SingleMemoryRegionPayload(region: region).encoded)
    }
    /// SET_VRING_NUM.
    public func setVringNum(_ index: Int, _ size: Int) throws(Failure) {
        try send(.setVringNum, body: VringStatePayload(index: UInt32(index), num: UInt32(size)).encoded)
    }
    /// SET_VRING_ADDR.
    public func setVringAddr(_ address: VringAddressPayload) throws(Failure) {
        try send(.setVringAddr, body: address.encoded)
    }
    /// SET_VRING_BASE.
    public func setVringBase(_ index: Int, _ base: UInt16) throws(Failure) {
        try send(.setVringBase, body: VringStatePayload(index: UInt32(index), num: UInt32(base)).encoded)
    }
    /// GET_VRING_BASE: stops the ring; returns its next available index.
    public func getVringBase(_ index: Int) throws(Failure) -> UInt32 {
        let body = try send(.getVringBase, body: VringStatePayload(index: UInt32(index), num: 0).encoded)
        guard let s = VringStatePayload(decoding: body), s.index == UInt32(index) else { throw .badReply(.getVringBase) }
        return s.num
    }
    /// SET_VRING_KICK (nil: polling, the no-fd flag).
    public func setVringKick(_ index: Int, _ fd: CInt?) throws(Failure) { try sendVringFD(.setVringKick, index, fd) }
    /// SET_VRING_CALL (nil: no fd).
    public func setVringCall(_ index: Int, _ fd: CInt?) throws(Failure) { try sendVringFD(.setVringCall, index, fd) }
    /// SET_VRING_ERR (nil: no fd).
    public func setVringErr(_ index: Int, _ fd: CInt?) throws(Failure) { try sendVringFD(.setVringErr, index, fd) }

    /// The u64 index + no-fd flag body of SET_VRING_KICK/CALL/ERR, with `fd` attached when there is one.
    private func sendVringFD(_ request: VhostUserRequest, _ index: Int, _ fd: CInt?) throws(Failure) {
        let payload = VringFileDescriptorPayload(index: UInt8(index), hasFD: fd != nil)
        try send(request, body: WireWriter.u64Body(payload.rawValue), fds: fd.map { [$0] } ?? [])
    }
    /// SET_VRING_ENABLE.
    public func setVringEnable(_ index: Int, _ enabled: Bool) throws(Failure) {
        try send(.setVringEnable, body: VringStatePayload(index: UInt32(index), num: enabled ? 1 : 0).encoded)
    }
    /// GET_CONFIG of `size` bytes at `offset`.
    public func getConfig(offset: UInt32, size: Int) throws(Failure) -> [UInt8] {
        let body = try send(.getConfig, body: ConfigPayload(offset: offset, payload: [UInt8](repeating: 0, count: size)).encoded)
        guard let c = ConfigPayload(decoding: body), c.payload.count == size else { throw .badReply(.getConfig) }
        return c.payload
    }
    /// SET_STATUS.
    public func setStatus(_ status: UInt8) throws(Failure) {
        try send(.setStatus, body: WireWriter.u64Body(UInt64(status)))
    }
    /// GET_STATUS.
    public func getStatus() throws(Failure) -> UInt8 { UInt8(truncatingIfNeeded: try u64Reply(.getStatus)) }

    // MARK: - Negotiation

    /// What `negotiate` agreed with the back-end.
    public struct Negotiated: Sendable {
        /// The back-end's offered virtio features.
        public var offeredFeatures: VirtioFeatures
        /// Protocol features acknowledged.
        public var protocolFeatures: VhostUserProtocolFeatures
        /// GET_QUEUE_NUM (nil without MQ).
        public var queueCount: Int?
        /// GET_MAX_MEM_SLOTS (nil without CONFIGURE_MEM_SLOTS).
        public var maxMemorySlots: Int?
    }

    /// Protocol features QEMU 7.2's vhost-user front-end knows and would acknowledge for vhost-user-fs.
    public static let qemuProtocolFeatures: VhostUserProtocolFeatures = [
        .multiQueue, .replyAck, .backendRequests, .configureMemorySlots, .resetDevice, .status, .inflightSharedMemory,
        .logSharedMemory,
    ]

    /// The start of QEMU 7.2's handshake (vhost_user_backend_init + vhost_dev_init): GET_FEATURES,
    /// GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_MAX_MEM_SLOTS, SET_OWNER.
    public func negotiate(wantedProtocolFeatures: VhostUserProtocolFeatures = qemuProtocolFeatures)
        throws(Failure) -> Negotiated
    {
        let features = try getFeatures()
        var result = Negotiated(offeredFeatures: features, protocolFeatures: [], queueCount: nil, maxMemorySlots: nil)
        if features.contains(.protocolFeatures) {
            let offered = try getProtocolFeatures()
            let acked = offered.intersection(wantedProtocolFeatures)
            try setProtocolFeatures(acked)
            result.protocolFeatures = acked
            if acked.contains(.multiQueue) { result.queueCount = Int(try getQueueNum()) }
            if acked.contains(.configureMemorySlots) { result.maxMemorySlots = Int(try getMaxMemSlots()) }
        }
        try setOwner()
        return result
    }
}
