import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whether this host can boot the test guest, and exactly what is missing if not.
///
/// Checks the same things `contrib/guest/build-initramfs.sh` needs, plus QEMU, without building anything.
public struct QEMUAvailability: Sendable, CustomStringConvertible {
    /// The qemu-system-x86_64 binary, if found.
    public var qemuPath: String?
    /// The kernel version that would be booted, if one was found.
    public var kernelVersion: String?
    /// The kernel image that would be booted, if one was found.
    public var kernelPath: String?
    /// The busybox that would go into the initramfs.
    public var busyboxPath: String
    /// The repository root holding `contrib/guest`, if found.
    public var repositoryRoot: String?
    /// One line per missing piece, each saying what to install or fix; empty when everything is there.
    public var missing: [String]

    /// True when nothing is missing.
    public var isAvailable: Bool { missing.isEmpty }

    public var description: String {
        if isAvailable {
            return "available (qemu \(qemuPath ?? "?"), kernel \(kernelPath ?? "?"), busybox \(busyboxPath))"
        }
        return "missing:\n" + missing.map { "  - " + $0 }.joined(separator: "\n")
    }

    /// Checks this host. Takes a few milliseconds plus one `qemu-system-x86_64 -device help` run.
    public static func check() -> QEMUAvailability {
        var missing: [String] = []
        let aptHint = "apt-get install qemu-system-x86 linux-image-amd64 busybox-static cpio kmod"

        let qemu = HostTools.qemu()
        if let qemu {
            if let problem = qemuVhostUserFSProblem(qemu) {
                missing.append(problem + " (install Debian's qemu-system-x86, QEMU >= 5.0)")
            }
        } else if let explicit = HostTools.environment["VHOSTFS_QEMU"], !explicit.isEmpty {
            missing.append("VHOSTFS_QEMU=\(explicit) is not an executable")
        } else {
            missing.append("qemu-system-x86_64 is not in PATH (apt-get install qemu-system-x86)")
        }

        let version = HostTools.kernelVersion()
        var kernel: String?
        if let version {
            let image = HostTools.kernelImage(version: version)
            kernel = image
            if access(image, F_OK) != 0 {
                missing.append("kernel image \(image) does not exist (apt-get install linux-image-amd64)")
            } else if access(image, R_OK) != 0 {
                missing.append("kernel image \(image) is not readable by this user (run as root or chmod o+r)")
            }
            let modulesDep = "/lib/modules/\(version)/modules.dep"
            if access(modulesDep, R_OK) != 0 {
                missing.append("\(modulesDep) is missing (apt-get install linux-image-amd64 kmod)")
            } else if !HostTools.readText(modulesDep).contains("/virtiofs.ko") {
                missing.append("kernel \(version) has no virtiofs module in \(modulesDep) (needs CONFIG_VIRTIO_FS=m)")
            }
        } else {
            missing.append("no kernel: need /boot/vmlinuz-<kver> and /lib/modules/<kver>/modules.dep "
                + "(apt-get install linux-image-amd64)")
        }

        let busybox = HostTools.busybox()
        if access(busybox, X_OK) != 0 {
            missing.append("busybox not found at \(busybox) (apt-get install busybox-static)")
        } else if !HostTools.isStaticELF(busybox) {
            missing.append("\(busybox) is not statically linked (apt-get install busybox-static)")
        }

        for (tool, package) in [("cpio", "cpio"), ("gzip", "gzip"), ("sha256sum", "coreutils")]
        where HostTools.findExecutable(tool) == nil {
            missing.append("\(tool) is not in PATH (apt-get install \(package))")
        }

        let root = HostTools.repositoryRoot()
        if root == nil {
            missing.append("cannot find \(HostTools.buildScriptRelativePath) above the QEMUTestKit sources")
        } else if let root, access(root + "/" + HostTools.initRelativePath, R_OK) != 0 {
            missing.append("\(root)/\(HostTools.initRelativePath) is missing")
        }

        if !missing.isEmpty {
            missing.append("(all the host packages: \(aptHint))")
        }
        return QEMUAvailability(
            qemuPath: qemu, kernelVersion: version, kernelPath: kernel, busyboxPath: busybox,
            repositoryRoot: root, missing: missing)
    }

    /// Nil if `qemu -device help` lists vhost-user-fs-pci, else why not.
    private static func qemuVhostUserFSProblem(_ qemu: String) -> String? {
        let directory: String
        do {
            directory = try HostTools.makeTemporaryDirectory(prefix: "vhostfs-qemu-check")
        } catch {
            return "\(error)"
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out"
        var child: ChildProcess
        do {
            child = try ChildProcess(
                executable: qemu, arguments: ["-nodefaults", "-machine", "none", "-device", "help"],
                standardOutput: output, standardError: directory + "/err")
        } catch {
            return "\(error)"
        }
        let deadline = ContinuousClock.now + .seconds(20)
        var status: QEMUExitStatus?
        while status == nil {
            status = child.poll()
            if ContinuousClock.now > deadline {
                status = child.terminate()
                return "'\(qemu) -device help' did not finish within 20 s"
            }
            usleep(10_000)
        }
        let text = HostTools.readText(output)
        if text.contains("\"vhost-user-fs-pci\"") { return nil }
        let errors = HostTools.readText(directory + "/err")
        return "'\(qemu) -device help' (\(status.map { "\($0)" } ?? "?")) does not list vhost-user-fs-pci: "
            + String((errors + text).prefix(400))
    }
}
