/// Who asks: the caller's credentials as the guest kernel reports them (FUSE's in-header and create extensions).
/// Creation operations run under `uid`/`gid` (and `supplementaryGroup`) with `umask` applied.
public struct RequestContext: Sendable, Equatable {
    /// Caller's effective user id.
    public var uid: UInt32
    /// Caller's effective group id.
    public var gid: UInt32
    /// Caller's process id (in the guest); informational, and the owner of POSIX locks it takes.
    public var pid: UInt32
    /// The umask to apply to created files (FUSE sends it when the kernel does not apply it itself).
    public var umask: UInt32
    /// One supplementary group of the caller (FUSE_CREATE_SUPP_GROUP), honoured during creation.
    public var supplementaryGroup: UInt32?

    @inlinable
    public init(uid: UInt32, gid: UInt32, pid: UInt32 = 0, umask: UInt32 = 0, supplementaryGroup: UInt32? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.umask = umask
        self.supplementaryGroup = supplementaryGroup
    }

    /// Root with umask 0 (control-plane requests, tests).
    public static let root = RequestContext(uid: 0, gid: 0)
}
