// fuse-probe SOCKET: connects to the vhost-user-fs back-end listening at SOCKET the way QEMU does, sends FUSE_INIT
// and GETATTR of the root, and prints both answers. Exit status 0 on success, 1 when the back-end fails, 2 on a
// bad command line.
import Glibc
import VhostUserTestKit

/// Writes one line to standard error and exits with `status`.
func fail(_ message: String, status: Int32) -> Never {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count == 2, !arguments[1].hasPrefix("-") else {
    fail("usage: fuse-probe SOCKET (the vhost-user socket of a virtio-fs back-end)", status: 2)
}

do {
    var configuration = FUSEClient.Configuration()
    configuration.connectTimeoutMilliseconds = 5_000
    let client = try FUSEClient(socketPath: arguments[1], configuration: configuration)
    defer { client.shutdown() }
    guard let initReply = client.initReply else { fail("fuse-probe: the back-end did not answer FUSE_INIT", status: 1) }
    print("tag: \(client.tag ?? "(not in the config space)"), request queues: "
        + "\(client.backendRequestQueueCount.map(String.init) ?? "(not said)")")
    print("\(FUSEClient.Opcode.`init`.cName): protocol \(initReply.major).\(initReply.minor), "
        + "max_write \(initReply.maximumWrite), max_pages \(initReply.maximumPages), "
        + "flags 0x\(String(initReply.flags, radix: 16))")
    let attributes = try client.getattr(FUSEClient.rootNodeID).attributes
    print("\(FUSEClient.Opcode.getattr.cName) of the root: inode \(attributes.inode), mode 0o"
        + "\(String(attributes.mode, radix: 8)), directory \(attributes.isDirectory), links \(attributes.linkCount), "
        + "uid \(attributes.uid), gid \(attributes.gid), size \(attributes.size)")
} catch {
    fail("fuse-probe: \(error)", status: 1)
}
