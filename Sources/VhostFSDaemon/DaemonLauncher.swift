import FSDev
import FSDevAIO
import FUSE
import Foundation
import Glibc
import LinuxSystem
import Logging
import Reactor
import VhostUser
import VirtioFS

/// Starts the daemon for a validated configuration and serves until SIGTERM or SIGINT.
///
/// Start-up order, while the process still has one thread: block SIGTERM/SIGINT/SIGHUP/SIGCHLD (every later thread
/// inherits the mask; a dedicated thread takes them with sigwait), set RLIMIT_NOFILE (`--rlimit-nofile`; the
/// supervisor and the daemon inherit it, and a hard limit can only be raised outside any user namespace), create or
/// inherit the listening socket (mode 0660, `--socket-group`), enter the sandbox (`--sandbox`: fork, namespaces,
/// pivot_root or chroot; the parent stays outside as the supervisor), drop capabilities (`--modcaps`), install the
/// seccomp filter (`--seccomp`). Then start the reactors, open the shared directory (as "/" inside the sandbox, so
/// that ".." and symlinks resolve within the share; nodes by file handle where the daemon can open them), and
/// serve front-ends one after the other. On a signal the current front-end's rings are stopped after their
/// in-flight requests, every node and handle the guest held is released, the socket file is removed (by the
/// supervisor when sandboxed) and the process exits 0.
public enum DaemonLauncher {
    /// Serves `configuration` until the daemon is told to stop, then exits the process.
    ///
    /// - Parameters:
    ///   - configuration: what to serve and how.
    ///   - logger: the daemon's logger.
    /// - Throws: when the daemon cannot start (the socket cannot be bound, the directory cannot be opened...).
    public static func launch(_ configuration: DaemonConfiguration, logger: Logger) throws -> Never {
        let signals = blockTerminationSignals()
        // Before the socket and the sandbox: the supervisor and the daemon inherit the limit, and raising the hard
        // limit needs CAP_SYS_RESOURCE outside any user namespace the sandbox enters. Logged by the daemon.
        let limit = DescriptorLimitSetting.apply(configuration.descriptorLimit)
        let (listener, socketFile) = try DaemonSocket.open(configuration)
        warmUpBeforeSandbox(configuration)
        // Read while /proc is in reach.
        let overflowIDs = (uid: overflowID("uid"), gid: overflowID("gid"))
        let confinement = try DaemonSandbox.enter(
            configuration.sandbox, sharedDirectory: configuration.sharedDirectory, readOnly: configuration.readOnly,
            uidMap: configuration.idTranslation.uidNamespace, gidMap: configuration.idTranslation.gidNamespace,
            listener: listener, socketFile: socketFile, signals: signals, logger: logger)
        do {
            try serve(configuration, listener: listener, socketFile: socketFile, confinement: confinement,
                      overflowIDs: overflowIDs, descriptorLimit: limit, signals: signals, logger: logger)
        } catch {
            // A supervisor removes the socket when the daemon ends; without one the daemon does it.
            if !confinement.supervised { socketFile?.removeIfUnchanged() }
            throw error
        }
    }

