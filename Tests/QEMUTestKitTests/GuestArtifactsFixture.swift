import QEMUTestKit

/// Artifacts that name files which need not exist, for tests that only build command lines.
enum GuestArtifactsFixture {
    static let artifacts = GuestArtifacts(
        qemuPath: "/usr/bin/qemu-system-x86_64", kernelVersion: "test", kernelPath: "/boot/vmlinuz-test",
        initramfsPath: "/cache/initramfs-test.cpio.gz")
}
