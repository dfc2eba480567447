/// Front-end to back-end request codes (QEMU docs/interop/vhost-user.rst, "Front-end message types").
public enum VhostUserRequest: UInt32, Sendable, CaseIterable {
    /// VHOST_USER_GET_FEATURES (1).
    case getFeatures = 1
    /// VHOST_USER_SET_FEATURES (2).
    case setFeatures = 2
    /// VHOST_USER_SET_OWNER (3).
    case setOwner = 3
    /// VHOST_USER_RESET_OWNER (4).
    case resetOwner = 4
    /// VHOST_USER_SET_MEM_TABLE (5).
    case setMemTable = 5
    /// VHOST_USER_SET_LOG_BASE (6).
    case setLogBase = 6
    /// VHOST_USER_SET_LOG_FD (7).
    case setLogFD = 7
    /// VHOST_USER_SET_VRING_NUM (8).
    case setVringNum = 8
    /// VHOST_USER_SET_VRING_ADDR (9).
    case setVringAddr = 9
    /// VHOST_USER_SET_VRING_BASE (10).
    case setVringBase = 10
    /// VHOST_USER_GET_VRING_BASE (11).
    case getVringBase = 11
    /// VHOST_USER_SET_VRING_KICK (12).
    case setVringKick = 12
    /// VHOST_USER_SET_VRING_CALL (13).
    case setVringCall = 13
    /// VHOST_USER_SET_VRING_ERR (14).
    case setVringErr = 14
    /// VHOST_USER_GET_PROTOCOL_FEATURES (15).
    case getProtocolFeatures = 15
    /// VHOST_USER_SET_PROTOCOL_FEATURES (16).
    case setProtocolFeatures = 16
    /// VHOST_USER_GET_QUEUE_NUM (17).
    case getQueueNum = 17
    /// VHOST_USER_SET_VRING_ENABLE (18).
    case setVringEnable = 18
    /// VHOST_USER_SEND_RARP (19).
    case sendRARP = 19
    /// VHOST_USER_NET_SET_MTU (20).
    case netSetMTU = 20
    /// VHOST_USER_SET_BACKEND_REQ_FD (21), formerly SET_SLAVE_REQ_FD.
    case setBackendReqFD = 21
    /// VHOST_USER_IOTLB_MSG (22).
    case iotlbMsg = 22
    /// VHOST_USER_SET_VRING_ENDIAN (23).
    case setVringEndian = 23
    /// VHOST_USER_GET_CONFIG (24).
    case getConfig = 24
    /// VHOST_USER_SET_CONFIG (25).
    case setConfig = 25
    /// VHOST_USER_CREATE_CRYPTO_SESSION (26).
    case createCryptoSession = 26
    /// VHOST_USER_CLOSE_CRYPTO_SESSION (27).
    case closeCryptoSession = 27
    /// VHOST_USER_POSTCOPY_ADVISE (28).
    case postcopyAdvise = 28
    /// VHOST_USER_POSTCOPY_LISTEN (29).
    case postcopyListen = 29
    /// VHOST_USER_POSTCOPY_END (30).
    case postcopyEnd = 30
    /// VHOST_USER_GET_INFLIGHT_FD (31).
    case getInflightFD = 31
    /// VHOST_USER_SET_INFLIGHT_FD (32).
    case setInflightFD = 32
    /// VHOST_USER_GPU_SET_SOCKET (33).
    case gpuSetSocket = 33
    /// VHOST_USER_RESET_DEVICE (34).
    case resetDevice = 34
    /// VHOST_USER_VRING_KICK (35).
    case vringKick = 35
    /// VHOST_USER_GET_MAX_MEM_SLOTS (36).
    case getMaxMemSlots = 36
    /// VHOST_USER_ADD_MEM_REG (37).
    case addMemReg = 37
    /// VHOST_USER_REM_MEM_REG (38).
    case remMemReg = 38
    /// VHOST_USER_SET_STATUS (39).
    case setStatus = 39
    /// VHOST_USER_GET_STATUS (40).
    case getStatus = 40
}
