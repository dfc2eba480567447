/// The daemon's version, printed by `-V`/`--version`.
public enum DaemonVersion {
    /// The version string, `vhostfsd <semver>`.
    public static let string = "vhostfsd 0.1.0"
}
