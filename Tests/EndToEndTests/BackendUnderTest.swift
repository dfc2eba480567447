import Foundation

/// The vhost-user-fs back-end the end-to-end suite runs against, chosen by `VHOSTFS_E2E_BACKEND`:
///
/// - `vhostfsd` (the default): the daemon this package builds, found next to the test binary
///   (`.build/<triple>/debug/vhostfsd`) or at `VHOSTFS_E2E_VHOSTFSD`.
/// - `virtiofsd-c`: QEMU 7.2's C virtiofsd from Debian (`/usr/lib/qemu/virtiofsd`), the reference used to develop
///   the suite. It must run as root (its default sandbox unshares namespaces).
/// - `command`: the template in `VHOSTFS_E2E_BACKEND_COMMAND`, split at spaces (e.g. a Rust virtiofsd:
///   `virtiofsd --socket-path={socket} --shared-dir={dir} --cache=auto`), with `VHOSTFS_E2E_BACKEND_XATTR` as its
///   xattr switch (default `--xattr`).
///
/// In a template `{socket}` is the vhost-user socket path, `{dir}` the shared directory and `{tag}` the virtio-fs tag.
struct BackendUnderTest: Sendable, CustomStringConvertible {
    /// A short name for messages, e.g. `virtiofsd-c`.
    var name: String
    /// The back-end's argv with placeholders; the first element is the executable's absolute path.
    var commandTemplate: [String]
    /// Arguments appended to turn extended attributes on; without them the back-end must refuse xattrs.
    var xattrArguments: [String]
    /// Whether the back-end takes virtiofsd's `--translate-uid`/`--translate-gid` (virtiofsd 1.11 and later;
    /// QEMU's C virtiofsd does not), for the mapped-share checks. `VHOSTFS_E2E_BACKEND_TRANSLATES=1` for a command.
    var translatesIDs = false
    /// Whether the back-end keeps listening after its front-end disconnects, so that a second guest can attach.
    /// QEMU's C virtiofsd serves exactly one front-end and exits when it goes away.
    var servesSuccessiveFrontEnds: Bool
    /// Arguments appended to turn guest caching off (`--cache=never`; a later option wins over the template's).
    var cacheNeverArguments: [String] {
        switch name {
        case "virtiofsd-c": ["-o", "cache=none"]
        case "command":
            (ProcessInfo.processInfo.environment["VHOSTFS_E2E_BACKEND_CACHE_NEVER"] ?? "--cache=never")
                .split(separator: " ").map(String.init)
        default: ["--cache=never"]
        }
    }

    var description: String { "\(name) (\(commandTemplate.joined(separator: " ")))" }

    /// The back-end selected by the environment; see the type's documentation.
    static let current: BackendUnderTest = {
        let environment = ProcessInfo.processInfo.environment
        switch environment["VHOSTFS_E2E_BACKEND"] ?? "vhostfsd" {
        case "virtiofsd-c":
            return .virtiofsdC
        case "command":
            let template = (environment["VHOSTFS_E2E_BACKEND_COMMAND"] ?? "").split(separator: " ").map(String.init)
            let xattr = (environment["VHOSTFS_E2E_BACKEND_XATTR"] ?? "--xattr").split(separator: " ").map(String.init)
            return BackendUnderTest(
                name: "command", commandTemplate: template, xattrArguments: xattr,
                translatesIDs: environment["VHOSTFS_E2E_BACKEND_TRANSLATES"] == "1",
                servesSuccessiveFrontEnds: environment["VHOSTFS_E2E_BACKEND_ONE_SHOT"] != "1")
        default:
            return .vhostfsd(executable: environment["VHOSTFS_E2E_VHOSTFSD"] ?? defaultVhostfsdPath())
        }
    }()

    /// This package's daemon.
    static func vhostfsd(executable: String) -> BackendUnderTest {
        BackendUnderTest(
            name: "vhostfsd",
            commandTemplate: [
                // No --tag, as libvirt starts it: QEMU's tag= property names the share.
                executable, "--socket-path={socket}", "--shared-dir={dir}", "--cache=auto",
            ],
            xattrArguments: ["--xattr"],
            translatesIDs: true,
            servesSuccessiveFrontEnds: true)
    }

    /// QEMU 7.2's C virtiofsd as Debian ships it.
    static let virtiofsdC = BackendUnderTest(
        name: "virtiofsd-c",
        commandTemplate: [
            "/usr/lib/qemu/virtiofsd", "--socket-path={socket}", "-o", "source={dir}", "-o", "cache=auto",
        ],
        xattrArguments: ["-o", "xattr"],
        servesSuccessiveFrontEnds: false)

    /// The argv for one back-end instance, with `extraArguments` (e.g. id translation rules) at the end.
    func command(
        socketPath: String, sharedDirectory: String, tag: String, xattr: Bool, extraArguments: [String] = []
    ) -> [String] {
        (commandTemplate + (xattr ? xattrArguments : []) + extraArguments).map { argument in
            argument
                .replacingOccurrences(of: "{socket}", with: socketPath)
                .replacingOccurrences(of: "{dir}", with: sharedDirectory)
                .replacingOccurrences(of: "{tag}", with: tag)
        }
    }

    /// `vhostfsd` beside the running test binary (SwiftPM builds every executable product before it runs tests),
    /// else `<repo>/.build/debug/vhostfsd`.
    private static func defaultVhostfsdPath() -> String {
        if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
                .appendingPathComponent("vhostfsd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return E2EPaths.repositoryRoot + "/.build/debug/vhostfsd"
    }
}
