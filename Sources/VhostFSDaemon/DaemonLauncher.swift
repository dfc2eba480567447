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
/// Start-up order: block SIGTERM/SIGINT/SIGHUP in every thread (a dedicated thread takes them with sigwait), start
/// the reactors, open the shared directory, bind the socket, then serve front-ends one after the other. On a signal
/// the current front-end's rings are stopped after their in-flight requests, every node and handle the guest held
/// is released, the socket file is removed and the process exits 0.
public enum DaemonLauncher {
    /// Serves `configuration` until the daemon is told to stop, then exits the process.
    ///
    /// - Parameters:
    ///   - configuration: what to serve and how.
    ///   - logger: the daemon's logger.
    /// - Throws: when the daemon cannot start (the socket cannot be bound, the directory cannot be opened...).
    public static func launch(_ configuration: DaemonConfiguration, logger: Logger) throws -> Never {
        let signals = blockTerminationSignals()

        let reactors: ReactorGroup
        let pollMode = configuration.reactorPollMode
        if let cpus = configuration.reactorCPUs {
            reactors = try ReactorGroup(cpus: cpus, pollMode: pollMode)
        } else {
            reactors = try ReactorGroup(count: 1, pollMode: pollMode)
        }
        let fsdev = try AIOFSDevice(rootPath: configuration.sharedDirectory, options: configuration.fsdevOptions)
        let device = VirtioFSDevice(
            fsdev: fsdev, reactors: reactors, configuration: configuration.virtioFS,
            logger: Logger(label: "vhostfsd.virtio-fs"))

        let listener: UnixSocket
        switch configuration.listen {
        case .socketPath(let path):
            listener = try VhostUserServer.bind(path: path)
        case .inheritedFD(let fd):
            listener = UnixSocket(descriptor: FileDescriptor(taking: fd))
        }
        let server = try VhostUserServer(listener: listener, logger: Logger(label: "vhostfsd.vhost-user"))

        let signalThread = Thread {
            var received: Int32 = 0
            var set = signals
            sigwait(&set, &received)
            logger.notice("signal \(received): stopping")
            server.stopEvent.signal()
        }
        signalThread.start()

        logger.info("\(configuration.summary)")
        if case .socketPath(let path) = configuration.listen {
            let qemu =
                "qemu-system-x86_64 ... -object memory-backend-memfd,id=mem,size=4G,share=on "
                + "-numa node,memdev=mem -chardev socket,id=vfs,path=\(path) "
                + "-device vhost-user-fs-pci,chardev=vfs,tag=\(configuration.tag)"
            let mount = "mount -t virtiofs \(configuration.tag) /mnt"
            logger.info("waiting for a vhost-user front-end on \(path): \(qemu); in the guest: \(mount)")
        }
        server.serve(backend: device)
        // serve() returns after the stop signal; the front-end's rings are stopped and its state released.
        device.unmount()
        reactors.stop()
        if case .socketPath(let path) = configuration.listen { unlink(path) }
        logger.info("stopped")
        exit(0)
    }

    /// Blocks the termination signals in the calling thread (and so in every thread it starts afterwards) and
    /// returns the set, to be taken with sigwait by one thread.
    private static func blockTerminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A front-end that disappears mid-write must be an EPIPE, never a signal.
        signal(SIGPIPE, SIG_IGN)
        return set
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
        return AIOFSOptions(
            extendedAttributes: xattr, writebackCache: writeback, maxWrite: UInt32(maxWrite),
            cachePolicy: policy, posixLocks: posixLocks, flockLocks: flock, readOnly: readOnly,
            inlineCachedReads: inlineReads, engine: fsdevEngine)
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
        return VirtioFSConfiguration(tag: tag, requestQueues: queues, maxQueueSize: queueSize, fuse: fuse)
    }
}
