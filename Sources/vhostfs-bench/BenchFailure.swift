/// Why the benchmark stopped.
enum BenchFailure: Error, CustomStringConvertible {
    /// A command-line problem (exit status 2).
    case usage(String)
    /// The data set could not be made.
    case dataSet(String)
    /// The backend could not be started or reached, or broke the connection.
    case backend(String)
    /// Anything else.
    case other(String)

    var description: String {
        switch self {
        case .usage(let s): return s
        case .dataSet(let s): return "data set: " + s
        case .backend(let s): return "backend: " + s
        case .other(let s): return s
        }
    }
}
