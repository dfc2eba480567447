// fsdev-microbench: the cost of getattr, lookup and 4 KiB reads through the passthrough fsdev on a reactor, against
// the raw system calls measured in the same run, plus the completion-style comparison (token vs closure) and the
// idle CPU of an adaptive reactor. Printed, not asserted. Run with `swift run -c release fsdev-microbench`.
import CAIO
import CLinux
import Dispatch
import FSDev
import FSDevAIO
import Glibc
import LinuxSystem
import Reactor
import Synchronization

/// Moves a non-Sendable value into a reactor closure.
struct Unchecked<T>: @unchecked Sendable { var value: T }

/// Counts inline completions; fails loudly on an error (a benchmark of failures would be meaningless).
final class CountingTarget: FSCompletionTarget, @unchecked Sendable {
    var completed = 0
    func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
        if case .failure(let e) = result { fatalError("benchmark request failed: \(e)") }
        completed += 1
    }
}

/// Drives a chain of queue-depth-1 reads (or, with `write`, writes as `context`: with `killSetIDBits`, as a guest
/// caller without CAP_FSETID under FUSE_HANDLE_KILLPRIV_V2): each completion submits the next until `remaining` is 0.
final class ReadChain: FSCompletionTarget, @unchecked Sendable {
    let channel: AIOFSChannel
    let node: NodeID
    let handle: HandleID
    let vector: UnsafeMutablePointer<iovec>
    let fileBlocks: UInt64
    let write: Bool
    let context: RequestContext
    var remaining: Int
    var next: UInt64 = 0
    let done = DispatchSemaphore(value: 0)

    init(channel: AIOFSChannel, node: NodeID, handle: HandleID, vector: UnsafeMutablePointer<iovec>,
         fileBlocks: UInt64, count: Int, write: Bool = false, context: RequestContext = .root) {
        self.channel = channel
        self.node = node
        self.handle = handle
        self.vector = vector
        self.fileBlocks = fileBlocks
        self.remaining = count
        self.write = write
        self.context = context
    }

    private var inSubmit = false
    private var again = false

    /// Submits the next read. A completion that arrives inline (inside `submit`) asks for the next one through
    /// `again` instead of recursing, so a long chain of inline completions cannot overflow the stack.
    func submitNext() {
        if inSubmit {
            again = true
            return
        }
        inSubmit = true
        repeat {
            again = false
            let offset = (next % fileBlocks) * 4096
            next &+= 1
            let buffers = UnsafeBufferPointer(start: vector, count: 1)
            do throws(Errno) {
                try channel.submit(write ? .write(node: node, handle: handle, offset: offset, size: 4096,
                                                  buffers: buffers)
                                         : .read(node: node, handle: handle, offset: offset, size: 4096,
                                                 buffers: buffers),
                                   context: context, token: next, target: self)
            } catch { fatalError("submit failed: \(error)") }
        } while again
        inSubmit = false
    }

    func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
        guard case .success(.count(4096)) = result else { fatalError("request failed: \(result)") }
        remaining -= 1
        if remaining > 0 { submitNext() } else { done.signal() }
    }
}

func now() -> UInt64 { SystemClock.monotonicNanoseconds() }

