// guest-memory-guard-probe: runs, in a process of its own, what the guest-memory SIGBUS guard must do (issue 10,
// hole 4), for GuestMemoryTests: a guarded region whose file shrinks survives an access to the lost page (zeros,
// one fault counted), while a plain mapping whose file shrinks still kills the process with SIGBUS. A test cannot
// fork itself for the second half: the child of a multithreaded test process inherits locks and descriptors (a
// FUSE server's, for one) that can hang it.
//
// Prints `guarded: read 0, faults N` and then dies of SIGBUS; `survived` (exit status 3) means the guard swallowed
// a fault outside guest memory.
import Glibc
import GuestMemory
import LinuxSystem

/// Writes a line to standard output unbuffered: the process is about to die of a signal.
func say(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(1, $0, strlen($0)) }
}

func probe() throws {
    let size: UInt64 = 16 * 4096
    let guardedFile = try MemFD.create(name: "guarded", size: size)
    let region = try GuestMemoryRegion(descriptor: guardedFile, mmapOffset: 0, guestPhysicalAddress: GuestAddress(0),
                                       userAddress: 0x7000_0000_0000, size: size)
    let map = try GuestMemoryMap(regions: [region])
    try guardedFile.truncate(to: 4096)
    let value = map.load(UInt32.self, at: GuestAddress(size - 4096)) ?? 0xffff_ffff
    say("guarded: read \(value), faults \(region.faults)")

    let plainFile = try MemFD.create(name: "plain", size: size)
    let plain = try MemoryMapping(descriptor: plainFile, offset: 0, length: size)
    try plainFile.truncate(to: 4096)
    // SAFETY: inside the mapping; the page is gone, so this store raises SIGBUS, which must end the process.
    plain.base.storeBytes(of: 1, toByteOffset: Int(size) - 4096, as: UInt8.self)
    say("survived")
    exit(3)
}

do { try probe() } catch {
    say("guest-memory-guard-probe failed: \(error)")
    exit(1)
}
