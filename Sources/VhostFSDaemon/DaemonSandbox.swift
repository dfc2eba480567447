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
    }

    /// Why the sandbox could not be entered: one line, exit status 1.
    struct Failure: Error, CustomStringConvertible {
        let description: String

        init(_ mode: DaemonConfiguration.Sandbox, _ step: String, _ error: any Error) {
            self.init(mode, step, reason: "\(error)")
        }

        init(_ mode: DaemonConfiguration.Sandbox, _ step: String, reason: String) {
            let hint =
                switch mode {
                case .namespace:
                    " (namespaces need root or CAP_SYS_ADMIN; --sandbox=chroot is the fallback where they are not "
                        + "allowed, --sandbox=none runs without a sandbox)"
                case .chroot, .none: ""
                }
            description = "cannot enter the \(mode.rawValue) sandbox: \(step): \(reason)\(hint)"
        }
    }

    /// Enters `mode`. In the parent of a sandbox this never returns: it becomes the supervisor.
    ///
    /// - Parameters:
    ///   - mode: the sandbox.
    ///   - sharedDirectory: the shared directory, an absolute real path.
    ///   - readOnly: mount the share read-only inside the sandbox (`--readonly`).
    ///   - listener: the listening socket; the supervisor closes its copy.
    ///   - socketFile: the socket file the daemon created, which the supervisor removes when the daemon ends.
    ///   - signals: the signals blocked in every thread (termination signals and SIGCHLD).
    ///   - logger: for the supervisor's report.
    /// - Returns: in the daemon, where it now runs.
    static func enter(
        _ mode: DaemonConfiguration.Sandbox, sharedDirectory: String, readOnly: Bool, listener: UnixSocket,
        socketFile: DaemonSocket.CreatedFile?, signals: sigset_t, logger: Logger
    ) throws(Failure) -> Confinement {
        if mode == .none {
            return Confinement(rootPath: sharedDirectory, procSelfFD: nil, supervised: false,
                               description: "sandbox none")
        }
        let (parent, child): (FileDescriptor, pid_t)
        do {
            (parent, child) = try forkSupervisor(mode)
        } catch {
            socketFile?.removeIfUnchanged()  // no supervisor yet to do it
            throw error
        }
        if child != 0 {
            // The supervisor: its copy of the listening socket would keep accepting connections nobody serves.
            _ = Glibc.close(listener.rawValue)
            DaemonSupervisor.run(child: child, signals: signals, socketFile: socketFile, logger: logger)
        }
        // From here on the daemon is the child; a failure ends it, and the supervisor removes the socket.
        do throws(Errno) {
            try ProcessCall.setParentDeathSignal(SIGTERM)
            var pollDescriptor = pollfd(fd: parent.rawValue, events: Int16(POLLIN), revents: 0)
            if poll(&pollDescriptor, 1, 0) != 0 { _exit(1) }  // the supervisor is already gone
        } catch {
            throw Failure(mode, "prctl(PR_SET_PDEATHSIG)", error)
        }
        closeInheritedDirectories()
        switch mode {
        case .namespace:
            let procSelfFD = try pivotIntoShare(sharedDirectory, readOnly: readOnly)
            return Confinement(
                rootPath: "/", procSelfFD: procSelfFD, supervised: true,
                description: "sandbox namespace: \(sharedDirectory) is the root of new mount, PID, network and IPC "
                    + "namespaces whose PID 1 is the daemon")
        case .chroot:
            let procSelfFD = try chrootIntoShare(sharedDirectory)
            return Confinement(rootPath: "/", procSelfFD: procSelfFD, supervised: true,
                               description: "sandbox chroot: \(sharedDirectory) is the root directory")
        case .none:
            preconditionFailure("handled above")
        }
    }

    /// Checks that the process has one thread, unshares the PID namespace (for `.namespace`) and forks.
    /// - Returns: a pidfd of the parent (the supervisor) and fork's result.
    private static func forkSupervisor(_ mode: DaemonConfiguration.Sandbox) throws(Failure) -> (FileDescriptor, pid_t) {
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
        if mode == .namespace {
            do { try ProcessCall.unshare(CLONE_NEWPID) } catch { throw Failure(mode, "unshare(CLONE_NEWPID)", error) }
        }
        do { return (parent, try ProcessCall.fork()) } catch { throw Failure(mode, "fork", error) }
    }

    /// The namespace sandbox's mount sequence (see the type's documentation).
    /// - Returns: the descriptor of /proc/self/fd.
    private static func pivotIntoShare(_ shared: String, readOnly: Bool) throws(Failure) -> FileDescriptor {
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
            throw Failure(.namespace, step, error)
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
