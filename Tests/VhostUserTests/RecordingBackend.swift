import Glibc
import LinuxSystem
import Synchronization
import VhostUser

/// A test device behind the real request handler: it maps every memory region it is given (so the fds must be real
/// memory), records the calls it receives, and reports ring starts and stops. Rings are not processed here; the
/// echo device in the ring tests does that.
final class RecordingBackend: VhostUserBackend {
    struct State {
        var mappings: [(MemoryRegionPayload, MemoryMapping)] = []
        var started: [Int: VringConfiguration] = [:]
        var startCount = 0
        var stopCount = 0
        var resets = 0
        var features: VirtioFeatures = []
        var calls: [Int: Bool] = [:]
        var config: [UInt8]
    }

    let queueCount: Int
    let maxQueueSize = 1024
    let deviceFeatures: VirtioFeatures = [.version1, .ringIndirectDescriptors, .ringEventIndex]
    let state: Mutex<State>

    let offersConfigSpace: Bool

    init(queueCount: Int = 5, tag: String = "testfs", offersConfigSpace: Bool = true) {
        self.queueCount = queueCount
        self.offersConfigSpace = offersConfigSpace
        var cfg = [UInt8](repeating: 0, count: 40)
        for (i, b) in tag.utf8.prefix(36).enumerated() { cfg[i] = b }
        cfg[36] = UInt8(queueCount - 1)
        state = Mutex(State(config: cfg))
    }

    func configSpace() -> [UInt8] { state.withLock { $0.config } }

    func setFeatures(_ features: VirtioFeatures) throws(VhostUserError) { state.withLock { $0.features = features } }

    private static func map(_ r: VhostUserMemoryRegion) throws(VhostUserError) -> MemoryMapping {
        do {
            return try MemoryMapping(descriptor: r.descriptor, offset: r.description.mmapOffset,
                                     length: r.description.size)
        } catch { throw .device(error) }
    }

    func setMemoryTable(_ regions: [VhostUserMemoryRegion]) throws(VhostUserError) {
        var maps: [(MemoryRegionPayload, MemoryMapping)] = []
        for r in regions { maps.append((r.description, try Self.map(r))) }
        state.withLock { $0.mappings = maps }
    }

    func addMemoryRegion(_ region: VhostUserMemoryRegion) throws(VhostUserError) {
        let m = try Self.map(region)
        state.withLock { $0.mappings.append((region.description, m)) }
    }

    func removeMemoryRegion(_ description: MemoryRegionPayload) throws(VhostUserError) {
        state.withLock { $0.mappings.removeAll { $0.0 == description } }
    }

    func startQueue(_ configuration: VringConfiguration, kick: EventFD?, call: EventFD?) throws(VhostUserError) {
        state.withLock {
            $0.started[configuration.index] = configuration
            $0.startCount += 1
            $0.calls[configuration.index] = call != nil
        }
    }

    func stopQueue(_ index: Int) -> UInt16 {
        state.withLock {
            $0.stopCount += 1
            // Pretend the device consumed three more chains since it started.
            let base = ($0.started.removeValue(forKey: index)?.nextAvailIndex ?? 0) &+ 3
            return base
        }
    }

    func setCall(_ index: Int, _ call: EventFD?) { state.withLock { $0.calls[index] = call != nil } }

    func reset() {
        state.withLock {
            $0.mappings = []
            $0.started = [:]
            $0.resets += 1
        }
    }
}
