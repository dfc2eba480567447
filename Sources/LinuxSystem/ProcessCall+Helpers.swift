import CLinux
import Glibc

/// What the daemon's start-up needs to run a helper program (newuidmap, newgidmap) and talk to a forked helper
/// process: pipes, spawning, a blocking wait, process-wide ids. Used before any thread starts.
extension ProcessCall {
    /// A pipe, both ends close-on-exec. The corresponding C function is `pipe2(O_CLOEXEC)`.
    public static func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var ends: [CInt] = [-1, -1]
        _ = try SystemCall.valueOrErrno { CLinux_pipe2(&ends, O_CLOEXEC) }.get()
        return (FileDescriptor(taking: ends[0]), FileDescriptor(taking: ends[1]))
    }

    /// Starts `program` (looked up in PATH) with `arguments` (without the program name), standard input from
    /// /dev/null and standard output and error into `output`, every signal unblocked and at its default action, and
    /// no other descriptor (every descriptor of the daemon is close-on-exec). The corresponding C function is
    /// `posix_spawnp`.
    ///
    /// - Returns: the child's pid.
    /// - Throws: the errno posix_spawnp returns (ENOENT when the program is not installed).
    public static func spawn(_ program: String, arguments: [String], output: FileDescriptor) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, 1)
        posix_spawn_file_actions_adddup2(&actions, output.rawValue, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, program, &actions, &attributes, argv, environ)
        guard result == 0 else { throw Errno(rawValue: result) }
        return pid
    }

    /// Waits until child `pid` ends and reaps it, retrying EINTR. The corresponding C function is `waitpid`.
    public static func waitForExit(_ pid: pid_t) throws(Errno) -> Termination {
        var status: CInt = 0
        _ = try SystemCall.valueOrErrno { waitpid(pid, &status, 0) }.get()
        return Termination(waitStatus: status) ?? .exited(-1)
    }

    /// Sets the real, effective and saved user ids of every thread of the process. The corresponding C function is
    /// `setresuid`.
    public static func setUserIDs(_ uid: uid_t) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_setresuid(uid, uid, uid) }.get()
    }

    /// Sets the real, effective and saved group ids of every thread of the process. The corresponding C function is
    /// `setresgid`.
    public static func setGroupIDs(_ gid: gid_t) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_setresgid(gid, gid, gid) }.get()
    }

    /// Writes `text` to a /proc file in one write (the kernel takes a user namespace's map or `setgroups` only
    /// whole, in a single write). The corresponding C functions are `open` and `write`.
    public static func writeProcFile(_ path: String, _ text: String) throws(Errno) {
        let file = try FileDescriptor.open(path, flags: O_WRONLY)
        let bytes = Array(text.utf8)
        let written = try SystemCall.valueOrErrno {
            bytes.withUnsafeBytes { raw in Glibc.write(file.rawValue, raw.baseAddress, raw.count) }
        }.get()
        guard written == bytes.count else { throw .ioError }
    }
}
