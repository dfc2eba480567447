import Glibc
import LinuxSystem

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
        let termination: ProcessCall.Termination
        do throws(Errno) {
            let null = try FileDescriptor.open("/dev/null", flags: O_WRONLY)
            let pid = try ProcessCall.spawn(
                "/usr/bin/install", arguments: ["-m", "0755", source, destination], output: null)
            termination = try ProcessCall.waitForExit(pid)
        } catch {
            throw .spawn(error.rawValue)
        }
        guard termination == .exited(0) else {
            throw .exited(status: -1, log: "install -m 0755 \(source) \(destination): \(termination)")
        }
    }
}
