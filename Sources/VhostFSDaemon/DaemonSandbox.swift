import FSDevAIO
import Glibc
import LinuxSystem
import Logging

/// Enters the sandbox `--sandbox` asks for, virtiofsd's way (its sandbox.rs), with a supervisor left outside.
///
/// `namespace`: the process unshares a PID namespace and forks. The parent stays outside as the supervisor
/// (`DaemonSupervisor`); the child is PID 1 of the new PID namespace, unshares mount, network and IPC namespaces,
/// makes every mount a slave (nothing propagates back to the host), mounts a fresh /proc and bind-mounts its
/// /proc/self/fd over /proc, keeps one descriptor of that, bind-mounts the shared directory on itself (nodev and
/// nosuid, read-only too with `--readonly`, submounts included), pivots into it and detaches the old root with
/// everything under it. What is left: the share as "/", a /proc/self/fd
/// descriptor whose ".." leads nowhere, no network but a loopback that is down, no host PIDs. nodev means that a
/// device node in the share (a guest may MKNOD one; root file systems need them) cannot be opened by the daemon
/// even if it were compromised: it keeps CAP_MKNOD, and a node of the host's disk would otherwise be a way out.
/// An ordinary user (not root, no CAP_SYS_ADMIN) first enters a user namespace of its own (`DaemonUserNamespace`),
/// which then owns the other namespaces: supervisor and daemon both run in it, the supervisor with the user's
/// rights on the host, the daemon with capabilities over the namespace only. The steps after it are the same.
///
/// `chroot`: the process forks the same supervisor; the child keeps a descriptor of /proc/self/fd and chroots
/// into the share. Weaker: a compromised daemon could walk out through that /proc descriptor.
///
/// Threads: must be called while the process has exactly one thread. Namespaces and the root are per thread (task)
/// and a fork copies only the calling thread, so a thread started before would stay outside, and `unshare` of a
/// mount namespace fails in a process whose threads share their fs_struct. The check is made, not assumed.
enum DaemonSandbox {
    /// Where the daemon runs after `enter`.
    struct Confinement {
        /// The shared directory as the daemon names it now: "/" inside a sandbox.
        let rootPath: String
        /// A descriptor of /proc/self/fd opened before the root changed; nil without a sandbox.
        let procSelfFD: FileDescriptor?
        /// Whether a supervisor outside the sandbox removes the socket and reports how the daemon ended.
        let supervised: Bool
        /// One line for the start-up log.
        let description: String
        /// The user namespace an ordinary user's namespace sandbox runs in; nil otherwise.
        var userNamespace: DaemonUserNamespace? = nil
    }

    /// Why the sandbox could not be entered: one line, exit status 1.
    struct Failure: Error, CustomStringConvertible {
        let description: String

        init(_ mode: DaemonConfiguration.Sandbox, _ step: String, _ error: any Error, hint: String? = nil) {
            self.init(mode, step, reason: "\(error)", hint: hint)
        }

        /// - Parameter hint: what to do about it; nil for the mode's usual advice.
        init(_ mode: DaemonConfiguration.Sandbox, _ step: String, reason: String, hint: String? = nil) {
            let advice = hint ?? Self.defaultHint(mode)
            description = "cannot enter the \(mode.rawValue) sandbox: \(step): \(reason)"
                + (advice.isEmpty ? "" : " (\(advice))")
        }

        private static func defaultHint(_ mode: DaemonConfiguration.Sandbox) -> String {
            switch mode {
            case .namespace:
                "namespaces need root or CAP_SYS_ADMIN; --sandbox=chroot is the fallback where they are not "
                    + "allowed, --sandbox=none runs without a sandbox"
            case .chroot:
                geteuid() == 0
                    ? ""
                    : "chroot needs root or CAP_SYS_CHROOT; an ordinary user's --sandbox=namespace (the default) "
                        + "runs in a user namespace of its own"
            case .none: ""
            }
        }

        /// The advice for a step of the namespace sandbox inside a user namespace of its own.
        static let rootlessHint =
            "an ordinary user's namespace sandbox runs in a user namespace of its own, whose capabilities AppArmor "
            + "(kernel.apparmor_restrict_unprivileged_userns=1) or a container's policy may deny; start as root, or "
            + "use --sandbox=none"
    }

