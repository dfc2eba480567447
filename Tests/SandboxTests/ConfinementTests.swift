import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// The second wall: with the passthrough's path checks switched off (a debug-only option), a hostile front-end that
/// walks symlinks and ".." still cannot leave the share when the daemon is sandboxed; without a sandbox it can (the
/// control, which shows the checks really are off).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConfinementTests {
    /// Symlinks the host plants in the share, each pointing out of it.
    static func plantEscapes(_ paths: SandboxedDaemon.Paths) throws {
        try FileManager.default.createSymbolicLink(atPath: paths.share + "/escape-abs", withDestinationPath: paths.root)
        try FileManager.default.createSymbolicLink(atPath: paths.share + "/escape-up", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(
            atPath: paths.share + "/escape-far", withDestinationPath: String(repeating: "../", count: 12) + "etc")
        try FileManager.default.createSymbolicLink(atPath: paths.share + "/escape-root", withDestinationPath: "/")
        guard FileManager.default.createFile(atPath: paths.share + "/inside.txt", contents: Data("inside\n".utf8))
        else { throw POSIXError(.EIO) }
    }

    /// What a LOOKUP of `name` under `parent` gives: the entry or the errno.
    static func lookup(
        _ client: FUSEClient, _ parent: UInt64, _ name: String
    ) -> Result<FUSEClient.Entry, FUSEClient.Failure> {
        Result { () throws(FUSEClient.Failure) in try client.lookup(parent: parent, name: name) }
    }

    /// Reads a whole small file through the client.
    static func read(_ client: FUSEClient, _ node: UInt64) throws -> String {
        let opened = try client.open(node, flags: O_RDONLY)
        defer { try? client.release(node, handle: opened.handle) }
        return String(decoding: try client.read(node, handle: opened.handle, offset: 0, size: 4096), as: UTF8.self)
    }

    @Test("without a sandbox, the unchecked lookup does escape (the control)")
    func withoutASandboxTheUncheckedLookupEscapes() throws {
        let daemon = try SandboxedDaemon(["--sandbox=none", "--debug-unconfined-lookup"], prepare: Self.plantEscapes)
        let client = try daemon.connect()
        defer { client.shutdown() }
        let outside = try client.lookup(parent: FUSEClient.rootNodeID, name: "escape-abs")
        let secret = try client.lookup(parent: outside.nodeID, name: "outside-secret.txt")
        #expect(try Self.read(client, secret.nodeID) == SandboxedDaemon.secret)
        let up = try client.lookup(parent: FUSEClient.rootNodeID, name: "..")
        #expect(Self.lookup(client, up.nodeID, "outside-secret.txt").map(\.attributes.size) == .success(18))
    }

    @Test("sandboxed, symlinks and .. resolve inside the share even with the path checks off",
          arguments: ["namespace", "chroot"])
    func escapeStaysInTheShare(sandbox: String) throws {
        let daemon = try SandboxedDaemon(["--sandbox=\(sandbox)", "--debug-unconfined-lookup"],
                                         prepare: Self.plantEscapes)
        let client = try daemon.connect()
        defer { client.shutdown() }
        let root = try client.getattr(FUSEClient.rootNodeID).attributes.inode
        // An absolute link to the share's parent names nothing inside the new root.
        #expect(Self.lookup(client, FUSEClient.rootNodeID, "escape-abs").map(\.nodeID) == .failure(.errno(ENOENT)))
        // "..", "../../..", "/" all stop at the share's root.
        for name in ["..", "escape-up", "escape-root"] {
            let entry = try client.lookup(parent: FUSEClient.rootNodeID, name: name)
            #expect(entry.attributes.inode == root, "\(name) left the share's root")
            #expect(Self.lookup(client, entry.nodeID, "outside-secret.txt").map(\.nodeID) == .failure(.errno(ENOENT)))
            #expect(Self.lookup(client, entry.nodeID, "inside.txt").map(\.attributes.size) == .success(7))
        }
        // A walk up to the host's /etc lands in the share, which has none.
        #expect(Self.lookup(client, FUSEClient.rootNodeID, "escape-far").map(\.nodeID) == .failure(.errno(ENOENT)))
        #expect(!daemon.log.contains("error"), "\(daemon.log)")
    }
}
