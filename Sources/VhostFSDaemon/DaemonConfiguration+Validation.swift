import Glibc
import LinuxSystem

/// The checks behind `DaemonConfiguration.init`. Each takes the option as the user spelled it, so the command line
/// can name `-o source` or `--socket` where the user wrote that, and the initializer names the long option.
extension DaemonConfiguration {
    /// Longest socket path: `sun_path` is 108 bytes including the terminating NUL.
    static let maximumSocketPathLength = 107

    /// Checks that the front-end can be reached where `listen` says.
    ///
    /// - Parameters:
    ///   - listen: the listen address.
    ///   - option: the option to name in errors; nil names `--socket-path` or `--fd`.
    static func validateListen(_ listen: Listen, option: String? = nil) throws(DaemonConfigurationError) {
        switch listen {
        case .socketPath(let path):
            try validateSocketPath(path, option: option ?? "--socket-path")
        case .inheritedFD(let fd):
            try validateInheritedFD(fd, option: option ?? "--fd")
        }
    }

    /// A socket path must fit `sun_path`, live in an existing directory, and not name anything but a socket
    /// (a stale socket is replaced when the daemon binds; a regular file never is).
    static func validateSocketPath(_ path: String, option: String) throws(DaemonConfigurationError) {
        guard !path.isEmpty else { throw .option(option, "the path is empty") }
        guard !path.utf8.contains(0) else { throw .option(option, "the path contains a NUL byte") }
        let length = path.utf8.count
        guard length <= maximumSocketPathLength else {
            throw .option(
                option,
                "\(path) is \(length) bytes, longer than the \(maximumSocketPathLength) a Unix socket path can hold")
        }
        guard path.last != "/" else { throw .option(option, "\(path) names a directory, not a socket") }
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let directoryStatus: stat
        do {
            directoryStatus = try FileSystemCall.status(directory, relativeTo: AT_FDCWD, flags: 0)
        } catch {
            throw .option(option, "cannot use directory \(directory) for the socket: \(describe(error))")
        }
        guard directoryStatus.st_mode & S_IFMT == S_IFDIR else {
            throw .option(
                option, "cannot use directory \(directory) for the socket: \(describe(Errno.notDirectory))")
        }
        let existing: stat?
        do {
            existing = try FileSystemCall.status(path, relativeTo: AT_FDCWD, flags: AT_SYMLINK_NOFOLLOW)
        } catch Errno.noSuchFileOrDirectory {
            existing = nil  // nothing there yet: the daemon creates the socket
        } catch {
            throw .option(option, "cannot check \(path): \(describe(error))")
        }
        if let existing, existing.st_mode & S_IFMT != S_IFSOCK {
            throw .option(option, "\(path) exists and is not a socket")
        }
    }

    /// An inherited descriptor must be open and be a socket.
    static func validateInheritedFD(_ fd: CInt, option: String) throws(DaemonConfigurationError) {
        guard fd >= 0 else { throw .option(option, "\(fd) is not a file descriptor number") }
        let st: stat
        do {
            st = try FileSystemCall.status(of: fd)
        } catch Errno.badFileDescriptor {
            throw .option(option, "\(fd) is not an open file descriptor")
        } catch {
            throw .option(option, "cannot check descriptor \(fd): \(describe(error))")
        }
        guard st.st_mode & S_IFMT == S_IFSOCK else { throw .option(option, "descriptor \(fd) is not a socket") }
    }

