import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// A LOOKUP reply with its entry marked as a submount when `name` is a directory mounted over on the host.
    func markingSubmount(_ reply: FSReply, parent: NodeID, name: FileName) -> FSReply {
        guard case .entry(var entry) = reply, entry.attributes.mode & FileType.mask == FileType.directory,
            let parentDescriptor = try? nodes.resolve(parent).descriptor
        else { return reply }
        let marked = try? parentDescriptor.use { (directory) throws(Errno) in
            try name.withValidatedLookupName { (cName, dot) throws(Errno) in
                // "." and ".." name the directory itself or one the guest already holds, never a new mount.
                dot == .none && isSubmount(cName, in: directory)
            }
        }
        entry.attributes.isSubmount = marked ?? false
        return .entry(entry)
    }

    /// Whether `name` in `directory` is on another mount than the directory (virtiofsd's rule: another st_dev or
    /// another mount id, so a bind mount of the same file system counts too). Asked by name, not through the node's
    /// descriptor: a bind mount shares its inode (and so its node) with the directory it shows.
    func isSubmount(_ name: UnsafePointer<CChar>, in directory: CInt) -> Bool {
        let mask = UInt32(STATX_MNT_ID)
        guard let parent = try? FileSystemCall.extendedStatus(of: directory, flags: 0, mask: mask),
            let child = try? FileSystemCall.extendedStatus(name, relativeTo: directory, mask: mask),
            UInt32(child.stx_mode) & FileType.mask == FileType.directory
        else { return false }
        return MountIdentity(parent) != MountIdentity(child)
    }
}
