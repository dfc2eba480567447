import CLinux
import FSDevAIO
import Foundation
import Glibc
import Testing
import VhostUserTestKit

/// Hole 3 of issue 10: with `--xattr` the guest must not reach the host's `trusted.*` or `security.*` attributes
/// (but `security.selinux`) unless a `--xattrmap` says where they go; the map's renaming and hiding must hold for
/// every operation and for LISTXATTR alike. Driven through the FUSE client over a real socket.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ExtendedAttributePolicyTests {
    static func daemon(map: String? = nil) throws -> InProcessDaemon {
        var options = AIOFSOptions(extendedAttributes: true)
        if let map { options.extendedAttributeMap = try ExtendedAttributeMap.parse(map) }
        return try InProcessDaemon(options: options)
    }

    /// The host's own view of a file's xattr names.
    static func hostNames(_ path: String) -> Set<String> {
        var buffer = [CChar](repeating: 0, count: 65536)
        let n = llistxattr(path, &buffer, buffer.count)
        guard n > 0 else { return [] }
        return Set(buffer[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) },
                                                                   as: UTF8.self) })
    }

    static func hostValue(_ path: String, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = lgetxattr(path, name, &buffer, buffer.count)
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }

    static func fails(_ errno: Int32, _ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch let failure as FUSEClient.Failure {
            return failure == .errno(errno)
        } catch {
            return false
        }
    }

    @Test func withoutAMapTrustedAndSecurityButSELinuxAreUnsupported() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let path = d.share + "/f"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        // What the host has set for itself.
        #expect(setxattr(path, "trusted.host", "secret", 6, 0) == 0)
        #expect(setxattr(path, "user.visible", "v", 1, 0) == 0)
        let c = try d.client()
        defer { c.shutdown() }
        let f = try c.lookup(parent: FUSEClient.rootNodeID, name: "f").nodeID
        for name in ["trusted.overlay.opaque", "trusted.host", "security.capability", "security.ima"] {
            #expect(Self.fails(EOPNOTSUPP) { try c.setxattr(f, name: name, value: Array("y".utf8)) }, "set \(name)")
            #expect(Self.fails(EOPNOTSUPP) { _ = try c.getxattr(f, name: name) }, "get \(name)")
            #expect(Self.fails(EOPNOTSUPP) { try c.removexattr(f, name: name) }, "remove \(name)")
        }
        #expect(Self.hostValue(path, "trusted.host") == "secret")
        #expect(Self.hostValue(path, "trusted.overlay.opaque") == nil)
        #expect(Self.hostValue(path, "security.capability") == nil)
        // user.* and security.selinux pass.
        try c.setxattr(f, name: "user.guest", value: Array("g".utf8))
        #expect(try c.getxattr(f, name: "user.visible") == Array("v".utf8))
        try c.setxattr(f, name: "security.selinux", value: Array("system_u:object_r:tmp_t:s0".utf8) + [0])
        #expect(Self.hostValue(path, "security.selinux")?.hasPrefix("system_u:object_r:tmp_t:s0") == true)
        // The listing hides what cannot be used and its size query agrees.
        let listed = try c.listxattr(f)
        #expect(Set(listed) == ["user.visible", "user.guest", "security.selinux"])
        #expect(try c.listxattrSize(f) == listed.reduce(0) { $0 + $1.utf8.count + 1 })
        #expect(Self.hostNames(path).contains("trusted.host"))
    }

    /// doc/xattr-mapping.md example 2: the guest's trusted.* live under user.virtiofs.trusted.* on the host.
    @Test func aMapRenamesHidesAndRefusesConsistently() throws {
        let d = try Self.daemon(map: "/map/trusted./user.virtiofs./")
        defer { d.stop() }
        let path = d.share + "/f"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(setxattr(path, "trusted.host", "secret", 6, 0) == 0)
        #expect(setxattr(path, "user.plain", "p", 1, 0) == 0)
        let c = try d.client()
        defer { c.shutdown() }
        let f = try c.lookup(parent: FUSEClient.rootNodeID, name: "f").nodeID
        try c.setxattr(f, name: "trusted.overlay.opaque", value: Array("y".utf8))
        #expect(Self.hostValue(path, "user.virtiofs.trusted.overlay.opaque") == "y")
        #expect(Self.hostValue(path, "trusted.overlay.opaque") == nil)
        #expect(try c.getxattr(f, name: "trusted.overlay.opaque") == Array("y".utf8))
        // The host's own trusted.* is neither listed nor reachable (the guest's name maps elsewhere).
        #expect(Self.fails(ENODATA) { _ = try c.getxattr(f, name: "trusted.host") })
        // The mapped names cannot be used directly: bad gives EPERM, and ENODATA for GETXATTR.
        #expect(Self.fails(EPERM) { try c.setxattr(f, name: "user.virtiofs.trusted.x", value: [1]) })
        #expect(Self.fails(ENODATA) { _ = try c.getxattr(f, name: "user.virtiofs.trusted.overlay.opaque") })
        #expect(Self.fails(EPERM) { try c.removexattr(f, name: "user.virtiofs.trusted.overlay.opaque") })
        let listed = try c.listxattr(f)
        #expect(Set(listed) == ["trusted.overlay.opaque", "user.plain"])
        #expect(try c.listxattrSize(f) == listed.reduce(0) { $0 + $1.utf8.count + 1 })
        try c.removexattr(f, name: "trusted.overlay.opaque")
        #expect(Self.hostValue(path, "user.virtiofs.trusted.overlay.opaque") == nil)
        // A mapped name longer than XATTR_NAME_MAX: ERANGE, as setxattr(2) gives.
        let long = "trusted." + String(repeating: "n", count: 240)
        #expect(Self.fails(ERANGE) { try c.setxattr(f, name: long, value: [1]) })
    }

    @Test func unsupportedAndUnmatchedNames() throws {
        let d = try Self.daemon(map: ":unsupported:all:user.secret:user.secret: :ok:all:user.:user.:")
        defer { d.stop() }
        let path = d.share + "/f"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(setxattr(path, "user.secret", "s", 1, 0) == 0)
        #expect(setxattr(path, "user.open", "o", 1, 0) == 0)
        #expect(setxattr(path, "trusted.host", "t", 1, 0) == 0)
        let c = try d.client()
        defer { c.shutdown() }
        let f = try c.lookup(parent: FUSEClient.rootNodeID, name: "f").nodeID
        #expect(Self.fails(EOPNOTSUPP) { _ = try c.getxattr(f, name: "user.secret") })
        #expect(Self.fails(EOPNOTSUPP) { try c.setxattr(f, name: "user.secret", value: [1]) })
        // No rule matches trusted.*: refused as by :bad:all:::, and hidden.
        #expect(Self.fails(EPERM) { try c.setxattr(f, name: "trusted.x", value: [1]) })
        #expect(Self.fails(ENODATA) { _ = try c.getxattr(f, name: "trusted.host") })
        #expect(try c.listxattr(f) == ["user.open"])
        #expect(Self.hostValue(path, "user.secret") == "s")
    }
}