func fixed(_ v: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// Best (lowest) ns per operation over `rounds` runs of `body(iterations)`.
func best(rounds: Int = 3, iterations: Int, _ body: (Int) -> Void) -> Double {
    var bestNs = Double.infinity
    for _ in 0..<rounds {
        let t0 = now()
        body(iterations)
        bestNs = min(bestNs, Double(now() - t0) / Double(iterations))
    }
    return bestNs
}

/// `--probe getattr|lookup|read|read-inline N`: set up, then run only N operations of one kind and exit, for
/// counting heap allocations per operation under valgrind (run twice with different N and subtract the
/// "total heap usage" lines: fsdev-microbench's allocation check in the report).
func probe(_ kind: String, count: Int, directory: String) throws {
    let reactor = try Reactor.start(pollMode: .interrupt)
    defer { reactor.stop() }
    let device = try AIOFSDevice(rootPath: directory,
                                 options: AIOFSOptions(inlineCachedReads: kind == "read-inline"))
    let vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
    defer {
        vector.deallocate()
        buffer.deallocate()
    }
    vector.pointee = iovec(iov_base: buffer, iov_len: 4096)
    let v = Unchecked(value: vector)
    let chain = try reactor.run { () throws(Errno) -> Unchecked<ReadChain?> in
        let channel = try reactor.channel(for: device)
        let target = CountingTarget()
        var found: (NodeID, HandleID)?
        try channel.submit(.lookup(parent: .root, name: "bench")) { lookup in
            guard case .success(.entry(let e)) = lookup else { return }
            try? channel.submit(.open(node: e.node, flags: O_RDONLY)) { open in
                if case .success(.opened(let o)) = open { found = (e.node, o.handle) }
            }
        }
        guard let (node, handle) = found else { throw .ioError }
        switch kind {
        case "getattr":
            for i in 0..<count {
                try channel.submit(.getattr(node: node, handle: nil), context: .root, token: UInt64(i), target: target)
            }
            return Unchecked(value: nil)
        case "lookup":
            for i in 0..<count {
                try channel.submit(.lookup(parent: .root, name: "bench"), context: .root, token: UInt64(i),
                                   target: target)
            }
            return Unchecked(value: nil)
        default:
            return Unchecked(value: ReadChain(channel: channel, node: node, handle: handle, vector: v.value,
                                              fileBlocks: 256, count: count))
        }
    }
    if let c = chain.value {
        let box = Unchecked(value: c)
        reactor.run { box.value.submitNext() }
        c.done.wait()
    }
    print("probe \(kind) x\(count) done")
}

/// `--node-memory N`: heap bytes per node (mallinfo2's in-use bytes before and after looking up N distinct files,
/// over N) and descriptors held, with nodes as file handles (the default cache size) and as O_PATH descriptors
/// (as many files as RLIMIT_NOFILE allows).
func nodeMemory(count: Int) throws {
    var template = Array("/tmp/fsdev-node-memory-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw Errno.current }
    let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { _ = system("rm -rf '\(directory)'") }
    let perDirectory = 1000
    let directories = (count + perDirectory - 1) / perDirectory
    for d in 0..<directories {
        guard mkdir(directory + "/d\(d)", 0o755) == 0 else { throw Errno.current }
        for f in 0..<perDirectory {
            let fd = open(directory + "/d\(d)/f\(f)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw Errno.current }
            close(fd)
        }
    }
    let reactor = try Reactor.start(pollMode: .interrupt)
    defer { reactor.stop() }
    let limit = try ResourceLimit.openDescriptors().soft
    print("node memory: \(count) files in \(directories) directories; RLIMIT_NOFILE soft \(limit)")
    // The first open of a file just made costs several times the next one: open every file once first.
    for d in 0..<directories {
        for f in 0..<perDirectory { close(open(directory + "/d\(d)/f\(f)", O_PATH | O_CLOEXEC)) }
    }
    // Each mode twice, alternating: the first pass over the files runs slower whatever the mode (the warm-up
    // above does not fully remove it); read the second.
    for (pass, mode) in [(1, FileHandleMode.prefer), (1, .never), (2, .prefer), (2, .never)] {
        let n = mode == .never ? min(count, Int(limit) - 200) / perDirectory * perDirectory : count
        let device = try AIOFSDevice(rootPath: directory, options: AIOFSOptions(fileHandles: mode))
        let result = try reactor.run { () throws(Errno) -> (heap: Int, nodes: Int, descriptors: Int, elapsed: UInt64) in
            let channel = try reactor.channel(for: device)
            defer { reactor.releaseChannel(for: device) }
            func lookup(_ parent: NodeID, _ name: String) throws(Errno) -> NodeID {
                var found: NodeEntry?
                try channel.submit(.lookup(parent: parent, name: FileName(name))) { r in
                    if case .success(.entry(let e)) = r { found = e }
                }
                guard let found else { throw .ioError }
                return found.node
            }
            var parents: [NodeID] = []
            for d in 0..<(n / perDirectory) { parents.append(try lookup(.root, "d\(d)")) }
            let descriptors0 = FileDescriptor.openCount()
            let heap0 = CLinux_heap_bytes_in_use()
            let t0 = now()
            for (d, parent) in parents.enumerated() {
                for f in 0..<perDirectory where d * perDirectory + f < n { _ = try lookup(parent, "f\(f)") }
            }
            let elapsed = now() - t0
            let heap1 = CLinux_heap_bytes_in_use()
            return (Int(heap1) - Int(heap0), n, FileDescriptor.openCount() - descriptors0, elapsed)
        }
        let perNode = result.heap / max(result.nodes, 1)
        print("  pass \(pass), \(pad(mode.rawValue + ":", 9)) \(result.nodes) nodes, \(perNode) heap bytes per node,"
              + " \(result.descriptors) descriptors held (cache size \(device.descriptorCacheSize)), first "
              + "lookups \(result.elapsed / UInt64(max(result.nodes, 1))) ns each")
    }
}

/// `--table-contention SECONDS`: GETATTR of 1,000 looked-up files from two reactors pinned to CPUs 0 and 1 at once
/// (each reactor thread submits in a loop, different files at a time), with the node table in one lock shard and in
/// 16, three times each in turn; then the same with both reactors on one file. Prints ops/s of both together: what the
/// table's lock costs when two reactors use it, without virtqueues or a client.
func tableContention(seconds: Double, directory: String) throws {
    let files = 1_000
    for i in 0..<files {
        let fd = try FileDescriptor.open(directory + "/t\(i)", flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o644)
        _ = fd
    }
    defer { for i in 0..<files { unlink(directory + "/t\(i)") } }
    let reactors = try [0, 1].map { cpu throws(Errno) in try Reactor.start(index: cpu, cpu: cpu, pollMode: .busy) }
    defer { for r in reactors { r.stop() } }
    print("table contention: GETATTR from 2 reactors (CPUs 0, 1), \(seconds) s per measurement")
    for shared in [false, true] {
        for shards in [1, 16, 1, 16, 1, 16] {
            var options = AIOFSOptions()
            options.tableShards = shards
            let device = try AIOFSDevice(rootPath: directory, options: options)
            let nodes = try reactors[0].run { () throws(Errno) -> [NodeID] in
                let channel = try reactors[0].channel(for: device)
                var nodes: [NodeID] = []
                for i in 0..<files {
                    try channel.submit(.lookup(parent: .root, name: FileName("t\(i)"))) { r in
                        if case .success(.entry(let e)) = r { nodes.append(e.node) }
                    }
                }
                return nodes
            }
            guard nodes.count == files else { throw Errno.ioError }
            let total = Atomic<Int>(0)
            let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
            for (index, reactor) in reactors.enumerated() {
                DispatchQueue.global().async {
                    start.wait()
                    let n = reactor.run { () -> Int in
                        guard let channel = try? reactor.channel(for: device) else { return 0 }
                        let target = CountingTarget()
                        let deadline = now() + UInt64(seconds * 1e9)
                        var i = index * files / 2
                        while now() < deadline {
                            for _ in 0..<64 {
                                let node = shared ? nodes[0] : nodes[i]
                                i = i + 1 == files ? 0 : i + 1
                                try? channel.submit(.getattr(node: node, handle: nil), context: .root, token: 0,
                                                    target: target)
                            }
                        }
                        reactor.releaseChannel(for: device)
                        return target.completed
                    }
                    total.add(n, ordering: .relaxed)
                    done.signal()
                }
            }
            start.signal()
            start.signal()
            done.wait()
            done.wait()
            let rate = Double(total.load(ordering: .relaxed)) / seconds
            print("  \(shared ? "one file   " : "1,000 files"), \(pad("\(shards)", 2)) shard(s): "
                  + "\(Int(rate)) ops/s")
        }
    }
}

func main() throws {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.count == 2 && arguments[0] == "--node-memory", let count = Int(arguments[1]) {
        try nodeMemory(count: count)
        return
    }
    let iterations = Int(arguments.first ?? "") ?? 200_000
    var template = Array("/tmp/fsdev-microbench-XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { throw Errno.current }
    let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer {
        unlink(directory + "/bench")
        rmdir(directory)
    }
    // A 1 MiB file in the page cache.
    let fileSize = 1 << 20
    do {
        let fd = try FileDescriptor.open(directory + "/bench", flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o644)
        let bytes = [UInt8](repeating: 0x5a, count: fileSize)
        _ = try bytes.withUnsafeBytes { try fd.write($0, at: 0) }
    }
    if arguments.count == 2 && arguments[0] == "--table-contention", let seconds = Double(arguments[1]) {
        try tableContention(seconds: seconds, directory: directory)
        return
    }
    if arguments.count == 3 && arguments[0] == "--probe", let count = Int(arguments[2]) {
        try probe(arguments[1], count: count, directory: directory)
        return
    }

    let reactor = try Reactor.start(pollMode: .busy)
    defer { reactor.stop() }
    let device = try AIOFSDevice(rootPath: directory)
    let skipDevice = try AIOFSDevice(rootPath: directory, options: AIOFSOptions(skipReadWrite: true))
    let inlineDevice = try AIOFSDevice(rootPath: directory, options: AIOFSOptions(inlineCachedReads: true))
    // Nodes as O_PATH descriptors (--inode-file-handles=never), and handle nodes with no descriptor cache (every
    // use opens the handle), beside the default (handles, cached descriptors).
    let pathDevice = try AIOFSDevice(rootPath: directory, options: AIOFSOptions(fileHandles: .never))
    let uncachedDevice = try AIOFSDevice(rootPath: directory, options: AIOFSOptions(descriptorCacheSize: 0))
    print("fsdev-microbench: \(iterations) iterations per measurement, best of 3; reactor \(reactor.pollMode), "
          + "\(CPUAffinity.onlineCount) CPUs online")

    struct Results: Sendable {
        var floorStat = 0.0, getattrToken = 0.0, getattrClosure = 0.0
        var floorLookup = 0.0, floorLookupStat = 0.0, lookup = 0.0, forget = 0.0
        var floorPread = 0.0, floorAIO = 0.0
        var getattrPath = 0.0, getattrUncached = 0.0, lookupPath = 0.0, floorOpenHandle = 0.0
    }
    let r = try reactor.run { () throws(Errno) -> Results in
        var r = Results()
        let channel = try reactor.channel(for: device)
        _ = try reactor.channel(for: skipDevice)
        let target = CountingTarget()
        try channel.submit(.mount(MountRequest()), context: .root, token: 0, target: target)
        let dir = try FileDescriptor.open(directory, flags: O_PATH | O_DIRECTORY)
        let file = try FileDescriptor.open(directory + "/bench", flags: O_RDONLY)
        let filePath = try FileSystemCall.open("bench", relativeTo: dir.rawValue, options: [.path, .noFollow])

        // getattr: fstatat(AT_EMPTY_PATH) on an O_PATH descriptor is what the device does.
        r.floorStat = best(iterations: iterations) { n in
            for _ in 0..<n { _ = try? FileSystemCall.status(of: filePath.rawValue) }
        }
        var lookupEntry: NodeEntry?
        try channel.submit(.lookup(parent: .root, name: "bench"), context: .root, token: 0,
                           target: FSClosureCompletion { if case .success(.entry(let e)) = $0 { lookupEntry = e } })
        guard let node = lookupEntry?.node else { throw .ioError }
        r.getattrToken = best(iterations: iterations) { n in
            for i in 0..<n {
                try? channel.submit(.getattr(node: node, handle: nil), context: .root, token: UInt64(i),
                                    target: target)
            }
        }
        r.getattrClosure = best(iterations: iterations) { n in
            var count = 0
            for _ in 0..<n {
                try? channel.submit(.getattr(node: node, handle: nil)) { _ in count += 1 }
            }
            precondition(count == n)
        }
        // lookup: openat(O_PATH|O_NOFOLLOW) + fstat + close is the floor (the device also dedups the node and
        // closes the duplicate descriptor).
        r.floorLookup = best(iterations: iterations) { n in
            for _ in 0..<n {
                let fd = openat(dir.rawValue, "bench", O_PATH | O_NOFOLLOW | O_CLOEXEC)
                close(fd)
            }
        }
        r.floorLookupStat = best(iterations: iterations) { n in
            for _ in 0..<n {
                let fd = openat(dir.rawValue, "bench", O_PATH | O_NOFOLLOW | O_CLOEXEC)
                _ = try? FileSystemCall.status(of: fd)
                close(fd)
            }
        }
        r.lookup = best(iterations: iterations) { n in
            for i in 0..<n {
                try? channel.submit(.lookup(parent: .root, name: "bench"), context: .root, token: UInt64(i),
                                    target: target)
            }
        }
        // The same with nodes as pinned O_PATH descriptors, and with handle nodes opened on every use.
        func lookupNode(_ c: AIOFSChannel) throws(Errno) -> NodeID {
            var entry: NodeEntry?
            try c.submit(.lookup(parent: .root, name: "bench"), context: .root, token: 0,
                         target: FSClosureCompletion { if case .success(.entry(let e)) = $0 { entry = e } })
            guard let entry else { throw .ioError }
            return entry.node
        }
        let pathChannel = try reactor.channel(for: pathDevice)
        let pathNode = try lookupNode(pathChannel)
        r.getattrPath = best(iterations: iterations) { n in
            for i in 0..<n {
                try? pathChannel.submit(.getattr(node: pathNode, handle: nil), context: .root, token: UInt64(i),
                                        target: target)
            }
        }
        r.lookupPath = best(iterations: iterations) { n in
            for i in 0..<n {
                try? pathChannel.submit(.lookup(parent: .root, name: "bench"), context: .root, token: UInt64(i),
                                        target: target)
            }
        }
        let uncachedChannel = try reactor.channel(for: uncachedDevice)
        let uncachedNode = try lookupNode(uncachedChannel)
        r.getattrUncached = best(iterations: iterations / 4) { n in
            for i in 0..<n {
                try? uncachedChannel.submit(.getattr(node: uncachedNode, handle: nil), context: .root,
                                            token: UInt64(i), target: target)
            }
        }
        let (handle, _) = try FileSystemCall.fileHandle(of: filePath.rawValue, mountID: .unique)
        let mount = try FileDescriptor.open(directory, flags: O_RDONLY | O_DIRECTORY)
        r.floorOpenHandle = best(iterations: iterations / 4) { n in
            for _ in 0..<n {
                if let fd = try? FileSystemCall.open(handle: handle, mount: mount.rawValue, options: .path) {
                    _ = try? FileSystemCall.status(of: fd.rawValue)
                }
            }
        }

        // Give the references back (3 rounds of lookups), timing FORGET.
        let references = UInt64(iterations) * 3
        let t0 = now()
        for i in 0..<references {
            try channel.submit(.forget(node: node, count: 1), context: .root, token: i, target: target)
        }
        r.forget = Double(now() - t0) / Double(references)

        // 4 KiB from the page cache.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        let blocks = UInt64(fileSize / 4096)
        r.floorPread = best(iterations: iterations) { n in
            for i in 0..<n { _ = pread(file.rawValue, buffer, 4096, off_t((UInt64(i) % blocks) * 4096)) }
        }
        // libaio round trip without the fsdev: io_submit + io_getevents.
        let aio = try AIOContext(depth: 8)
        var cb = iocb()
        var event = io_event()
        r.floorAIO = best(iterations: iterations) { n in
            for i in 0..<n {
                io_prep_pread(&cb, file.rawValue, buffer, 4096, Int64((UInt64(i) % blocks) * 4096))
                withUnsafeMutablePointer(to: &cb) { p in
                    var list: UnsafeMutablePointer<iocb>? = p
                    _ = try? aio.submit(&list, count: 1)
                }
                withUnsafeMutablePointer(to: &event) { e in
                    _ = try? aio.getEvents(minimum: 1, into: UnsafeMutableBufferPointer(start: e, count: 1),
                                           timeout: nil)
                }
            }
        }
        return r
    }

    /// Looks up and opens the bench file through `dev`'s channel on the reactor.
    func openBench(_ dev: AIOFSDevice, flags: Int32) throws -> (AIOFSChannel, NodeID, HandleID) {
        let setup = try reactor.run { () throws(Errno) -> Unchecked<(AIOFSChannel, NodeID, HandleID)> in
            let channel = try reactor.channel(for: dev)
            var result: (NodeID, HandleID)?
            try channel.submit(.lookup(parent: .root, name: "bench")) { lookup in
                guard case .success(.entry(let e)) = lookup else { return }
                try? channel.submit(.open(node: e.node, flags: flags)) { open in
                    if case .success(.opened(let o)) = open { result = (e.node, o.handle) }
                }
            }
            guard let result else { throw .ioError }
            return Unchecked(value: (channel, result.0, result.1))
        }
        return setup.value
    }

    // Reads (or writes) through the fsdev at queue depth 1: each completion (reaped by the channel's poller) submits
    // the next.
    func readChain(_ dev: AIOFSDevice, write: Bool = false, context: RequestContext = .root) throws -> Double {
        let vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer {
            vector.deallocate()
            buffer.deallocate()
        }
        buffer.initializeMemory(as: UInt8.self, repeating: 0x33, count: 4096)
        vector.pointee = iovec(iov_base: buffer, iov_len: 4096)
        let v = Unchecked(value: vector)
        let (channel, node, handle) = try openBench(dev, flags: write ? O_WRONLY : O_RDONLY)
        return best(iterations: iterations) { n in
            let chain = Unchecked(value: ReadChain(channel: channel, node: node, handle: handle, vector: v.value,
                                                   fileBlocks: UInt64(fileSize / 4096), count: n, write: write,
                                                   context: context))
            reactor.run { chain.value.submitNext() }
            chain.value.done.wait()
        }
    }
    // Writes as a caller without CAP_FSETID (KILLPRIV_V2) cost one statx of the mode more.
    let write = try readChain(device, write: true)
    let writeKill = try readChain(device, write: true,
                                  context: RequestContext(uid: 1000, gid: 1000, killSetIDBits: true))
    let floorPwrite: Double = try {
        let file = try FileDescriptor.open(directory + "/bench", flags: O_WRONLY)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0x33, count: 4096)
        return best(iterations: iterations) { n in
            for i in 0..<n { _ = pwrite(file.rawValue, buffer, 4096, off_t((i % 256) * 4096)) }
        }
    }()

    let read = try readChain(device)
    let readSkip = try readChain(skipDevice)
    let readInline = try readChain(inlineDevice)

    print("")
    print(pad("operation", 34) + pad("fsdev ns/op", 14) + pad("floor ns/op", 14) + "ratio   floor")
    func row(_ name: String, _ fsdev: Double, _ floor: Double, _ floorName: String) {
        print(pad(name, 34) + pad(fixed(fsdev, 0), 14) + pad(fixed(floor, 0), 14)
              + pad(fixed(fsdev / floor, 2) + "x", 8) + floorName)
    }
    row("getattr (token completion)", r.getattrToken, r.floorStat, "fstatat(O_PATH fd, \"\", AT_EMPTY_PATH)")
    row("getattr (closure completion)", r.getattrClosure, r.floorStat, "fstatat")
    row("getattr, nodes as O_PATH (never)", r.getattrPath, r.floorStat, "fstatat")
    row("getattr handles / O_PATH", r.getattrToken, r.getattrPath, "(ratio of the two rows above)")
    row("getattr, handle not cached", r.getattrUncached, r.floorOpenHandle,
        "open_by_handle_at(O_PATH)+fstatat+close")
    row("lookup (existing node)", r.lookup, r.floorLookupStat, "openat(O_PATH|O_NOFOLLOW)+fstatat+close")
    row("lookup, nodes as O_PATH (never)", r.lookupPath, r.floorLookupStat, "openat+fstatat+close")
    row("lookup vs openat+close", r.lookup, r.floorLookup, "openat(O_PATH|O_NOFOLLOW)+close")
    row("forget", r.forget, r.floorStat, "(fstatat, for scale)")
    row("read 4 KiB QD1 (libaio, reactor)", read, r.floorPread, "pread 4 KiB (page cache)")
    row("read 4 KiB QD1 vs raw libaio", read, r.floorAIO, "io_submit+io_getevents 4 KiB")
    row("read 4 KiB QD1 inline cached", readInline, r.floorPread, "pread 4 KiB (RWF_NOWAIT fast path)")
    row("read 4 KiB QD1 skip_rw (no I/O)", readSkip, r.floorPread, "pread 4 KiB")
    row("write 4 KiB QD1 (libaio)", write, floorPwrite, "pwrite 4 KiB (page cache)")
    row("write 4 KiB QD1 KILL_SUIDGID", writeKill, floorPwrite, "pwrite 4 KiB (+ statx of the mode)")
    print("")
    print("token vs closure completion: \(fixed(r.getattrClosure - r.getattrToken, 0)) ns per request "
          + "(one allocation and a capture per closure)")

    // Idle CPU of reactors that have nothing to do.
    for mode in [PollMode.adaptive(spinMicroseconds: 100), .interrupt, .busy] {
        let idle = try Reactor.start(pollMode: mode)
        for _ in 0..<10 { idle.run {} }
        usleep(20_000)
        let wall0 = now()
        let cpu0 = idle.cpuTimeNanoseconds() ?? 0
        usleep(1_000_000)
        let cpu1 = idle.cpuTimeNanoseconds() ?? 0
        let share = Double(cpu1 - cpu0) / Double(now() - wall0) * 100
        print("idle reactor, \(pad("\(mode):", 20)) \(fixed(share, 3))% of a CPU over 1 s "
              + "(\(cpu1 - cpu0) ns of CPU); \(idle.statistics.sleeps) sleeps")
        idle.stop()
    }
}

do { try main() } catch {
    print("fsdev-microbench failed: \(error)")
    exit(1)
}
