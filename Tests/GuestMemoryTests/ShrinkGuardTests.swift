import Foundation
import Glibc
import GuestMemory
import LinuxSystem
import Testing

/// Hole 4 of issue 10, at the memory layer: a front-end shrinks the file behind a region after the back-end mapped
/// it. Where the file can be sealed the back-end adds F_SEAL_SHRINK first; where it cannot, an access to a lost
/// page is repaired by the SIGBUS guard and counted, instead of killing the process.
@Suite(.serialized)
struct ShrinkGuardTests {
    static let size: UInt64 = 16 * 4096

    static func seals(_ fd: FileDescriptor) -> CInt { (try? fd.seals()) ?? -1 }

    @Test func aSealableMemfdGetsFSealShrink() throws {
        let fd = try MemFD.create(name: "sealable", size: Self.size, allowSealing: true)
        #expect(Self.seals(fd) & F_SEAL_SHRINK == 0)
        let r = try region(fd, gpa: 0, size: Self.size)
        #expect(Self.seals(fd) & F_SEAL_SHRINK != 0)
        #expect(throws: Errno.notPermitted) { try fd.truncate(to: 4096) }
        try fd.truncate(to: Int64(Self.size * 2))  // growing stays allowed
        #expect(r.faults == 0)
    }

    @Test func aMemfdSealedAgainstShrinkingIsAccepted() throws {
        // QEMU's memory-backend-memfd with seal=on.
        let fd = try MemFD.create(name: "qemu-sealed", size: Self.size, allowSealing: true)
        try fd.addSeals(F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)
        _ = try region(fd, gpa: 0, size: Self.size)
    }

    @Test func aMemfdSealedShutWithoutFSealShrinkIsRefused() throws {
        let fd = try MemFD.create(name: "sealed-shut", size: Self.size, allowSealing: true)
        try fd.addSeals(F_SEAL_GROW | F_SEAL_SEAL)
        #expect(throws: GuestMemoryError.sealedWithoutShrinkSeal(seals: F_SEAL_GROW | F_SEAL_SEAL)) {
            _ = try region(fd, gpa: 0, size: Self.size)
        }
    }

    /// A memfd created without MFD_ALLOW_SEALING (QEMU's seal=off) and a /dev/shm file (memory-backend-file) carry
    /// F_SEAL_SEAL from birth and can shrink: accepted, and an access to a lost page reads zeros and is counted.
    @Test(arguments: ["memfd", "shm"])
    func anUnsealableFileThatShrinksFaultsIntoZeroPages(kind: String) throws {
        let fd: FileDescriptor
        if kind == "memfd" {
            fd = try MemFD.create(name: "unsealable", size: Self.size)
        } else {
            let path = "/dev/shm/vhostfsd-shrink-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
            unlink(path)
            try fd.truncate(to: Int64(Self.size))
        }
        #expect(Self.seals(fd) == F_SEAL_SEAL)
        let r = try region(fd, gpa: 0x1000_0000, size: Self.size)
        let map = try GuestMemoryMap(regions: [r])
        let tail = GuestAddress(0x1000_0000 + Self.size - 4096)
        #expect(map.store(UInt32(0xfeed_beef), at: tail))
        #expect(map.load(UInt32.self, at: tail) == 0xfeed_beef)
        let before = MemoryMapping.guardedFaultGeneration
        try fd.truncate(to: 4096)  // the front-end shrinks it
        // The lost page reads as zeros and a write to it goes nowhere; the process lives on.
        #expect(map.load(UInt32.self, at: tail) == 0)
        #expect(map.store(UInt32(1), at: tail))
        #expect(r.faults > 0)
        #expect(map.hasFaulted)
        #expect(MemoryMapping.guardedFaultGeneration > before)
        // The page the file kept is untouched.
        #expect(map.store(UInt32(7), at: GuestAddress(0x1000_0000)))
        #expect(map.load(UInt32.self, at: GuestAddress(0x1000_0000)) == 7)
    }

    /// The guard only answers faults in guest memory: a SIGBUS anywhere else still ends the process. Checked in
    /// a process of its own (`guest-memory-guard-probe`), without the Swift backtracer in the way.
    @Test func aFaultOutsideGuestMemoryStillKillsTheProcess() throws {
        let process = Process()
        process.executableURL = try Self.probePath()
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.hasPrefix("guarded: read 0, faults 1"), "\(text)")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGBUS,
                "ended with \(process.terminationReason) \(process.terminationStatus): \(text)")
    }

    /// The probe, built next to the test bundle (SwiftPM builds every executable before it runs tests).
    static func probePath() throws -> URL {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        let probe = bundle.deletingLastPathComponent().appendingPathComponent("guest-memory-guard-probe")
        try #require(FileManager.default.isExecutableFile(atPath: probe.path), "\(probe.path) is not built")
        return probe
    }
}
