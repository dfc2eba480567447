import FSDevAIO
import FUSE
import Foundation
import Glibc
import Reactor
import Synchronization
import VhostUser
import VhostUserTestKit
import VirtioFS

/// The daemon's stack in this process, on a real Unix socket: reactors, the aio fsdev over a temporary shared
/// directory, the virtio-fs device and the vhost-user server on its own thread.
final class InProcessDaemon: @unchecked Sendable {
    let directory: String
    let share: String
    let socketPath: String
    let reactors: ReactorGroup
    let fsdev: AIOFSDevice
    let device: VirtioFSDevice<AIOFSDevice>
    let server: VhostUserServer
    private let finished = Mutex(false)

    init(requestQueues: Int = 1, reactors reactorCount: Int = 1, options: AIOFSOptions = AIOFSOptions(),
         pollMode: PollMode = .default, fuse: FUSEInitNegotiation.Options = FUSEInitNegotiation.Options(),
         stopTimeoutMilliseconds: Int = 5_000) throws {
        directory = NSTemporaryDirectory() + "vfs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        share = directory + "/share"
        socketPath = directory + "/sock"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        reactors = try ReactorGroup(count: reactorCount, pollMode: pollMode)
        fsdev = try AIOFSDevice(rootPath: share, options: options)
        let configuration = VirtioFSConfiguration(tag: "test", requestQueues: requestQueues, fuse: fuse,
                                                  stopTimeoutMilliseconds: stopTimeoutMilliseconds)
        device = VirtioFSDevice(fsdev: fsdev, reactors: reactors, configuration: configuration)
        server = try VhostUserServer(listener: try VhostUserServer.bind(path: socketPath))
        let t = Thread { [self] in
            server.serve(backend: device)
            finished.withLock { $0 = true }
        }
        t.start()
    }

    /// Options that route reads and writes through `engine` (inline page-cache reads with every engine but
    /// libaio, which sends every read and write through io_submit, as before the other engines existed).
    static func options(_ engine: AIOFSOptions.Engine, _ base: AIOFSOptions = AIOFSOptions()) -> AIOFSOptions {
        var o = base
        o.engine = engine
        o.inlineCachedReads = engine != .libaio
        return o
    }

    func client(queues: Int = 1, sendsInit: Bool = true) throws -> FUSEClient {
        var c = FUSEClient.Configuration()
        c.requestQueueCount = queues
        c.sendsInit = sendsInit
        c.queueSize = 512
        c.slotsPerQueue = 64
        return try FUSEClient(socketPath: socketPath, configuration: c)
    }

    /// Waits until `condition` holds (the server reacts to a disconnect asynchronously).
    func eventually(_ timeoutMilliseconds: Int = 5_000, _ condition: () -> Bool) -> Bool {
        VhostUserTestKit.eventually(timeoutMilliseconds: timeoutMilliseconds, condition)
    }

    func stop() {
        server.stopEvent.signal()
        _ = eventually { finished.withLock { $0 } }
        reactors.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