    /// Enters `mode`. In the parent of a sandbox this never returns: it becomes the supervisor.
    ///
    /// - Parameters:
    ///   - mode: the sandbox.
    ///   - sharedDirectory: the shared directory, an absolute real path.
    ///   - readOnly: mount the share read-only inside the sandbox (`--readonly`).
    ///   - uidMap: `--uid-map`, the user namespace's uid map when an ordinary user enters the namespace sandbox.
    ///   - gidMap: `--gid-map`, likewise.
    ///   - listener: the listening socket; the supervisor closes its copy.
    ///   - socketFile: the socket file the daemon created, which the supervisor removes when the daemon ends.
    ///   - signals: the signals blocked in every thread (termination signals and SIGCHLD).
    ///   - logger: for the supervisor's report.
    /// - Returns: in the daemon, where it now runs.
    static func enter(
        _ mode: DaemonConfiguration.Sandbox, sharedDirectory: String, readOnly: Bool,
        uidMap: [NamespaceIDRange] = [], gidMap: [NamespaceIDRange] = [], listener: UnixSocket,
        socketFile: DaemonSocket.CreatedFile?, signals: sigset_t, logger: Logger
    ) throws(Failure) -> Confinement {
        if mode == .none {
            return Confinement(rootPath: sharedDirectory, procSelfFD: nil, supervised: false,
                               description: "sandbox none")
        }
        let forked: Forked
        do {
            forked = try forkSupervisor(mode, uidMap: uidMap, gidMap: gidMap)
        } catch {
            socketFile?.removeIfUnchanged()  // no supervisor yet to do it
            throw error
        }
        if forked.child != 0 {
            // The supervisor: its copy of the listening socket would keep accepting connections nobody serves.
            _ = Glibc.close(listener.rawValue)
            DaemonSupervisor.run(child: forked.child, signals: signals, socketFile: socketFile, logger: logger,
                                 userNamespace: forked.userNamespace != nil)
        }
        // From here on the daemon is the child; a failure ends it, and the supervisor removes the socket.
        try watchSupervisor(forked.parent, mode)
        closeInheritedDirectories()
        switch mode {
        case .namespace:
            let procSelfFD = try pivotIntoShare(sharedDirectory, readOnly: readOnly,
                                                hint: forked.userNamespace.map { _ in Failure.rootlessHint })
            guard let userNamespace = forked.userNamespace else {
                return Confinement(
                    rootPath: "/", procSelfFD: procSelfFD, supervised: true,
                    description: "sandbox namespace: \(sharedDirectory) is the root of new mount, PID, network and "
                        + "IPC namespaces whose PID 1 is the daemon")
            }
            // A credential change clears the parent-death signal: ask for it again.
            if try userNamespace.takeIdentity() { try watchSupervisor(forked.parent, mode) }
            return Confinement(
                rootPath: "/", procSelfFD: procSelfFD, supervised: true,
                description: "sandbox namespace: \(sharedDirectory) is the root of new user, mount, PID, network "
                    + "and IPC namespaces whose PID 1 is the daemon; \(userNamespace)",
                userNamespace: userNamespace)
        case .chroot:
            let procSelfFD = try chrootIntoShare(sharedDirectory)
            return Confinement(rootPath: "/", procSelfFD: procSelfFD, supervised: true,
                               description: "sandbox chroot: \(sharedDirectory) is the root directory")
        case .none:
            preconditionFailure("handled above")
        }
    }

    /// What `forkSupervisor` leaves in each process.
    private struct Forked {
        /// A pidfd of the supervisor.
        let parent: FileDescriptor
        /// fork's result: 0 in the daemon, the daemon's pid in the supervisor.
        let child: pid_t
        /// The user namespace both run in, when an ordinary user entered the namespace sandbox.
        let userNamespace: DaemonUserNamespace?
    }

    /// Checks that the process has one thread; for `.namespace` enters a user namespace of its own when not
    /// privileged (`DaemonUserNamespace`) and unshares the PID namespace; then forks.
    private static func forkSupervisor(
        _ mode: DaemonConfiguration.Sandbox, uidMap: [NamespaceIDRange], gidMap: [NamespaceIDRange]
    ) throws(Failure) -> Forked {
        let threads = ProcessCall.threadCount()
        guard threads == 1 else {
            throw Failure(mode, "the process must be single-threaded",
                          reason: "\(threads.map(String.init) ?? "an unknown number of") threads run")
        }
        // A descriptor of this process: the child polls it after asking for a parent-death signal, in case the
        // parent died before the request (getppid cannot tell inside a new PID namespace).
        let parent: FileDescriptor
        do {
            parent = try ProcessCall.processDescriptor(of: getpid())
        } catch {
            throw Failure(mode, "pidfd_open", error)
        }
        var userNamespace: DaemonUserNamespace?
        if mode == .namespace {
            // The PID namespace must belong to the user namespace, so the user namespace comes first.
            if DaemonUserNamespace.isNeeded() {
                userNamespace = try DaemonUserNamespace.create(uidMap: uidMap, gidMap: gidMap)
            }
            do {
                try ProcessCall.unshare(CLONE_NEWPID)
            } catch {
                throw Failure(mode, "unshare(CLONE_NEWPID)", error,
                              hint: userNamespace.map { _ in Failure.rootlessHint })
            }
        }
        do {
            return Forked(parent: parent, child: try ProcessCall.fork(), userNamespace: userNamespace)
        } catch {
            throw Failure(mode, "fork", error)
        }
    }

