import FSDev
import LinuxSystem

/// The request decoders: one small function per FUSE request turning its arguments into an `FSOperation`, behind
/// a table indexed by opcode (as SPDK's fuse_dispatcher keeps one handler per opcode in `fuse_dispatcher.c`).
///
/// A decoder reads and checks the arguments only; it submits nothing, so a malformed request is refused whole
/// (the dispatcher replies with the thrown errno). Adding a request: write its decoder in the extension of its
/// kind (`+Entries`, `+Files`, `+Attributes`) and add one row to `rows`.
///
/// FORGET, BATCH_FORGET, INTERRUPT and INIT have no row: the dispatcher serves them before the table (they have
/// no reply, or finish the session's negotiation). Opcodes without a row get ENOSYS.
enum FUSERequestDecoders {
    /// Decodes one request: the operation to submit, or the errno to reply with.
    typealias Decoder = @Sendable (inout FUSEDecoding) throws(Errno) -> FUSESubmission

    /// One decoder per request.
    static let rows: [(FUSEOpcode, Decoder)] = [
        (.lookup, lookup),
        (.getattr, getattr),
        (.setattr, setattr),
        (.readlink, readlink),
        (.symlink, symlink),
        (.mknod, mknod),
        (.mkdir, mkdir),
        (.unlink, unlink),
        (.rmdir, rmdir),
        (.rename, rename),
        (.link, link),
        (.open, open),
        (.read, read),
        (.write, write),
        (.statfs, statfs),
        (.release, release),
        (.fsync, fsync),
        (.setxattr, setxattr),
        (.getxattr, getxattr),
        (.listxattr, listxattr),
        (.removexattr, removexattr),
        (.flush, flush),
        (.opendir, opendir),
        (.readdir, readdir),
        (.releasedir, releasedir),
        (.fsyncdir, fsyncdir),
        (.getlk, getlk),
        (.setlk, setlk),
        (.setlkw, setlkw),
        (.access, access),
        (.create, create),
        (.destroy, destroy),
        (.fallocate, fallocate),
        (.readdirplus, readdirplus),
        (.rename2, rename2),
        (.lseek, lseek),
        (.copyFileRange, copyFileRange),
        (.syncfs, syncfs),
        (.tmpfile, tmpfile),
    ]

    /// `rows` indexed by opcode value; nil where no decoder exists.
    static let table: [Decoder?] = {
        var table = [Decoder?](repeating: nil, count: Int(FUSEOpcode.allCases.map(\.rawValue).max() ?? 0) + 1)
        for (opcode, decoder) in rows {
            precondition(table[Int(opcode.rawValue)] == nil, "two decoders for \(opcode)")
            table[Int(opcode.rawValue)] = decoder
        }
        return table
    }()

    /// The decoder of `opcode`, nil when the request is not supported.
    @inline(__always)
    static func decoder(for opcode: FUSEOpcode) -> Decoder? {
        let i = Int(opcode.rawValue)
        return i < table.count ? table[i] : nil
    }
}
