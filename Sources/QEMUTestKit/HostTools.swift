import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the host's QEMU, kernel, busybox and the guest scripts are, honouring the `VHOSTFS_*` overrides.
///
/// Environment variables (all optional):
/// - `VHOSTFS_QEMU`: the qemu-system-x86_64 binary (default: found in `PATH`).
/// - `VHOSTFS_KVER`, `VHOSTFS_KERNEL`: kernel version and image (default: the newest `/boot/vmlinuz-*` that has
///   `/lib/modules/<kver>/modules.dep`). Also read by the build script.
/// - `VHOSTFS_BUSYBOX`: a statically linked busybox (default `/bin/busybox`). Also read by the build script.
/// - `VHOSTFS_GUEST_CACHE`: the initramfs output directory (default `<repo>/guest-cache`).
enum HostTools {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Finds an executable named `name` in `PATH` (then /usr/sbin, /usr/bin, /sbin, /bin).
    static func findExecutable(_ name: String) -> String? {
        let path = environment["PATH"] ?? ""
        let fallbacks = ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"]
        let directories = path.split(separator: ":").map(String.init) + fallbacks
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// The QEMU binary, or nil.
    static func qemu() -> String? {
        if let explicit = environment["VHOSTFS_QEMU"], !explicit.isEmpty {
            return access(explicit, X_OK) == 0 ? explicit : nil
        }
        return findExecutable("qemu-system-x86_64")
    }

    /// The kernel version to boot: `VHOSTFS_KVER`, else the newest `/boot/vmlinuz-<kver>` with a modules.dep.
    static func kernelVersion() -> String? {
        if let explicit = environment["VHOSTFS_KVER"], !explicit.isEmpty { return explicit }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        let versions = entries.compactMap { entry -> String? in
            guard entry.hasPrefix("vmlinuz-") else { return nil }
            return String(entry.dropFirst("vmlinuz-".count))
        }
        return versions
            .filter { access("/lib/modules/\($0)/modules.dep", R_OK) == 0 }
            .max { compareVersions($0, $1) }
    }

    /// The kernel image for `kernelVersion`.
    static func kernelImage(version: String) -> String {
        if let explicit = environment["VHOSTFS_KERNEL"], !explicit.isEmpty { return explicit }
        return "/boot/vmlinuz-\(version)"
    }

    /// The busybox the initramfs is built from.
    static func busybox() -> String {
        if let explicit = environment["VHOSTFS_BUSYBOX"], !explicit.isEmpty { return explicit }
        return "/bin/busybox"
    }

    /// The repository root: the nearest directory above this source file that holds the guest build script.
    static func repositoryRoot(sourceFile: String = #filePath) -> String? {
        var directory = URL(fileURLWithPath: sourceFile).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(buildScriptRelativePath).path) {
                return directory.path
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return nil
    }

    static let buildScriptRelativePath = "contrib/guest/build-initramfs.sh"
    static let initRelativePath = "contrib/guest/init"

    /// The initramfs output directory.
    static func cacheDirectory(repositoryRoot: String) -> String {
        if let explicit = environment["VHOSTFS_GUEST_CACHE"], !explicit.isEmpty { return explicit }
        return repositoryRoot + "/guest-cache"
    }

    /// True if `path` is an ELF file without a PT_INTERP program header, i.e. it runs without a dynamic loader.
    static func isStaticELF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 64), header.count == 64,
              header.starts(with: [0x7f, 0x45, 0x4c, 0x46]), header[4] == 2  // ELFCLASS64
        else { return false }
        func little(_ data: Data, _ offset: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in (0..<size).reversed() {
                value = value << 8 | UInt64(data[data.startIndex + offset + index])
            }
            return value
        }
        let programHeaderOffset = little(header, 32, 8)
        let entrySize = Int(little(header, 54, 2))
        let count = Int(little(header, 56, 2))
        guard entrySize >= 4, count < 256, (try? handle.seek(toOffset: programHeaderOffset)) != nil,
              let table = try? handle.read(upToCount: entrySize * count), table.count == entrySize * count
        else { return false }
        for index in 0..<count where little(table, index * entrySize, 4) == 3 {  // PT_INTERP
            return false
        }
        return true
    }

    /// `sort -V` order: runs of digits compare as numbers, everything else as text.
    static func compareVersions(_ lhs: String, _ rhs: String) -> Bool {
        func parts(_ text: String) -> [Either] {
            var result: [Either] = []
            var current = ""
            var numeric = false
            for character in text {
                let isDigit = character.isASCII && character.isNumber
                if !current.isEmpty && isDigit != numeric {
                    result.append(numeric ? .number(UInt64(current) ?? 0) : .text(current))
                    current = ""
                }
                numeric = isDigit
                current.append(character)
            }
            if !current.isEmpty { result.append(numeric ? .number(UInt64(current) ?? 0) : .text(current)) }
            return result
        }
        let left = parts(lhs)
        let right = parts(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (a, b) {
            case (.number(let x), .number(let y)): return x < y
            case (.text(let x), .text(let y)): return x < y
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return left.count < right.count
    }

    private enum Either: Equatable {
        case number(UInt64)
        case text(String)
    }

    /// Makes a fresh private directory under `$TMPDIR` (or /tmp).
    static func makeTemporaryDirectory(prefix: String) throws(QEMUTestKitError) -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!) != nil
        }
        guard created else {
            throw .io("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Reads a whole file as UTF-8 (invalid bytes repaired), or "" if it cannot be read.
    static func readText(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
