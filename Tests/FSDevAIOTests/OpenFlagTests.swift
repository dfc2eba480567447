import FSDev
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

/// The guest's open flags the host open keeps: O_DIRECT only with `directIO` (`--allow-direct-io`), O_NOATIME only
/// with `preservesNoatime` (`--preserve-noatime`), as virtiofsd does.
@Suite struct OpenFlagTests {
    /// The flags of the host descriptor behind a handle.
    func hostFlags(_ h: Harness, _ node: NodeID, _ handle: HandleID) throws -> Int32 {
        let record = try h.device.handles.resolve(handle, node: node)
        return try record.descriptor.use { (fd) throws(Errno) in fcntl(fd, F_GETFL) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func directIOAndNoatimeAreKeptOnlyWhenAsked(directIO: Bool, noatime: Bool) throws {
        var options = AIOFSOptions(directIO: directIO)
        options.preservesNoatime = noatime
        let h = try Harness(options: options)
        defer { h.close() }
        try writeHostFile(h.path("f"), pattern(8192))
        let f = try h.lookup(.root, "f")
        let handle = try h.open(f.node, flags: O_RDONLY | O_NOATIME | O_DIRECT)
        let flags = try hostFlags(h, f.node, handle)
        #expect((flags & O_DIRECT != 0) == directIO)
        #expect((flags & O_NOATIME != 0) == noatime)
        try h.release(f.node, handle)
        let computed = try h.device.hostOpenFlags(O_RDWR | O_NOATIME | O_DIRECT | O_SYNC)
        #expect((computed & O_DIRECT != 0) == directIO)
        #expect((computed & O_NOATIME != 0) == noatime)
        #expect(computed & O_SYNC == O_SYNC && computed & O_ACCMODE == O_RDWR)
    }
}
