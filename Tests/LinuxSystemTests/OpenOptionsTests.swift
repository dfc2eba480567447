import Glibc
import LinuxSystem
import Testing

/// The typed open flags reach the kernel as the C constants, and the options that confine a path open do what
/// their names say on real files.
@Suite struct OpenOptionsTests {
    @Test func accessModeOfRawFlags() {
        #expect(OpenAccess(flags: O_RDONLY | O_TRUNC) == .readOnly)
        #expect(OpenAccess(flags: O_WRONLY | O_APPEND) == .writeOnly)
        #expect(OpenAccess(flags: O_RDWR | O_CREAT) == .readWrite)
        #expect(OpenAccess(flags: O_ACCMODE) == nil, "access mode 3 is invalid")
        #expect(OpenOptions([.path, .noFollow, .directory]).rawValue == O_PATH | O_NOFOLLOW | O_DIRECTORY)
        #expect(OpenOptions.temporaryFile.contains(.directory), "O_TMPFILE includes O_DIRECTORY")
    }

    @Test func noFollowRefusesASymlinkAndPathOpensTheLinkItself() throws {
        var template = Array("/tmp/open-options-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        let directory = String(cString: template)
        defer {
            unlink(directory + "/link")
            unlink(directory + "/file")
            rmdir(directory)
        }
        let file = try FileDescriptor.open(directory + "/file", access: .writeOnly,
                                           options: [.create, .exclusiveCreate], mode: 0o600)
        #expect(try file.write(UnsafeRawBufferPointer(start: "x", count: 1)) == 1)
        #expect(symlink("file", directory + "/link") == 0)
        let dir = try FileDescriptor.open(directory, options: [.path, .directory])
        #expect(throws: Errno.tooManySymbolicLinks) {
            _ = try FileSystemCall.open("link", relativeTo: dir.rawValue, options: .noFollow)
        }
        let link = try FileSystemCall.open("link", relativeTo: dir.rawValue, options: [.path, .noFollow])
        #expect(try FileSystemCall.status(of: link.rawValue).st_mode & S_IFMT == S_IFLNK)
        #expect(fcntl(link.rawValue, F_GETFD) & FD_CLOEXEC != 0, "O_CLOEXEC always added")
        #expect(throws: Errno.fileExists) {
            _ = try FileSystemCall.open("file", relativeTo: dir.rawValue, access: .readWrite,
                                        options: [.create, .exclusiveCreate])
        }
        #expect(throws: Errno.notDirectory) {
            _ = try FileSystemCall.open("file", relativeTo: dir.rawValue, options: .directory)
        }
    }
}
