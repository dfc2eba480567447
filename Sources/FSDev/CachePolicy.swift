/// The guest-side caching policy (virtiofsd's `--cache`), which sets the entry and attribute timeouts and the open
/// flags the device returns.
public enum CachePolicy: String, Sendable, CaseIterable {
    /// No caching: timeouts 0, files opened with direct I/O.
    case never
    /// Cache for one second, drop file caches on open unless unchanged (virtiofsd's default).
    case auto = "metadata-auto"
    /// Cache for a day and keep file caches across opens: the share is not changed behind the guest's back.
    case always
    /// Cache names and attributes for a day, never file data (files opened with direct I/O): virtiofsd's
    /// `--cache=metadata`.
    case metadata

    /// The entry and attribute timeout of this policy.
    public var timeout: CacheTimeout {
        switch self {
        case .never: .zero
        case .auto: CacheTimeout(seconds: 1)
        case .always, .metadata: CacheTimeout(seconds: 86_400)
        }
    }
}
