import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// The daemon offers VHOST_USER_PROTOCOL_F_CONFIG, and names a tag in its start-up line, only when `--tag` is given,
/// as virtiofsd does: QEMU sets the tag itself and warns about a CONFIG feature it does not use.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ConfigSpaceTagTests {
    /// What a front-end that would read the config space saw.
    struct Seen {
        /// CONFIG was negotiated.
        var config: Bool
        /// MQ and REPLY_ACK were negotiated (the handshake itself worked).
        var multiQueueAndReplyAck: Bool
        /// The tag read from the config space.
        var tag: String?
        /// The daemon's log.
        var log: String
    }

    /// Starts the debug daemon with `arguments`, connects a front-end that would read the config space, and returns
    /// what it saw.
    func connect(_ arguments: String) throws -> Seen {
        var configuration = FUSEClient.Configuration()
        configuration.readsConfigSpace = true
        let fixture = try BackendFixture(
            configuration: configuration, template: BackendFixture.defaultTemplate + " " + arguments)
        defer { fixture.stop() }
        _ = try fixture.client.getattr(FUSEClient.rootNodeID)
        let features = fixture.client.negotiated.protocolFeatures
        return Seen(
            config: features.contains(.config), multiQueueAndReplyAck: features.contains([.multiQueue, .replyAck]),
            tag: fixture.client.tag, log: fixture.process.logTail(bytes: 8_000))
    }

    @Test func withoutATagNoConfigSpaceIsOfferedAndNoTagIsNamed() throws {
        let seen = try connect("")
        #expect(!seen.config)
        #expect(seen.multiQueueAndReplyAck)
        #expect(seen.tag == nil)
        let startup = try #require(seen.log.split(separator: "\n").first { $0.contains("Sharing ") }, "\(seen.log)")
        #expect(!startup.contains("tag"), "\(startup)")
        #expect(!seen.log.contains("vhostfs\""), "the old default tag is named: \(seen.log)")
    }

    @Test func withATagTheConfigSpaceCarriesIt() throws {
        let seen = try connect("--tag=myshare")
        #expect(seen.config)
        #expect(seen.tag == "myshare")
        #expect(seen.log.contains("as tag \"myshare\""), "\(seen.log)")
    }
}
