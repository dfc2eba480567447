import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// The checks GuestScripts/data.sh prints, in order.
    static let dataChecks = [
        "host-file-sha256-small.txt", "host-file-sha256-random-1m.bin", "host-file-sha256-big-64m.bin",
        "host-file-sha256-sparse.bin", "host-file-size-random-1m.bin", "host-file-size-big-64m.bin",
        "host-sparse-size", "host-sparse-allocated-under-1MiB", "host-sparse-du-under-1MiB", "host-sparse-head",
        "host-sparse-middle", "host-sparse-tail", "host-sparse-seek-hole", "host-sparse-seek-data",
        "guest-mkdir", "guest-text-readback", "guest-odd-size", "guest-copy-1m-cmp",
        "guest-random-64m-reread-after-drop-caches", "guest-copy-1m-cmp-after-drop-caches",
        "guest-sparse-size", "guest-sparse-allocated-under-1MiB", "guest-sparse-seek-data",
        "guest-fallocate", "guest-fallocate-size", "guest-fallocate-allocated",
        "guest-append", "guest-append-to-host-file", "guest-dd-append", "guest-o-trunc-size", "guest-o-trunc-content",
        "guest-o-excl-new", "guest-o-excl-existing", "guest-o-excl-probe-new", "guest-o-excl-probe-existing",
        "guest-o-excl-content", "guest-dd-conv-fsync", "guest-fsync", "guest-fdatasync", "guest-syncfs",
        "guest-df", "statfs-fuse-magic",
    ]

    @Test("file contents both ways: checksums, 64 MiB, sparse, append, O_TRUNC, O_EXCL, fsync, statfs",
          .timeLimit(.minutes(6)))
    func fileContentsRoundTrip() async throws {
        try requireHost()
        let share = try E2EShare()
        let sparseSize = 33_554_436
        let files: [(String, Data)] = [
            ("small.txt", Data("small file from the host\nwith two lines and UTF-8: \u{00e9}\u{00e8}\n".utf8)),
            ("random-1m.bin", E2EShare.randomData(count: 1_048_699)),
            ("big-64m.bin", E2EShare.randomData(count: 64 << 20)),
        ]
        for (name, data) in files { try share.write("host/" + name, data: data) }
        try writeSparse(share.path("host/sparse.bin"), size: sparseSize,
                        pieces: [(0, "HEAD"), (16_777_216, "MIDDLE"), (33_554_432, "TAIL")])
        var hostDigests: [String: String] = [:]
        for name in ["small.txt", "random-1m.bin", "big-64m.bin", "sparse.bin"] {
            hostDigests[name] = try HostSide.sha256(share.path("host/" + name))
            try share.write("host/\(name).sha256", hostDigests[name]! + "\n")
        }
        try share.write("host/append-me.txt", "from the host\n")
        try share.write("host/trunc-me.txt", String(repeating: "x", count: 10_000))

        let server = try startBackend(share)
        let (_, report) = try await boot(
            script: "data.sh", devices: [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)],
            backends: [server])
        report.expectAll(Self.dataChecks, context: "back-end log:\n\(server.log.suffix(3000))")

        // What the guest wrote, as the host sees it.
        #expect(HostSide.text(share.path("guest/text.txt")) == "written in the guest\nsecond line\n")
        for name in ["random-64m.bin", "odd.bin", "fsynced.bin"] {
            let guestDigest = report.values["guest-\(name)-sha256"]
            #expect(guestDigest?.count == 64, "the guest printed no checksum for \(name)")
            #expect(try HostSide.sha256(share.path("guest/" + name)) == guestDigest,
                    "guest/\(name) differs on the host")
        }
        #expect(HostSide.lstat(share.path("guest/random-64m.bin"))?.st_size == 64 << 20)
        #expect(HostSide.lstat(share.path("guest/odd.bin"))?.st_size == 12_291)
        #expect(HostSide.lstat(share.path("guest/fsynced.bin"))?.st_size == 262_144)
        #expect(try HostSide.sha256(share.path("guest/copy-1m.bin")) == hostDigests["random-1m.bin"])

        let sparse = try #require(HostSide.lstat(share.path("guest/sparse.bin")))
        #expect(sparse.st_size == 33_554_432)
        #expect(sparse.st_blocks * 512 < 1 << 20,
                "the guest's sparse file is allocated on the host: \(sparse.st_blocks) blocks")
        #expect(try read(share.path("guest/sparse.bin"), at: 0, count: 4) == "HEAD")
        #expect(try read(share.path("guest/sparse.bin"), at: 16_777_216, count: 6) == "MIDDLE")
        #expect(try read(share.path("guest/sparse.bin"), at: 4096, count: 4) == "\0\0\0\0")
        let fallocated = try #require(HostSide.lstat(share.path("guest/fallocated.bin")))
        #expect(fallocated.st_size == 1 << 20)
        #expect(fallocated.st_blocks * 512 >= 1 << 20, "fallocate did not allocate on the host")

        #expect(HostSide.text(share.path("guest/append.txt")) == "first\nsecond\nthird\ntail")
        #expect(HostSide.text(share.path("host/append-me.txt")) == "from the host\nfrom the guest\n")
        #expect(HostSide.text(share.path("host/trunc-me.txt")) == "short\n")
        #expect(HostSide.text(share.path("guest/excl.txt")) == "created-exclusively\n")
        #expect(HostSide.lstat(share.path("guest/excl2.txt"))?.st_size == 0)
        // The host's files the guest only read are unchanged.
        for name in ["small.txt", "random-1m.bin", "big-64m.bin", "sparse.bin"] {
            #expect(try HostSide.sha256(share.path("host/" + name)) == hostDigests[name])
        }

        // statfs reports the host file system under the share.
        var host = statvfs()
        #expect(statvfs(share.root, &host) == 0)
        #expect(report.values["statfs-blocks"] == String(host.f_blocks), "\(report.values)")
        #expect(report.values["statfs-fragment-size"] == String(host.f_frsize), "\(report.values)")
        #expect(report.values["statfs-files"] == String(host.f_files), "\(report.values)")
        #expect(report.values["statfs-name-max"] == "255", "\(report.values)")
        let free = report.values["statfs-free"].flatMap { UInt64($0) }
        #expect(free.map { $0 > 0 && $0 <= UInt64(host.f_blocks) } == true, "\(report.values)")
        #expect(server.isRunning || !backend.servesSuccessiveFrontEnds, "the back-end died: \(server.log)")
    }

    /// Creates a sparse file of `size` bytes with `pieces` written at their offsets and nothing else allocated.
    private func writeSparse(_ path: String, size: Int, pieces: [(Int, String)]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HostSideError(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw HostSideError(description: "ftruncate \(path)") }
        for (offset, text) in pieces {
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard written == bytes.count else { throw HostSideError(description: "pwrite \(path) at \(offset)") }
        }
    }

    /// `count` bytes of a host file at `offset`, as Latin-1-ish text for comparisons.
    private func read(_ path: String, at offset: Int, count: Int) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HostSideError(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return String(decoding: bytes.prefix(max(got, 0)), as: UTF8.self)
    }
}
