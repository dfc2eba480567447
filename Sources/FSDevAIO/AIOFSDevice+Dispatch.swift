import FSDev
import LinuxSystem

extension AIOFSDevice {
    /// Runs a synchronous operation (everything but read, write, abort and waiting locks, which the channel
    /// handles) and returns its reply, with user and group ids translated both ways when the options ask for it.
    func perform(_ operation: FSOperation, context: RequestContext) throws(Errno) -> FSReply {
        if options.announcesSubmounts, case .lookup(let parent, let name) = operation {
            return markingSubmount(try performTranslating(operation, context: context), parent: parent, name: name)
        }
        return try performTranslating(operation, context: context)
    }

    /// `perform` without the submount marking.
    private func performTranslating(_ operation: FSOperation, context: RequestContext) throws(Errno) -> FSReply {
        guard translatesIDs || !options.switchesCredentials else { return try serve(operation, context: context) }
        switch operation {
        case .symlink, .mknod, .mkdir, .create, .tmpfile, .access:
            return guestView(try serve(operation, context: try hostContext(context)))
        case .setattr(let node, let handle, let attributes):
            return guestView(try serve(.setattr(node: node, handle: handle, attributes: try hostAttributes(attributes)),
                                       context: context))
        default:
            return guestView(try serve(operation, context: context))
        }
    }

    /// Runs a synchronous operation on host ids. One switch, statically dispatched (SPDK's handler table).
    private func serve(_ operation: FSOperation, context: RequestContext) throws(Errno) -> FSReply {
        switch operation {
        case .mount(let request):
            return .mounted(try mount(request))
        case .unmount:
            unmount()
            return .none
        case .lookup(let parent, let name):
            return .entry(try lookup(parent: parent, name: name))
        case .forget(let node, let count):
            try nodes.forget(node, count: count)
            return .none
        case .batchForget(let batch):
            batchForget(batch)
            return .none
        case .getattr(let node, let handle):
            return .attributes(try attributes(of: node, handle: handle))
        case .setattr(let node, let handle, let a):
            return .attributes(try setattr(node: node, handle: handle, attributes: a, context: context))
        case .readlink(let node, let buffer):
            return .count(try readlink(node: node, buffer: buffer))
        case .symlink(let parent, let name, let target):
            return .entry(try create(.symbolicLink(target: target), parent: parent, name: name, context: context))
        case .mknod(let parent, let name, let mode, let rdev):
            return .entry(try create(.node(mode: mode, rdev: rdev), parent: parent, name: name, context: context))
        case .mkdir(let parent, let name, let mode):
            return .entry(try create(.directory(mode: mode), parent: parent, name: name, context: context))
        case .unlink(let parent, let name):
            try remove(parent: parent, name: name, directory: false)
            return .none
        case .rmdir(let parent, let name):
            try remove(parent: parent, name: name, directory: true)
            return .none
        case .rename(let parent, let name, let newParent, let newName, let flags):
            try rename(parent: parent, name: name, newParent: newParent, newName: newName, flags: flags)
            return .none
        case .link(let node, let newParent, let newName):
            return .entry(try link(node: node, newParent: newParent, newName: newName))
        case .open(let node, let flags):
            return .opened(try open(node: node, flags: flags, context: context))
        case .create(let parent, let name, let mode, let flags):
            let (entry, reply) = try create(parent: parent, name: name, mode: mode, flags: flags, context: context)
            return .created(entry, reply)
        case .statfs(let node):
            return .statistics(try statfs(node: node))
        case .release(let node, let handle), .releasedir(let node, let handle):
            try handles.remove(handle, node: node)
            return .none
        case .fsync(let node, let handle, let dataOnly), .fsyncdir(let node, let handle, let dataOnly):
            try fsync(node: node, handle: handle, dataOnly: dataOnly)
            return .none
        case .flush(let node, let handle):
            try flush(node: node, handle: handle)
            return .none
        case .opendir(let node, _):
            return .opened(try opendir(node: node))
        case .readdir(let node, let handle, let offset, let sink):
            return .count(try readdir(node: node, handle: handle, offset: offset, sink: sink, plus: false))
        case .readdirplus(let node, let handle, let offset, let sink):
            return .count(try readdir(node: node, handle: handle, offset: offset, sink: sink, plus: true))
        case .flock(let node, let handle, let operation, _):
            try tryLock(node: node, handle: handle, .flock(operation))
            return .none
        case .fallocate(let node, let handle, let mode, let offset, let length):
            try fallocate(node: node, handle: handle, mode: mode, offset: offset, length: length)
            return .none
        case .copyFileRange(let node, let handle, let offset, let dNode, let dHandle, let dOffset, let length,
                            let flags):
            return .count(try copyFileRange(node: node, handle: handle, offset: offset, destinationNode: dNode,
                                            destinationHandle: dHandle, destinationOffset: dOffset, length: length,
                                            flags: flags))
        case .lseek(let node, let handle, let offset, let whence):
            return .offset(try lseek(node: node, handle: handle, offset: offset, whence: whence))
        case .access(let node, let mask):
            try access(node: node, mask: mask, context: context)
            return .none
        case .syncfs(let node):
            try syncfs(node: node)
            return .none
        case .setxattr(let node, let name, let value, let flags):
            try setxattr(node: node, name: name, value: value, flags: flags)
            return .none
        case .getxattr(let node, let name, let buffer):
            return .count(try getxattr(node: node, name: name, buffer: buffer))
        case .listxattr(let node, let buffer):
            return .count(try listxattr(node: node, buffer: buffer))
        case .removexattr(let node, let name):
            try removexattr(node: node, name: name)
            return .none
        case .getlk(let node, let handle, let lock):
            return .lock(try getlk(node: node, handle: handle, lock: lock))
        case .setlk(let node, let handle, let lock, _):
            try tryLock(node: node, handle: handle, .posix(lock))
            return .none
        case .tmpfile(let parent, let mode, let flags):
            let (entry, reply) = try tmpfile(parent: parent, mode: mode, flags: flags, context: context)
            return .created(entry, reply)
        case .read, .write, .abort:
            // Asynchronous: the channel handles these before calling perform.
            throw .notImplemented
        }
    }
}
