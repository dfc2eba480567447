import FSDevAIO
import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// Hole 1 of issue 10, driven as the hostile guest did: MKNOD a device node (or a FIFO, or a socket), then CREATE
/// the same name, through the FUSE client over a real socket. The daemon must never open the node on the guest's
/// behalf: a clean errno, no open descriptor of the device in the daemon, and a FIFO that does not block the
/// reactor.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SpecialFileCreateTests {
    /// The kernel's new_encode_dev for small numbers, as FUSE_MKNOD carries it.
    static func device(_ major: UInt32, _ minor: UInt32) -> UInt32 { major << 8 | minor }

    /// Descriptors of this process (the daemon runs in it) opened for I/O on a device with number `rdev`; O_PATH
    /// descriptors (the node table's) do not count.
    static func openDescriptors(ofDevice rdev: dev_t) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.filter { fd in
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFCHR || st.st_mode & S_IFMT == S_IFBLK,
                  st.st_rdev == rdev,
                  let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8),
                  let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                  let flags = Int32(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8)
            else { return false }
            return flags & O_PATH == 0
        }
    }

    @Test func createOnAnExistingDeviceNodeNeverOpensTheDevice() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let root = FUSEClient.rootNodeID
        var shareStatus = stat()
        #expect(stat(d.share, &shareStatus) == 0)
        // 8:0 (sda), the host's own disk holding the share, and /dev/zero, which exists everywhere: the old CREATE
        // opened whatever the node named.
        // glibc's dev_t layout for majors below 4096 and minors below 256 (major(3) and minor(3) are macros).
        let hostDisk = (UInt32((shareStatus.st_dev >> 8) & 0xfff), UInt32(shareStatus.st_dev & 0xff))
        let nodes: [(String, UInt32, (UInt32, UInt32))] = [
            ("sda", UInt32(S_IFBLK), (8, 0)), ("disk", UInt32(S_IFBLK), hostDisk), ("zero", UInt32(S_IFCHR), (1, 5)),
        ]
        for (name, type, (major, minor)) in nodes {
            // MKNOD itself stays allowed (root file systems need it).
            let e = try c.mknod(parent: root, name: name, mode: type | 0o666, rdev: Self.device(major, minor))
            #expect(e.attributes.fileType == type)
            for flags in [O_RDWR, O_RDONLY, O_WRONLY | O_TRUNC] {
                #expect(throws: FUSEClient.Failure.errno(ENXIO), "CREATE \(name) flags \(flags)") {
                    _ = try c.create(parent: root, name: name, flags: flags, mode: 0o644)
                }
            }
            #expect(Self.openDescriptors(ofDevice: dev_t(Self.device(major, minor))).isEmpty, "\(name) was opened")
        }
        // OPEN of the node's id is refused too.
        let zero = try c.lookup(parent: root, name: "zero")
        #expect(throws: FUSEClient.Failure.errno(ENXIO)) { _ = try c.open(zero.nodeID, flags: O_RDWR) }
        #expect(d.fsdev.handleCount == 0)
    }

    @Test func createOnAFIFOOrSocketAnswersAtOnceAndTheReactorGoesOn() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        var config = FUSEClient.Configuration()
        config.queueSize = 512
        config.timeoutMilliseconds = 5_000  // an open(2) blocked on the FIFO would hold the reactor forever
        let c = try FUSEClient(socketPath: d.socketPath, configuration: config)
        defer { c.shutdown() }
        let root = FUSEClient.rootNodeID
        _ = try c.mknod(parent: root, name: "fifo", mode: UInt32(S_IFIFO) | 0o666)
        _ = try c.mknod(parent: root, name: "sock", mode: UInt32(S_IFSOCK) | 0o666)
        for name in ["fifo", "sock"] {
            for flags in [O_RDONLY, O_WRONLY, O_RDWR] {
                let start = Date()
                #expect(throws: FUSEClient.Failure.errno(ENXIO), "CREATE \(name) flags \(flags)") {
                    _ = try c.create(parent: root, name: name, flags: flags, mode: 0o644)
                }
                #expect(Date().timeIntervalSince(start) < 2)
            }
        }
        #expect(try c.getattr(root).attributes.isDirectory)
        var st = stat()
        #expect(lstat(d.share + "/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func createOnExistingNamesKeepsOpenSemantics() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let root = FUSEClient.rootNodeID
        let (first, h1) = try c.create(parent: root, name: "f", flags: O_RDWR, mode: 0o600)
        #expect(try c.write(first.nodeID, handle: h1.handle, offset: 0, data: Array("hello".utf8)) == 5)
        // An existing regular file is opened (same node), O_TRUNC truncates it, O_EXCL refuses it.
        let (again, h2) = try c.create(parent: root, name: "f", flags: O_RDWR, mode: 0o600)
        #expect(again.nodeID == first.nodeID && again.attributes.size == 5)
        let (truncated, h3) = try c.create(parent: root, name: "f", flags: O_WRONLY | O_TRUNC, mode: 0o600)
        #expect(truncated.nodeID == first.nodeID && truncated.attributes.size == 0)
        #expect(throws: FUSEClient.Failure.errno(EEXIST)) {
            _ = try c.create(parent: root, name: "f", flags: O_RDWR | O_EXCL, mode: 0o600)
        }
        for h in [h1, h2, h3] { try c.release(first.nodeID, handle: h.handle) }
        // A directory is EISDIR; a symlink (even one pointing outside the share) ELOOP and is not followed.
        _ = try c.mkdir(parent: root, name: "dir", mode: 0o755)
        #expect(throws: FUSEClient.Failure.errno(EISDIR)) {
            _ = try c.create(parent: root, name: "dir", flags: O_RDONLY, mode: 0o600)
        }
        _ = try c.symlink(parent: root, name: "out", target: d.directory + "/outside")
        #expect(throws: FUSEClient.Failure.errno(ELOOP)) {
            _ = try c.create(parent: root, name: "out", flags: O_RDWR, mode: 0o600)
        }
        #expect(!FileManager.default.fileExists(atPath: d.directory + "/outside"))
        #expect(d.fsdev.handleCount == 0)
    }
}
