import Foundation

/// Renders a `BenchReport` as terminal tables: the floor, one table per backend, and a side-by-side comparison
/// when there are several backends.
enum ReportTable {
    /// The whole report as text.
    static func render(_ report: BenchReport) -> String {
        var out = ""
        if !report.floor.isEmpty {
            out += "native floor (one thread, same files)\n"
        }
        if !report.floor.isEmpty { out += table(header: ["floor", "ops/s", "ns/op", "p50 us", "p99 us", "p99.9 us"],
                     rows: report.floor.map { f in
                         [f.name, count(f.opsPerSecond), fixed(f.nanosecondsPerOperation, 0),
                          fixed(f.latencyMicroseconds.p50, 2), fixed(f.latencyMicroseconds.p99, 2),
                          fixed(f.latencyMicroseconds.p999, 2)] + (f.error.map { [$0] } ?? [])
                     }) }
        let tagged = report.backends.contains { $0.results.contains { $0.round != nil || ($0.cpuHogs ?? 0) > 0 } }
        for b in report.backends {
            out += "\n\(b.label)"
            if let pid = b.processID { out += " (pid \(pid))" }
            if let m = b.fuseMinor { out += ", FUSE 7.\(m)" }
            if let w = b.maxWrite { out += ", max_write \(w)" }
            if let q = b.requestQueuesOffered { out += ", \(q) request queue(s)" }
            out += "\n"
            if let e = b.error { out += "  error: \(e)\n" }
            if let before = b.residentKiBAtConnect, let after = b.residentKiBAfterLookups, let n = b.filesLookedUp {
                let grown = Double(after) * 1024 - Double(before) * 1024
                out += "  resident memory: \(fixed(Double(before) / 1024, 1)) MiB at connect, "
                    + "\(fixed(Double(after) / 1024, 1)) MiB holding \(count(Double(n))) looked-up files"
                    + (n > 0 ? " (\(fixed(grown / Double(n), 0)) bytes per file)\n" : "\n")
            }
            // With hogs or rounds, each row says which (and the load average when the cell started).
            let tags = { (r: BenchReport.ResultEntry) -> [String] in
                tagged ? ["\(r.cpuHogs ?? 0)", r.round.map { "\($0 + 1)" } ?? "-",
                          r.loadAverage.map { fixed($0, 2) } ?? "-"] : []
            }
            out += table(
                header: ["workload", "qd", "q"] + (tagged ? ["hogs", "round", "load"] : [])
                    + ["ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "cpu us/op", "cpu%", "req/op", "x floor"],
                rows: b.results.map { r in
                    if let e = r.error, r.operations == 0 {
                        return [r.workload, "\(r.queueDepth)", "\(r.queues)"] + tags(r) + ["error: " + e]
                    }
                    if r.workload == Workload.idle.rawValue {
                        return [r.workload, "-", "-"] + tags(r) + ["-", "-", "-", "-", "-", "-",
                                r.backendCPUPercent.map { fixed($0, 1) } ?? "?", "-", "-"]
                    }
                    return [r.workload, "\(r.queueDepth)", "\(r.queues)"] + tags(r) + [count(r.opsPerSecond),
                            r.megabytesPerSecond > 0 ? fixed(r.megabytesPerSecond, 1) : "-",
                            fixed(r.latencyMicroseconds.p50, 1), fixed(r.latencyMicroseconds.p99, 1),
                            fixed(r.latencyMicroseconds.p999, 1),
                            r.backendCPUMicrosecondsPerOperation.map { fixed($0, 2) } ?? "?",
                            r.backendCPUPercent.map { fixed($0, 0) } ?? "?",
                            fixed(r.requestsPerOperation, 1),
                            r.floorRatio.map { fixed($0, 2) } ?? "-"] + (r.error.map { ["error: " + $0] } ?? [])
                })
        }
        for view in BenchReport.hogViews(report) where view.backends.count > 1 {
            out += sideBySide(view.backends, cpuHogs: view.cpuHogs)
        }
        return out
    }

    /// The comparison of backends measured with the same number of hogs.
    private static func sideBySide(_ backends: [BenchReport.BackendEntry], cpuHogs: Int) -> String {
        guard let first = backends.first else { return "" }
        let hogs = cpuHogs > 0 ? " with \(cpuHogs) CPU hog(s)" : ""
        let out = "\nside by side\(hogs) (ratio = \(first.label) ops/s over the other's; >1: the other is slower)\n"
        var header = ["workload", "qd", "q"]
        for b in backends { header += ["\(b.label) ops/s", "p50 us"] }
        for b in backends.dropFirst() { header.append("\(first.label)/\(b.label)") }
        var rows: [[String]] = []
        for r in first.results where r.workload != Workload.idle.rawValue {
            var row = [r.workload, "\(r.queueDepth)", "\(r.queues)"]
            var others: [String] = []
            for b in backends {
                guard let o = b.results.first(where: { $0.key == r.key }), o.operations > 0 else {
                    row += ["-", "-"]
                    if b.label != first.label { others.append("-") }
                    continue
                }
                row += [count(o.opsPerSecond), fixed(o.latencyMicroseconds.p50, 1)]
                if b.label != first.label {
                    others.append(o.opsPerSecond > 0 ? fixed(r.opsPerSecond / o.opsPerSecond, 2) : "-")
                }
            }
            rows.append(row + others)
        }
        return out + table(header: header, rows: rows)
    }

    private static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (i, cell) in cells.enumerated() {
                if i >= widths.count {
                    s += "  " + cell
                } else if i == 0 {
                    s += cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                } else {
                    s += "  " + String(repeating: " ", count: max(widths[i] - cell.count, 0)) + cell
                }
            }
            return s + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// A count with thousands separators.
    static func count(_ value: Double) -> String {
        let n = Int(value.rounded())
        var s = String(abs(n))
        var i = s.count - 3
        while i > 0 {
            s.insert(",", at: s.index(s.startIndex, offsetBy: i))
            i -= 3
        }
        return (n < 0 ? "-" : "") + s
    }
}
