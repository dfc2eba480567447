import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory for one end-to-end test:
///
///     <base>/                  mkdtemp, removed when the share is released
///       share/                 the shared directory the back-end serves (`root`)
///         .e2e/                lib.sh, the test scripts and the compiled probe, for the guest to run
///       outside-secret.txt     a marker outside the share that the guest must never read (`secret`)
///       <name>.sock, <name>.log   back-end sockets and logs
///
/// Host-made submounts inside the share are unmounted when the share is released, and the directory is removed
/// unless `VHOSTFS_E2E_KEEP=1` (then its path is printed, for a look at what the guest left).
final class E2EShare {
    /// The temporary directory holding everything.
    let base: String
    /// The shared directory.
    let root: String
    /// The random text in `outside-secret.txt`; it must never show up in the guest.
    let secret: String
    /// The absolute host path of `outside-secret.txt`.
    var secretPath: String { base + "/outside-secret.txt" }
    private var submounts: [String] = []

    /// Creates the directories, the outside marker, and installs the guest scripts and the probe into `.e2e/`.
    init() throws {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(tmp)/vhostfs-e2e.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw HostSideError(description: "mkdtemp in \(tmp): \(String(cString: strerror(errno)))")
        }
        base = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        root = base + "/share"
        secret = "VHOSTFS-OUTSIDE-MARKER-\(UUID().uuidString)"
        // 0755 like a typical exported directory, whatever the umask.
        try FileManager.default.createDirectory(atPath: root + "/.e2e", withIntermediateDirectories: true)
        chmod(base, 0o755)
        chmod(root, 0o755)
        try write(secretPath, absolute: true, secret + "\n")
        try installGuestFiles()
    }

    deinit {
        for mountPoint in submounts.reversed() { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        if ProcessInfo.processInfo.environment["VHOSTFS_E2E_KEEP"] == "1" {
            print("e2e: kept \(base)")
        } else {
            try? FileManager.default.removeItem(atPath: base)
        }
    }

    /// The host path of `relative` inside the share.
    func path(_ relative: String) -> String { root + "/" + relative }

    /// A path beside the share (sockets, logs, a second share).
    func sibling(_ name: String) -> String { base + "/" + name }

    /// Writes text to `relative` inside the share (or to an absolute path), creating parent directories.
    func write(_ relative: String, absolute: Bool = false, _ text: String, mode: mode_t = 0o644) throws {
        try write(relative, absolute: absolute, data: Data(text.utf8), mode: mode)
    }

    /// Writes bytes to `relative` inside the share (or to an absolute path), creating parent directories.
    func write(_ relative: String, absolute: Bool = false, data: Data, mode: mode_t = 0o644) throws {
        let target = absolute ? relative : path(relative)
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: target, contents: data) else {
            throw HostSideError(description: "cannot write \(target)")
        }
        chmod(target, mode)
    }

    /// Creates a directory inside the share with exactly `mode` (umask does not apply).
    func mkdir(_ relative: String, mode: mode_t = 0o755) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
        chmod(path(relative), mode)
    }

    /// Creates a symlink inside the share pointing at `target`, which is stored as given.
    func symlink(_ relative: String, to target: String) throws {
        guard Glibc.symlink(target, path(relative)) == 0 else {
            throw HostSideError(description: "symlink \(relative) -> \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// Mounts a small tmpfs at `relative` inside the share, so that the share spans two file systems.
    ///
    /// - Returns: false (with the reason) if this host cannot mount, e.g. without CAP_SYS_ADMIN.
    func mountTmpfs(at relative: String) throws -> (mounted: Bool, reason: String) {
        try mkdir(relative)
        guard Glibc.mount("vhostfs-e2e", path(relative), "tmpfs", 0, "size=16m,mode=0755") == 0 else {
            return (false, "mount tmpfs at \(path(relative)): \(String(cString: strerror(errno)))")
        }
        submounts.append(path(relative))
        return (true, "")
    }

    /// Runs the probe on the host (it is a static x86-64 binary, so it runs on both sides) and returns its output
    /// line, e.g. `ok value` or `errno=ENODATA`. Glibc's Swift module does not export the xattr calls.
    func probe(_ arguments: String...) throws -> String {
        let (_, output) = try HostSide.run([path(".e2e/probe")] + arguments)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `count` pseudo-random bytes (SplitMix64 from a random seed: fast even in debug builds, and never the same
    /// twice).
    static func randomData(count: Int) -> Data {
        var state = UInt64.random(in: 0...UInt64.max)
        var data = Data(count: count)
        data.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let chunk = min(8, raw.count - offset)
                withUnsafeBytes(of: z.littleEndian) { word in
                    raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: chunk)
                }
                offset += chunk
            }
        }
        return data
    }

    /// Copies lib.sh and the `*.sh` scripts to `.e2e/` and compiles the probe there as a static binary.
    private func installGuestFiles() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: E2EPaths.guestScripts)
        for name in scripts where name.hasSuffix(".sh") {
            try FileManager.default.copyItem(atPath: E2EPaths.guestScripts + "/" + name, toPath: path(".e2e/" + name))
        }
        let compilers = ["cc", "clang", "gcc"]
        var failures: [String] = []
        for compiler in compilers {
            let result = try? HostSide.run([
                compiler, "-static", "-O1", "-x", "c", "-o", path(".e2e/probe"),
                E2EPaths.guestScripts + "/probe.c.txt",
            ])
            if let result, result.status == 0 { return }
            failures.append("\(compiler): \(result?.output ?? "not found")")
        }
        throw HostSideError(description: "cannot build the guest probe as a static binary (needs a C compiler and "
            + "libc6-dev's libc.a):\n" + failures.joined(separator: "\n"))
    }
}
