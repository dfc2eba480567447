import Glibc
import LinuxSystem
import VhostUser

/// The listening socket: created at `--socket-path` with mode 0660 and `--socket-group` as its group, or inherited
/// (`--fd`). Set up before the sandbox, which cannot see the socket's directory.
enum DaemonSocket {
    /// The mode of a created socket: owner and group may connect, others not, whatever the umask.
    static let mode: mode_t = 0o660

    /// A socket file the daemon created, identified so that it is removed only while it is still this one (another
    /// daemon may have replaced it since).
    struct CreatedFile: Sendable {
        let path: String
        let device: UInt64
        let inode: UInt64

        /// Removes the file if it is still the socket the daemon created.
        func removeIfUnchanged() {
            guard let st = try? FileSystemCall.status(path, relativeTo: AT_FDCWD, flags: AT_SYMLINK_NOFOLLOW),
                  UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode
            else { return }
            _ = unlinkat(AT_FDCWD, path, 0)
        }
    }

    /// Why the socket could not be set up.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The listening socket of `configuration`, and the file to remove at exit when the daemon created one.
    static func open(_ configuration: DaemonConfiguration) throws(Failure) -> (UnixSocket, CreatedFile?) {
        switch configuration.listen {
        case .inheritedFD(let fd):
            return (UnixSocket(descriptor: FileDescriptor(taking: fd)), nil)
        case .socketPath(let path):
            return try create(path: path, group: configuration.socketGroup?.id)
        }
    }

    /// Binds and listens on `path` (a stale socket there is replaced), then sets its group and mode 0660.
    ///
    /// The socket is bound under umask 0177, so it is never more open than 0600 before its final mode is set;
    /// the umask is process-wide, which is safe here because no other thread runs yet. The mode and group are set
    /// through an O_PATH|O_NOFOLLOW descriptor of the path checked to be a socket, so a symlink swapped in
    /// meanwhile is never followed.
    static func create(path: String, group: gid_t?) throws(Failure) -> (UnixSocket, CreatedFile) {
        let savedMask = umask(0o177)
        defer { umask(savedMask) }
        let listener: UnixSocket
        do { listener = try VhostUserServer.bind(path: path) } catch {
            throw Failure(description: "cannot listen on \(path): \(error)")
        }
        do throws(Errno) {
            let file = try FileDescriptor.open(path, flags: O_PATH | O_NOFOLLOW)
            let st = try FileSystemCall.status(of: file.rawValue)
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw Errno.fileExists }
            if let group {
                try FileSystemCall.setOwner("", relativeTo: file.rawValue, owner: uid_t.max, group: group,
                                            flags: AT_EMPTY_PATH)
            }
            _ = try SystemCall.valueOrErrno { chmod("/proc/self/fd/\(file.rawValue)", mode) }.get()
            return (listener, CreatedFile(path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
        } catch {
            let what = group.map { "group \($0) and " } ?? ""
            throw Failure(description: "cannot set the \(what)mode 0660 of socket \(path): \(error)")
        }
    }
}
