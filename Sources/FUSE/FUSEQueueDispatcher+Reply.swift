import CLinux
import FSDev
import FUSEWire
import Glibc
import LinuxSystem
import Virtqueue

extension FUSEQueueDispatcher {
    /// Encodes a successful fsdev reply for the slot's opcode (linux/fuse.h reply layouts).
    func encode(_ slot: FUSERequestSlot, _ result: FSReply) {
        switch result {
        case .none:
            finishReply(slot)
        case .mounted(let m):
            var out = slot.pendingInit
            var flags = FUSEInitFlags(rawValue: UInt64(out.flags) | UInt64(out.flags2) << 32)
            if !m.writebackCache { flags.remove(.writebackCache) }
            if !m.posixLocks { flags.remove(.posixLocks) }
            if !m.flockLocks { flags.remove(.flockLocks) }
            if m.maxWrite > 0 { out.max_write = min(out.max_write, m.maxWrite) }
            out.flags = UInt32(truncatingIfNeeded: flags.rawValue)
            out.flags2 = UInt32(truncatingIfNeeded: flags.rawValue >> 32)
            session.markInitialized(minor: out.minor, flags: flags, maxWrite: out.max_write,
                                    maxPages: out.max_pages)
            reply(slot, out)
        case .entry(let e):
            reply(slot, e.fuseEntryOut)
        case .attributes(let a):
            reply(slot, a.fuseAttrOut)
        case .opened(let o):
            reply(slot, o.fuseOpenOut)
        case .created(let e, let o):
            guard var body = slot.body, (try? body.writeValue(e.fuseEntryOut)) != nil,
                  (try? body.writeValue(o.fuseOpenOut)) != nil
            else {
                reply(slot, error: .invalidArgument)
                return
            }
            slot.body = body
            finishReply(slot)
        case .count(let n):
            encodeCount(slot, n)
        case .statistics(let s):
            reply(slot, s.fuseStatfsOut)
        case .offset(let o):
            var out = fuse_lseek_out()
            out.offset = UInt64(bitPattern: o)
            reply(slot, out)
        case .lock(let l):
            var out = fuse_lk_out()
            out.lk = l.fuseFileLock
            reply(slot, out)
        }
    }

    /// Replies whose result is a byte or entry count.
    private func encodeCount(_ slot: FUSERequestSlot, _ n: Int) {
        switch slot.opcode {
        case .read:
            // The data is already in guest memory (the iovecs pointed into the reply body).
            guard var body = slot.body, n >= 0, (try? body.advance(by: n)) != nil else {
                reply(slot, error: .ioError)
                return
            }
            slot.body = body
            finishReply(slot)
        case .write, .copyFileRange:
            var out = fuse_write_out()
            out.size = UInt32(clamping: n)
            reply(slot, out)
        case .readdir, .readdirplus:
            finishReply(slot)  // the entries were written by the slot as the device produced them
        case .readlink:
            copyFromScratch(slot, offset: 0, count: n)
        case .getxattr, .listxattr:
            if slot.replyLimit == 0 {
                var out = fuse_getxattr_out()
                out.size = UInt32(clamping: n)
                reply(slot, out)
            } else {
                copyFromScratch(slot, offset: 4096, count: n)
            }
        default:
            finishReply(slot)
        }
    }

    /// Copies `count` bytes produced by the device into the scratch buffer at `offset` to the reply body.
    private func copyFromScratch(_ slot: FUSERequestSlot, offset: Int, count: Int) {
        guard count >= 0, offset + count <= scratch.count, var body = slot.body else {
            reply(slot, error: .ioError)
            return
        }
        // SAFETY: offset + count <= scratch.count was checked just above.
        let bytes = UnsafeRawBufferPointer(rebasing: scratch[offset..<(offset + count)])
        guard (try? body.write(bytes)) != nil else {
            reply(slot, error: .outOfRange)
            return
        }
        slot.body = body
        finishReply(slot)
    }
}
