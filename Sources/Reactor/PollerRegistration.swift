/// A poller registered on a reactor; keep it to unregister. Touched only on the owning reactor.
public final class PollerRegistration {
    /// A name for diagnostics.
    public let name: String
    let poller: any Poller
    /// False once unregistered (a registration removed during a pass is skipped for the rest of it). Read for
    /// every poller on every pass of the loop: unchecked exclusivity, as the reactor's own state (confined to it).
    @exclusivity(unchecked) public internal(set) var isActive = true

    init(name: String, poller: any Poller) {
        self.name = name
        self.poller = poller
    }
}