    /// Resolves the shared directory to its absolute real path and checks that it is a directory.
    ///
    /// - Returns: the path as realpath(3) returns it.
    static func resolveSharedDirectory(_ path: String, option: String) throws(DaemonConfigurationError) -> String {
        guard !path.isEmpty else { throw .option(option, "the path is empty") }
        guard !path.utf8.contains(0) else { throw .option(option, "the path contains a NUL byte") }
        // realpath(3) is a libc path walk, not a system call, so it has no wrapper in LinuxSystem; it returns a
        // malloc'd buffer that we copy and free.
        guard let resolvedPointer = realpath(path, nil) else {
            let error = Errno.current
            switch error {
            case .noSuchFileOrDirectory: throw .option(option, "\(path) does not exist")
            case .notDirectory: throw .option(option, "\(path) is not a directory")
            default: throw .option(option, "cannot resolve \(path): \(describe(error))")
            }
        }
        let resolved = String(cString: resolvedPointer)
        free(resolvedPointer)
        let st: stat
        do {
            st = try FileSystemCall.status(resolved, relativeTo: AT_FDCWD, flags: 0)
        } catch {
            throw .option(option, "cannot check \(path): \(describe(error))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw .option(option, "\(path) is not a directory") }
        return resolved
    }

    /// A tag is 1 to 36 bytes without NUL (virtio 1.2 §5.11.4: the config space field is NUL-padded).
    static func validateTag(_ tag: String, option: String) throws(DaemonConfigurationError) {
        guard !tag.isEmpty else { throw .option(option, "the tag is empty") }
        guard !tag.utf8.contains(0) else { throw .option(option, "the tag contains a NUL byte") }
        let length = tag.utf8.count
        guard length <= maximumTagLength else {
            throw .option(
                option, "\(tag) is \(length) bytes, longer than the \(maximumTagLength) a virtio-fs tag can hold")
        }
    }

    /// The number of request queues is in `queueCountRange`.
    static func validateQueues(_ queues: Int, option: String) throws(DaemonConfigurationError) {
        guard queueCountRange.contains(queues) else {
            throw .option(
                option, "\(queues) is not between \(queueCountRange.lowerBound) and \(queueCountRange.upperBound)")
        }
    }

    /// The maximum queue size is a power of two in `queueSizeRange`.
    static func validateQueueSize(_ size: Int, option: String) throws(DaemonConfigurationError) {
        guard queueSizeRange.contains(size), size & (size - 1) == 0 else {
            throw .option(
                option,
                "\(size) is not a power of two between \(queueSizeRange.lowerBound) and \(queueSizeRange.upperBound)")
        }
    }

    /// max_write is a multiple of 4096 in `maxWriteRange`.
    ///
    /// - Parameter text: the value as the user wrote it (`32M`), for the message; nil shows the byte count.
    static func validateMaxWrite(
        _ bytes: Int, option: String, as text: String? = nil
    ) throws(DaemonConfigurationError) {
        guard maxWriteRange.contains(bytes), bytes % maxWriteGranularity == 0 else {
            throw .option(
                option,
                "\(text ?? String(bytes)) is not a multiple of \(maxWriteGranularity) between "
                    + "\(maxWriteRange.lowerBound) (4K) and \(maxWriteRange.upperBound) (16M)")
        }
    }

    /// The adaptive spin time is in `pollMicrosecondsRange`.
    static func validatePollMicroseconds(_ microseconds: Int, option: String) throws(DaemonConfigurationError) {
        guard pollMicrosecondsRange.contains(microseconds) else {
            throw .option(
                option,
                "\(microseconds) is not between \(pollMicrosecondsRange.lowerBound) and "
                    + "\(pollMicrosecondsRange.upperBound) microseconds")
        }
    }

    /// The (unused) thread pool size is not negative.
    static func validateThreadPoolSize(_ size: Int, option: String) throws(DaemonConfigurationError) {
        guard size >= 0 else { throw .option(option, "\(size) is negative") }
    }

    /// The descriptor cache size is in `descriptorCacheRange`.
    static func validateDescriptorCache(_ size: Int, option: String) throws(DaemonConfigurationError) {
        guard descriptorCacheRange.contains(size) else {
            throw .option(
                option,
                "\(size) is not between \(descriptorCacheRange.lowerBound) and \(descriptorCacheRange.upperBound)")
        }
    }

    /// An explicit descriptor limit is in `descriptorLimitRange`.
    static func validateDescriptorLimit(_ limit: DescriptorLimit, option: String) throws(DaemonConfigurationError) {
        guard case .exactly(let n) = limit else { return }
        guard descriptorLimitRange.contains(n) else {
            throw .option(
                option,
                "\(n) is not 0 (unchanged) or between \(descriptorLimitRange.lowerBound) and "
                    + "\(descriptorLimitRange.upperBound)")
        }
    }

    /// Reactor CPUs: at least one, each listed once, each in `allowed`, and no more reactors than request queues
    /// (a reactor without a queue would only burn its CPU).
    static func validateReactorCPUs(
        _ cpus: [Int], allowed: [Int], queues: Int, option: String
    ) throws(DaemonConfigurationError) {
        guard !cpus.isEmpty else { throw .option(option, "the CPU list is empty") }
        var seen = Set<Int>()
        let allowedSet = Set(allowed)
        for cpu in cpus {
            guard seen.insert(cpu).inserted else { throw .option(option, "CPU \(cpu) is listed twice") }
            guard allowedSet.contains(cpu) else {
                throw .option(
                    option,
                    "CPU \(cpu) is not an online CPU this process may run on (allowed: \(CPUList.format(allowed)))")
            }
        }
        guard cpus.count <= queues else {
            throw .option(
                option,
                "\(cpus.count) reactors but \(queues) request queue\(queues == 1 ? "" : "s"): every reactor needs a "
                    + "queue (raise --queues or list fewer CPUs)")
        }
    }

    /// A short description of an error for a one-line message: strerror for `Errno`.
    static func describe(_ error: any Error) -> String {
        if let errno = error as? Errno {
            guard let text = strerror(errno.rawValue) else { return "errno \(errno.rawValue)" }
            return String(cString: text)
        }
        return "\(error)"
    }
}