    /// In the daemon: asks for SIGTERM when the supervisor ends, and ends now if it already has.
    private static func watchSupervisor(_ parent: FileDescriptor, _ mode: DaemonConfiguration.Sandbox)
        throws(Failure)
    {
        do throws(Errno) {
            try ProcessCall.setParentDeathSignal(SIGTERM)
            var pollDescriptor = pollfd(fd: parent.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&pollDescriptor, 1, 0) != 0 { _exit(1) }  // the supervisor is already gone
        } catch {
            throw Failure(mode, "prctl(PR_SET_PDEATHSIG)", error)
        }
    }

    /// The namespace sandbox's mount sequence (see the type's documentation).
    /// - Returns: the descriptor of /proc/self/fd.
    /// - Parameter hint: advice for a failure, nil for the usual.
    private static func pivotIntoShare(_ shared: String, readOnly: Bool, hint: String?) throws(Failure)
        -> FileDescriptor
    {
        var step = ""
        do throws(Errno) {
            step = "unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)"
            try ProcessCall.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)
            step = "make every mount a slave of the host's"
            try MountCall.setPropagation(UInt(MS_SLAVE), at: "/", recursive: true)
            step = "mount a /proc for the new PID namespace"
            try MountCall.mount(source: "proc", target: "/proc", type: "proc",
                                flags: UInt(MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_RELATIME))
            step = "bind-mount /proc/self/fd over /proc"
            try MountCall.mount(source: "/proc/self/fd", target: "/proc", type: nil, flags: UInt(MS_BIND))
            step = "open /proc/self/fd"
            let procSelfFD = try FileDescriptor.open("/proc", flags: O_PATH | O_DIRECTORY)
            step = "bind-mount \(shared) on itself"
            try MountCall.mount(source: shared, target: shared, type: nil, flags: UInt(MS_BIND | MS_REC))
            step = "make the share nodev and nosuid\(readOnly ? " and read-only" : "")"
            let attributes = UInt64(MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID) | (readOnly ? UInt64(MOUNT_ATTR_RDONLY) : 0)
            try MountCall.setAttributes(attributes, at: shared, recursive: true)
            step = "open the old and new roots"
            let oldRoot = try FileDescriptor.open("/", flags: O_DIRECTORY | O_RDONLY)
            let newRoot = try FileDescriptor.open(shared, flags: O_DIRECTORY | O_RDONLY)
            step = "pivot_root into \(shared)"
            try MountCall.changeDirectory(to: newRoot)
            try MountCall.pivotRoot(".", putOld: ".")
            step = "detach the old root"
            try MountCall.changeDirectory(to: oldRoot)
            try MountCall.setPropagation(UInt(MS_SLAVE), at: ".", recursive: true)
            try MountCall.detach(".")
            try MountCall.changeDirectory(to: newRoot)
            try MountCall.changeDirectory("/")
            return procSelfFD
        } catch {
            throw Failure(.namespace, step, error, hint: hint)
        }
    }

    /// The chroot sandbox.
    /// - Returns: the descriptor of /proc/self/fd.
    private static func chrootIntoShare(_ shared: String) throws(Failure) -> FileDescriptor {
        var step = ""
        do throws(Errno) {
            step = "open /proc/self/fd"
            let procSelfFD = try FileDescriptor.open("/proc/self/fd", flags: O_PATH | O_DIRECTORY)
            step = "chroot into \(shared)"
            try MountCall.changeRoot(shared)
            try MountCall.changeDirectory("/")
            return procSelfFD
        } catch {
            throw Failure(.chroot, step, error)
        }
    }

    /// Closes directory descriptors the daemon inherited (a launcher that leaks one would hand the sandboxed
    /// daemon a way out: `openat(fd, "..")` is not confined by the new root). Called in the child before the
    /// sandbox's own descriptors are opened.
    private static func closeInheritedDirectories() {
        guard let directory = opendir("/proc/self/fd") else { return }
        let own = dirfd(directory)
        var toClose: [CInt] = []
        while let entry = readdir(directory) {
            // SAFETY: d_name is a NUL-terminated array inside the dirent, valid until the next readdir.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = CInt(name), fd > 2, fd != own,
                  let st = try? FileSystemCall.status(of: fd), st.st_mode & S_IFMT == S_IFDIR
            else { continue }
            toClose.append(fd)
        }
        closedir(directory)
        for fd in toClose { _ = Glibc.close(fd) }
    }
}
