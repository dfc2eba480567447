import FSDev

/// What a request decoder hands the dispatcher: the operation to submit and the request flags that go into its
/// `RequestContext`.
struct FUSESubmission {
    /// The operation for the fsdev channel.
    var operation: FSOperation
    /// The caller's umask (CREATE, MKNOD, MKDIR, TMPFILE).
    var umask: UInt32 = 0
    /// The request's KILL_SUIDGID flag; honoured only when FUSE_HANDLE_KILLPRIV_V2 was agreed at INIT.
    var killSetID = false

    init(_ operation: FSOperation, umask: UInt32 = 0, killSetID: Bool = false) {
        self.operation = operation
        self.umask = umask
        self.killSetID = killSetID
    }
}
