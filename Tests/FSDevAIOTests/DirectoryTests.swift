import FSDev
import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import FSDevAIO

@Suite struct DirectoryTests {
    func list(_ h: Harness, _ node: NodeID, _ handle: HandleID, plus: Bool, perCall: Int) throws -> CollectingSink {
        let sink = CollectingSink(limit: perCall)
        var offset: UInt64 = 0
        while true {
            sink.startCall()
            let before = sink.accepted.count
            let op: FSOperation = plus ? .readdirplus(node: node, handle: handle, offset: offset, sink: sink)
                                       : .readdir(node: node, handle: handle, offset: offset, sink: sink)
            let n = try h.count(h.call(op))
            #expect(n == sink.accepted.count - before)
            if n == 0 { break }
            offset = sink.accepted[sink.accepted.count - 1].entry.nextOffset
        }
        return sink
    }

    @Test func readdirResumesAtOffsetsAndListsRootDotDotAsTheRootItself() throws {
        let h = try Harness()
        defer { h.close() }
        let names = (0..<300).map { "file-\($0)" }
        for n in names { try writeHostFile(h.path(n), []) }
        try FileManager.default.createDirectory(atPath: h.path("sub"), withIntermediateDirectories: false)
        guard case .opened(let o) = try h.call(.opendir(node: .root, flags: O_RDONLY)).get() else {
            Issue.record("opendir"); return
        }
        let sink = try list(h, .root, o.handle, plus: false, perCall: 37)
        let seen = sink.accepted.map(\.name)
        #expect(Set(seen) == Set(names + ["sub", ".", ".."]))
        #expect(seen.count == 303, "each entry exactly once")
        // As at the root of a local file system, ".." is the root itself: the directory above the share (its inode
        // number included) is not shown.
        let rootInode = UInt64(try hostStat(h.directory).st_ino)
        let parentInode = UInt64(try hostStat(h.directory + "/..").st_ino)
        #expect(sink.accepted.first { $0.name == ".." }?.entry.inode == rootInode)
        #expect(sink.accepted.first { $0.name == "." }?.entry.inode == rootInode)
        #expect(rootInode != parentInode)
        // Going back to an earlier offset gives the same sequence again.
        let resume = sink.accepted[99].entry.nextOffset
        let again = CollectingSink(limit: 5)
        _ = try h.call(.readdir(node: .root, handle: o.handle, offset: resume, sink: again)).get()
        #expect(again.accepted.map(\.name) == Array(seen[100..<105]))
        _ = try h.call(.releasedir(node: .root, handle: o.handle)).get()
        // A subdirectory shows both dot entries.
        let sub = try h.lookup(.root, "sub")
        guard case .opened(let so) = try h.call(.opendir(node: sub.node, flags: O_RDONLY)).get() else {
            Issue.record("opendir"); return
        }
        let subSink = try list(h, sub.node, so.handle, plus: false, perCall: 10)
        #expect(Set(subSink.accepted.map(\.name)) == [".", ".."])
        #expect(throws: Errno.notDirectory) {
            try h.call(.opendir(node: h.lookup(.root, "file-1").node, flags: O_RDONLY)).get()
        }
        #expect(throws: Errno.badFileDescriptor) {
            try h.call(.readdir(node: sub.node, handle: o.handle, offset: 0, sink: CollectingSink())).get()
        }
        _ = try h.call(.fsyncdir(node: sub.node, handle: so.handle, dataOnly: false)).get()
        _ = try h.call(.fsyncdir(node: sub.node, handle: so.handle, dataOnly: true)).get()
        _ = try h.call(.releasedir(node: sub.node, handle: so.handle)).get()
        #expect(throws: Errno.badFileDescriptor) {
            try h.call(.fsyncdir(node: sub.node, handle: so.handle, dataOnly: false)).get()
        }
        #expect(h.device.handleCount == 0)
    }

    @Test func readdirplusLooksUpAcceptedEntriesOnly() throws {
        let h = try Harness()
        defer { h.close() }
        for i in 0..<50 { try writeHostFile(h.path("f\(i)"), pattern(i)) }
        let nodesAtStart = h.device.nodeCount
        guard case .opened(let o) = try h.call(.opendir(node: .root, flags: O_RDONLY)).get() else {
            Issue.record("opendir"); return
        }
        // 7 per call: each refused entry's lookup must be undone, or the node count would drift.
        let sink = try list(h, .root, o.handle, plus: true, perCall: 7)
        let files = sink.accepted.filter { $0.name != "." && $0.name != ".." }
        #expect(files.count == 50)
        for f in files {
            let e = try #require(f.entry.entry)
            #expect(e.attributes.size == UInt64(f.name.dropFirst()) ?? 999)
            #expect(e.attributes.inode == f.entry.inode)
            #expect(h.device.lookupCount(of: e.node) == 1)
        }
        #expect(sink.accepted.first { $0.name == "." }?.entry.entry == nil)
        #expect(sink.accepted.first { $0.name == ".." }?.entry.entry == nil, "READDIRPLUS looks up neither dot entry")
        #expect(h.device.nodeCount == nodesAtStart + 50)
        // BATCH_FORGET of every entry brings the table back.
        var records: [UInt64] = []
        for f in files { records += [f.entry.entry?.node.rawValue ?? 0, 1] }
        // Plus one bogus and one stale-looking record, which must be ignored.
        records += [0xdead_beef_0000_0042, 1, 0, 5]
        try records.withUnsafeBytes { raw in
            _ = try h.call(.batchForget(ForgetBatch(untrustedRecords: raw))).get()
        }
        #expect(h.device.nodeCount == nodesAtStart)
        _ = try h.call(.releasedir(node: .root, handle: o.handle)).get()
    }
}
