import Glibc
import LinuxSystem
import Testing

@Suite struct FileHandleCallTests {
    /// statx's mount id (read from stx_mnt_id) is the one name_to_handle_at reports with the handle, for both kinds,
    /// and another mount (/proc) has another id.
    @Test(arguments: [FileSystemCall.MountIDKind.classic, .unique])
    func statxAndNameToHandleAgreeOnTheMountID(kind: FileSystemCall.MountIDKind) throws {
        let directory = try FileDescriptor.open("/tmp", flags: O_PATH | O_DIRECTORY)
        let identity: (handle: KernelFileHandle, mountID: UInt64)
        do throws(Errno) {
            identity = try FileSystemCall.fileHandle(of: directory.rawValue, mountID: kind)
        } catch {
            // AT_HANDLE_MNT_ID_UNIQUE needs Linux 6.12.
            try #require(kind == .unique && error == .invalidArgument, "name_to_handle_at: \(error)")
            return
        }
        let (status, mountID) = try FileSystemCall.statusAndMountID(of: directory.rawValue, mountID: kind)
        #expect(mountID == identity.mountID)
        #expect(status.stx_mode & UInt16(S_IFMT) == UInt16(S_IFDIR))
        let root = try FileDescriptor.open("/proc", flags: O_PATH | O_DIRECTORY)
        #expect(try FileSystemCall.statusAndMountID(of: root.rawValue, mountID: kind).mountID != mountID)
    }
}
