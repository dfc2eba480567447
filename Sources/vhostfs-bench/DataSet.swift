import Foundation
import Glibc

/// The files the workloads use, made on the host side of the shared directory (reused when a previous run left
/// them complete): one data file, a directory of small files for lookups, a directory with many entries for
/// READDIRPLUS, and scratch directories for creation workloads (one for FUSE, one for the native floor).
struct DataSet: Sendable {
    /// Name of the data set's directory inside the shared directory.
    static let directoryName = "vhostfs-bench-data"
    /// Name of the data file.
    static let dataName = "data"
    /// Directory of small files.
    static let filesName = "files"
    /// Directory with `directoryEntries` entries.
    static let bigDirectoryName = "bigdir"
    /// Scratch directory for FUSE creation workloads.
    static let scratchName = "scratch"
    /// Scratch directory for native creation floors.
    static let nativeScratchName = "scratch-native"
    /// Directory of the walk's tree.
    static let treeName = "tree"
    /// Files per directory of the tree.
    static let treeFilesPerDirectory = 100

    /// Host path of the data set.
    let path: String
    /// Size of the data file.
    let dataSize: UInt64
    /// Names in `files/`.
    let fileNames: [String]
    /// Entries in `bigdir/`.
    let directoryEntries: Int
    /// Directories of `tree/` (each with `treeFilesPerDirectory` empty files), 0 without a tree.
    let treeDirectories: Int

    /// Name of directory `d` of the tree, and of file `f` in it.
    static func treeDirectoryName(_ d: Int) -> String { String(format: "d%04d", d) }
    static func treeFileName(_ f: Int) -> String { String(format: "f%03d", f) }

    /// Host path of `name` inside the data set.
    func hostPath(_ name: String) -> String { path + "/" + name }

    /// Makes (or reuses) the data set in `sharedDirectory`, then reads the data file once so it is in the page
    /// cache for the native floor and the backend alike.
    static func prepare(sharedDirectory: String, dataSize: UInt64, files: Int, directoryEntries: Int,
                        treeFiles: Int = 0, log: (String) -> Void) throws -> DataSet {
        let path = sharedDirectory + "/" + directoryName
        let fm = FileManager.default
        let fileNames = (0..<files).map { String(format: "f%06d", $0) }
        let treeDirectories = (treeFiles + treeFilesPerDirectory - 1) / treeFilesPerDirectory
        let set = DataSet(path: path, dataSize: dataSize, fileNames: fileNames, directoryEntries: directoryEntries,
                          treeDirectories: treeDirectories)
        let marker = path + "/.complete-\(dataSize)-\(files)-\(directoryEntries)-\(treeDirectories)"
        for scratch in [scratchName, nativeScratchName] {
            try? fm.removeItem(atPath: set.hostPath(scratch))
        }
        if !fm.fileExists(atPath: marker) {
            log("preparing the data set in \(path)")
            try? fm.removeItem(atPath: path)
            try fm.createDirectory(atPath: set.hostPath(filesName), withIntermediateDirectories: true)
            try fm.createDirectory(atPath: set.hostPath(bigDirectoryName), withIntermediateDirectories: true)
            try writeDataFile(set.hostPath(dataName), size: dataSize)
            for name in fileNames { try createFile(set.hostPath(filesName + "/" + name), content: "x") }
            for i in 0..<directoryEntries {
                try createFile(set.hostPath(bigDirectoryName + "/" + String(format: "entry-%06d", i)))
            }
            for d in 0..<treeDirectories {
                let directory = set.hostPath(treeName + "/" + treeDirectoryName(d))
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for f in 0..<treeFilesPerDirectory { try createFile(directory + "/" + treeFileName(f)) }
            }
            guard fm.createFile(atPath: marker, contents: nil) else { throw BenchFailure.dataSet("cannot mark") }
        }
        for scratch in [scratchName, nativeScratchName] {
            try fm.createDirectory(atPath: set.hostPath(scratch), withIntermediateDirectories: true)
        }
        try warm(set.hostPath(dataName))
        return set
    }

    /// Creates a small file with open/write/close (FileManager writes through a temporary file: twice the work,
    /// which counts with a million files).
    private static func createFile(_ path: String, content: String = "") throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchFailure.dataSet("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        if !content.isEmpty {
            let n = content.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
            guard n == content.utf8.count else { throw BenchFailure.dataSet("cannot write \(path): errno \(errno)") }
        }
    }

    private static func writeDataFile(_ path: String, size: UInt64) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchFailure.dataSet("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var random = BenchRandom(seed: 0x5eed)
        var chunk = [UInt64](repeating: 0, count: 1 << 17)
        var written: UInt64 = 0
        while written < size {
            for i in chunk.indices { chunk[i] = random.next() }
            let n = min(UInt64(chunk.count * 8), size - written)
            // SAFETY: n <= chunk's byte count.
            let r = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, Int(n), off_t(written)) }
            guard r == Int(n) else { throw BenchFailure.dataSet("cannot write \(path): errno \(errno)") }
            written += n
        }
    }

    private static func warm(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchFailure.dataSet("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            // SAFETY: pread writes at most the buffer's count.
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            offset += off_t(n)
        }
    }
}
