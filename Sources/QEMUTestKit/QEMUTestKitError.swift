#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything that can stop QEMUTestKit from booting a guest. A guest that boots and then fails is not an error:
/// it is described by `GuestRunResult`.
public enum QEMUTestKitError: Error, Sendable, CustomStringConvertible {
    /// QEMU, the kernel, busybox-static or a build tool is missing; the report says what to install.
    case unavailable(QEMUAvailability)
    /// `contrib/guest/build-initramfs.sh` failed or printed no paths; carries its status and combined output.
    case initramfsBuildFailed(status: QEMUExitStatus?, output: String)
    /// `posix_spawn` of `executable` failed with this errno.
    case spawnFailed(executable: String, errno: Int32)
    /// A `QEMUGuest` setting cannot be expressed on the QEMU or kernel command line.
    case invalidConfiguration(String)
    /// Creating or reading the run's work files failed.
    case io(String)
    /// The surrounding task was cancelled; QEMU has been killed and reaped.
    case cancelled

    public var description: String {
        switch self {
        case .unavailable(let availability):
            return "QEMU guest tests cannot run: \(availability)"
        case .initramfsBuildFailed(let status, let output):
            return "building the guest initramfs failed (\(status.map { "\($0)" } ?? "no status")):\n\(output)"
        case .spawnFailed(let executable, let code):
            return "cannot start \(executable): \(String(cString: strerror(code)))"
        case .invalidConfiguration(let message):
            return "invalid QEMU guest configuration: \(message)"
        case .io(let message):
            return "QEMU guest I/O error: \(message)"
        case .cancelled:
            return "the QEMU guest run was cancelled (QEMU was killed)"
        }
    }
}