    /// The daemon once confined: capabilities, seccomp, reactors, the device, then front-ends until a signal.
    private static func serve(
        _ configuration: DaemonConfiguration, listener: UnixSocket, socketFile: DaemonSocket.CreatedFile?,
        confinement: DaemonSandbox.Confinement, overflowIDs: (uid: UInt32, gid: UInt32),
        descriptorLimit: DescriptorLimitSetting.Outcome, signals: sigset_t, logger: Logger
    ) throws -> Never {
        let capabilities = try DaemonCapabilities.restrict(
            with: configuration.capabilityChanges, fileHandles: configuration.inodeFileHandles != .never)
        let seccomp = try SeccompPolicy.install(
            debugSeccompOverride ?? configuration.seccomp, reportDescriptor: debugSeccompReport)
        logger.info("\(confinement.description); \(capabilities); \(seccomp)")
        // Read here, under the filter (prlimit64 may only read): the limit this process, the one that serves, has.
        let limit = DescriptorLimitSetting.report(descriptorLimit, logger: logger)

        let reactors: ReactorGroup
        let pollMode = configuration.reactorPollMode
        if let cpus = configuration.reactorCPUs {
            reactors = try ReactorGroup(cpus: cpus, pollMode: pollMode)
        } else {
            reactors = try ReactorGroup(count: 1, pollMode: pollMode)
        }
        var fsdevOptions = configuration.fsdevOptions
        // Decided after the sandbox is entered and capabilities are dropped (a capability drop takes them).
        let privileges = DaemonPrivileges.current(
            userNamespace: confinement.userNamespace, wantsFileHandles: configuration.inodeFileHandles != .never)
        fsdevOptions.switchesCredentials = privileges.switchesCredentials
        if let notice = privileges.notice { logger.notice("\(notice)") }
        // In a user namespace of its own the kernel applies --uid-map/--gid-map; otherwise the daemon does.
        (fsdevOptions.uidMap, fsdevOptions.gidMap) = try configuration.idTranslation.maps(
            namespaceEntered: confinement.userNamespace != nil, overflowUID: overflowIDs.uid,
            overflowGID: overflowIDs.gid)
        let fsdev = try FileHandleReport.makeDevice(
            configuration, options: fsdevOptions, confinement: confinement, privileges: privileges,
            descriptorLimit: limit, logger: logger)
        let device = VirtioFSDevice(
            fsdev: fsdev, reactors: reactors, configuration: configuration.virtioFS,
            logger: Logger(label: "vhostfsd.virtio-fs"))

        let server = try VhostUserServer(listener: listener, logger: Logger(label: "vhostfsd.vhost-user"),
                                         relieveDescriptors: { fsdev.releaseCachedDescriptors($0) })

        let signalThread = Thread {
            var set = signals
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if received == SIGCHLD {
                    // PID 1 of the namespace reaps whatever ends (nothing can: seccomp allows threads only).
                    while (try? ProcessCall.reap(-1)) != nil {}
                    continue
                }
                logger.notice("signal \(received): stopping")
                server.stopEvent.signal()
                return
            }
        }
        signalThread.start()

        logger.info("\(configuration.summary)")
        if case .socketPath(let path) = configuration.listen {
            // QEMU sets the tag the guest sees; without --tag the daemon has none to suggest.
            let tag = configuration.tag ?? "TAG"
            let qemu =
                "qemu-system-x86_64 ... -object memory-backend-memfd,id=mem,size=4G,share=on "
                + "-numa node,memdev=mem -chardev socket,id=vfs,path=\(path) "
                + "-device vhost-user-fs-pci,chardev=vfs,tag=\(tag)"
            let mount = "mount -t virtiofs \(tag) /mnt"
            logger.info("waiting for a vhost-user front-end on \(path): \(qemu); in the guest: \(mount)")
        }
        server.serve(backend: device, onConnection: { _ in debugOnConnection(configuration) })
        // serve() returns after the stop signal; the front-end's rings are stopped and its state released.
        device.unmount()
        reactors.stop()
        if !confinement.supervised { socketFile?.removeIfUnchanged() }
        logger.info("stopped")
        exit(0)
    }

    /// The id an unmapped user (`kind` "uid") or group ("gid") id shows as in a user namespace: the kernel's
    /// `/proc/sys/kernel/overflow<kind>`, 65534 when it cannot be read.
    static func overflowID(_ kind: String) -> UInt32 {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/overflow\(kind)", encoding: .utf8),
            let value = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return 65534 }
        return value
    }

    /// Blocks the termination signals in the calling thread (and so in every thread it starts afterwards) and
    /// returns the set, to be taken with sigwait by one thread.
    private static func blockTerminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        // The supervisor learns that the daemon ended, and the daemon (PID 1 of its namespace) reaps, by sigwait.
        sigaddset(&set, SIGCHLD)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A front-end that disappears mid-write must be an EPIPE, never a signal.
        signal(SIGPIPE, SIG_IGN)
        return set
    }
}

extension DaemonLauncher {
    /// Reads, while /sys is still visible, what libnuma caches and the reactors ask for later (the NUMA node of
    /// each reactor CPU); opens /proc/loadavg for `PollMode.auto`.
    static func warmUpBeforeSandbox(_ configuration: DaemonConfiguration) {
        // The auto poll mode's contention check reads /proc/loadavg, which the sandbox leaves behind: open it now.
        _ = SchedulerLoad.shared
        guard NUMA.isAvailable else { return }
        for cpu in configuration.reactorCPUs ?? [] { _ = NUMA.node(ofCPU: cpu) }
    }

