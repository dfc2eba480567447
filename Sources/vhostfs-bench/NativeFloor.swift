import Glibc
import LinuxSystem

/// The native floor: the system calls a passthrough backend makes for each workload, measured from this process on
/// the same files, one thread, one clock read per operation.
enum NativeFloor {
    /// One floor's measurement.
    struct Result: Sendable {
        var floor: Workload.Floor
        var operations = 0
        var nanoseconds: UInt64 = 0
        var histogram = LatencyHistogram()
        var error: String?

        /// Nanoseconds per operation (wall time / operations).
        var nanosecondsPerOperation: Double { operations == 0 ? 0 : Double(nanoseconds) / Double(operations) }
    }

    /// Measures `floor` for about `durationNanoseconds` on `dataSet`.
    static func measure(_ floor: Workload.Floor, dataSet: DataSet, durationNanoseconds: UInt64) -> Result {
        var result = Result(floor: floor)
        let dataFD = open(dataSet.hostPath(DataSet.dataName), O_RDWR | O_CLOEXEC)
        let filesFD = open(dataSet.hostPath(DataSet.filesName), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let scratchFD = open(dataSet.hostPath(DataSet.nativeScratchName), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer {
            if dataFD >= 0 { close(dataFD) }
            if filesFD >= 0 { close(filesFD) }
            if scratchFD >= 0 { close(scratchFD) }
        }
        guard dataFD >= 0, filesFD >= 0, scratchFD >= 0 else {
            result.error = "cannot open the data set: errno \(errno)"
            return result
        }
        // SAFETY: 128 KiB, the largest transfer below; freed by the defer after the last use.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 128 * 1024, alignment: 4096)
        defer { buffer.deallocate() }
        memset(buffer, 0x5a, 128 * 1024)
        var random = BenchRandom(seed: 42)
        let blocks4k = max(dataSet.dataSize / 4096, 1)
        let blocks128k = max(dataSet.dataSize / (128 * 1024), 1)
        var cursor: UInt64 = 0
        var failure: Int32 = 0
        let names = dataSet.fileNames.map { Array($0.utf8CString) }
        var nameIndex = 0
        var counter = 0
        var nameBuffer = [CChar](repeating: 0, count: 32)

        func check(_ r: Int) { if r < 0 && failure == 0 { failure = errno } }
        func scratchName() {
            counter += 1
            var n = counter
            var digits = [CChar](repeating: 0, count: 24)
            var k = 0
            repeat {
                digits[k] = CChar(48 + n % 10)
                n /= 10
                k += 1
            } while n > 0
            nameBuffer[0] = CChar(UInt8(ascii: "n"))
            for i in 0..<k { nameBuffer[1 + i] = digits[k - 1 - i] }
            nameBuffer[1 + k] = 0
        }

        let operation: () -> Void
        switch floor {
        case .pread4k:
            operation = { check(pread(dataFD, buffer, 4096, off_t((random.next() % blocks4k) * 4096))) }
        case .pwrite4k:
            operation = { check(pwrite(dataFD, buffer, 4096, off_t((random.next() % blocks4k) * 4096))) }
        case .pread128k:
            operation = {
                check(pread(dataFD, buffer, 128 * 1024, off_t(cursor * 128 * 1024)))
                cursor = (cursor + 1) % blocks128k
            }
        case .pwrite128k:
            operation = {
                check(pwrite(dataFD, buffer, 128 * 1024, off_t(cursor * 128 * 1024)))
                cursor = (cursor + 1) % blocks128k
            }
        case .mixed4k:
            operation = {
                let offset = off_t((random.next() % blocks4k) * 4096)
                if random.next() % 100 < 70 {
                    check(pread(dataFD, buffer, 4096, offset))
                } else {
                    check(pwrite(dataFD, buffer, 4096, offset))
                }
            }
        case .fstatat:
            var st = stat()
            operation = {
                check(Int(fstatat(filesFD, names[nameIndex], &st, AT_SYMLINK_NOFOLLOW)))
                nameIndex = nameIndex + 1 == names.count ? 0 : nameIndex + 1
            }
        case .openClose:
            operation = {
                let fd = openat(filesFD, names[nameIndex], O_RDONLY | O_CLOEXEC)
                check(Int(fd))
                if fd >= 0 { close(fd) }
                nameIndex = nameIndex + 1 == names.count ? 0 : nameIndex + 1
            }
        case .createUnlink:
            operation = {
                scratchName()
                let fd = openat(scratchFD, nameBuffer, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                check(Int(fd))
                if fd >= 0 { close(fd) }
                check(Int(unlinkat(scratchFD, nameBuffer, 0)))
            }
        case .mkdirRmdir:
            operation = {
                scratchName()
                check(Int(mkdirat(scratchFD, nameBuffer, 0o755)))
                check(Int(unlinkat(scratchFD, nameBuffer, AT_REMOVEDIR)))
            }
        case .readdirStat:
            let path = dataSet.hostPath(DataSet.bigDirectoryName)
            var st = stat()
            operation = {
                guard let dir = opendir(path) else {
                    check(-1)
                    return
                }
                let fd = dirfd(dir)
                var entries = 0
                while let entry = readdir(dir) {
                    // SAFETY: d_name is a NUL-terminated char[256] inside the dirent readdir returned, valid
                    // until the next readdir.
                    withUnsafePointer(to: &entry.pointee.d_name) { p in
                        p.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                            check(Int(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)))
                        }
                    }
                    entries += 1
                }
                closedir(dir)
                if entries < dataSet.directoryEntries && failure == 0 { failure = ENOENT }
            }
        }

        // Warm up (page cache, dentries), then measure.
        let warmUntil = SystemClock.monotonicNanoseconds() + min(durationNanoseconds / 10, 100_000_000)
        while SystemClock.monotonicNanoseconds() < warmUntil { operation() }
        let begin = SystemClock.monotonicNanoseconds()
        let deadline = begin + durationNanoseconds
        var previous = begin
        var histogram = LatencyHistogram()
        var operations = 0
        while previous < deadline && failure == 0 {
            operation()
            let now = SystemClock.monotonicNanoseconds()
            histogram.record(now - previous)
            previous = now
            operations += 1
        }
        result.operations = operations
        result.nanoseconds = previous - begin
        result.histogram = histogram
        if failure != 0 { result.error = "\(floor.rawValue): errno \(failure)" }
        return result
    }
}
