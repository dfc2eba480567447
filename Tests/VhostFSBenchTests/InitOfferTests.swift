import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// What the daemon offers in FUSE_INIT for virtiofsd's options, seen by a front-end that offers everything.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct InitOfferTests {
    /// FUSE_DIRECT_IO_ALLOW_MMAP (protocol 7.39, flags2 bit 4).
    static let directIOAllowMmap: UInt64 = 1 << 36

    /// Starts the debug daemon with `arguments`, sends INIT offering `extraFlags` too, and returns the flags it
    /// accepted.
    func acceptedFlags(_ arguments: String, extraFlags: UInt64) throws -> UInt64 {
        var configuration = FUSEClient.Configuration()
        configuration.initFlags = FUSEClient.linuxInitFlags | extraFlags
        let fixture = try BackendFixture(
            configuration: configuration, template: BackendFixture.defaultTemplate + " " + arguments)
        defer { fixture.stop() }
        return try #require(fixture.client.initReply).flags
    }

    /// FUSE_POSIX_ACL (1 << 20), FUSE_DONT_MASK (1 << 6), FUSE_SETXATTR_EXT (1 << 29).
    static let posixACLFlags: UInt64 = 1 << 20 | 1 << 6 | 1 << 29

    @Test func posixACLIsOfferedWithDontMaskAndSetxattrExtOrTheMountIsRefused() throws {
        #expect(try acceptedFlags("--posix-acl", extraFlags: 1 << 20) & Self.posixACLFlags == Self.posixACLFlags)
        #expect(try acceptedFlags("--xattr", extraFlags: 1 << 20) & Self.posixACLFlags == 0)
        // A guest kernel without POSIX ACL support: INIT is refused (EPROTO), as virtiofsd does, rather than
        // serving a share whose ACLs the guest would not enforce.
        do {
            _ = try acceptedFlags("--posix-acl", extraFlags: 0)
            Issue.record("INIT was accepted without FUSE_POSIX_ACL")
        } catch {
            #expect("\(error)".hasPrefix("\(FUSEClient.Failure.errno(EPROTO))"), "\(error)")
        }
    }

    @Test func allowMmapIsOfferedOnlyWhenAsked() throws {
        #expect(try acceptedFlags("--cache=never --allow-mmap", extraFlags: Self.directIOAllowMmap)
            & Self.directIOAllowMmap != 0)
        #expect(try acceptedFlags("--cache=never", extraFlags: Self.directIOAllowMmap) & Self.directIOAllowMmap == 0)
        // A guest that does not know the flag (Linux before 6.6) does not get it.
        #expect(try acceptedFlags("--cache=never --allow-mmap", extraFlags: 0) & Self.directIOAllowMmap == 0)
    }
}