    /// Debug builds: `VHOSTFSD_DEBUG_SECCOMP_REPORT=PATH` appends each call `--seccomp=trap` blocks to PATH
    /// (opened before the sandbox), for deriving the allow-list over a whole test run. Nil otherwise.
    static var debugSeccompReport: CInt? {
        #if DEBUG
        guard let path = getenv("VHOSTFSD_DEBUG_SECCOMP_REPORT").map({ String(cString: $0) }), !path.isEmpty else {
            return nil
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        return fd >= 0 ? fd : nil
        #else
        return nil
        #endif
    }

    /// Debug builds: `VHOSTFSD_DEBUG_SECCOMP=kill|log|trap|none` replaces `--seccomp` in every daemon a test run
    /// starts (with `VHOSTFSD_DEBUG_SECCOMP_REPORT`, how `SystemCallAllowList` was derived). Nil otherwise.
    static var debugSeccompOverride: DaemonConfiguration.SeccompMode? {
        #if DEBUG
        getenv("VHOSTFSD_DEBUG_SECCOMP").flatMap { DaemonConfiguration.SeccompMode(rawValue: String(cString: $0)) }
        #else
        nil
        #endif
    }

    /// Debug builds, `--debug-forbidden-syscall`: a call outside the allow-list when a front-end connects.
    static func debugOnConnection(_ configuration: DaemonConfiguration) {
        #if DEBUG
        if configuration.debug.forbiddenSystemCall {
            _ = mount(nil, nil, nil, 0, nil)
        }
        #endif
    }
}

/// The reactors' poll mode type (the daemon's configuration has a `PollMode` of its own).
typealias ReactorPollMode = PollMode

extension DaemonConfiguration {
    /// The reactors' poll mode.
    var reactorPollMode: ReactorPollMode {
        switch pollMode {
        case .busy: .busy
        case .interrupt: .interrupt
        case .adaptive: .adaptive(spinMicroseconds: UInt32(clamping: pollMicroseconds))
        case .auto: .auto(maximumMicroseconds: UInt32(clamping: pollMicroseconds))
        }
    }

    /// The passthrough device's engine.
    var fsdevEngine: AIOFSOptions.Engine {
        switch ioEngine {
        case .libaio: .libaio
        case .threads: .threads
        case .ioUring: .ioUring
        }
    }

    /// The fsdev's options.
    var fsdevOptions: AIOFSOptions {
        let policy: FSDev.CachePolicy =
            switch cache {
            case .never: .never
            case .auto: .auto
            case .always: .always
            case .metadata: .metadata
            }
        let handles: FileHandleMode =
            switch inodeFileHandles {
            case .never: .never
            case .prefer: .prefer
            case .mandatory: .mandatory
            }
        var options = AIOFSOptions(
            extendedAttributes: xattr, writebackCache: writeback, maxWrite: UInt32(maxWrite),
            cachePolicy: policy, posixLocks: posixLocks, flockLocks: flock, readOnly: readOnly,
            directIO: allowDirectIO, inlineCachedReads: inlineReads, engine: fsdevEngine, fileHandles: handles,
            descriptorCacheSize: descriptorCache)
        options.preservesNoatime = preserveNoatime
        options.announcesSubmounts = announceSubmounts
        if let xattrMap { options.extendedAttributeMap = xattrMap }
        #if DEBUG
        options.unconfinedLookupForTesting = debug.unconfinedLookup
        #endif
        return options
    }

    /// The virtio-fs device's offer.
    var virtioFS: VirtioFSConfiguration {
        var fuse = FUSEInitNegotiation.Options()
        fuse.maxWrite = UInt32(maxWrite)
        fuse.writeback = writeback
        fuse.posixLocks = posixLocks
        fuse.flockLocks = flock
        fuse.readdirplus = readdirplus
        fuse.submounts = announceSubmounts
        fuse.directIOAllowMmap = allowMmap
        fuse.posixACL = posixACL
        fuse.killprivV2 = killprivV2
        return VirtioFSConfiguration(tag: tag, requestQueues: queues, maxQueueSize: queueSize, fuse: fuse)
    }
}
