/// A poller registered on a reactor; keep it to unregister. Touched only on the owning reactor.
public final class PollerRegistration {
    /// A name for diagnostics.
    public let name: String
    let poller: any Poller
    /// False once unregistered (a registration removed during a pass is skipped for the rest of it).
    public internal(set) var isActive = true

    init(name: String, poller: any Poller) {
        self.name = name
        self.poller = poller
    }
}
