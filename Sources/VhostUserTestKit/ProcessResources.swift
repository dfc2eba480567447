import Glibc

/// A census of what this process holds, by kind: open descriptors (from the targets of `/proc/self/fd` links),
/// memory mappings of interest (from `/proc/self/maps`) and threads (`/proc/self/task`). Leak tests take one
/// before and one after a run and compare them kind by kind.
public struct ProcessResources: Equatable, Sendable, CustomStringConvertible {
    /// Open descriptors by kind: `socket`, `memfd`, `eventfd`, `epoll`, `pipe`, `anon_inode:<name>` for other
    /// anonymous inodes, `file` for paths.
    public var descriptors: [String: Int]
    /// Mappings by kind: `memfd` (guest RAM, shared with a front-end) and `aio` (libaio ring pages, one per AIO
    /// context).
    public var mappings: [String: Int]
    /// Threads of the process by name (`/proc/self/task/N/comm`).
    public var threads: [String: Int]

    /// Takes the census now.
    public static func current() -> ProcessResources {
        ProcessResources(descriptors: descriptorKinds(), mappings: mappingKinds(), threads: threadNames())
    }

    /// Threads whose name starts with `prefix`.
    public func threads(named prefix: String) -> Int {
        threads.filter { $0.key.hasPrefix(prefix) }.reduce(0) { $0 + $1.value }
    }

    /// Descriptors of `kind` (0 when none).
    public func descriptors(_ kind: String) -> Int { descriptors[kind] ?? 0 }

    /// Mappings of `kind` (0 when none).
    public func mappings(_ kind: String) -> Int { mappings[kind] ?? 0 }

    /// The census restricted to the kinds a vhost-user-fs connection brings or creates: sockets, memfds,
    /// eventfds, epoll instances, guest-RAM and AIO mappings, and the daemon's own threads (reactors, I/O
    /// helpers). The test runner and the Swift runtime may open files and start threads meanwhile; those are left
    /// out.
    public var connectionKinds: ProcessResources {
        let keep: Set<String> = ["socket", "memfd", "eventfd", "epoll", "anon_inode:[io_uring]", "pipe"]
        let ours = threads.filter { $0.key.hasPrefix("reactor") || $0.key.hasPrefix("io-helper") }
        return ProcessResources(descriptors: descriptors.filter { keep.contains($0.key) }, mappings: mappings,
                                threads: ours)
    }

    public var description: String {
        let d = descriptors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let m = mappings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let t = threads.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "fds[\(d)] maps[\(m)] threads[\(t)]"
    }

    // MARK: - Reading /proc

    private static func entries(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            // SAFETY: d_name is a NUL-terminated array inside the dirent, valid until the next readdir.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func descriptorKinds() -> [String: Int] {
        var kinds: [String: Int] = [:]
        for name in entries("/proc/self/fd") {
            var buffer = [CChar](repeating: 0, count: 512)
            let n = readlink("/proc/self/fd/" + name, &buffer, buffer.count - 1)
            guard n > 0 else { continue }  // the descriptor opendir used, closed since
            let target = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            kinds[kind(ofLink: target), default: 0] += 1
        }
        return kinds
    }

    /// The kind of a `/proc/self/fd` link target.
    static func kind(ofLink target: String) -> String {
        if target.hasPrefix("socket:") { return "socket" }
        if target.hasPrefix("pipe:") { return "pipe" }
        if target.hasPrefix("/memfd:") { return "memfd" }
        if target == "anon_inode:[eventfd]" { return "eventfd" }
        if target == "anon_inode:[eventpoll]" { return "epoll" }
        if target.hasPrefix("anon_inode:") { return target }
        return "file"
    }

    private static func threadNames() -> [String: Int] {
        var names: [String: Int] = [:]
        for task in entries("/proc/self/task") {
            guard let file = fopen("/proc/self/task/\(task)/comm", "r") else { continue }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 64)
            guard fgets(&buffer, Int32(buffer.count), file) != nil else { continue }
            let name = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) },
                              as: UTF8.self)
            names[name, default: 0] += 1
        }
        return names
    }

    private static func mappingKinds() -> [String: Int] {
        guard let file = fopen("/proc/self/maps", "r") else { return [:] }
        defer { fclose(file) }
        var kinds: [String: Int] = [:]
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.contains("/memfd:") { kinds["memfd", default: 0] += 1 }
            if text.contains("/[aio]") { kinds["aio", default: 0] += 1 }
        }
        return kinds
    }
}
