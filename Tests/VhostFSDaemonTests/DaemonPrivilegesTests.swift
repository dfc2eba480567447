import LinuxSystem
import Testing

@testable import VhostFSDaemon

@Suite struct DaemonPrivilegesTests {
    @Test func anOrdinaryUserIsToldWhatIsOff() throws {
        let user = DaemonPrivileges(userID: 1000, groupID: 100, capabilities: [])
        #expect(!user.switchesCredentials && !user.opensFileHandles)
        let notice = try #require(user.notice)
        #expect(notice.hasPrefix("running as uid 1000 gid 100: the share is served with this identity's rights; off: "))
        #expect(notice.contains("credential switching (no CAP_SETUID/CAP_SETGID: files the guest creates belong to "
            + "1000:100"))
        #expect(notice.contains("file handles (no CAP_DAC_READ_SEARCH"))
        #expect(!notice.contains("\n"))
    }

    @Test func rootWithEverythingSaysNothingAndReducedRootSaysWhat() {
        let all: CapabilitySet = [.chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .setgid, .setuid,
                                          .mknod]
        let root = DaemonPrivileges(userID: 0, groupID: 0, capabilities: all)
        #expect(root.switchesCredentials && root.opensFileHandles)
        #expect(root.notice == nil)
        let reduced = DaemonPrivileges(userID: 0, groupID: 0, capabilities: all.subtracting(.dacReadSearch))
        #expect(reduced.switchesCredentials)
        #expect(reduced.notice?.hasPrefix("running as root with reduced capabilities") == true)
        #expect(reduced.notice?.contains("credential switching") == false)
    }
}
