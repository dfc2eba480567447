import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// The checks GuestScripts/errors.sh prints, in order; the host-submount ones only when the host could mount.
    static func errorChecks(hostSubmount: Bool) -> [String] {
        var checks = [
            "enoent-cat", "enoent-stat", "enoent-ls", "enoent-rm", "enoent-rmdir", "enoent-mkdir-parent",
            "enoent-create-parent", "enoent-rename", "enoent-link",
            "eexist-mkdir", "eexist-mkdir-over-file", "eexist-mkfifo", "eexist-link", "eexist-symlink",
            "eexist-noclobber", "eexist-create-excl", "eexist-rename-noreplace",
            "enotempty-rmdir", "enotempty-rename-over-dir", "enotempty-rename-probe",
            "eisdir-write", "eisdir-read", "eisdir-unlink", "eisdir-rename-file-over-dir",
            "enotdir-lookup", "enotdir-mkdir", "enotdir-rmdir", "enotdir-rename-dir-over-file",
            "errors-left-files-alone", "xattr-disabled-set", "xattr-disabled-get",
            "exdev-link-from-guest-tmpfs", "exdev-rename-from-guest-tmpfs", "exdev-mv-from-guest-tmpfs-copies",
        ]
        if hostSubmount {
            checks += [
                "exdev-host-submount-link", "exdev-host-submount-rename", "exdev-host-submount-mv-copies",
                "exdev-host-submount-mv-content", "exdev-host-submount-mv-source-gone",
            ]
        }
        checks += [
            "escape-dotdot-is-guest-root", "escape-dotdot-dotdot-is-guest-root", "escape-dotdot-sees-guest-init",
            "escape-dotdot-no-host-secret",
        ]
        checks += escapeLinks.map { "escape-\($0.name)-is-a-symlink" }
        checks += [
            "escape-esc-rel-secret-readlink", "escape-esc-abs-secret-readlink", "escape-esc-parent-is-guest-root",
            "escape-esc-root-is-guest-root", "escape-esc-etc-is-guest-etc", "escape-esc-rel-secret-unreadable",
            "escape-esc-abs-secret-unreadable", "escape-esc-abs-share-parent-unreadable", "escape-secret-path-in-guest",
            "escape-secret-path-below-mnt", "escape-secret-path-below-esc-root",
            "escape-esc-abs-passwd-is-not-the-hosts", "escape-esc-etc-passwd-is-not-the-hosts",
            "escape-guest-symlink-abs", "escape-guest-symlink-resolves-in-guest",
            "escape-guest-symlink-passwd", "escape-guest-symlink-up", "escape-guest-symlink-up-unreadable",
            "escape-no-outside-marker-in-share",
            "user-is-tester", "eacces-read", "eacces-write", "eacces-create", "eacces-mkdir", "eacces-unlink",
            "eacces-rename", "eacces-list", "eperm-chown", "eperm-chmod", "eperm-utimes", "eperm-sticky-unlink",
            "user-create", "user-mkdir", "user-symlink", "user-fifo", "user-owns-created-file", "user-reads-own-file",
            "root-still-reads-0600",
        ]
        return checks
    }

    /// The checks of the mapped share in GuestScripts/errors.sh (a back-end with --translate-uid/--translate-gid).
    static let mappedChecks = [
        "mapped-mount", "mapped-root-owner", "mapped-host-file-owner", "mapped-unmapped-owner", "mapped-user-create",
        "mapped-user-owns-file", "mapped-user-mkdir", "mapped-root-create", "mapped-chown", "mapped-chown-result",
        "mapped-chown-forbidden", "mapped-chown-forbidden-unchanged", "mapped-acl-denied-before", "mapped-acl-set",
        "mapped-acl-get", "mapped-acl-grants-read", "mapped-sgid-before", "mapped-acl-kill-sgid",
        "mapped-acl-kill-sgid-result", "mapped-submount-own-device", "mapped-umount",
    ]

    /// The translation the mapped share is served with: guest uids 1000..<1010 are host 101000..<101010, gids
    /// 1000..<1010 host 201000..<201010, guest uid 1010 may own nothing; POSIX ACLs, whose ids cross too; and
    /// submounts announced (a tmpfs on `sub/`).
    static let mappedArguments = [
        "--translate-uid=map:1000:101000:10", "--translate-gid=map:1000:201000:10",
        "--translate-uid=forbid-guest:1010:1", "--posix-acl", "--announce-submounts",
    ]

    /// The symlinks the host plants in the share to lure the guest out of it. `{base}` is the directory holding
    /// the share and the outside marker.
    static let escapeLinks: [(name: String, target: String)] = [
        ("esc-parent", ".."),
        ("esc-root", String(repeating: "../", count: 16)),
        ("esc-etc", String(repeating: "../", count: 16) + "etc"),
        ("esc-rel-secret", "../outside-secret.txt"),
        ("esc-abs-secret", "{base}/outside-secret.txt"),
        ("esc-abs-passwd", "/etc/passwd"),
        ("esc-abs-share-parent", "{base}"),
    ]

    @Test("errors (ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EACCES, EXDEV) and no way out of the share",
          .timeLimit(.minutes(6)))
    func errorsAndConfinement() async throws {
        try requireHost()
        let share = try E2EShare()
        try share.write("file.txt", "file\n")
        try share.mkdir("dir")
        try share.mkdir("emptydir")
        try share.write("nonempty/child", "child\n")
        try share.write("secret0600.txt", "root only\n", mode: 0o600)
        try share.write("rootonly/file.txt", "root's\n")
        try share.mkdir("private-dir", mode: 0o700)
        try share.write("private-dir/inside.txt", "private\n")
        try share.mkdir("public", mode: 0o1777)
        try share.write("public/roots.txt", "root's file in a sticky directory\n")
        try share.write("xdev-src.txt", "crossing\n")
        let (hostSubmount, noSubmountReason) = try share.mountTmpfs(at: "xdev")
        if !hostSubmount {
            print("e2e: EXDEV through a host submount is not checked: \(noSubmountReason)")
        }
        for link in Self.escapeLinks {
            try share.symlink(link.name, to: link.target.replacingOccurrences(of: "{base}", with: share.base))
        }
        // A second share for uid/gid translation: its root and one file belong to mapped host ids, one file to an
        // id no rule covers.
        let mapped = share.sibling("mapped")
        try FileManager.default.createDirectory(atPath: mapped, withIntermediateDirectories: false)
        #expect(chown(mapped, 101_000, 201_000) == 0 && chmod(mapped, 0o755) == 0)
        for (name, uid, gid) in [("host-owned.txt", 101_003, 201_004), ("unmapped.txt", 4242, 4242),
                                 ("chowned.txt", 0, 0)] as [(String, uid_t, gid_t)] {
            try share.write(mapped + "/" + name, absolute: true, name + "\n")
            #expect(chown(mapped + "/" + name, uid, gid) == 0)
        }
        if hostSubmount { _ = try share.mountTmpfs(at: "../mapped/sub") }
        try share.write(".e2e/paths", """
            SECRET_PATH='\(share.secretPath)'
            HOST_PASSWD_SHA256=\(try HostSide.sha256("/etc/passwd"))
            HOST_SUBMOUNT=\(hostSubmount ? "mounted" : "none")
            MAPPED_SHARE=\(backend.translatesIDs ? "mapped" : "none")

            """)
        let baseBefore = HostSide.names(share.base)

        let server = try startBackend(share)
        var devices = [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)]
        var backends = [server]
        if backend.translatesIDs {
            let translating = try startBackend(
                share, directory: mapped, name: "mapped", tag: "mapped", extraArguments: Self.mappedArguments)
            devices.append(VhostUserFSDevice(socketPath: translating.socketPath, tag: "mapped"))
            backends.append(translating)
        } else {
            print("e2e: uid/gid translation is not checked: \(backend.name) has no --translate-uid")
        }
        let (result, report) = try await boot(script: "errors.sh", devices: devices, backends: backends)
        let mappedChecks = Self.mappedChecks.filter { hostSubmount || $0 != "mapped-submount-own-device" }
        report.expectAll(Self.errorChecks(hostSubmount: hostSubmount)
                            + (backend.translatesIDs ? mappedChecks : []),
                         context: "back-end logs:\n" + backends.map { $0.log.suffix(3000) }.joined(separator: "\n"))
        if backend.name == "vhostfsd" {
            // The suite runs the daemon as operators do: with its default sandbox, seccomp filter and capabilities.
            #expect(server.log.contains("sandbox namespace: \(share.root) is the root"), "\(server.log.prefix(2000))")
            #expect(server.log.contains("seccomp kill outside an allow-list"), "\(server.log.prefix(2000))")
        }

        // Nothing of the host outside the share reached the guest, and nothing the guest did landed outside it.
        #expect(!result.consoleLog.contains(share.secret), "the guest read the marker outside the share")
        #expect(HostSide.text(share.secretPath) == share.secret + "\n", "the marker outside the share changed")
        let sideFiles: Set<String> = ["backend.sock", "backend.log", "mapped.sock", "mapped.log"]
        let baseAfter = HostSide.names(share.base).subtracting(sideFiles)
        #expect(baseAfter == baseBefore.subtracting(sideFiles),
                "files appeared next to the share: \(baseAfter.subtracting(baseBefore))")
        for link in Self.escapeLinks {
            let target = link.target.replacingOccurrences(of: "{base}", with: share.base)
            #expect(HostSide.fileType(share.path(link.name)) == S_IFLNK, "\(link.name) is no longer a symlink")
            #expect(HostSide.readlink(share.path(link.name)) == target)
        }
        for (name, target) in [("guest-abs-link", "/tmp/guest-only"), ("guest-passwd-link", "/etc/passwd"),
                               ("guest-up-link", "../../../../../../../../outside-secret.txt")] {
            #expect(HostSide.fileType(share.path(name)) == S_IFLNK, "\(name) is not a symlink on the host")
            #expect(HostSide.readlink(share.path(name)) == target)
        }

        // The failed operations changed nothing.
        #expect(HostSide.text(share.path("file.txt")) == "file\n")
        #expect(HostSide.fileType(share.path("dir")) == S_IFDIR)
        #expect(HostSide.fileType(share.path("emptydir")) == S_IFDIR)
        #expect(HostSide.text(share.path("nonempty/child")) == "child\n")
        #expect(HostSide.text(share.path("rootonly/file.txt")) == "root's\n")
        #expect(HostSide.names(share.path("rootonly")) == ["file.txt"])
        #expect(HostSide.text(share.path("public/roots.txt")) != nil)
        #expect(HostSide.lstat(share.path("public/stolen.txt")) == nil)
        #expect(HostSide.lstat(share.path("from-tmpfs")) == nil)
        #expect(HostSide.text(share.path("from-tmpfs.txt")) == "from-the-guest-tmpfs\n")
        if hostSubmount {
            #expect(HostSide.text(share.path("xdev/moved.txt")) == "crossing\n")
            #expect(HostSide.lstat(share.path("xdev-src.txt")) == nil)
            #expect(HostSide.names(share.path("xdev")) == ["moved.txt"])
        }

        // What the unprivileged guest user made is owned by uid/gid 1000 on the host.
        for (name, type) in [("public/by-tester.txt", S_IFREG), ("public/tester-dir", S_IFDIR),
                             ("public/tester-link", S_IFLNK), ("public/tester-fifo", S_IFIFO)] {
            let made = try #require(HostSide.lstat(share.path(name)), "\(name) is missing on the host")
            #expect(made.st_mode & S_IFMT == type, "\(name) has the wrong type")
            #expect(made.st_uid == 1000 && made.st_gid == 1000, "\(name) is owned by \(made.st_uid):\(made.st_gid)")
        }
        #expect(HostSide.text(share.path("public/by-tester.txt")) == "mine\n")

        // On the mapped share the guest's uid/gid 1000 became the mapped host ids; root (no rule) stayed root.
        if backend.translatesIDs {
            for (name, uid, gid) in [("by-tester.txt", 101_000, 201_000), ("tester-dir", 101_000, 201_000),
                                     ("by-root.txt", 0, 0), ("chowned.txt", 101_002, 201_003)]
                as [(String, uid_t, gid_t)]
            {
                let made = try #require(HostSide.lstat(mapped + "/" + name), "mapped/\(name) is missing on the host")
                #expect(made.st_uid == uid && made.st_gid == gid,
                        "mapped/\(name) is owned by \(made.st_uid):\(made.st_gid), expected \(uid):\(gid)")
            }
            #expect(HostSide.text(mapped + "/by-tester.txt") == "mapped\n")
            // The ACL the guest set names the host ids.
            #expect(try share.probe("getacl", mapped + "/acl.txt") == "ok u:101000:4,g:201002:4")
            #expect(try share.probe("getacl", mapped + "/sgid.txt") == "ok u:101001:4,g:201003:4")
            let sgid = try #require(HostSide.lstat(mapped + "/sgid.txt"))
            #expect(sgid.st_mode & S_ISGID == 0, "set-group-ID survived the ACL: \(String(sgid.st_mode, radix: 8))")
        }
    }
}
