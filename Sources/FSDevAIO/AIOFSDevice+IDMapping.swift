import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// Whether any id is translated between guest and host (`AIOFSOptions.uidMap`/`gidMap`).
    var translatesIDs: Bool { !options.uidMap.isIdentity || !options.gidMap.isIdentity }

    /// The caller's credentials as host ids, for the operations that act as the caller (creation and ACCESS).
    /// Without credential switching (an unprivileged daemon) they are the daemon's own ids once translated, so
    /// `CallerCredentials` only applies the umask.
    ///
    /// - Throws: EPERM for an id a `forbid-guest` rule covers, EINVAL for one outside a namespace map.
    func hostContext(_ guest: RequestContext) throws(Errno) -> RequestContext {
        var host = guest
        host.uid = try options.uidMap.host(forGuest: guest.uid)
        host.gid = try options.gidMap.host(forGuest: guest.gid)
        if let group = guest.supplementaryGroup { host.supplementaryGroup = try options.gidMap.host(forGuest: group) }
        if !options.switchesCredentials {
            host.uid = UInt32(ThreadCredentials.effectiveUserID)
            host.gid = UInt32(ThreadCredentials.effectiveGroupID)
            host.supplementaryGroup = nil
        }
        return host
    }

    /// SETATTR's new owner and group as host ids; `(uid_t)-1` ("unchanged") is never a field that is set.
    func hostAttributes(_ guest: SetAttributes) throws(Errno) -> SetAttributes {
        var host = guest
        if guest.fields.contains(.uid) { host.uid = try options.uidMap.host(forGuest: guest.uid) }
        if guest.fields.contains(.gid) { host.gid = try options.gidMap.host(forGuest: guest.gid) }
        return host
    }

    /// Attributes with the owner and group the guest sees.
    func guestView(_ host: FileAttributes) -> FileAttributes {
        var guest = host
        guest.uid = options.uidMap.guest(forHost: host.uid)
        guest.gid = options.gidMap.guest(forHost: host.gid)
        return guest
    }

    /// A reply with every owner and group as the guest sees them.
    func guestView(_ reply: FSReply) -> FSReply {
        switch reply {
        case .entry(var entry):
            entry.attributes = guestView(entry.attributes)
            return .entry(entry)
        case .created(var entry, let opened):
            entry.attributes = guestView(entry.attributes)
            return .created(entry, opened)
        case .attributes(var attributes):
            attributes.attributes = guestView(attributes.attributes)
            return .attributes(attributes)
        case .mounted(var mount):
            mount.root.attributes = guestView(mount.root.attributes)
            return .mounted(mount)
        case .none, .opened, .count, .statistics, .offset, .lock:
            return reply
        }
    }

    /// Clears the set-group-ID bit of the file at `path` (a /proc/self/fd path) before an access ACL is set, when
    /// the guest kernel asked for it (FUSE_SETXATTR_ACL_KILL_SGID): the host kernel would not, the daemon being root.
    func clearSetGroupIDForACL(name: UnsafePointer<CChar>, path: UnsafePointer<CChar>) throws(Errno) {
        guard strcmp(name, "system.posix_acl_access") == 0 else { return }
        let st = try FileSystemCall.status(path, relativeTo: AT_FDCWD, flags: 0)
        guard st.st_mode & S_ISGID != 0 else { return }
        try FileSystemCall.setMode(path, relativeTo: AT_FDCWD, mode: st.st_mode & 0o7777 & ~S_ISGID)
    }

    /// Runs `body` with the value to store for attribute `name`: the guest's bytes, or for a POSIX ACL under a
    /// translation a private copy whose ids are host ids.
    func withHostAttributeValue<R>(
        name: UnsafePointer<CChar>, _ value: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(Errno) -> R
    ) throws(Errno) -> R {
        guard translatesIDs, PosixACLValue.isACL(name), value.count > 0 else { return try body(value) }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: value.count, alignment: 8)
        defer { copy.deallocate() }
        // SAFETY: both buffers hold `value.count` bytes; the guest's is read once, here.
        copy.copyMemory(from: value)
        try PosixACLValue.translate(copy, uids: options.uidMap, gids: options.gidMap, toHost: true)
        return try body(UnsafeRawBufferPointer(copy))
    }

    /// Reads attribute `name` with `read` into `buffer` (guest memory) and returns its size; for a POSIX ACL under
    /// a translation it is read into a private buffer first and its ids turned into the guest's.
    func readGuestAttributeValue(
        name: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer,
        _ read: (UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    ) throws(Errno) -> Int {
        guard translatesIDs, PosixACLValue.isACL(name), buffer.count > 0 else { return try read(buffer) }
        // SAFETY: the private buffer lives until the defer; `read` writes at most its size and returns the count.
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count, alignment: 8)
        defer { copy.deallocate() }
        let count = try read(copy)
        do throws(Errno) {
            try PosixACLValue.translate(
                UnsafeMutableRawBufferPointer(rebasing: copy[..<count]), uids: options.uidMap, gids: options.gidMap,
                toHost: false)
        } catch {
            throw .ioError  // the host's own ACL is malformed
        }
        guard let source = copy.baseAddress, let destination = buffer.baseAddress else { return count }
        // SAFETY: `count` bytes were read into `copy`, and `buffer` holds at least as many.
        destination.copyMemory(from: source, byteCount: count)
        return count
    }
}
