import Glibc
import Testing

@testable import LinuxSystem

@Suite struct EffectiveCapabilitiesTests {
    @Test func parsesTheCapEffLine() {
        let status = Array(
            "Name:\tvhostfsd\nCapInh:\t0000000000000000\nCapEff:\t00000000000000c5\nCapBnd:\tffff\n".utf8)
        #expect(CapabilitySet.parse(status: status) == [.chown, .dacReadSearch, .setgid, .setuid])
        #expect(CapabilitySet.parse(status: Array("CapEff:\t000001fffeffffff\n".utf8))?
            .contains([.chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .setgid, .setuid, .mknod]) == true)
        #expect(CapabilitySet.parse(status: Array("Name:\tx\n".utf8)) == nil)
        #expect(CapabilitySet.parse(status: Array("CapEff:\tzz\n".utf8)) == nil)
    }

    @Test func readsThisThreadsSet() throws {
        let capabilities = try ThreadCapabilities.current().effective
        // Root here holds every capability but CAP_SYS_RESOURCE; an ordinary user none of these.
        #expect(capabilities.contains([.setuid, .setgid, .chown]) == (geteuid() == 0))
    }
}
