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
    /// The caller lacks CAP_FSETID and the guest kernel left it to the daemon to clear set-user-ID and
    /// set-group-ID bits (FUSE_HANDLE_KILLPRIV_V2: FUSE_WRITE_KILL_SUIDGID on WRITE, FATTR_KILL_SUIDGID on a
    /// SETATTR that truncates or changes the owner, FUSE_OPEN_KILL_SUIDGID on OPEN or CREATE with O_TRUNC). The
    /// device clears them as the kernel would for such a caller: set-user-ID always, set-group-ID when the group
    /// may execute, regular files only.
    public var killSetIDBits: Bool

    @inlinable
    public init(uid: UInt32, gid: UInt32, pid: UInt32 = 0, umask: UInt32 = 0, supplementaryGroup: UInt32? = nil,
                killSetIDBits: Bool = false) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.umask = umask
        self.supplementaryGroup = supplementaryGroup
        self.killSetIDBits = killSetIDBits
    }

    /// Root with umask 0 (control-plane requests, tests).
    public static let root = RequestContext(uid: 0, gid: 0)
}
