import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

/// `--announce-submounts`: directories that are host mount points (another file system, or a bind mount of the same
/// one) carry FUSE_ATTR_SUBMOUNT in LOOKUP and READDIRPLUS entries; nothing else does. Needs root to mount.
@Suite(.serialized) struct SubmountTests {
    /// A share with `plain/`, `file`, a tmpfs on `tmpfs/` and `bind/` bind-mounted from `plain/`; unmounted by `close`.
    final class Share {
        let h: Harness
        var mounted: [String] = []

        init(announce: Bool) throws {
            var options = AIOFSOptions()
            options.announcesSubmounts = announce
            h = try Harness(options: options)
            for name in ["plain", "tmpfs", "bind"] {
                try FileManager.default.createDirectory(atPath: h.path(name), withIntermediateDirectories: false)
            }
            try writeHostFile(h.path("file"), [1])
            guard mount("vhostfs-submount", h.path("tmpfs"), "tmpfs", 0, "size=1m") == 0 else { throw Errno.current }
            mounted.append(h.path("tmpfs"))
            guard mount(h.path("plain"), h.path("bind"), nil, UInt(MS_BIND), nil) == 0 else { throw Errno.current }
            mounted.append(h.path("bind"))
        }

        func close() {
            h.group.stop()
            for path in mounted.reversed() { umount2(path, Int32(MNT_DETACH)) }
            h.close()
        }
    }

    static let expected = ["plain": false, "file": false, "tmpfs": true, "bind": true]

    @Test(arguments: [true, false])
    func mountPointsAreMarkedOnlyWhenAnnounced(announce: Bool) throws {
        try #require(geteuid() == 0, "mounting a tmpfs and a bind mount needs root")
        let share = try Share(announce: announce)
        defer { share.close() }
        let h = share.h
        for (name, isMount) in Self.expected {
            let marked = try h.lookup(.root, FileName(name)).attributes.isSubmount
            #expect(marked == (isMount && announce), "lookup \(name)")
        }
        // Inside a submount nothing is a submount again; ".." from it is the share's root, not marked.
        let tmpfs = try h.lookup(.root, "tmpfs")
        _ = try h.entry(h.call(.mkdir(parent: tmpfs.node, name: "inner", mode: 0o755)))
        #expect(try h.lookup(tmpfs.node, "inner").attributes.isSubmount == false)
        #expect(try h.lookup(tmpfs.node, "..").attributes.isSubmount == false)
        // READDIRPLUS entries are marked the same way.
        guard case .opened(let o) = try h.call(.opendir(node: .root, flags: O_RDONLY)).get() else {
            Issue.record("opendir"); return
        }
        let sink = CollectingSink()
        _ = try h.call(.readdirplus(node: .root, handle: o.handle, offset: 0, sink: sink)).get()
        for (name, isMount) in Self.expected {
            let entry = try #require(sink.accepted.first { $0.name == name }?.entry.entry, "\(name) not listed")
            #expect(entry.attributes.isSubmount == (isMount && announce), "readdirplus \(name)")
        }
        _ = try h.call(.releasedir(node: .root, handle: o.handle)).get()
    }
}
