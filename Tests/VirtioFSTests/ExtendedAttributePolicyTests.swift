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
    /// A daemon with xattrs on (and `map`), serving a file `f` that carries the host's own `attributes`; a client
    /// that looked `f` up.
    static func share(map: String? = nil, hostAttributes: [(String, String)])
        throws -> (d: InProcessDaemon, c: FUSEClient, f: UInt64, path: String)
    {
        var options = AIOFSOptions(extendedAttributes: true)
        if let map { options.extendedAttributeMap = try ExtendedAttributeMap.parse(map) }
        let d = try InProcessDaemon(options: options)
        let path = d.share + "/f"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        for (name, value) in hostAttributes {
            #expect(setxattr(path, name, value, value.utf8.count, 0) == 0, "host setxattr \(name)")
        }
        let c = try d.client()
        return (d, c, try c.lookup(parent: FUSEClient.rootNodeID, name: "f").nodeID, path)
    }

    /// LISTXATTR shows exactly `names`, and its size query agrees with the list.
    static func expectListing(_ c: FUSEClient, _ f: UInt64, _ names: Set<String>) throws {
        let listed = try c.listxattr(f)
        #expect(Set(listed) == names)
        #expect(try c.listxattrSize(f) == listed.reduce(0) { $0 + $1.utf8.count + 1 })
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
        // What the host has set for itself.
        let (d, c, f, path) = try Self.share(hostAttributes: [("trusted.host", "secret"), ("user.visible", "v")])
        defer { d.stop() }
        defer { c.shutdown() }
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
        // The listing hides what cannot be used.
        try Self.expectListing(c, f, ["user.visible", "user.guest", "security.selinux"])
        #expect(Self.hostNames(path).contains("trusted.host"))
    }

    /// doc/xattr-mapping.md example 2: the guest's trusted.* live under user.virtiofs.trusted.* on the host.
    @Test func aMapRenamesHidesAndRefusesConsistently() throws {
        let (d, c, f, path) = try Self.share(map: "/map/trusted./user.virtiofs./",
                                             hostAttributes: [("trusted.host", "secret"), ("user.plain", "p")])
        defer { d.stop() }
        defer { c.shutdown() }
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
        try Self.expectListing(c, f, ["trusted.overlay.opaque", "user.plain"])
        try c.removexattr(f, name: "trusted.overlay.opaque")
        #expect(Self.hostValue(path, "user.virtiofs.trusted.overlay.opaque") == nil)
        // A mapped name longer than XATTR_NAME_MAX: ERANGE, as setxattr(2) gives.
        let long = "trusted." + String(repeating: "n", count: 240)
        #expect(Self.fails(ERANGE) { try c.setxattr(f, name: long, value: [1]) })
    }

    @Test func unsupportedAndUnmatchedNames() throws {
        let (d, c, f, path) = try Self.share(
            map: ":unsupported:all:user.secret:user.secret: :ok:all:user.:user.:",
            hostAttributes: [("user.secret", "s"), ("user.open", "o"), ("trusted.host", "t")])
        defer { d.stop() }
        defer { c.shutdown() }
        #expect(Self.fails(EOPNOTSUPP) { _ = try c.getxattr(f, name: "user.secret") })
        #expect(Self.fails(EOPNOTSUPP) { try c.setxattr(f, name: "user.secret", value: [1]) })
        // No rule matches trusted.*: refused as by :bad:all:::, and hidden.
        #expect(Self.fails(EPERM) { try c.setxattr(f, name: "trusted.x", value: [1]) })
        #expect(Self.fails(ENODATA) { _ = try c.getxattr(f, name: "trusted.host") })
        try Self.expectListing(c, f, ["user.open"])
        #expect(Self.hostValue(path, "user.secret") == "s")
    }
}
