import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// What the probe at creation found: the root's handle, its mount and a descriptor to open handles on it.
    struct FileHandleProbe {
        let handle: KernelFileHandle
        let mountID: UInt64
        let kind: FileSystemCall.MountIDKind
        let mountDescriptor: FileDescriptor
    }

    /// Checks at creation that nodes can be identified by handles: the root has one (with a unique mount id when
    /// the kernel has them, Linux 6.12), and it opens again with open_by_handle_at (CAP_DAC_READ_SEARCH).
    static func probeFileHandles(root: FileDescriptor, procSelfFD: FileDescriptor) -> Result<FileHandleProbe, Errno> {
        Result { () throws(Errno) -> FileHandleProbe in
            var kind = FileSystemCall.MountIDKind.unique
            let identity: (handle: KernelFileHandle, mountID: UInt64)
            do throws(Errno) {
                identity = try FileSystemCall.fileHandle(of: root.rawValue, mountID: .unique)
            } catch {
                // Before Linux 6.12: AT_HANDLE_MNT_ID_UNIQUE is EINVAL.
                guard error == .invalidArgument else { throw error }
                kind = .classic
                identity = try FileSystemCall.fileHandle(of: root.rawValue, mountID: .classic)
            }
            let mount = try reopen(root, procSelfFD: procSelfFD, options: .directory)
            _ = try mount.use { (m) throws(Errno) in
                try FileSystemCall.open(handle: identity.handle, mount: m, options: [.path, .noFollow])
            }
            return FileHandleProbe(handle: identity.handle, mountID: identity.mountID, kind: kind,
                                   mountDescriptor: mount)
        }
    }

    /// The descriptor cache size for a process whose soft RLIMIT_NOFILE is `limit`: half of it, between 64 and
    /// 65,536 (BENCHMARKS.md, "File handles": a hit costs what an O_PATH node costs, a miss one open_by_handle_at),
    /// leaving the other half to open files, channels and the control path.
    public static func defaultDescriptorCacheSize(limit: UInt64? = nil) -> Int {
        let soft = limit ?? (try? ResourceLimit.openDescriptors().soft) ?? 1024
        return Int(min(max(soft / 2, 64), 65_536))
    }

    /// Reopens the inode of an O_PATH descriptor with `access` and `options` through /proc/self/fd (the very
    /// inode, race-free).
    static func reopen(_ descriptor: FileDescriptor, procSelfFD: FileDescriptor, access: OpenAccess = .readOnly,
                       options: OpenOptions) throws(Errno) -> FileDescriptor {
        try descriptor.use { (raw) throws(Errno) in
            try ProcPath.with(raw, relative: true) { (name) throws(Errno) in
                try procSelfFD.use { (proc) throws(Errno) in
                    try FileSystemCall.open(name, relativeTo: proc, access: access, options: options)
                }
            }
        }
    }

    /// How a looked-up inode is identified: its handle when the device uses handles and the filesystem gives
    /// one; (device, inode) otherwise (with `.mandatory`, a filesystem without handles is EOPNOTSUPP).
    func identity(of descriptor: FileDescriptor, inodeKey: InodeKey) throws(Errno) -> NodeIdentity {
        guard case .on(let kind) = fileHandleSupport else { return .inode(inodeKey) }
        do throws(Errno) {
            let (handle, mountID) = try descriptor.use { (raw) throws(Errno) in
                try FileSystemCall.fileHandle(of: raw, mountID: kind)
            }
            return .handle(handle, mountID: mountID)
        } catch {
            // This filesystem (a submount) exports no handles, or too long ones: for good, not now and then.
            guard error == .notSupported || error == .overflow else { throw error }
            if options.fileHandles == .mandatory { throw .notSupported }
            return .inode(inodeKey)
        }
    }

    /// A descriptor to open handles on the mount of `descriptor`'s inode: the inode itself reopened for reading,
    /// if it is a directory or a regular file (never a device, FIFO or socket). Nil when it is neither.
    func mountDescriptor(from descriptor: FileDescriptor, fileType: UInt32) throws(Errno) -> FileDescriptor? {
        let options: OpenOptions
        switch fileType {
        case FileType.directory: options = .directory
        case FileType.regular: options = [.nonBlocking, .noControllingTerminal]
        default: return nil
        }
        return try reopen(descriptor, options: options)
    }

    /// `FileSystemCall.open`, once more after evicting cached node descriptors when the process is out of
    /// descriptors (EMFILE, ENFILE).
    func openFile(_ name: UnsafePointer<CChar>, relativeTo directory: CInt, access: OpenAccess = .readOnly,
                  options: OpenOptions, mode: mode_t = 0) throws(Errno) -> FileDescriptor {
        try nodes.retryingOnShortage { () throws(Errno) in
            try FileSystemCall.open(name, relativeTo: directory, access: access, options: options, mode: mode)
        }
    }
}
