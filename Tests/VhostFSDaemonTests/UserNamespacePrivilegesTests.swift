import FSDevAIO
import LinuxSystem
import Testing

@testable import VhostFSDaemon

/// What a daemon in a user namespace of its own may do, and what its start-up line says.
@Suite struct UserNamespacePrivilegesTests {
    static let kept: CapabilitySet = [.chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .setgid, .setuid,
                                      .mknod, .setfcap]

    static func namespace(uids: [NamespaceIDRange], gids: [NamespaceIDRange], given: Bool) -> DaemonUserNamespace {
        DaemonUserNamespace(uidRanges: uids, gidRanges: gids, uidMapGiven: given, gidMapGiven: given)
    }

    @Test func ownIdsOnlyKeepCreationUnderTheDaemonsIdsAndSaySo() throws {
        let own = Self.namespace(uids: [NamespaceIDRange(inside: 1001, outside: 1001, count: 1)],
                                 gids: [NamespaceIDRange(inside: 1001, outside: 1001, count: 1)], given: false)
        #expect(!own.mapsGuestIDs)
        let privileges = DaemonPrivileges(userID: 1001, groupID: 1001, capabilities: Self.kept, userNamespace: own)
        // Capabilities over the namespace do not switch to ids it does not map, nor open file handles.
        #expect(!privileges.switchesCredentials && !privileges.opensFileHandles)
        let notice = try #require(privileges.notice)
        #expect(notice.hasPrefix("running as uid 1001 gid 1001 in a user namespace mapping uids :1001:1001:1: (the "
                                 + "user's own, written by the daemon), gids :1001:1001:1: (the user's own"))
        #expect(notice.contains("credential switching (the user namespace maps only the daemon's own ids: files the "
                                + "guest creates belong to 1001:1001"))
        #expect(notice.contains("file handles") && notice.contains("device nodes"))
        #expect(!notice.contains("\n"))
    }

    @Test func rangesFromTheOperatorSwitchToGuestIds() throws {
        let ranges = [NamespaceIDRange(inside: 0, outside: 1001, count: 1),
                      NamespaceIDRange(inside: 1, outside: 100000, count: 65536)]
        let mapped = Self.namespace(uids: ranges, gids: ranges, given: true)
        #expect(mapped.mapsGuestIDs)
        #expect(mapped.description == "user namespace mapping uids :0:1001:1: :1:100000:65536: (newuidmap), gids "
                    + ":0:1001:1: :1:100000:65536: (newgidmap)")
        let privileges = DaemonPrivileges(userID: 0, groupID: 0, capabilities: Self.kept, userNamespace: mapped)
        #expect(privileges.switchesCredentials && !privileges.opensFileHandles)
        let notice = try #require(privileges.notice)
        #expect(notice.hasPrefix("running as uid 0 gid 0 in a user namespace mapping uids"))
        #expect(!notice.contains("credential switching"))
        // Without CAP_SETUID (--modcaps=-setuid) the maps do not help.
        let reduced = DaemonPrivileges(userID: 0, groupID: 0, capabilities: Self.kept.subtracting(.setuid),
                                       userNamespace: mapped)
        #expect(!reduced.switchesCredentials)
        #expect(reduced.notice?.contains("credential switching (no CAP_SETUID/CAP_SETGID") == true)
        // Only one side with more than one id: an unmapped guest gid would fail every switch.
        let half = Self.namespace(uids: ranges, gids: [NamespaceIDRange(inside: 0, outside: 1001, count: 1)],
                                  given: true)
        #expect(!half.mapsGuestIDs)
    }

    @Test func theHelperRunsNewuidmapAndNewgidmapForTheGivenMapsOnly() {
        let ranges = [NamespaceIDRange(inside: 0, outside: 1001, count: 1),
                      NamespaceIDRange(inside: 1, outside: 100000, count: 65536)]
        let both = IDMapHelper.commands(target: 42, uidMap: ranges, gidMap: [ranges[0]])
        #expect(both.map(\.program) == ["newuidmap", "newgidmap"])
        #expect(both.first?.arguments == ["42", "0", "1001", "1", "1", "100000", "65536"])
        #expect(both.last?.arguments == ["42", "0", "1001", "1"])
        #expect(IDMapHelper.commands(target: 42, uidMap: [], gidMap: ranges).map(\.program) == ["newgidmap"])
        #expect(IDMapHelper.commands(target: 42, uidMap: [], gidMap: []).isEmpty)
    }
}
