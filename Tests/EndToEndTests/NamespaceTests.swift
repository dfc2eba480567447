import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// The checks GuestScripts/namespace.sh prints, in order.
    static let namespaceChecks = [
        "mkdir-p", "mkdir-p-result", "rmdir", "rmdir-gone", "mkdir-then-rmdir", "create", "create-is-empty-file",
        "unlink-rm", "unlink-gone", "unlink-applet",
        "rename-same-dir", "rename-same-dir-content", "rename-same-dir-source-gone", "rename-across-dirs",
        "rename-across-dirs-content", "rename-over-existing", "rename-over-existing-content",
        "rename-over-existing-source-gone", "rename-dir", "rename-dir-across-dirs", "rename-dir-content",
        "rename-dir-over-empty-dir", "rename-dir-over-empty-dir-result", "rename-noreplace-existing",
        "rename-noreplace-new", "rename-exchange", "rename-exchange-content",
        "link", "link-across-dirs", "link-count-3", "link-same-inode", "link-count-after-unlink",
        "link-shared-content", "host-link-count", "host-link-same-inode",
        "symlink", "symlink-readlink", "symlink-lstat-type", "symlink-follow", "symlink-stat-follows",
        "symlink-dangling", "symlink-dangling-readlink", "symlink-dangling-does-not-resolve", "symlink-long-target",
        "symlink-long-readlink", "host-symlink-readlink", "host-symlink-lstat-type", "host-symlink-follow",
        "chmod-file", "chmod-file-mode", "chmod-dir", "chmod-sticky-dir", "chmod-dir-mode", "chown", "chown-result",
        "chgrp", "utimes-mtime", "utimes-atime", "utimes-result", "utimes-symlink-nofollow",
        "utimes-symlink-result", "utimes-symlink-target-untouched", "truncate-shrink", "truncate-shrink-size",
        "truncate-grow", "truncate-grow-size", "truncate-grow-keeps-data", "truncate-create",
        "mknod-fifo", "mkfifo", "fifo-type", "fifo-carries-data",
        "readdir-host-count", "readdir-host-no-duplicates", "readdir-host-names", "readdir-host-long-listing",
        "readdir-guest-count", "readdir-guest-remove-some", "readdir-guest-count-after-remove",
        "readdir-guest-no-duplicates", "readdir-root-dot-entries",
        "xattr-set", "xattr-get", "xattr-set-create", "xattr-set-create-existing", "xattr-set-replace",
        "xattr-set-replace-missing", "xattr-list", "xattr-remove", "xattr-get-removed", "xattr-get-missing",
        "xattr-host-set", "xattr-on-dir",
    ]

    @Test("names and metadata: rename, links, symlinks, chmod/chown/utimes/truncate, fifos, readdir 5,000, xattrs",
          .timeLimit(.minutes(6)))
    func namesAndMetadata() async throws {
        try requireHost()
        let share = try E2EShare()
        let pad = "abcdefghijklmnopqrstuvwxyz0123456789"
        try share.mkdir("host/many")
        for index in 0..<5000 {
            let name = share.path("host/many/" + String(format: "entry-%04d-", index) + pad)
            guard FileManager.default.createFile(atPath: name, contents: nil) else {
                throw HostSideError(description: "cannot create \(name)")
            }
        }
        try share.write("host/hardlinked.txt", "three names\n")
        try FileManager.default.linkItem(atPath: share.path("host/hardlinked.txt"),
                                         toPath: share.path("host/hardlinked-2.txt"))
        try share.mkdir("host/sub")
        try FileManager.default.linkItem(atPath: share.path("host/hardlinked.txt"),
                                         toPath: share.path("host/sub/hardlinked-3.txt"))
        try share.write("host/target.txt", "target content\n")
        try share.symlink("host/link-to-target", to: "target.txt")
        let truncateMe = E2EShare.randomData(count: 10_000)
        try share.write("host/truncate-me.bin", data: truncateMe)
        try share.write("host/xattr-host.txt", "has an xattr\n")
        #expect(try share.probe("setxattr", share.path("host/xattr-host.txt"), "user.host", "from-the-host") == "ok",
                "the host file system under the share must support user xattrs")

        let server = try startBackend(share, xattr: true)
        let (_, report) = try await boot(
            script: "namespace.sh", devices: [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)],
            backends: [server])
        report.expectAll(Self.namespaceChecks, context: "back-end log:\n\(server.log.suffix(3000))")

        func exists(_ relative: String) -> Bool { HostSide.lstat(share.path(relative)) != nil }
        func type(_ relative: String) -> mode_t? { HostSide.fileType(share.path(relative)) }
        func text(_ relative: String) -> String? { HostSide.text(share.path(relative)) }

        // mkdir, rmdir, create, unlink
        #expect(type("ns/a/b") == S_IFDIR)
        #expect(!exists("ns/a/b/c") && !exists("ns/transient"))
        #expect(type("ns/created.txt") == S_IFREG && HostSide.lstat(share.path("ns/created.txt"))?.st_size == 0)
        #expect(!exists("ns/unlinked.txt") && !exists("ns/unlinked2.txt"))
        // rename
        #expect(text("ns/renamed.txt") == "r\n" && !exists("ns/rename-src.txt"))
        #expect(text("ns/dir2/moved.txt") == "moved\n" && !exists("ns/dir1/moving.txt"))
        #expect(text("ns/victim.txt") == "new\n" && !exists("ns/replacer.txt"))
        #expect(text("ns/dir2/newdir/inner/f") == "in\n" && !exists("ns/olddir") && !exists("ns/newdir"))
        #expect(type("ns/dir-dst-empty/marker") == S_IFREG && !exists("ns/dir-src"))
        #expect(text("ns/swap-c") == "b\n" && text("ns/swap-b") == "a\n" && !exists("ns/swap-a"))
        // hard links
        let linked = try #require(HostSide.lstat(share.path("ns/hl.txt")))
        #expect(linked.st_nlink == 2)
        #expect(HostSide.lstat(share.path("ns/dir1/hl-3.txt"))?.st_ino == linked.st_ino)
        #expect(!exists("ns/hl-2.txt"))
        #expect(text("ns/hl.txt") == "linked\nmore\n")
        // symlinks are stored as symlinks with the guest's target text
        #expect(type("ns/symlink-rel") == S_IFLNK && HostSide.readlink(share.path("ns/symlink-rel")) == "renamed.txt")
        #expect(HostSide.readlink(share.path("ns/symlink-dangling")) == "/nonexistent/absolute/target")
        #expect(HostSide.readlink(share.path("ns/symlink-long")) == "long-target-" + String(repeating: "0", count: 200))
        // chmod, chown, utimes, truncate
        let mode = try #require(HostSide.lstat(share.path("ns/mode.txt")))
        #expect(mode.st_mode & 0o7777 == 0o640, "mode \(String(mode.st_mode, radix: 8))")
        #expect(mode.st_gid == 4321)
        #expect(HostSide.lstat(share.path("ns/modedir")).map { $0.st_mode & 0o7777 } == 0o750)
        #expect(HostSide.lstat(share.path("ns/stickydir")).map { $0.st_mode & 0o7777 } == 0o1777)
        let owned = try #require(HostSide.lstat(share.path("ns/owned.txt")))
        #expect(owned.st_uid == 1234 && owned.st_gid == 5678, "owner \(owned.st_uid):\(owned.st_gid)")
        let times = try #require(HostSide.lstat(share.path("ns/times.txt")))
        #expect(times.st_mtim.tv_sec == 981_173_106, "mtime \(times.st_mtim.tv_sec)")
        #expect(times.st_atim.tv_sec == 1_015_218_367, "atime \(times.st_atim.tv_sec)")
        #expect(HostSide.lstat(share.path("host/truncate-me.bin"))?.st_size == 4096)
        #expect(FileManager.default.contents(atPath: share.path("host/truncate-me.bin")) == truncateMe.prefix(4096))
        #expect(HostSide.lstat(share.path("ns/grown.bin"))?.st_size == 100_000)
        #expect(FileManager.default.contents(atPath: share.path("ns/grown.bin"))?.prefix(4) == Data("abc\n".utf8))
        #expect(HostSide.lstat(share.path("ns/truncate-created.bin"))?.st_size == 777)
        // fifos are fifos on the host, with the guest's mode
        #expect(type("ns/fifo") == S_IFIFO)
        #expect(type("ns/fifo2") == S_IFIFO)
        #expect(HostSide.lstat(share.path("ns/fifo2")).map { $0.st_mode & 0o777 } == 0o600)
        // readdir: the guest's 5,000 creations minus its 500 removals
        let expected = Set((0..<5000).map { "g\($0)" }.filter { !$0.hasSuffix("5") })
        let seen = HostSide.names(share.path("ns/gmany"))
        let difference = "extra: \(seen.subtracting(expected).sorted().prefix(10)), "
            + "missing: \(expected.subtracting(seen).sorted().prefix(10))"
        #expect(seen == expected, "\(difference)")
        // xattrs
        #expect(try share.probe("getxattr", share.path("ns/xattr.txt"), "user.e2e") == "ok hello")
        #expect(try share.probe("getxattr", share.path("ns/xattr.txt"), "user.second") == "errno=ENODATA")
        #expect(try share.probe("getxattr", share.path("ns/dir1"), "user.dir") == "ok on-a-directory")
    }
}
