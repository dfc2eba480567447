import Glibc

extension FUSEBackendProcess {
    /// Copies the backend's executable to `destination` with mode 0755, for a test that runs it as another user who
    /// may not reach the build directory.
    ///
    /// The copy is made by `/usr/bin/install` in a process of its own. Copying in this (multi-threaded) test process
    /// would hold a write descriptor of the copy that a process another test starts at the same moment could
    /// inherit and keep, and exec of the copy would then fail with ETXTBSY ("Text file busy").
    ///
    /// - Throws: `Failure.spawn` when install cannot start, `Failure.exited` when it fails.
    public static func copyExecutable(_ source: String, to destination: String) throws(Failure) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let words: [String] = ["/usr/bin/install", "-m", "0755", source, destination]
        let argv = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/usr/bin/install", &actions, nil, argv, environ)
        guard result == 0 else { throw .spawn(result) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw .exited(status: status, log: "install -m 0755 \(source) \(destination) failed") }
    }
}
