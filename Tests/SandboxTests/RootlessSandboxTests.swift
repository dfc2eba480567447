import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// The default `--sandbox=namespace` started by an ordinary user (a user made with useradd, the daemon run through
/// setpriv): the daemon sets up a user namespace of its own, then the mount, PID, network and IPC namespaces and
/// pivot_root as for root. Without maps it maps the user's own ids; `--uid-map`/`--gid-map` become the namespace's
/// maps through newuidmap/newgidmap; a map the user may not use stops the start with one line.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RootlessSandboxTests {
    static func requireTools(newuidmap: Bool = false) throws {
        try #require(geteuid() == 0, "the tests add a user with useradd and run the daemon as it: run them as root")
        try #require(access("/usr/bin/setpriv", X_OK) == 0, "setpriv (util-linux) is needed")
        try #require(access("/usr/sbin/useradd", X_OK) == 0, "useradd (passwd) is needed")
        if newuidmap {
            try #require(access("/usr/bin/newuidmap", X_OK) == 0, "newuidmap (Debian's uidmap package) is needed")
        }
    }

    /// The lines of /proc/<pid>/uid_map or gid_map as seen from here: [inside, outside, count].
    static func idMap(_ file: String, of pid: pid_t) -> [[UInt32]] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ").compactMap { UInt32($0) } }
    }

    static func namespace(_ kind: String, of pid: pid_t) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")
    }

    /// The host owner of `path`.
    static func owner(_ path: String) -> (uid: uid_t, gid: gid_t)? {
        var st = stat()
        return lstat(path, &st) == 0 ? (st.st_uid, st.st_gid) : nil
    }

    /// A client whose requests carry `uid` and `gid`.
    static func client(_ daemon: SandboxedDaemon, uid: UInt32, gid: UInt32) throws -> FUSEClient {
        try daemon.process.waitForSocket(timeoutMilliseconds: 10_000)
        var configuration = FUSEClient.Configuration()
        configuration.uid = uid
        configuration.gid = gid
        return try FUSEClient(socketPath: daemon.socketPath, configuration: configuration)
    }

    @Test("as an ordinary user the default sandbox maps the user's ids in a user namespace and serves the share")
    func defaultSandboxAsOrdinaryUser() throws {
        try Self.requireTools()
        let user = try TestUser()
        let daemon = try SandboxedDaemon([], user: user) { paths in
            // Root's file, readable by all: the user namespace does not map its owner.
            try Data("roots\n".utf8).write(to: URL(fileURLWithPath: paths.share + "/roots.txt"))
        }
        do {
            let client = try Self.client(daemon, uid: 0, gid: 0)
            defer { client.shutdown() }
            let pid = try #require(daemon.daemonPID(), "the supervisor has no child:\n\(daemon.log)")
            let supervisor = daemon.supervisorPID

            // PID 1 of new PID, mount, network and IPC namespaces, owned by a user namespace the supervisor shares.
            let status = SandboxedDaemon.status(of: pid)
            #expect(status["NSpid"]?.split(separator: "\t").last == "1", "NSpid \(status["NSpid"] ?? "?")")
            for kind in ["user", "pid", "mnt", "net", "ipc"] {
                #expect(try Self.namespace(kind, of: pid) != Self.namespace(kind, of: getpid()), "\(kind)")
            }
            #expect(try Self.namespace("user", of: supervisor) == Self.namespace("user", of: pid))
            #expect(try Self.namespace("pid", of: supervisor) == Self.namespace("pid", of: getpid()))
            #expect(Self.idMap("uid_map", of: pid) == [[user.uid, user.uid, 1]])
            #expect(Self.idMap("gid_map", of: pid) == [[user.gid, user.gid, 1]])
            for process in [pid, supervisor] {
                #expect(SandboxedDaemon.status(of: process)["Uid"] == Array(repeating: "\(user.uid)", count: 4)
                    .joined(separator: "\t"))
            }
            // Capabilities over its namespace only, the filter, the share as the one mount.
            #expect(SandboxedDaemon.capabilities("CapEff", of: pid) == SandboxProcessTests.defaultCapabilities)
            #expect(SandboxedDaemon.capabilities("CapBnd", of: pid) == SandboxProcessTests.defaultCapabilities)
            #expect(status["Seccomp"] == "2")
            let mounts = SandboxedDaemon.mounts(of: pid)
            #expect(mounts.map(\.mountPoint) == ["/"], "\(mounts)")
            #expect(mounts.first.map { $0.options.contains("nodev") && $0.options.contains("nosuid") } == true)

            // Guest root creates, writes, reads and makes a directory; the host owner is the user.
            let (entry, opened) = try client.create(
                parent: FUSEClient.rootNodeID, name: "by-root.txt", flags: O_RDWR, mode: 0o644)
            #expect(try client.write(entry.nodeID, handle: opened.handle, offset: 0, data: Array("hello".utf8)) == 5)
            #expect(try client.read(entry.nodeID, handle: opened.handle, offset: 0, size: 16) == Array("hello".utf8))
            try client.release(entry.nodeID, handle: opened.handle)
            let directory = try client.mkdir(parent: FUSEClient.rootNodeID, name: "by-root-dir", mode: 0o755)
            #expect(entry.attributes.uid == user.uid && directory.attributes.gid == user.gid)
            // Root's file: readable, shown with the overflow id, and no file can be given an unmapped owner.
            let roots = try client.lookup(parent: FUSEClient.rootNodeID, name: "roots.txt")
            #expect(roots.attributes.uid == 65534, "\(roots.attributes.uid)")
            let rootsHandle = try client.open(roots.nodeID, flags: O_RDONLY)
            #expect(try client.read(roots.nodeID, handle: rootsHandle.handle, offset: 0, size: 16)
                        == Array("roots\n".utf8))
            try client.release(roots.nodeID, handle: rootsHandle.handle)
            #expect(throws: FUSEClient.Failure.errno(EINVAL)) {
                try client.setattr(entry.nodeID, FUSEClient.SetAttributes(uid: 0))
            }
        }
        do {
            // Another guest user: the namespace maps only the user's ids, so creation stays under them.
            let client = try Self.client(daemon, uid: 1000, gid: 1000)
            defer { client.shutdown() }
            let (entry, opened) = try client.create(
                parent: FUSEClient.rootNodeID, name: "by-1000.txt", flags: O_RDWR, mode: 0o644)
            try client.release(entry.nodeID, handle: opened.handle)
            _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "by-1000-dir", mode: 0o755)
        }
        for name in ["by-root.txt", "by-root-dir", "by-1000.txt", "by-1000-dir"] {
            let owner = Self.owner(daemon.share + "/" + name)
            #expect(owner?.uid == user.uid && owner?.gid == user.gid, "\(name): \(String(describing: owner))")
        }
        #expect(FileManager.default.contents(atPath: daemon.share + "/by-root.txt") == Data("hello".utf8))
        let log = daemon.log
        #expect(log.contains("user namespace mapping uids :\(user.uid):\(user.uid):1: (the user's own"), "\(log)")
        #expect(log.contains("credential switching (the user namespace maps only the daemon's own ids"), "\(log)")
        #expect(log.contains("file handles (open_by_handle_at needs CAP_DAC_READ_SEARCH outside"), "\(log)")

        daemon.signal(SIGTERM)
        #expect(daemon.termination() == .exited(0), "\(daemon.log)")
        #expect(!daemon.socketExists, "the socket file was left behind")
    }

    @Test("--uid-map/--gid-map become the user namespace's maps (newuidmap): a guest uid owns the mapped host id")
    func mapsThroughNewuidmap() throws {
        try Self.requireTools(newuidmap: true)
        let user = try TestUser()
        let subUIDs = user.subordinateUIDs
        let subGIDs = user.subordinateGIDs
        // Root in the namespace is the user; namespace ids from 1 are the user's subordinate ids.
        let daemon = try SandboxedDaemon(
            [
                "--uid-map=:0:\(user.uid):1:", "--uid-map=:1:\(subUIDs.start):\(subUIDs.count):",
                "--gid-map=:0:\(user.gid):1:", "--gid-map=:1:\(subGIDs.start):\(subGIDs.count):",
            ], user: user)
        do {
            let client = try Self.client(daemon, uid: 0, gid: 0)
            defer { client.shutdown() }
            let pid = try #require(daemon.daemonPID(), "the supervisor has no child:\n\(daemon.log)")
            #expect(Self.idMap("uid_map", of: pid) == [[0, user.uid, 1], [1, subUIDs.start, subUIDs.count]])
            #expect(Self.idMap("gid_map", of: pid) == [[0, user.gid, 1], [1, subGIDs.start, subGIDs.count]])
            #expect(SandboxedDaemon.status(of: pid)["NSpid"]?.split(separator: "\t").last == "1")
            // Guest root is the user on the host; it gives a directory to guest uid 1000 (a chown the kernel
            // translates through the namespace).
            let home = try client.mkdir(parent: FUSEClient.rootNodeID, name: "home", mode: 0o755)
            #expect(home.attributes.uid == 0 && home.attributes.gid == 0)
            let given = try client.setattr(home.nodeID, FUSEClient.SetAttributes(uid: 1000, gid: 1000))
            #expect(given.attributes.uid == 1000 && given.attributes.gid == 1000)
        }
        let home = daemon.share + "/home"
        let homeOwner = Self.owner(home)
        #expect(homeOwner?.uid == subUIDs.start + 999 && homeOwner?.gid == subGIDs.start + 999,
                "\(String(describing: homeOwner))")
        do {
            let client = try Self.client(daemon, uid: 1000, gid: 1000)
            defer { client.shutdown() }
            let directory = try client.lookup(parent: FUSEClient.rootNodeID, name: "home")
            let (entry, opened) = try client.create(parent: directory.nodeID, name: "mine.txt", flags: O_RDWR,
                                                    mode: 0o644)
            #expect(try client.write(entry.nodeID, handle: opened.handle, offset: 0, data: Array("mine".utf8)) == 4)
            try client.release(entry.nodeID, handle: opened.handle)
            #expect(entry.attributes.uid == 1000 && entry.attributes.gid == 1000)
            // The host checks the switched ids too: the share's root belongs to namespace root, mode 0755.
            #expect(throws: FUSEClient.Failure.errno(EACCES)) {
                _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "not-mine", mode: 0o755)
            }
        }
        do {
            // A guest id outside both maps cannot own a file: EINVAL, the kernel's rule.
            let client = try Self.client(daemon, uid: 70000, gid: 70000)
            defer { client.shutdown() }
            let directory = try client.lookup(parent: FUSEClient.rootNodeID, name: "home")
            #expect(throws: FUSEClient.Failure.errno(EINVAL)) {
                _ = try client.mkdir(parent: directory.nodeID, name: "unmapped", mode: 0o777)
            }
        }
        let mine = Self.owner(home + "/mine.txt")
        #expect(mine?.uid == subUIDs.start + 999 && mine?.gid == subGIDs.start + 999, "\(String(describing: mine))")
        #expect(FileManager.default.contents(atPath: home + "/mine.txt") == Data("mine".utf8))
        let log = daemon.log
        #expect(log.contains("(newuidmap)") && log.contains("(newgidmap)"), "\(log)")
        #expect(!log.contains("credential switching"), "\(log)")
        #expect(log.contains("running as uid 0 gid 0 in a user namespace"), "\(log)")
    }

    @Test("a namespace root mapped to a subordinate id: the daemon takes it, and the supervisor still stops it")
    func namespaceRootIsASubordinateID() throws {
        try Self.requireTools(newuidmap: true)
        let user = try TestUser()
        let maps = ["--uid-map=:0:\(user.subordinateUIDs.start):65536:",
                    "--gid-map=:0:\(user.subordinateGIDs.start):65536:"]
        let share = { (paths: SandboxedDaemon.Paths) in
            // Namespace root is not the share's owner: let it in.
            #expect(chmod(paths.share, 0o777) == 0)
        }
        // SIGTERM to the supervisor reaches a daemon of another host uid: exit 0, socket removed.
        let daemon = try SandboxedDaemon(maps, user: user, prepare: share)
        do {
            let client = try Self.client(daemon, uid: 0, gid: 0)
            defer { client.shutdown() }
            let pid = try #require(daemon.daemonPID(), "the supervisor has no child:\n\(daemon.log)")
            let ids = "\(user.subordinateUIDs.start)"
            #expect(SandboxedDaemon.status(of: pid)["Uid"] == Array(repeating: ids, count: 4).joined(separator: "\t"))
            #expect(SandboxedDaemon.status(of: daemon.supervisorPID)["Uid"]?.hasPrefix("\(user.uid)\t") == true)
            _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "by-namespace-root", mode: 0o755)
        }
        #expect(Self.owner(daemon.share + "/by-namespace-root")?.uid == user.subordinateUIDs.start)
        daemon.signal(SIGTERM)
        #expect(daemon.termination() == .exited(0), "\(daemon.log)")
        #expect(!daemon.socketExists)

        // The supervisor killed outright: the parent-death signal, sent with its credentials, still stops it.
        let orphaned = try SandboxedDaemon(maps, user: user, prepare: share)
        try orphaned.connect().shutdown()
        let pid = try #require(orphaned.daemonPID())
        orphaned.signal(SIGKILL)
        let ended = eventually(timeoutMilliseconds: 5_000) {
            kill(pid, 0) != 0 || SandboxedDaemon.status(of: pid)["State"]?.hasPrefix("Z") == true
        }
        #expect(ended, "the daemon outlived its supervisor")
        #expect(orphaned.log.contains("signal 15: stopping"), "\(orphaned.log)")
    }

    /// Start-up failures of an ordinary user's sandbox: a map newuidmap or newgidmap refuses, chroot.
    static let refusals: [(arguments: [String], message: String)] = [
        (["--uid-map=:0:0:1:"], "cannot enter the namespace sandbox: newuidmap "),
        (["--gid-map=:0:0:1:"], "cannot enter the namespace sandbox: newgidmap "),
        (["--sandbox=chroot"], "cannot enter the chroot sandbox: chroot into "),
    ]

    @Test("a map the user may not use, or chroot, stops an ordinary user's start with one line and exit status 1",
          arguments: refusals)
    func refused(arguments: [String], message: String) throws {
        try Self.requireTools(newuidmap: true)
        let user = try TestUser()
        let daemon = try SandboxedDaemon(arguments, user: user)
        #expect(daemon.termination() == .exited(1), "\(daemon.log)")
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.count == 1, "\(daemon.log)")
        #expect(daemon.log.contains(message), "\(daemon.log)")
        if arguments[0].hasPrefix("--sandbox") {
            #expect(daemon.log.contains("chroot needs root or CAP_SYS_CHROOT"), "\(daemon.log)")
        } else {
            #expect(daemon.log.contains("not allowed"), "\(daemon.log)")
            #expect(daemon.log.contains("/etc/subuid"), "\(daemon.log)")
        }
        #expect(!daemon.socketExists, "the socket file was left behind")
    }

    @Test("where user namespaces are not allowed, an ordinary user's start stops with one line and exit status 1")
    func userNamespacesNotAllowed() throws {
        try Self.requireTools()
        let user = try TestUser()
        // A user namespace of the test's own, where root sets user.max_user_namespaces to 0 (the limit is per
        // namespace, so the host's stays as it is), then runs the daemon as the user. The outer shell waits for
        // the test to write the namespace's maps, then starts a new shell, which gets root's capabilities in it.
        let inner = "echo 0 > /proc/sys/user/max_user_namespaces && exec \\\"\\$0\\\" \\\"\\$@\\\""
        let script = "until [ -n \"$(cat /proc/self/uid_map)\" ]; do sleep 0.02; done; "
            + "exec sh -c \"\(inner)\" \"$0\" \"$@\""
        let daemon = try SandboxedDaemon([], prefix: "unshare --user sh -c '\(script)'", user: user)
        let pid = daemon.supervisorPID
        let ours = try Self.namespace("user", of: getpid())
        #expect(eventually(timeoutMilliseconds: 5_000) { (try? Self.namespace("user", of: pid)) != ours })
        for file in ["uid_map", "gid_map"] {
            #expect(throws: Never.self) {
                try Data("0 0 4294967295\n".utf8).write(to: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))
            }
        }
        #expect(daemon.termination() == .exited(1), "\(daemon.log)")
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.count == 1, "\(daemon.log)")
        #expect(daemon.log.contains("cannot enter the namespace sandbox: unshare(CLONE_NEWUSER): No space left on "
                                    + "device"), "\(daemon.log)")
        #expect(daemon.log.contains("user.max_user_namespaces above 0"), "\(daemon.log)")
        #expect(!daemon.socketExists, "the socket file was left behind")
    }
}
