import QEMUTestKit
import Testing

/// Marker parsing and command-line construction; no QEMU needed.
@Suite("QEMU guest configuration and markers")
struct GuestConfigurationTests {
    @Test("marker lines parse into event, value and fields")
    func markerParsing() throws {
        let mount = try #require(GuestMarker(consoleLine: "VHOSTFS-GUEST: mount=failed tag=nonexistent rc=255\r"))
        #expect(mount.event == "mount")
        #expect(mount.value == "failed")
        #expect(mount["tag"] == "nonexistent")
        #expect(mount["rc"] == "255")
        #expect(mount["missing"] == nil)
        #expect(mount.text == "mount=failed tag=nonexistent rc=255")

        let done = try #require(GuestMarker(consoleLine: "VHOSTFS-GUEST: done"))
        #expect(done.event == "done" && done.value == nil && done.fields.isEmpty)

        // A kernel message can share the line with a marker.
        let shared = try #require(GuestMarker(consoleLine: "[    2.1] virtio-fs: VHOSTFS-GUEST: script-exit=3"))
        #expect(shared.event == "script-exit" && shared.value == "3")

        #expect(GuestMarker(consoleLine: "[    0.000000] Linux version 6.1.0") == nil)
        #expect(GuestMarker(consoleLine: "VHOSTFS-GUEST: ") == nil)
    }

    @Test("a console log yields its markers in order and the derived results")
    func resultFromLog() throws {
        let log = """
            SeaBIOS\r
            VHOSTFS-GUEST: booted kernel=6.1.0-56-amd64 uptime=1.95\r
            VHOSTFS-GUEST: module=ok name=fuse\r
            VHOSTFS-GUEST: module=failed name=virtiofs rc=1\r
            VHOSTFS-GUEST: modules=fuse,virtio\r
            VHOSTFS-GUEST: virtio-device=virtio0 id=26 vendor=0x1af4 driver=virtiofs\r
            VHOSTFS-GUEST: virtio-device=virtio1 id=2 vendor=0x1af4 driver=none\r
            VHOSTFS-GUEST: virtio-devices=2\r
            VHOSTFS-GUEST: mount=ok tag=share\r
            VHOSTFS-GUEST: script=start path=t.sh\r
            hello from the guest\r
            VHOSTFS-GUEST: script-exit=7\r
            VHOSTFS-GUEST: umount=ok\r
            VHOSTFS-GUEST: done uptime=2.50\r
            [    2.6] reboot: Power down\r

            """
        let artifacts = GuestArtifactsFixture.artifacts
        let result = GuestRunResult(
            consoleLog: log, qemuExitStatus: .exited(0), qemuStandardError: "", timedOut: false, qemuKilled: false,
            bootToDone: .seconds(5), elapsed: .seconds(5), commandLine: [], artifacts: artifacts)
        #expect(result.markers.count == 12)
        #expect(result.sawBooted && result.sawDone && result.poweredOffCleanly)
        #expect(result.loadedModules == ["fuse", "virtio"])
        #expect(result.failedModules == ["virtiofs"])
        #expect(result.virtioDevices.count == 2)
        #expect(result.virtioDevices.first?.deviceID == GuestVirtioDevice.fileSystemDeviceID)
        #expect(result.virtioDevices.first?.driver == "virtiofs")
        #expect(result.virtioDevices.last?.driver == nil)
        #expect(result.mountSucceeded == true)
        #expect(result.scriptExitStatus == 7)
        #expect(result.unmountSucceeded == true)
        #expect(result.guestUptimeAtDone == 2.5)
        #expect(result.consoleLog.contains("hello from the guest"))
    }

    @Test("a killed or failing QEMU is not a clean poweroff")
    func uncleanEnds() {
        let log = "VHOSTFS-GUEST: done\n"
        let artifacts = GuestArtifactsFixture.artifacts
        let killed = GuestRunResult(
            consoleLog: log, qemuExitStatus: .signaled(9), qemuStandardError: "", timedOut: false, qemuKilled: true,
            bootToDone: nil, elapsed: .seconds(1), commandLine: [], artifacts: artifacts)
        #expect(!killed.poweredOffCleanly)
        let failed = GuestRunResult(
            consoleLog: "", qemuExitStatus: .exited(1), qemuStandardError: "qemu: bad socket", timedOut: false,
            qemuKilled: false, bootToDone: nil, elapsed: .seconds(1), commandLine: [], artifacts: artifacts)
        #expect(!failed.poweredOffCleanly && !failed.sawBooted)
        #expect(failed.summary().contains("qemu: bad socket"))
    }

    @Test("kernel command line carries the tag, options, script and watchdog")
    func kernelCommandLine() {
        var guest = QEMUGuest(mountTag: "share", script: "dir/test.sh")
        guest.mountOptions = "ro"
        guest.guestWatchdogSeconds = 40
        guest.extraKernelArguments = ["quiet"]
        #expect(guest.kernelCommandLine
            == "console=ttyS0 panic=-1 loglevel=4 edd=off vhostfs.tag=share vhostfs.mountopts=ro "
            + "vhostfs.script=dir/test.sh vhostfs.timeout=40 quiet")
        #expect(QEMUGuest().kernelCommandLine == "console=ttyS0 panic=-1 loglevel=4 edd=off")
    }

    @Test("QEMU arguments: memfd RAM, TCG, serial file, one chardev and device per vhost-user-fs device")
    func qemuArguments() throws {
        let guest = QEMUGuest(devices: [
            VhostUserFSDevice(socketPath: "/run/a.sock", tag: "share"),
            VhostUserFSDevice(socketPath: "/run/b,c.sock", tag: "root", queueSize: 1024),
        ])
        let arguments = try guest.qemuArguments(
            artifacts: GuestArtifactsFixture.artifacts, consoleLogPath: "/tmp/c.log")
        let joined = arguments.joined(separator: " ")
        #expect(joined.contains("-accel tcg -m 512M"))
        #expect(joined.contains("-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem"))
        #expect(joined.contains("-nographic -no-reboot"))
        #expect(joined.contains("-serial file:/tmp/c.log"))
        #expect(joined.contains("-kernel /boot/vmlinuz-test -initrd /cache/initramfs-test.cpio.gz"))
        #expect(joined.contains(
            "-chardev socket,id=fs0,path=/run/a.sock -device vhost-user-fs-pci,chardev=fs0,tag=share -chardev"))
        #expect(joined.contains(
            "-chardev socket,id=fs1,path=/run/b,,c.sock "
                + "-device vhost-user-fs-pci,chardev=fs1,tag=root,queue-size=1024"))
        let append = try #require(arguments.firstIndex(of: "-append"))
        #expect(arguments[append + 1] == guest.kernelCommandLine)
    }

    @Test("settings the command lines cannot carry are rejected", arguments: [
        QEMUGuest(mountTag: "has space"),
        QEMUGuest(script: "/absolute.sh"),
        QEMUGuest(devices: [VhostUserFSDevice(socketPath: "/s", tag: "")]),
        QEMUGuest(devices: [VhostUserFSDevice(socketPath: "/s", tag: String(repeating: "t", count: 37))]),
        QEMUGuest(devices: [VhostUserFSDevice(socketPath: "/s", tag: "t", queueSize: 1000)]),
    ])
    func invalidSettings(guest: QEMUGuest) {
        #expect(throws: QEMUTestKitError.self) {
            _ = try guest.qemuArguments(artifacts: GuestArtifactsFixture.artifacts, consoleLogPath: "/tmp/c.log")
        }
    }
}
