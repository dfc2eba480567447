import Glibc
import LinuxSystem

/// The value of a `system.posix_acl_access` or `system.posix_acl_default` extended attribute, whose entries carry
/// user and group ids (linux/posix_acl_xattr.h): a little-endian `u32` version (2), then 8-byte entries
/// `{ le16 tag; le16 perm; le32 id; }`. Only ACL_USER and ACL_GROUP entries name an id.
enum PosixACLValue {
    /// POSIX_ACL_XATTR_VERSION.
    static let version: UInt32 = 2
    /// ACL_USER: `id` is a user id.
    static let userTag: UInt16 = 0x02
    /// ACL_GROUP: `id` is a group id.
    static let groupTag: UInt16 = 0x08
    /// Size of the header and of one entry.
    static let headerSize = 4
    static let entrySize = 8

    /// Whether `name` (a validated, NUL-terminated attribute name) is one of the two ACL attributes.
    static func isACL(_ name: UnsafePointer<CChar>) -> Bool {
        strcmp(name, "system.posix_acl_access") == 0 || strcmp(name, "system.posix_acl_default") == 0
    }

    /// Rewrites the ids of the ACL in `bytes` in place with `uids` and `gids`, guest to host (`toHost`) or back.
    static func translate(
        _ bytes: UnsafeMutableRawBufferPointer, uids: IDMap, gids: IDMap, toHost: Bool
    ) throws(Errno) {
        if toHost {
            try translate(bytes, user: { (id) throws(Errno) in try uids.host(forGuest: id) },
                          group: { (id) throws(Errno) in try gids.host(forGuest: id) })
        } else {
            try translate(bytes, user: { (id) throws(Errno) in uids.guest(forHost: id) },
                          group: { (id) throws(Errno) in gids.guest(forHost: id) })
        }
    }

    /// Rewrites the ids of the ACL in `bytes` in place.
    ///
    /// - Parameters:
    ///   - bytes: a whole ACL value, in memory this call owns (never guest memory: the guest could change an entry
    ///     between the check and the use).
    ///   - user: the translation of an ACL_USER id.
    ///   - group: the translation of an ACL_GROUP id.
    /// - Throws: EINVAL for a value that is not an ACL (short, ragged or of another version), as the kernel answers;
    ///   what `user` or `group` throw.
    static func translate(
        _ bytes: UnsafeMutableRawBufferPointer, user: (UInt32) throws(Errno) -> UInt32,
        group: (UInt32) throws(Errno) -> UInt32
    ) throws(Errno) {
        // SAFETY: every load and store below is at an offset the loop keeps within `bytes` (the size is checked to be
        // the header plus whole entries first); unaligned access is used, as the buffer has no alignment.
        guard bytes.count >= headerSize, (bytes.count - headerSize) % entrySize == 0,
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == version
        else { throw .invalidArgument }
        var offset = headerSize
        while offset < bytes.count {
            let tag = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let id = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let mapped: UInt32? =
                switch tag {
                case userTag: try user(id)
                case groupTag: try group(id)
                default: nil
                }
            if let mapped { bytes.storeBytes(of: mapped.littleEndian, toByteOffset: offset + 4, as: UInt32.self) }
            offset += entrySize
        }
    }
}
