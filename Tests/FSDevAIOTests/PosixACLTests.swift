import CLinux
import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

/// `--posix-acl`'s device side: FUSE_SETXATTR_ACL_KILL_SGID (carried as `FSOperation.setxattrKillSetGroupID`) clears
/// set-group-ID before an access ACL is set, which the host kernel does not do for a root daemon.
@Suite struct PosixACLTests {
    @Test func killSetGroupIDClearsTheBitOnlyForAnAccessACLWhenAsked() throws {
        let h = try Harness()
        defer { h.close() }
        let acl = IDTranslationTests.acl(user: 1000, group: 1001)
        for (name, attribute, kill, keeps) in [
            ("asked", "system.posix_acl_access", true, false), ("not-asked", "system.posix_acl_access", false, true),
            ("default-acl", "system.posix_acl_default", true, true),
        ] {
            try FileManager.default.createDirectory(atPath: h.path(name), withIntermediateDirectories: false)
            #expect(chmod(h.path(name), 0o2770) == 0)
            let node = try h.lookup(.root, FileName(name)).node
            let flags = kill ? FSOperation.setxattrKillSetGroupID : 0
            try acl.withUnsafeBytes { value in
                _ = try h.call(.setxattr(node: node, name: FileName(attribute), value: value, flags: flags)).get()
            }
            #expect((try hostStat(h.path(name)).st_mode & S_ISGID != 0) == keeps, "\(name)")
        }
        // The flag is not an XATTR_* flag the host sees; unknown bits are still EINVAL.
        let node = try h.lookup(.root, "asked").node
        #expect(throws: Errno.invalidArgument) {
            try acl.withUnsafeBytes { value in
                try h.call(.setxattr(node: node, name: "system.posix_acl_access", value: value, flags: 1 << 20)).get()
            }
        }
    }
}
